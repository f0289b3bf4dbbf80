package omni_test

import (
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

// BenchmarkDailyTotal5000Orgs is the digest chart's arithmetic: 30 days of
// 5,000 orgs with eight balance changes each, summed into the reseller's
// days.
func BenchmarkDailyTotal5000Orgs(b *testing.B) {
	series := make([]omni.BalanceSeries, 5000)
	for i := range series {
		s := &series[i]
		*s = omni.BalanceSeries{ID: int64(i), From: day0, To: day0.AddDate(0, 0, 30)}
		for p := range 8 {
			s.Points = append(s.Points, omni.BalancePoint{At: day0.Add(time.Duration(p) * 90 * time.Hour), Balance: float64(1000 - p)})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if days, err := omni.DailyTotal(series, time.UTC); err != nil || len(days) != 30 {
			b.Fatalf("%d days, %v", len(days), err)
		}
	}
}
