package alerts_test

import (
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

func TestBurnRateForecast(t *testing.T) {
	day := 24 * time.Hour
	rules := alerts.DefaultRules()
	// Acme has 24,442.60 and Beta 13 (low by the balance threshold): raise
	// Beta above it so that only the forecast can fire.
	healthy := func(balance float64) *omni.Snapshot {
		s := baseline()
		s.Orgs[1].Balance = balance
		return s
	}
	spend := func(amount float64, over time.Duration) map[int64]alerts.Spend {
		return map[int64]alerts.Spend{4002: {Amount: amount, Over: over}}
	}
	tests := []struct {
		name  string
		rules alerts.Rules
		bal   float64
		spend map[int64]alerts.Spend
		want  string
	}{
		{"a balance that lasts under a day at the last day's pace is low", rules, 300, spend(800, day), "low_balance org=4002\n"},
		{"a balance that lasts longer than a day at that pace is not", rules, 300, spend(200, day), ""},
		{"history shorter than the window forecasts nothing", rules, 300, spend(800, 12*time.Hour), ""},
		{"an org that spent nothing has no forecast", rules, 300, spend(0, day), ""},
		{"an org without spend figures has no forecast", rules, 300, nil, ""},
		{"a zero burn_within is off", func() alerts.Rules { r := rules; r.LowBalance.BurnWithin = 0; return r }(), 300, spend(800, day), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, _ := alerts.EvaluateSpend(nil, healthy(tt.bal), alerts.State{}, tt.rules, t0, tt.spend)
			if got := summary(events); got != tt.want {
				t.Errorf("events\n%s\nwant\n%s", got, tt.want)
			}
		})
	}

	t.Run("the forecast alert cites burn_within and says how long is left", func(t *testing.T) {
		events, _ := alerts.EvaluateSpend(nil, healthy(300), alerts.State{}, rules, t0, spend(800, day))
		if len(events) != 1 {
			t.Fatalf("events = %v", events)
		}
		e := events[0]
		if got := e.Cause.Thresholds[0]; got != (alerts.Threshold{Rule: alerts.RuleLowBalanceBurnWithin, Duration: day}) {
			t.Errorf("cause = %+v", got)
		}
		if want := 9 * time.Hour; e.Figures.Pace != want || e.Figures.PaceWindow != day {
			t.Errorf("pace = %s over %s, want %s over a day", e.Figures.Pace, e.Figures.PaceWindow, want)
		}
	})
	t.Run("the episode ends when spending slows, with the recovery margin", func(t *testing.T) {
		_, st := alerts.EvaluateSpend(nil, healthy(300), alerts.State{}, rules, t0, spend(800, day))
		// 300 at 310 a day lasts 23 h: within 24 h plus the 10% margin.
		events, st := alerts.EvaluateSpend(healthy(300), healthy(300), st, rules, t0.Add(time.Hour), spend(310, day))
		if len(events) != 0 {
			t.Errorf("still within the margin: events %v", summary(events))
		}
		events, _ = alerts.EvaluateSpend(healthy(300), healthy(300), st, rules, t0.Add(2*time.Hour), spend(200, day))
		if got := summary(events); got != "balance_recovered org=4002\n" {
			t.Errorf("events\n%s\nwant a recovery", got)
		}
	})
	t.Run("Evaluate is EvaluateSpend without spend", func(t *testing.T) {
		events, _ := alerts.Evaluate(nil, healthy(300), alerts.State{}, rules, t0)
		if len(events) != 0 {
			t.Errorf("events %v", summary(events))
		}
	})
}

func TestSpendPace(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name    string
		spend   alerts.Spend
		balance float64
		want    time.Duration
		ok      bool
	}{
		{"a balance of 100 spent at 200 a day lasts 12 hours", alerts.Spend{Amount: 200, Over: day}, 100, 12 * time.Hour, true},
		{"nothing spent gives no pace", alerts.Spend{Over: day}, 100, 0, false},
		{"no history gives no pace", alerts.Spend{Amount: 5}, 100, 0, false},
		{"an empty balance has no time left", alerts.Spend{Amount: 5, Over: day}, 0, 0, true},
		{"a trickle of spend is capped at ten years", alerts.Spend{Amount: 1e-12, Over: day}, 1e9, 10 * 365 * day, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.spend.Pace(tt.balance)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Pace(%v) = %s, %v; want %s, %v", tt.balance, got, ok, tt.want, tt.ok)
			}
		})
	}
}
