package delivery

import (
	"fmt"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/bot/render/rendertest"
)

func TestPlan(t *testing.T) {
	now := rendertest.Now()
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
			events := rendertest.Burst(tt.events)
			out, err := Plan(events, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > tt.maxMessages || len(out) == 0 {
				t.Fatalf("%d messages, want 1 to %d", len(out), tt.maxMessages)
			}
			seen := 0
			for i, o := range out {
				d, err := decode(o.Body, now)
				if err != nil {
					t.Fatal(err)
				}
				seen += d.events
				m := d.msg
				rendertest.CheckLimits(t, m)
				digest := d.parts > 0
				switch {
				case !digest && o.ReplyTo != -1:
					t.Errorf("card %d replies to %d", i, o.ReplyTo)
				case digest && i == 0 && o.ReplyTo != -1:
					t.Errorf("the digest's first part replies to %d", o.ReplyTo)
				case digest && i > 0 && o.ReplyTo != 0:
					t.Errorf("digest part %d replies to %d, want the first part", i+1, o.ReplyTo)
				}
				if digest && i == 0 && !strings.HasPrefix(m.Text, fmt.Sprintf("%d alerts from the 16:05 poll:", tt.events)) {
					t.Errorf("the digest starts %q", m.Text)
				}
			}
			if seen != tt.events {
				t.Errorf("the messages hold %d events, want %d", seen, tt.events)
			}
		})
	}
}

func BenchmarkPlanBurst1000(b *testing.B) {
	events := rendertest.Burst(1000)
	now := rendertest.Now()
	b.ReportAllocs()
	var messages int
	for b.Loop() {
		out, err := Plan(events, now)
		if err != nil {
			b.Fatal(err)
		}
		messages = len(out)
	}
	b.ReportMetric(float64(messages), "messages")
}
