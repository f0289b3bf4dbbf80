package poll

import (
	"errors"
	"fmt"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// spendWindow is each org's falls of balance over the burn window, kept
// between polls so that a poll adds its own changes instead of walking the
// window's history in the store again: the walk costs about a second and
// half a gigabyte of garbage for 5,000 orgs all spending at every 5-minute
// poll, the increment a few milliseconds (see BENCHMARKS.md). The window is
// read from the store when it does not end at the latest stored poll: at
// start, and after a poll that was not stored.
type spendWindow struct {
	// to is the poll the window ends at; from is where the store's history
	// begins, when that is inside the window.
	to, from time.Time
	// falls are each org's falls, oldest first.
	falls map[int64][]fall
}

// fall is one poll's fall of an org's balance.
type fall struct {
	at     int64 // Unix nanoseconds: half the size of a time.Time
	amount float64
}

// spend is each org's spend over the burn window up to snap, for the
// forecast: the falls of its balance at the polls in the window, the last
// being the fall from prev (the latest stored poll) to snap. Rises are
// top-ups and do not count. Over is how much of the window the history
// covers; the engine decides whether that is enough. It also returns the
// window ending at snap, for the poller to keep once snap is stored. nil
// when the forecast is off or nothing is stored yet.
func (p *Poller) spend(prev, snap *omni.Snapshot) (map[int64]alerts.Spend, *spendWindow, error) {
	r := p.cfg.Rules.LowBalance
	if r.BurnWithin <= 0 || r.BurnWindow <= 0 || prev == nil {
		return nil, nil, nil
	}
	since := snap.PolledAt.Add(-r.BurnWindow)
	w := p.window
	if w == nil || !w.to.Equal(prev.PolledAt) {
		var err error
		if w, err = p.readWindow(since); w == nil || err != nil {
			return nil, nil, err
		}
	}
	next := &spendWindow{to: snap.PolledAt, from: w.from, falls: make(map[int64][]fall, len(w.falls)+1)}
	cut := since.UnixNano()
	for id, fs := range w.falls {
		// Reslicing shares the array: appending below may write past the
		// end of w's slice, never into it, so w stays valid until replaced.
		for len(fs) > 0 && fs[0].at <= cut {
			fs = fs[1:]
		}
		if len(fs) > 0 {
			next.falls[id] = fs
		}
	}
	at := snap.PolledAt.UnixNano()
	for i := range snap.Orgs {
		o := &snap.Orgs[i]
		if before := prev.Org(o.ID); before != nil && o.Balance < before.Balance {
			next.falls[o.ID] = append(next.falls[o.ID], fall{at: at, amount: before.Balance - o.Balance})
		}
	}
	start := since
	if w.from.After(start) {
		start = w.from
	}
	over := snap.PolledAt.Sub(start)
	out := make(map[int64]alerts.Spend, len(snap.Orgs))
	for i := range snap.Orgs {
		id := snap.Orgs[i].ID
		var sum float64
		for _, f := range next.falls[id] {
			sum += f.amount
		}
		out[id] = alerts.Spend{Amount: sum, Over: over}
	}
	return out, next, nil
}

// readWindow reads the falls since since from the store's history, up to
// the latest stored poll; nil before the first.
func (p *Poller) readWindow(since time.Time) (*spendWindow, error) {
	series, err := p.cfg.Store.Balances(since)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("poll: spend over the burn window: %w", err)
	}
	w := &spendWindow{from: since, falls: make(map[int64][]fall, len(series))}
	for i := range series {
		s := &series[i]
		w.to = s.To
		if s.From.After(w.from) {
			w.from = s.From
		}
		// As omni.BalanceSeries.Spend counts: a fall between two points
		// at which the org existed.
		var fs []fall
		for j := 1; j < len(s.Points); j++ {
			a, b := s.Points[j-1], s.Points[j]
			if !a.Gone && !b.Gone && b.Balance < a.Balance {
				fs = append(fs, fall{at: b.At.UnixNano(), amount: a.Balance - b.Balance})
			}
		}
		if len(fs) > 0 {
			w.falls[s.ID] = fs
		}
	}
	return w, nil
}
