package daily

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/resellerbot/resellerbot/internal/chart"
	"github.com/resellerbot/resellerbot/omni"
)

// ChartWindow is how far back the charts look.
const ChartWindow = 30 * 24 * time.Hour

// ResellerDays is the reseller's total balance and spend per day over
// the ChartWindow before now, in the digest's zone, in its main currency:
// the one most orgs use (sums across currencies would mean nothing).
func (b *Builder) ResellerDays(now time.Time) (days []omni.Day, currency string, err error) {
	series, err := b.cfg.Source.Balances(now.Add(-ChartWindow))
	if err != nil {
		return nil, "", err
	}
	count := map[string]int{}
	for i := range series {
		count[series[i].Currency]++
	}
	for c, n := range count {
		if n > count[currency] || (n == count[currency] && c < currency) {
			currency = c
		}
	}
	series = slices.DeleteFunc(series, func(s omni.BalanceSeries) bool { return s.Currency != currency })
	days, err = omni.DailyTotal(series, b.cfg.Location)
	return days, currency, err
}

// ResellerChart draws ResellerDays as a PNG.
func (b *Builder) ResellerChart(now time.Time) ([]byte, error) {
	days, currency, err := b.ResellerDays(now)
	if err != nil {
		return nil, err
	}
	name := ""
	if snap, err := b.cfg.Source.Latest(); err == nil {
		name = snap.Reseller.Name
	}
	return chart.Reseller(name, currency, days, chart.Options{})
}

// ErrNoOrg is returned for an org the history does not know.
var ErrNoOrg = errors.New("no such org in the history")

// OrgSeries is one org's balance over the ChartWindow before now.
func (b *Builder) OrgSeries(now time.Time, id int64) (*omni.BalanceSeries, error) {
	series, err := b.cfg.Source.Balances(now.Add(-ChartWindow), id)
	if err != nil {
		return nil, err
	}
	i, found := slices.BinarySearchFunc(series, id, func(s omni.BalanceSeries, id int64) int { return cmp.Compare(s.ID, id) })
	if !found {
		return nil, fmt.Errorf("org %d: %w", id, ErrNoOrg)
	}
	return &series[i], nil
}

// OrgChart draws OrgSeries as a PNG: the balance, top-ups marked.
func (b *Builder) OrgChart(now time.Time, id int64) ([]byte, *omni.BalanceSeries, error) {
	s, err := b.OrgSeries(now, id)
	if err != nil {
		return nil, nil, err
	}
	png, err := chart.Org(s, chart.Options{Location: b.cfg.Location})
	return png, s, err
}
