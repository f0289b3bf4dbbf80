package daily_test

import (
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/daily"
	"github.com/resellerbot/resellerbot/store"
)

// BenchmarkDigest30Days builds the digest and its chart from 30 days of
// history of 5,000 orgs: 720 polls an hour apart, each lowering the
// balance of 1% of the orgs (every tenth also tops one up), as
// store.BenchmarkBalances30Days does. With -short (as CI runs benchmarks)
// it makes 48 polls.
//
// The baseline is the store's Balances over the 30 days, which the chart
// reads: what the digest and chart add is drawing and summing.
func BenchmarkDigest30Days(b *testing.B) {
	polls := 720
	if testing.Short() {
		polls = 48
	}
	st := openStore(b)
	snap, _ := bigReseller(5000)
	start := now.Add(-time.Duration(polls) * time.Hour)
	for i := range polls {
		snap.PolledAt = start.Add(time.Duration(i+1) * time.Hour)
		for j := range 50 {
			o := &snap.Orgs[(i*50+j)%len(snap.Orgs)]
			o.Balance = max(0, o.Balance-1.5)
		}
		if i%10 == 0 {
			snap.Orgs[(i*31)%len(snap.Orgs)].Balance += 500
		}
		if _, err := st.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
			b.Fatal(err)
		}
		if err := st.RecordPoll(snap.PolledAt, true, map[string]int{"low_balance": 1}); err != nil {
			b.Fatal(err)
		}
		snap = snap.Clone()
	}
	at := snap.PolledAt.Add(time.Minute)
	bl := daily.New(daily.Config{Source: st, Rule: rule, RunwayWithin: 7 * 24 * time.Hour})
	b.Run("baseline=Balances", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Balances(at.Add(-daily.ChartWindow)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("digest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bl.Digest(at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("chart", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bl.ResellerChart(at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("digest+chart", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bl.Digest(at); err != nil {
				b.Fatal(err)
			}
			if _, err := bl.ResellerChart(at); err != nil {
				b.Fatal(err)
			}
		}
	})
}
