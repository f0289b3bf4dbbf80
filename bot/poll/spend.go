package poll

import (
	"errors"
	"fmt"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// spend is each org's spend over the burn window up to snap, for the
// forecast: the falls of its balance at the stored polls since the window
// began, plus the fall from the last stored poll to snap, which is not
// stored yet. Rises are top-ups and do not count. Over is how much of the
// window the history covers; the engine decides whether that is enough.
//
// It walks the window's history on every poll: about a third of a second
// for 5,000 orgs (see BENCHMARKS.md), against a poll every few minutes. nil
// when the forecast is off or nothing is stored yet.
func (p *Poller) spend(prev, snap *omni.Snapshot) (map[int64]alerts.Spend, error) {
	r := p.cfg.Rules.LowBalance
	if r.BurnWithin <= 0 || r.BurnWindow <= 0 || prev == nil {
		return nil, nil
	}
	since := snap.PolledAt.Add(-r.BurnWindow)
	series, err := p.cfg.Store.Balances(since)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("poll: spend over the burn window: %w", err)
	}
	out := make(map[int64]alerts.Spend, len(series))
	for i := range series {
		s := &series[i]
		org := snap.Org(s.ID)
		if org == nil {
			continue
		}
		from := since
		if s.From.After(from) {
			from = s.From
		}
		amount, err := s.Spend(from, s.To)
		if err != nil {
			return nil, fmt.Errorf("poll: spend of org %d: %w", s.ID, err)
		}
		if last, ok := s.BalanceAt(s.To); ok && org.Balance < last {
			amount += last - org.Balance
		}
		out[s.ID] = alerts.Spend{Amount: amount, Over: snap.PolledAt.Sub(from)}
	}
	return out, nil
}
