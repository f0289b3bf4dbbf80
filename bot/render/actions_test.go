package render_test

import (
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
)

func TestActionMessages(t *testing.T) {
	facts := []render.Fact{
		{Label: "Change", Value: "100 minutes to Beta <Co> & *Sons* at $0.20/min: org $13.00 → $33.00"},
		{Label: "Cost", Value: "costs the reseller $9.00, leaving $52.613"},
	}
	long := make([]string, 400)
	for i := range long {
		long[i] = strings.Repeat("credit_transfer Demo Reseller → <!channel> ", 3)
	}
	tests := []struct {
		name string
		m    render.Message
	}{
		{"action_preview", render.ActionPreview("Top up Beta <Co> by 100 minutes", facts, "", "topup_confirm", "c0ffee")},
		{"action_preview_again", render.ActionPreview("Top up Beta Co by 100 minutes", facts,
			"The org's rate or balance changed since the last preview: check the figures again.", "topup_confirm", "c0ffee")},
		{"action_notice", render.ActionNotice("Top up Beta Co by 100 minutes — done", facts[:1], "done. By @ana.")},
		{"action_list_long", render.ActionList("Credit logs", long, "Page 1 of 9, newest first.")},
	}
	for _, tt := range tests {
		t.Run("the "+strings.ReplaceAll(tt.name, "_", " ")+" renders as in its golden file", func(t *testing.T) {
			golden(t, tt.name, tt.m)
		})
	}
	t.Run("a preview carries confirm and cancel buttons with the confirmation's ID", func(t *testing.T) {
		b := string(rendertest.BlocksJSON(t, tests[0].m))
		for _, want := range []string{`"action_id":"topup_confirm"`, `"action_id":"cancel"`, `"value":"c0ffee"`, "Beta &lt;Co&gt;"} {
			if !strings.Contains(b, want) {
				t.Errorf("blocks lack %s: %s", want, b)
			}
		}
	})
}
