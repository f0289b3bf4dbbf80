package alerts_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// benchAt is the time of the baseline poll; the benchmarked poll is a
// minute later, too soon for a low-balance reminder.
var benchAt = time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)

// benchSnapshot decodes a synthetic reseller through omni.Decode, as the
// poller would receive it.
func benchSnapshot(b *testing.B, orgs, usersPerOrg int) *omni.Snapshot {
	b.Helper()
	body := omnitest.Synthetic(orgs, usersPerOrg, 1).AppendJSON(nil)
	snap, err := omni.Decode(bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	if len(snap.Orgs) != orgs || snap.UserCount() != orgs*usersPerOrg {
		b.Fatalf("decoded %d orgs, %d users", len(snap.Orgs), snap.UserCount())
	}
	return snap
}

// changeOnePercent returns a copy of prev in which every 100th org changed:
// its balance crossed the low threshold (down, or up when it was low), its
// first user's flag and is_active flipped, and a new user joined.
func changeOnePercent(prev *omni.Snapshot, rule alerts.LowBalanceRule) (cur *omni.Snapshot, changed int) {
	cur = prev.Clone()
	nextUser := int64(1 << 40) // above every synthetic user ID, so Users stays sorted
	for i := 0; i < len(cur.Orgs); i += 100 {
		o := &cur.Orgs[i]
		if rule.Breached(o) {
			o.Balance = 100_000
		} else {
			o.Balance = 1.25
		}
		if len(o.Users) > 0 {
			u := &o.Users[0]
			u.Menus.Set("is_bulk_call_access", !u.Menus.Has("is_bulk_call_access"))
			u.Active = !u.Active
		}
		o.Users = append(o.Users, omni.User{ID: nextUser, Name: "Bench New", Email: "new@example.com", Active: true})
		nextUser++
		changed++
	}
	return cur, changed
}

func benchEvaluate(b *testing.B, orgs, usersPerOrg int, change bool) {
	prev := benchSnapshot(b, orgs, usersPerOrg)
	rules := alerts.DefaultRules()
	_, st := alerts.Evaluate(nil, prev, alerts.State{}, rules, benchAt)
	cur, changed := prev.Clone(), 0
	if change {
		cur, changed = changeOnePercent(prev, rules.LowBalance)
	}
	now := benchAt.Add(time.Minute)
	events, _ := alerts.Evaluate(prev, cur, st, rules, now)
	if change && len(events) != 3*changed { // balance, new user, permissions
		b.Fatalf("%d events for %d changed orgs", len(events), changed)
	}
	if !change && len(events) != 0 {
		b.Fatalf("%d events for an unchanged poll: %+v", len(events), events[0])
	}
	b.ReportAllocs()
	for b.Loop() {
		alerts.Evaluate(prev, cur, st, rules, now)
	}
	b.ReportMetric(float64(len(events)), "events/op")
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(cur.UserCount()), "ns/user")
}

// BenchmarkEvaluate5000x10: 50,000 users, 1% of the orgs changed.
func BenchmarkEvaluate5000x10(b *testing.B) { benchEvaluate(b, 5000, 10, true) }

// BenchmarkEvaluateUnchanged5000x10: the common poll, where nothing changed;
// it must report 0 allocs/op.
func BenchmarkEvaluateUnchanged5000x10(b *testing.B) { benchEvaluate(b, 5000, 10, false) }

// BenchmarkEvaluate10000x10: 100,000 users, 1% of the orgs changed.
func BenchmarkEvaluate10000x10(b *testing.B) { benchEvaluate(b, 10000, 10, true) }
