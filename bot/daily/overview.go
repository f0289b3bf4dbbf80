package daily

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// Day is the span the digest looks back on.
const Day = 24 * time.Hour

// Source is what the digest reads; *store.Store is one.
type Source interface {
	Latest() (*omni.Snapshot, error)
	Balances(since time.Time, ids ...int64) ([]omni.BalanceSeries, error)
	PollStats(from, to time.Time) (store.PollStats, error)
}

// Episodes lists the alerts still open, with their snoozes and
// acknowledgements.
type Episodes interface {
	OpenEpisodes() ([]render.Episode, error)
}

// Config is what a Builder needs.
type Config struct {
	Source   Source
	Episodes Episodes
	// Rule marks the orgs whose balance is low.
	Rule alerts.LowBalanceRule
	// RunwayWithin lists the orgs with less runway.
	RunwayWithin time.Duration
	// Location is the digest's time zone, for its date.
	Location *time.Location
}

// Builder gathers what the digest and the Home tab show.
type Builder struct{ cfg Config }

// New returns a Builder.
func New(cfg Config) *Builder {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Builder{cfg: cfg}
}

// Overview gathers the digest as of now: the day before it, the latest
// snapshot, and the alerts open.
func (b *Builder) Overview(now time.Time) (render.Overview, error) {
	o := render.Overview{Basis: render.Basis{Rule: b.cfg.Rule, Now: now},
		From: now.Add(-Day).In(b.cfg.Location), To: now.In(b.cfg.Location), RunwayWithin: b.cfg.RunwayWithin}
	snap, err := b.cfg.Source.Latest()
	if errors.Is(err, store.ErrNotFound) {
		return o, nil
	}
	if err != nil {
		return o, err
	}
	o.Snapshot = snap
	series, err := b.cfg.Source.Balances(o.From)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return o, err
	}
	paces, err := spenders(&o, series)
	if err != nil {
		return o, err
	}
	b.risk(&o, paces)
	stats, err := b.cfg.Source.PollStats(o.From, now.Add(time.Hour))
	if err != nil {
		return o, err
	}
	o.PollsOK, o.PollsFailed = stats.OK, stats.Failed
	o.Changes = make(map[alerts.Kind]int, len(stats.Events))
	for k, n := range stats.Events {
		o.Changes[alerts.Kind(k)] = n
	}
	if b.cfg.Episodes != nil {
		if o.Episodes, err = b.cfg.Episodes.OpenEpisodes(); err != nil {
			return o, err
		}
	}
	return o, nil
}

// risk lists the orgs at risk, riskiest first: those whose runway, or
// whose balance at the last day's pace of spend, lasts less than
// RunwayWithin, by the shorter of the two.
func (b *Builder) risk(o *render.Overview, paces map[int64]float64) {
	orgs := make([]*omni.Org, len(o.Snapshot.Orgs))
	for i := range o.Snapshot.Orgs {
		orgs[i] = &o.Snapshot.Orgs[i]
	}
	slices.SortFunc(orgs, commands.CompareRisk)
	o.Riskiest = orgs[:min(len(orgs), 10)]

	o.Forecast = map[int64]time.Duration{}
	lasts := map[int64]time.Duration{}
	var risky []*omni.Org
	for _, org := range orgs {
		left, known := org.Runway()
		if pace := paces[org.ID]; pace > 0 {
			f := forecast(org.Balance, pace)
			if !known || f < left {
				o.Forecast[org.ID], left, known = f, f, true
			}
		}
		if known && left < b.cfg.RunwayWithin {
			lasts[org.ID] = left
			risky = append(risky, org)
		}
	}
	// Stable: orgs that last as long stay in /orgs order.
	slices.SortStableFunc(risky, func(a, b *omni.Org) int { return cmp.Compare(lasts[a.ID], lasts[b.ID]) })
	o.Risky, o.RiskyTotal = risky[:min(len(risky), 20)], len(risky)
}

// forecast is how long balance lasts at pace (spend per Day).
func forecast(balance, pace float64) time.Duration {
	if balance <= 0 {
		return 0
	}
	days := balance / pace
	if days > float64(math.MaxInt64/int64(Day)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(days * float64(Day))
}

// spenders ranks the orgs by what they spent over the day, and returns
// each org's pace: its spend per Day, over the part of the day the
// history covers.
func spenders(o *render.Overview, series []omni.BalanceSeries) (map[int64]float64, error) {
	var all []render.Spender
	paces := map[int64]float64{}
	for i := range series {
		s := &series[i]
		from := o.From
		if s.From.After(from) {
			from, o.ShortHistory = s.From, true
		}
		if !from.Before(s.To) {
			// No poll in the day: nothing is known to have been spent.
			continue
		}
		spend, err := s.Spend(from, s.To)
		if err != nil {
			return nil, fmt.Errorf("daily: %w", err)
		}
		if spend > 0 {
			all = append(all, render.Spender{Org: alerts.OrgRef{ID: s.ID, Name: s.Name}, Currency: s.Currency, Spend: spend})
			paces[s.ID] = spend * float64(Day) / float64(s.To.Sub(from))
		}
	}
	slices.SortFunc(all, func(a, b render.Spender) int {
		return cmp.Or(cmp.Compare(b.Spend, a.Spend), cmp.Compare(a.Org.ID, b.Org.ID))
	})
	o.Spenders, o.SpendersTotal = all[:min(len(all), 20)], len(all)
	return paces, nil
}

// Digest renders the digest as of now.
func (b *Builder) Digest(now time.Time) (render.Message, error) {
	o, err := b.Overview(now)
	if err != nil {
		return render.Message{}, err
	}
	return render.DailyDigest(o), nil
}
