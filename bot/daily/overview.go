package daily

import (
	"cmp"
	"errors"
	"fmt"
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
	b.risk(&o)
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
	series, err := b.cfg.Source.Balances(o.From)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return o, err
	}
	return o, spenders(&o, series)
}

// risk lists the orgs at risk, riskiest first.
func (b *Builder) risk(o *render.Overview) {
	orgs := make([]*omni.Org, len(o.Snapshot.Orgs))
	for i := range o.Snapshot.Orgs {
		orgs[i] = &o.Snapshot.Orgs[i]
	}
	slices.SortFunc(orgs, commands.CompareRisk)
	o.Riskiest = orgs[:min(len(orgs), 10)]
	n := 0
	for _, org := range orgs {
		if r, limited := org.Runway(); !limited || r >= b.cfg.RunwayWithin {
			break
		}
		n++
	}
	o.Risky, o.RiskyTotal = orgs[:min(n, 20)], n
}

// spenders ranks the orgs by what they spent over the day.
func spenders(o *render.Overview, series []omni.BalanceSeries) error {
	var all []render.Spender
	for i := range series {
		s := &series[i]
		from := o.From
		if s.From.After(from) {
			from, o.ShortHistory = s.From, true
		}
		if from.After(s.To) {
			// No poll in the day: nothing is known to have been spent.
			continue
		}
		spend, err := s.Spend(from, s.To)
		if err != nil {
			return fmt.Errorf("daily: %w", err)
		}
		if spend > 0 {
			all = append(all, render.Spender{Org: alerts.OrgRef{ID: s.ID, Name: s.Name}, Currency: s.Currency, Spend: spend})
		}
	}
	slices.SortFunc(all, func(a, b render.Spender) int {
		return cmp.Or(cmp.Compare(b.Spend, a.Spend), cmp.Compare(a.Org.ID, b.Org.ID))
	})
	o.Spenders, o.SpendersTotal = all[:min(len(all), 20)], len(all)
	return nil
}

// Digest renders the digest as of now.
func (b *Builder) Digest(now time.Time) (render.Message, error) {
	o, err := b.Overview(now)
	if err != nil {
		return render.Message{}, err
	}
	return render.DailyDigest(o), nil
}
