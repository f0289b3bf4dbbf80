package render_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
)

// decodeBatch reads an outbox body of that version.
func decodeBatch(t *testing.T, body string) render.Batch {
	t.Helper()
	var b render.Batch
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// queuedCards are outbox bodies as the version before rule identifiers
// queued them (events spelled their rule as text), one for each golden card
// that cites a rule. A message queued before an upgrade is delivered after
// it, so it must still render as it would have.
var queuedCards = map[string]string{
	"low_balance": `{"polled_at":"2026-11-27T16:05:00Z","events":[{"kind":"low_balance","at":"2026-11-27T16:05:00Z","org":{"id":4002,"name":"Beta Co","currency":"$"},` +
		`"figures":{"balance":13,"cost_per_min":0.2,"runway":3900000000000,"runway_limited":true,"concurrent_call_limit":5,"users":3},` +
		`"rule":"alerts.low_balance.below = 50","since":"2026-11-27T16:05:00Z"}]}`,
	"low_balance_reminder": `{"polled_at":"2026-11-27T16:05:00Z","events":[{"kind":"low_balance","at":"2026-11-27T16:05:00Z","org":{"id":4002,"name":"Beta Co","currency":"$"},` +
		`"figures":{"balance":9.5,"cost_per_min":0.2,"runway":2850000000000,"runway_limited":true,"concurrent_call_limit":5,"users":3},` +
		`"rule":"alerts.low_balance.below = 50, repeat_every = 24h","reminder":true,"since":"2026-11-26T14:05:00Z"}]}`,
	"mass_removal_held": `{"polled_at":"2026-11-27T16:05:00Z","events":[{"kind":"mass_removal_held","at":"2026-11-27T16:05:00Z",` +
		`"rule":"alerts.mass_removal_share = 0.5","detail":"120 of 130 orgs and 1100 of 1200 users disappeared in one poll","count":120}]}`,
	"api_outage": `{"polled_at":"2026-11-27T16:05:00Z","events":[{"kind":"api_outage","at":"2026-11-27T16:05:00Z",` +
		`"rule":"poll.failures_before_notice = 3","since":"2026-11-27T15:50:00Z","detail":"omnidim: server error (HTTP 502): Bad Gateway","count":3}]}`,
}

// queuedDigest is rendertest.Burst(4) planned by that version: a digest.
const queuedDigest = `{"polled_at":"2026-11-27T16:05:00Z","digest":true,"part":1,"parts":1,"total":4,"summary":"2 low balance, 1 new user, 1 permission change","events":[` +
	`{"kind":"low_balance","at":"2026-11-27T16:05:00Z","org":{"id":4001,"name":"Customer Org 0000 Ltd","currency":"$"},"figures":{"balance":0,"cost_per_min":0.2,"runway":0,"runway_limited":true,"concurrent_call_limit":5,"users":3},"rule":"alerts.low_balance.below = 50","since":"2026-11-27T16:05:00Z"},` +
	`{"kind":"new_user","at":"2026-11-27T16:05:00Z","org":{"id":4001,"name":"Customer Org 0000 Ltd","currency":"$"},"user":{"id":1,"name":"User 1","email":"user1@customer.example"},"changes":[{"field":"is_bots_menu_access","old":"off","new":"on"}]},` +
	`{"kind":"permission_change","at":"2026-11-27T16:05:00Z","org":{"id":4001,"name":"Customer Org 0000 Ltd","currency":"$"},"user":{"id":2,"name":"User 2","email":"user2@customer.example"},"changes":[{"field":"is_bulk_call_access","old":"off","new":"on"}]},` +
	`{"kind":"low_balance","at":"2026-11-27T16:05:00Z","org":{"id":4002,"name":"Customer Org 0001 Ltd","currency":"$"},"figures":{"balance":3,"cost_per_min":0.2,"runway":900000000000,"runway_limited":true,"concurrent_call_limit":5,"users":3},"rule":"alerts.low_balance.below = 50","since":"2026-11-27T16:05:00Z"}]}`

func TestMessagesQueuedBeforeRuleIdentifiersRenderAsTheyDid(t *testing.T) {
	for name, body := range queuedCards {
		t.Run("the "+name+" card matches its golden file", func(t *testing.T) {
			b := decodeBatch(t, body)
			golden(t, "card_"+name, b.Render(now))
		})
	}
	t.Run("a digest renders as one planned now", func(t *testing.T) {
		b := decodeBatch(t, queuedDigest)
		fresh := render.Batches(rendertest.Burst(4), now)
		if len(fresh) != 1 {
			t.Fatalf("burst(4) plans %d messages, want 1", len(fresh))
		}
		got, want := b.Render(now), fresh[0].Render(now)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the queued digest renders\n%s\nwant\n%s", got.Plain, want.Plain)
		}
		if !strings.HasSuffix(strings.TrimSpace(got.Plain), "Polled 2026-11-27 16:05 UTC · rule alerts.low_balance.below = 50") {
			t.Errorf("the digest's context line is not the rule as before:\n%s", got.Plain)
		}
	})
}
