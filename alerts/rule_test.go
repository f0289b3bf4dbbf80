package alerts_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
)

func TestEventsCiteTheRulesThatFiredWithTheirSettings(t *testing.T) {
	rules := alerts.DefaultRules()
	low := snap(org(1, "A", 10, 0.1))
	lowRunway := snap(org(1, "A", 200, 1))
	_, lowState := alerts.Evaluate(nil, low, alerts.State{}, rules, t0)
	_, runwayState := alerts.Evaluate(nil, lowRunway, alerts.State{}, rules, t0)
	outage := func() []alerts.Event {
		var events []alerts.Event
		st := alerts.State{}
		for range rules.FailuresBeforeNotice {
			events, st = alerts.Failed(st, "x", rules, t0)
		}
		return events
	}
	massRemoval := func() []alerts.Event {
		events, _ := alerts.Evaluate(baseline(), snap(), alerts.State{}, rules, t0)
		return events
	}
	day := t0.Add(24 * time.Hour)
	tests := []struct {
		name   string
		events func() []alerts.Event
		want   []alerts.Threshold
	}{
		{"a low balance cites the amount", func() []alerts.Event {
			events, _ := alerts.Evaluate(nil, low, alerts.State{}, rules, t0)
			return events
		}, []alerts.Threshold{below50}},
		{"a short runway cites the runway", func() []alerts.Event {
			events, _ := alerts.Evaluate(nil, lowRunway, alerts.State{}, rules, t0)
			return events
		}, []alerts.Threshold{runway4h}},
		{"a reminder cites the threshold and then the reminder interval", func() []alerts.Event {
			events, _ := alerts.Evaluate(low, low, lowState, rules, day)
			return events
		}, []alerts.Threshold{below50, {Rule: alerts.RuleLowBalanceRepeatEvery, Duration: 24 * time.Hour}}},
		{"a runway reminder cites the runway and then the reminder interval", func() []alerts.Event {
			events, _ := alerts.Evaluate(lowRunway, lowRunway, runwayState, rules, day)
			return events
		}, []alerts.Threshold{runway4h, {Rule: alerts.RuleLowBalanceRepeatEvery, Duration: 24 * time.Hour}}},
		{"an outage notice cites the failures it waited for", outage,
			[]alerts.Threshold{{Rule: alerts.RuleFailuresBeforeNotice, Number: 3}}},
		{"a held mass removal cites the share", massRemoval,
			[]alerts.Threshold{{Rule: alerts.RuleMassRemovalShare, Number: 0.5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := tt.events()
			if len(events) != 1 || !slices.Equal(thresholds(events[0]), tt.want) {
				t.Fatalf("events:\n%s(rules %+v), want one citing %+v", summary(events), ruleOf(events), tt.want)
			}
			if text := events[0].Cause.Text; text != "" {
				t.Errorf("the event spells its rule as %q; only events of earlier versions do", text)
			}
		})
	}
}

func TestRuleIDsAreDistinctAndNamed(t *testing.T) {
	ids := alerts.RuleIDs()
	if len(ids) == 0 {
		t.Fatal("no rule ids")
	}
	seen := map[alerts.RuleID]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Errorf("rule id %q is empty or listed twice", id)
		}
		seen[id] = true
	}
}

// queuedBefore is a low-balance reminder as the outbox held it before events
// cited rules by identifier.
const queuedBefore = `{"kind":"low_balance","at":"2026-11-27T16:05:00Z","org":{"id":4002,"name":"Beta Co","currency":"$"},` +
	`"figures":{"balance":9.5,"cost_per_min":0.2,"runway":2850000000000,"runway_limited":true,"concurrent_call_limit":5,"users":3},` +
	`"rule":"alerts.low_balance.below = 50, repeat_every = 24h","reminder":true,"since":"2026-11-26T14:05:00Z"}`

func TestEventJSON(t *testing.T) {
	t.Run("an event queued by an earlier version keeps its rule text, stored again or not", func(t *testing.T) {
		var ev alerts.Event
		if err := json.Unmarshal([]byte(queuedBefore), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Cause == nil || ev.Cause.Text != "alerts.low_balance.below = 50, repeat_every = 24h" || ev.Cause.Thresholds != nil ||
			!ev.Reminder || ev.Figures.Balance != 9.5 {
			t.Errorf("decoded %+v", ev)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back alerts.Event
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, ev) {
			t.Errorf("encodes as %s, which decodes as %+v (%v), want %+v", b, back, err, ev)
		}
	})
	t.Run("thresholds are stored by their stable identifiers", func(t *testing.T) {
		ev := alerts.Event{Kind: alerts.LowBalance, At: t0, Reminder: true,
			Cause: &alerts.Cause{Thresholds: []alerts.Threshold{below50, {Rule: alerts.RuleLowBalanceRepeatEvery, Duration: 24 * time.Hour}}}}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		want := `"rule":{"thresholds":[{"id":"low_balance_below","number":50},{"id":"low_balance_repeat_every","duration":86400000000000}]}`
		if !strings.Contains(string(b), want) {
			t.Errorf("encoded %s, want it to hold %s", b, want)
		}
		var back alerts.Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, ev) {
			t.Errorf("decodes back as %+v, want %+v", back, ev)
		}
	})
}
