package daily_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/daily"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var now = rendertest.Now()

func golden(t *testing.T, name string, v any) { t.Helper(); rendertest.Golden(t, *update, name, v) }

func messageJSON(t *testing.T, m render.Message) any { return rendertest.MessageJSON(t, m) }

// spend says how much an org's balance falls each hour.
type spend map[int64]float64

// polled commits hourly polls of snap over the hours before its PolledAt,
// the balances falling by each org's spend an hour, so that the last poll
// is snap as it is; every poll is counted as ok.
func polled(t testing.TB, st *store.Store, snap *omni.Snapshot, hours int, rates spend) {
	t.Helper()
	for h := hours; h >= 0; h-- {
		s := snap.Clone()
		s.PolledAt = snap.PolledAt.Add(-time.Duration(h) * time.Hour)
		for i := range s.Orgs {
			s.Orgs[i].Balance += float64(h) * rates[s.Orgs[i].ID]
		}
		if _, err := st.Commit(store.Commit{At: s.PolledAt, Snapshot: s}); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordPoll(s.PolledAt, true, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type episodes []render.Episode

func (e episodes) OpenEpisodes() ([]render.Episode, error) { return e, nil }

var rule = alerts.LowBalanceRule{Below: 50, RunwayBelow: 4 * time.Hour}

// sampleBuilder is the sample reseller after a day of hourly polls with a
// failed one, some alerts and two open episodes.
func sampleBuilder(t *testing.T) *daily.Builder {
	t.Helper()
	st := openStore(t)
	polled(t, st, rendertest.Reseller(), 26, spend{4001: 12.5, 4002: 0.25, 4003: 5, 4004: 2})
	if err := st.RecordPoll(now.Add(-2*time.Hour), false, map[string]int{"low_balance": 1, "new_user": 2}); err != nil {
		t.Fatal(err)
	}
	eps := episodes{
		{Kind: alerts.LowBalance, Org: rendertest.Org(4002, "Beta Co"), Since: now.Add(-5 * time.Hour),
			SnoozedUntil: now.Add(3 * time.Hour), AckedBy: "Ann"},
		{Kind: alerts.APIOutage, Since: now.Add(-20 * time.Minute)},
	}
	return daily.New(daily.Config{Source: st, Episodes: eps, Rule: rule, RunwayWithin: 7 * 24 * time.Hour})
}

func TestDigest(t *testing.T) {
	m, err := sampleBuilder(t).Digest(now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digest", messageJSON(t, m))
	rendertest.CheckLimits(t, m)
	for _, want := range []string{
		"Acme Inc* (4001) · $300.00", // 24 hours at $12.50
		"Running out within 7 days: 3 orgs",
		// Free calls, but €120 a day of spend: about 4 days left.
		"Acme Logistics* (4003) · €500.00 · €0.00/min · unlimited · 2 concurrent calls · 0 users · at the last day's pace, about 4 days left",
		"1 low balance, 2 new users",
		"API health: 25 ok, 1 failed", // the polls of the last 24 hours
		"snoozed until 2026-11-27 19:05 UTC",
		"acknowledged by Ann",
	} {
		if !strings.Contains(string(rendertest.BlocksJSON(t, m)), want) {
			t.Errorf("the digest lacks %q", want)
		}
	}
}

func TestDigestBeforeAnyPoll(t *testing.T) {
	b := daily.New(daily.Config{Source: openStore(t), Rule: rule})
	m, err := b.Digest(now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Plain, "No data yet") {
		t.Errorf("got %q, want it to say there is no data yet", m.Plain)
	}
	rendertest.CheckLimits(t, m)
}

// bigReseller has n orgs, every one low on calling time and spending.
func bigReseller(n int) (*omni.Snapshot, spend) {
	snap := &omni.Snapshot{PolledAt: now.Add(-3 * time.Minute), Reseller: omni.Reseller{ID: 1, Name: "Big Reseller"}}
	rates := spend{}
	for i := range n {
		id := int64(10000 + i)
		snap.Orgs = append(snap.Orgs, omni.Org{ID: id, Name: fmt.Sprintf("Org %d with a long name to fill lines", i),
			CostPerMin: 0.1, Balance: float64(10 + i%500), Currency: "$", ConcurrentCallLimit: 2,
			Users: []omni.User{{ID: id * 10, Name: "User"}}})
		rates[id] = float64(1 + i%7)
	}
	snap.Normalize()
	return snap, rates
}

// bigBuilder is 10,000 orgs polled three times, each org with a low
// balance open.
func bigBuilder(t *testing.T) *daily.Builder {
	t.Helper()
	st := openStore(t)
	snap, rates := bigReseller(10000)
	polled(t, st, snap, 2, rates)
	eps := make(episodes, 10000)
	for i := range eps {
		eps[i] = render.Episode{Kind: alerts.LowBalance, Org: alerts.OrgRef{ID: int64(10000 + i), Name: "Org"}, Since: now.Add(-time.Hour)}
	}
	return daily.New(daily.Config{Source: st, Episodes: eps, Rule: rule, RunwayWithin: 7 * 24 * time.Hour})
}

func TestDigestOfTenThousandOrgsFitsInOneMessage(t *testing.T) {
	m, err := bigBuilder(t).Digest(now)
	if err != nil {
		t.Fatal(err)
	}
	rendertest.CheckLimits(t, m)
	for _, want := range []string{"Running out within 7 days: 10000 orgs", "… and 99", "Open: 10000 alerts"} {
		if !strings.Contains(m.Plain, want) {
			t.Errorf("the digest lacks %q", want)
		}
	}
}

func TestHome(t *testing.T) {
	o, err := sampleBuilder(t).Overview(now)
	if err != nil {
		t.Fatal(err)
	}
	view := render.Home(o)
	golden(t, "home", view)
	rendertest.CheckLimits(t, render.Message{Blocks: view.Blocks.BlockSet})
	raw, _ := json.Marshal(view)
	if n := strings.Count(string(raw), `"action_id":"org_details"`); n != 4 {
		t.Errorf("%d org_details buttons, want one for each of the 4 orgs", n)
	}
}

func storeCommit(s *omni.Snapshot) store.Commit { return store.Commit{At: s.PolledAt, Snapshot: s} }

func TestHomeOfTenThousandOrgsStaysWithinAView(t *testing.T) {
	o, err := bigBuilder(t).Overview(now)
	if err != nil {
		t.Fatal(err)
	}
	view := render.Home(o)
	rendertest.CheckLimits(t, render.Message{Blocks: view.Blocks.BlockSet})
	raw, _ := json.Marshal(view)
	if n := strings.Count(string(raw), `"action_id":"org_details"`); n != 10 {
		t.Errorf("%d org_details buttons, want the 10 riskiest orgs", n)
	}
	if !strings.Contains(string(raw), "Open: 10000 alerts") || !strings.Contains(string(raw), "… and 9985 more alerts") {
		t.Errorf("the open alerts are not summarised with a count:\n%s", raw[max(0, len(raw)-3000):])
	}
}
