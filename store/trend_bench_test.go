package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// BenchmarkBalances30Days reads 30 days of balance history of 5,000 orgs ×
// 10 users: 720 polls an hour apart, each changing 1% of the orgs (50
// records; every tenth poll also tops one org up), 36,000 changed records
// in all. A five-minute poll that changed 1% every time would make 12× the
// polls; the walk's cost grows with the number of changed records, so
// scale by that. With -short (as CI runs benchmarks) it makes 48 polls.
//
// The baseline is At at the window's start, which undoes the same history
// to rebuild one snapshot: Balances should cost about as much.
func BenchmarkBalances30Days(b *testing.B) {
	polls := 720
	if testing.Short() {
		polls = 48
	}
	snap, _ := synthetic(b, 5000, 10)
	s, err := store.Open(filepath.Join(b.TempDir(), "bot.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range polls {
		snap.PolledAt = start.Add(time.Duration(i) * time.Hour)
		if i > 0 {
			churn(snap, i, 0.01)
			if i%10 == 0 {
				snap.Orgs[(i*31)%len(snap.Orgs)].Balance += 500
			}
		}
		if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
			b.Fatal(err)
		}
	}
	one := snap.Orgs[0].ID
	b.Run("At", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.At(start); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			series, err := s.Balances(start)
			if err != nil || len(series) != len(snap.Orgs) {
				b.Fatalf("%d series, %v", len(series), err)
			}
		}
	})
	b.Run("all+daily", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			series, err := s.Balances(start)
			if err != nil {
				b.Fatal(err)
			}
			days, err := omni.DailyTotal(series, time.UTC)
			if err != nil || len(days) == 0 {
				b.Fatalf("%d days, %v", len(days), err)
			}
		}
	})
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			series, err := s.Balances(start, one)
			if err != nil || len(series) != 1 {
				b.Fatalf("%d series, %v", len(series), err)
			}
		}
	})
}
