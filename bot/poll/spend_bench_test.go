package poll

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// BenchmarkSpend5000 is the forecast's cost per poll: the spend of 5,000
// orgs over a 24-hour window of 5-minute polls (288). "walk" reads the
// window back from the store, as the first poll after a start does;
// "increment" adds one poll to the window kept from the poll before, as
// every other poll does. share is the part of the orgs whose balance
// changes at every poll: 1% is a quiet reseller, 100% the worst case of
// every org on calls all day. The baseline is alerts.Evaluate on the same
// snapshots, the rest of a poll's own work.
func BenchmarkSpend5000(b *testing.B) {
	for _, share := range []float64{0.01, 1} {
		polls := 288
		if testing.Short() {
			polls = 24
		}
		st, err := store.Open(filepath.Join(b.TempDir(), "bot.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		snap := &omni.Snapshot{}
		for i := range 5000 {
			snap.Orgs = append(snap.Orgs, omni.Org{ID: int64(4001 + i), Name: fmt.Sprintf("Org %d", i), Currency: "$",
				Balance: 10000, CostPerMin: 0.1, Users: []omni.User{{ID: int64(100000 + i), Name: "U"}}})
		}
		changed := max(1, int(share*float64(len(snap.Orgs))))
		var prev *omni.Snapshot
		for p := range polls + 1 {
			next := snap.Clone()
			next.PolledAt = start.Add(time.Duration(p) * 5 * time.Minute)
			for j := range changed {
				next.Orgs[(p*changed+j)%len(next.Orgs)].Balance -= 0.5
			}
			if p == polls {
				snap = next
				break
			}
			if _, err := st.Commit(store.Commit{At: next.PolledAt, Snapshot: next}); err != nil {
				b.Fatal(err)
			}
			snap, prev = next, next
		}
		rules := alerts.DefaultRules()
		rules.LowBalance.BurnWindow = time.Duration(polls) * 5 * time.Minute
		p := New(Config{Store: st, Rules: rules, Logger: slog.New(slog.DiscardHandler)})
		b.Run(fmt.Sprintf("changing %g%%/baseline Evaluate", share*100), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				alerts.Evaluate(prev, snap, alerts.State{}, rules, snap.PolledAt)
			}
		})
		b.Run(fmt.Sprintf("changing %g%%/walk", share*100), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.window = nil
				spend, _, err := p.spend(prev, snap)
				if err != nil || len(spend) != len(snap.Orgs) {
					b.Fatalf("%d orgs' spend, %v", len(spend), err)
				}
			}
		})
		b.Run(fmt.Sprintf("changing %g%%/increment", share*100), func(b *testing.B) {
			w, err := p.readWindow(snap.PolledAt.Add(-rules.LowBalance.BurnWindow))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				p.window = w
				spend, _, err := p.spend(prev, snap)
				if err != nil || len(spend) != len(snap.Orgs) {
					b.Fatalf("%d orgs' spend, %v", len(spend), err)
				}
			}
		})
		st.Close()
	}
}
