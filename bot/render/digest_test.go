package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/alerts"
)

// burst is n events across n/3 orgs, of every common kind.
func burst(n int) []alerts.Event {
	events := make([]alerts.Event, 0, n)
	for i := 0; len(events) < n; i++ {
		o := org(int64(4001+i/3), fmt.Sprintf("Customer Org %04d Ltd", i/3))
		switch i % 3 {
		case 0:
			events = append(events, alerts.Event{Kind: alerts.LowBalance, At: now, Org: o, Figures: lowFigures(float64(i%50), 0.2),
				Rule: "alerts.low_balance.below = 50", Since: now})
		case 1:
			events = append(events, alerts.Event{Kind: alerts.NewUser, At: now, Org: o,
				User:    &alerts.UserRef{ID: int64(i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@customer.example", i)},
				Changes: []alerts.Change{{Field: "is_bots_menu_access", Old: "off", New: "on"}}})
		case 2:
			events = append(events, alerts.Event{Kind: alerts.PermissionChange, At: now, Org: o,
				User:    &alerts.UserRef{ID: int64(i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@customer.example", i)},
				Changes: []alerts.Change{{Field: "is_bulk_call_access", Old: "off", New: "on"}}})
		}
	}
	return events
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name        string
		events      int
		maxMessages int
	}{
		{"one event is one card", 1, 1},
		{"three events are three cards", 3, 3},
		{"four events are one digest", 4, 1},
		{"a burst of 1,000 events is at most 20 messages", 1000, 20},
		{"a burst of 5,000 events stays in Slack's limits", 5000, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := burst(tt.events)
			out, err := Plan(events, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > tt.maxMessages || len(out) == 0 {
				t.Fatalf("%d messages, want 1 to %d", len(out), tt.maxMessages)
			}
			seen := 0
			for i, o := range out {
				b, err := DecodeBatch(o.Body)
				if err != nil {
					t.Fatal(err)
				}
				seen += len(b.Events)
				m := b.Render(now)
				checkLimits(t, m)
				switch {
				case !b.Digest && o.ReplyTo != -1:
					t.Errorf("card %d replies to %d", i, o.ReplyTo)
				case b.Digest && i == 0 && o.ReplyTo != -1:
					t.Errorf("the digest's first part replies to %d", o.ReplyTo)
				case b.Digest && i > 0 && o.ReplyTo != 0:
					t.Errorf("digest part %d replies to %d, want the first part", i+1, o.ReplyTo)
				}
				if b.Digest && i == 0 && !strings.HasPrefix(m.Text, fmt.Sprintf("%d alerts from the 16:05 poll:", tt.events)) {
					t.Errorf("the digest starts %q", m.Text)
				}
			}
			if seen != tt.events {
				t.Errorf("the messages hold %d events, want %d", seen, tt.events)
			}
		})
	}
}

func TestADigestKeepsEachOrgsLinesTogether(t *testing.T) {
	events := burst(30)
	// Shuffle orgs: the plan must regroup them.
	events[0], events[29] = events[29], events[0]
	batches := planBatches(events, now)
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	plain := batches[0].Render(now).Plain
	for i := range 10 {
		name := fmt.Sprintf("Customer Org %04d Ltd", i)
		if n := strings.Count(plain, name); n != 1 {
			t.Errorf("%s is named %d times in the digest, want once:\n%s", name, n, plain)
		}
	}
}
