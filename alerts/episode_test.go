package alerts_test

import (
	"testing"
	"time"

	. "github.com/resellerbot/resellerbot/alerts"
)

func TestEpisode(t *testing.T) {
	since := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	beta := OrgRef{ID: 4002, Name: "Beta Co"}
	tests := []struct {
		name        string
		ev          Event
		key         string
		opens, ends bool
	}{
		{"a first low-balance notice opens the org's episode", Event{Kind: LowBalance, Org: beta, Since: since}, "low_balance/4002/1796140800", true, false},
		{"a reminder continues the same episode", Event{Kind: LowBalance, Org: beta, Since: since, Reminder: true}, "low_balance/4002/1796140800", false, false},
		{"a recovery ends the same episode", Event{Kind: BalanceRecovered, Org: beta, Since: since}, "low_balance/4002/1796140800", false, true},
		{"an outage opens a reseller-wide episode", Event{Kind: APIOutage, Since: since}, "api_outage/1796140800", true, false},
		{"the API answering again ends the outage", Event{Kind: APIRecovered, Since: since}, "api_outage/1796140800", false, true},
		{"a user's access expiring opens an episode for that user", Event{Kind: AccessExpiring, Org: beta, User: &UserRef{ID: 1234}, Since: since}, "access_expiring/4002/1234/1796140800", true, false},
		{"the access expiring ends it", Event{Kind: AccessExpired, Org: beta, User: &UserRef{ID: 1234}, Since: since}, "access_expiring/4002/1234/1796140800", false, true},
		{"the access extended ends it too", Event{Kind: AccessExtended, Org: beta, User: &UserRef{ID: 1234}, Since: since}, "access_expiring/4002/1234/1796140800", false, true},
		{"a new user is no episode", Event{Kind: NewUser, Org: beta}, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev.Episode(); got != tt.key {
				t.Errorf("Episode() = %q, want %q", got, tt.key)
			}
			if got := tt.ev.Opens(); got != tt.opens {
				t.Errorf("Opens() = %v, want %v", got, tt.opens)
			}
			if got := tt.ev.Ends(); got != tt.ends {
				t.Errorf("Ends() = %v, want %v", got, tt.ends)
			}
		})
	}
}

func TestEngineEventsShareTheirEpisode(t *testing.T) {
	rules := DefaultRules()
	t0 := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	low := snap(org(4002, "Beta Co", 10, 0.5))
	evs, st := Evaluate(nil, low, State{}, rules, t0)
	open := evs[0].Episode()
	t1 := t0.Add(25 * time.Hour)
	evs, st = Evaluate(low, snap(org(4002, "Beta Co", 10, 0.5)), st, rules, t1)
	if len(evs) != 1 || !evs[0].Reminder || evs[0].Episode() != open {
		t.Fatalf("reminder %+v is not in episode %q", evs, open)
	}
	t2 := t1.Add(time.Hour)
	evs, _ = Evaluate(low, snap(org(4002, "Beta Co", 500, 0.5)), st, rules, t2)
	if len(evs) != 1 || !evs[0].Ends() || evs[0].Episode() != open {
		t.Fatalf("recovery %+v does not end episode %q", evs, open)
	}
}
