package commands

import (
	"testing"

	"github.com/resellerbot/resellerbot/alerts"
)

// Benchmarks for the command path over a large reseller. Compare the
// lookups with BenchmarkIndex10000, the one-off cost of a new snapshot that
// makes them cheap.

func BenchmarkIndex10000(b *testing.B) {
	snap := syntheticSnapshot(10000, 1)
	rule := alerts.DefaultRules().LowBalance
	b.ReportAllocs()
	for b.Loop() {
		newIndex(snap, rule)
	}
}

func BenchmarkLookup10000(b *testing.B) {
	ix := newIndex(syntheticSnapshot(10000, 1), alerts.DefaultRules().LowBalance)
	for _, q := range []struct{ name, query string }{
		{"id", "9000"},
		{"exact", "org 04242 studio"},
		{"prefix", "org 0424"},
		{"substring", "04242 stud"},
		{"fuzzy", "org 04242 studo"},
	} {
		b.Run(q.name, func(b *testing.B) {
			if m := ix.lookup(q.query); m.org == nil && len(m.candidates) == 0 {
				b.Fatalf("%q finds nothing", q.query)
			}
			b.ReportAllocs()
			for b.Loop() {
				ix.lookup(q.query)
			}
		})
	}
}

func BenchmarkOrgsPage10000(b *testing.B) {
	c := newCommands(syntheticSnapshot(10000, 1))
	b.ReportAllocs()
	for b.Loop() {
		c.Handle("/orgs", "")
	}
}

func BenchmarkOrg10000(b *testing.B) {
	c := newCommands(syntheticSnapshot(10000, 10))
	b.ReportAllocs()
	for b.Loop() {
		c.Handle("/org", "org 04242 studio")
	}
}
