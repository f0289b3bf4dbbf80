package alerts_test

import (
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// expiring is the baseline with Beta Co's user expiring at the given time
// (zero: never).
func expiring(at time.Time) *omni.Snapshot {
	s := baseline()
	s.Orgs[1].Users[0].Expiry = at
	return s
}

// step is one poll of an episode: its time, what the API says, and the
// events it should yield.
type step struct {
	at   time.Time
	snap *omni.Snapshot
	want string
}

// run polls the steps in order, carrying the state, and checks each.
func run(t *testing.T, rules alerts.Rules, steps []step) alerts.State {
	t.Helper()
	var prev *omni.Snapshot
	var st alerts.State
	for i, s := range steps {
		var events []alerts.Event
		events, st = alerts.Evaluate(prev, s.snap, st, rules, s.at)
		if got := summary(events); got != s.want {
			t.Errorf("poll %d at %s: events\n%s\nwant\n%s", i, s.at.Format(time.RFC3339), got, s.want)
		}
		prev = s.snap
	}
	return st
}

func TestExpiryEpisodes(t *testing.T) {
	day := 24 * time.Hour
	rules := alerts.DefaultRules()
	rules.LowBalance = alerts.LowBalanceRule{}
	in5 := t0.Add(5 * day)
	in2 := t0.Add(2 * day)
	tests := []struct {
		name  string
		rules alerts.Rules
		steps []step
	}{
		{"a date coming within the window opens an episode once, and its passing ends it", rules, []step{
			{t0, expiring(in5), ""},
			{t0.Add(2*day + time.Hour), expiring(in5), "access_expiring org=4002 user=1234\n"},
			{t0.Add(3 * day), expiring(in5), ""},
			{t0.Add(5 * day), expiring(in5), "access_expired org=4002 user=1234\n"},
			{t0.Add(6 * day), expiring(in5), ""},
		}},
		{"a user already within the window on the first poll is announced then", rules, []step{
			{t0, expiring(in2), "access_expiring org=4002 user=1234\n"},
			{t0.Add(time.Hour), expiring(in2), ""},
		}},
		{"a user already expired on the first poll is not announced", rules, []step{
			{t0, expiring(t0.Add(-day)), ""},
			{t0.Add(time.Hour), expiring(t0.Add(-day)), ""},
		}},
		{"a date moved out of the window ends the episode as extended", rules, []step{
			{t0, expiring(in2), "access_expiring org=4002 user=1234\n"},
			{t0.Add(time.Hour), expiring(t0.Add(30 * day)), "access_extended org=4002 user=1234\n"},
			{t0.Add(2 * time.Hour), expiring(t0.Add(30 * day)), ""},
		}},
		{"a cleared date ends the episode as extended", rules, []step{
			{t0, expiring(in2), "access_expiring org=4002 user=1234\n"},
			{t0.Add(time.Hour), expiring(time.Time{}), "access_extended org=4002 user=1234\n"},
		}},
		{"a date moved within the window keeps the episode without news", rules, []step{
			{t0, expiring(in2), "access_expiring org=4002 user=1234\n"},
			{t0.Add(time.Hour), expiring(t0.Add(day)), ""},
			{t0.Add(day), expiring(t0.Add(day)), "access_expired org=4002 user=1234\n"},
		}},
		{"the next date within the window opens a new episode", rules, []step{
			{t0, expiring(in2), "access_expiring org=4002 user=1234\n"},
			{t0.Add(time.Hour), expiring(t0.Add(30 * day)), "access_extended org=4002 user=1234\n"},
			{t0.Add(28 * day), expiring(t0.Add(30 * day)), "access_expiring org=4002 user=1234\n"},
		}},
		{"a removed user takes the episode along without an expiry event", rules, []step{
			{t0, expiring(in2), "access_expiring org=4002 user=1234\n"},
			{t0.Add(time.Hour), snap(baseline().Orgs[0], org(4002, "Beta Co", 13, 0.2)), "user_removed org=4002 user=1234\n"},
			{t0.Add(3 * day), snap(baseline().Orgs[0], org(4002, "Beta Co", 13, 0.2)), ""},
		}},
		{"a zero window announces nothing and turning it off ends episodes quietly", alerts.Rules{}, []step{
			{t0, expiring(in2), ""},
			{t0.Add(3 * day), expiring(in2), ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.rules, tt.steps) })
	}

	t.Run("the events carry the date, the episode's start and the rule", func(t *testing.T) {
		events, st := alerts.Evaluate(nil, expiring(in2), alerts.State{}, rules, t0)
		if len(events) != 1 || !events[0].Expires.Equal(in2) || !events[0].Since.Equal(t0) ||
			events[0].Cause.Thresholds[0] != (alerts.Threshold{Rule: alerts.RuleExpiryWithin, Duration: 72 * time.Hour}) {
			t.Fatalf("events = %+v", events)
		}
		ended, _ := alerts.Evaluate(expiring(in2), expiring(in2), st, rules, in2)
		if len(ended) != 1 || ended[0].Kind != alerts.AccessExpired || !ended[0].Since.Equal(t0) {
			t.Errorf("end = %+v, want access_expired since %s", ended, t0)
		}
	})
	t.Run("turning the rule off forgets open episodes", func(t *testing.T) {
		_, st := alerts.Evaluate(nil, expiring(in2), alerts.State{}, rules, t0)
		events, st := alerts.Evaluate(expiring(in2), expiring(in2), st, alerts.Rules{}, t0.Add(time.Hour))
		if len(events) != 0 || len(st.Expiring) != 0 {
			t.Errorf("events %v, state %+v; want none and no episode", events, st.Expiring)
		}
	})
}
