package poll

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// balances is a Fetcher whose one org has the next balance at every poll,
// an hour apart.
type balances struct {
	start time.Time
	next  []float64
	polls int
}

func (b *balances) Organizations(context.Context) (*omni.Snapshot, error) {
	s := &omni.Snapshot{PolledAt: b.start.Add(time.Duration(b.polls) * time.Hour), Orgs: []omni.Org{
		{ID: 4002, Name: "Beta Co", Currency: "$", Balance: b.next[b.polls], CostPerMin: 0.01},
	}}
	s.Normalize()
	b.polls++
	return s, nil
}

func TestThePollerFeedsTheEngineTheSpendOverTheBurnWindow(t *testing.T) {
	f := newPollerFixture(t)
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	// 30 an hour for a day, with a top-up of 600 at hour 12 (that poll sees
	// only a rise of 570: the spend inside it is hidden), then 330 an hour.
	var next []float64
	b := 1000.0
	for h := 0; h <= 26; h++ {
		if h > 0 {
			b -= 30
		}
		if h == 12 {
			b += 600
		}
		if h > 24 {
			b -= 300
		}
		next = append(next, b)
	}
	fetch := &balances{start: start, next: next}
	p := New(Config{Fetcher: fetch, Store: f.store, Rules: alerts.DefaultRules(), Logger: slog.New(slog.DiscardHandler)})

	var results []Result
	for range next {
		res, err := p.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	t.Run("a history shorter than the window reports how much it covers", func(t *testing.T) {
		if s := results[6].Spend[4002]; s.Over != 6*time.Hour || s.Amount != 180 {
			t.Errorf("after 6 hours: %+v, want 180 over 6h", s)
		}
	})
	t.Run("a top-up is not negative spend", func(t *testing.T) {
		if s := results[24].Spend[4002]; s.Over != 24*time.Hour || s.Amount != 690 {
			t.Errorf("after a day: %+v, want 23 falls of 30 = 690 over 24h", s)
		}
	})
	t.Run("the window slides, taking in the poll not yet stored", func(t *testing.T) {
		if s := results[25].Spend[4002]; s.Over != 24*time.Hour || s.Amount != 660+330 {
			t.Errorf("at hour 25: %+v, want 660 stored + 330 now over 24h", s)
		}
	})
	t.Run("no forecast fires until the history covers the window and the pace says so", func(t *testing.T) {
		for i, res := range results[:25] {
			if len(res.Events) != 0 {
				t.Errorf("poll %d: %v, want nothing (880 at 690 a day lasts more than a day)", i, kinds(res.Events))
			}
		}
		// 550 left at 990 a day: about 13 hours.
		got := results[25].Events
		if len(got) != 1 || got[0].Kind != alerts.LowBalance || got[0].Cause.Thresholds[0].Rule != alerts.RuleLowBalanceBurnWithin {
			t.Fatalf("hour 25: %v, want a low balance by forecast", kinds(got))
		}
		if pace := got[0].Figures.Pace; pace.Round(time.Minute) != (13*time.Hour + 20*time.Minute) {
			t.Errorf("pace %s, want 550/990 of a day", pace)
		}
	})
	t.Run("after a restart the window read from the store says the same", func(t *testing.T) {
		fresh := New(Config{Store: f.store, Rules: alerts.DefaultRules(), Logger: slog.New(slog.DiscardHandler)})
		last := results[len(results)-1].Snapshot
		// One more poll, from the latest stored: the running poller adds it
		// to its window, the fresh one reads the window back.
		more := last.Clone()
		more.PolledAt = last.PolledAt.Add(time.Hour)
		more.Orgs[0].Balance -= 45
		kept, _, err := p.spend(last, more)
		if err != nil {
			t.Fatal(err)
		}
		read, _, err := fresh.spend(last, more)
		if err != nil {
			t.Fatal(err)
		}
		if kept[4002] != read[4002] || read[4002].Amount != 20*30+330+330+45 {
			t.Errorf("kept %+v, read back %+v; want the same: 20 falls of 30 (the top-up hid one) and the last three", kept[4002], read[4002])
		}
	})
	t.Run("off, the poller reads no history", func(t *testing.T) {
		rules := alerts.DefaultRules()
		rules.LowBalance.BurnWithin = 0
		p := New(Config{Fetcher: &balances{start: start.Add(time.Hour * 100), next: next}, Store: f.store, Rules: rules,
			Logger: slog.New(slog.DiscardHandler)})
		res, err := p.Poll(context.Background())
		if err != nil || res.Spend != nil {
			t.Errorf("spend %v, %v; want none", res.Spend, err)
		}
	})
}
