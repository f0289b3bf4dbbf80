package store_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// synthetic decodes an omnitest reseller of orgs × users.
func synthetic(tb testing.TB, orgs, users int) (*omni.Snapshot, int) {
	tb.Helper()
	body := omnitest.Synthetic(orgs, users, 1).AppendJSON(nil)
	snap, err := omni.Decode(bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	return snap, len(body)
}

// churn changes a share of the orgs the way a poll sees them change:
// balances burn, now and then a flag flips or a user joins.
func churn(snap *omni.Snapshot, poll int, share float64) {
	n := max(1, int(float64(len(snap.Orgs))*share))
	for k := range n {
		o := &snap.Orgs[(poll*n+k*7919)%len(snap.Orgs)]
		o.Balance -= 0.25
		if k%10 == 0 && len(o.Users) > 0 {
			u := &o.Users[poll%len(o.Users)]
			u.Menus.Set("is_bulk_call_access", !u.Menus.Has("is_bulk_call_access"))
		}
	}
}

func fileSizeOf(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// pollMany commits polls of snap, each changing share of the orgs, and
// returns the file's size after the first poll and after the last.
func pollMany(tb testing.TB, path string, snap *omni.Snapshot, polls int, share float64) (first, last int64) {
	tb.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i := range polls {
		snap.PolledAt = t0.Add(time.Duration(i) * time.Minute)
		if i > 0 {
			churn(snap, i, share)
		}
		if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
			tb.Fatal(err)
		}
		if i == 0 {
			first = fileSizeOf(tb, path)
		}
		if _, err := s.Compact(0.5); err != nil {
			tb.Fatal(err)
		}
	}
	return first, fileSizeOf(tb, path)
}

func TestManyPollsWithFewChangesStaySmall(t *testing.T) {
	if testing.Short() {
		t.Skip("300 polls")
	}
	snap, _ := synthetic(t, 500, 10)
	path := filepath.Join(t.TempDir(), "bot.db")
	first, last := pollMany(t, path, snap, 300, 0.01)
	if last > 10*first {
		t.Errorf("300 polls changing 1%% of orgs grew the file from %d to %d bytes (%.1f×), want under 10×",
			first, last, float64(last)/float64(first))
	}
	t.Logf("one snapshot: %d bytes; after 300 polls: %d bytes (%.1f×)", first, last, float64(last)/float64(first))
}

// BenchmarkPolls1000 is the storage target: 1,000 polls of 5,000 orgs × 10
// users with 1% of the orgs changing each time, measured as the file's size
// against one stored snapshot. It reports the ratio and the JSON payload's
// size against the stored snapshot's, which is what the binary records save.
//
// Each poll syncs the file, so the full run takes about a minute; with
// -short (as CI runs benchmarks) it makes 100 polls.
func BenchmarkPolls1000(b *testing.B) {
	polls := 1000
	if testing.Short() {
		polls = 100
	}
	for b.Loop() {
		snap, jsonSize := synthetic(b, 5000, 10)
		path := filepath.Join(b.TempDir(), "bot.db")
		first, last := pollMany(b, path, snap, polls, 0.01)
		b.ReportMetric(float64(first), "snapshot-bytes")
		b.ReportMetric(float64(last), "file-bytes")
		b.ReportMetric(float64(last)/float64(first), "x-snapshot")
		b.ReportMetric(float64(jsonSize)/float64(first), "json/snapshot")
	}
}

// BenchmarkCommit5000x10 is the persist step of one poll: an unchanged
// snapshot (compare every record, write nothing but the poll time) and one
// with 1% of the orgs changed.
func BenchmarkCommit5000x10(b *testing.B) {
	for _, tc := range []struct {
		name  string
		share float64
	}{{"unchanged", 0}, {"1pct", 0.01}} {
		b.Run(tc.name, func(b *testing.B) {
			snap, _ := synthetic(b, 5000, 10)
			s, err := store.Open(filepath.Join(b.TempDir(), "bot.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
			snap.PolledAt = t0
			s.Commit(store.Commit{At: t0, Snapshot: snap})
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				snap.PolledAt = t0.Add(time.Duration(i) * time.Minute)
				if tc.share > 0 {
					churn(snap, i, tc.share)
				}
				if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLatest5000x10 reads the latest snapshot back, as the bot does
// once at start.
func BenchmarkLatest5000x10(b *testing.B) {
	snap, _ := synthetic(b, 5000, 10)
	s, err := store.Open(filepath.Join(b.TempDir(), "bot.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	snap.PolledAt = time.Now()
	s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Latest(); err != nil {
			b.Fatal(err)
		}
	}
}
