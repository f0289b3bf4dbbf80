package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
)

func TestEpisodeMessagesMatchGoldenFiles(t *testing.T) {
	ev := sampleEvents()
	first := ev["low_balance"]
	first.Since, first.At = now.Add(-26*time.Hour), now.Add(-26*time.Hour)
	reminder := ev["low_balance_reminder"]
	recovered := ev["balance_recovered"]
	recovered.Since = first.Since
	outage := ev["api_outage"]
	tests := []struct {
		name string
		ep   render.EpisodeView
		says []string
	}{
		{"a low balance just opened shows its figures", render.EpisodeView{Key: "k", First: first, Last: first},
			[]string{"Low balance", "$13.00"}},
		{"a reminded, snoozed and acknowledged low balance says who did what", render.EpisodeView{Key: "k", First: first, Last: reminder, Reminders: 1,
			SnoozedBy: "maria", SnoozedUntil: now.Add(time.Hour), AckedBy: "li", AckedAt: now.Add(-time.Minute)},
			[]string{"$9.50", "1 reminder so far", "snoozed by @maria until 2026-11-27 17:05 UTC", "Acknowledged by @li"}},
		{"a snooze until recovery says so", render.EpisodeView{Key: "k", First: first, Last: first, SnoozedBy: "maria", UntilEnd: true},
			[]string{"until it recovers"}},
		{"a recovered low balance says it recovered and at what balance", render.EpisodeView{Key: "k", First: first, Last: recovered, Reminders: 2,
			SnoozedBy: "maria", UntilEnd: true},
			[]string{"Balance recovered", "$1,500.00", "2 reminders so far", "Ended"}},
		{"an outage shows since when", render.EpisodeView{Key: "k", First: outage, Last: outage}, []string{"outage", "Since 2026-11-27 15:50 UTC"}},
		{"a recovered low balance says who topped it up", render.EpisodeView{Key: "k", First: first, Last: recovered,
			ToppedUpBy: "ana", ToppedUpWhat: "250 minutes", ToppedUpAt: now.Add(-2 * time.Minute)},
			[]string{"Topped up by @ana with 250 minutes 2 minutes ago", "Balance recovered"}},
		{"a low balance offers a top-up when actions are on", render.EpisodeView{Key: "k", First: first, Last: first, TopUp: true},
			[]string{`"action_id":"topup_open","value":"4002"`, `"action_id":"snooze"`}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.ep.Render(now)
			rendertest.CheckLimits(t, m)
			blocks := string(rendertest.BlocksJSON(t, m))
			for _, s := range tt.says {
				if !strings.Contains(blocks, s) {
					t.Errorf("the message does not say %q: %s", s, blocks)
				}
			}
			golden(t, "episode_"+[]string{"opened", "reminded_snoozed_acked", "snoozed_until_recovered", "recovered", "outage", "recovered_topped_up", "opened_with_topup"}[i], m)
		})
	}
}

func TestAPersonsNamePingsNobody(t *testing.T) {
	ev := sampleEvents()["low_balance"]
	m := (&render.EpisodeView{First: ev, Last: ev, AckedBy: "<!channel>"}).Render(now)
	rendertest.CheckLimits(t, m)
	if blocks := string(rendertest.BlocksJSON(t, m)); !strings.Contains(blocks, "@&lt;!channel&gt;") {
		t.Errorf("the name is not escaped: %s", blocks)
	}
}

func TestSnoozesMatchGoldenFiles(t *testing.T) {
	tests := []struct {
		name string
		rows []render.SnoozeRow
	}{
		{"none", nil},
		{"some", []render.SnoozeRow{{What: "Beta Co (4002)", By: "maria", Until: now.Add(time.Hour)}, {What: "the API outage", By: "li", UntilEnd: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render.Snoozes(tt.rows, now)
			rendertest.CheckLimits(t, m)
			golden(t, "snoozes_"+tt.name, m)
		})
	}
	t.Run("a thousand snoozes stay within Slack's limits", func(t *testing.T) {
		rows := make([]render.SnoozeRow, 1000)
		for i := range rows {
			rows[i] = render.SnoozeRow{What: strings.Repeat("Long Org Name ", 5), By: "maria", Until: now.Add(time.Hour)}
		}
		m := render.Snoozes(rows, now)
		rendertest.CheckLimits(t, m)
		if !strings.Contains(m.Plain, "more") {
			t.Errorf("the answer does not say some are left out:\n%s", m.Plain)
		}
	})
}
