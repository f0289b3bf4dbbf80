package commands

import (
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// FuzzLookup runs its seed corpus (f.Add and testdata/fuzz/FuzzLookup/) in a
// plain `go test`, and explores with
//
//	go test -run '^$' -fuzz '^FuzzLookup$' -fuzztime 5s ./bot/commands

// maxFuzzOrgs bounds the orgs one FuzzLookup input makes, so that an input
// stays a few milliseconds however long it is.
const maxFuzzOrgs = 64

// FuzzLookup builds an index over orgs named by the input (one name a line)
// and checks Lookup's contract: no panic; one org or candidates, all from
// the snapshot; an id finds its org; an exact name, in any case and with
// extra spaces, finds an org with that name.
func FuzzLookup(f *testing.F) {
	f.Add("Acme Inc\nBeta Co\nAcme Logistics", "acme", int64(4001))
	f.Add("Acme Inc\nacme   INC\nAcme", "  ACME inc ", int64(1))
	f.Add("4002\nBeta Co\n#4001", "4002", int64(4001))
	f.Add("Café Müller\nNørdic Labs\nŌkami", "café", int64(-3))
	f.Add("<!channel> & Co\n*bold*\n", "<!channel>", int64(9223372036854775806))
	f.Add("Summit Health\nSummit Realty\nSumit Dental", "sumit helth", int64(0))
	f.Add(strings.Repeat("Same\n", 30), "same", int64(10))
	f.Add("\t \n\n  ", " ", int64(5))
	f.Add("İstanbul\nıi\nSS ß", "istanbul", int64(77))
	f.Fuzz(func(t *testing.T, names, query string, firstID int64) {
		snap := fuzzSnapshot(names, firstID)
		ix := newIndex(snap, alerts.DefaultRules().LowBalance)
		inSnap := func(o *omni.Org) bool {
			for i := range snap.Orgs {
				if o == &snap.Orgs[i] {
					return true
				}
			}
			return false
		}
		check := func(q string) match {
			m := ix.lookup(q)
			switch {
			case m.org != nil && len(m.candidates) > 0:
				t.Fatalf("Lookup(%q) returned an org and %d candidates", q, len(m.candidates))
			case m.org != nil && !inSnap(m.org):
				t.Fatalf("Lookup(%q) returned org %d, not one of the snapshot's", q, m.org.ID)
			case len(m.candidates) == 1:
				t.Fatalf("Lookup(%q) returned one candidate instead of the org", q)
			case len(m.candidates) > maxCandidates:
				t.Fatalf("Lookup(%q) returned %d candidates, at most %d", q, len(m.candidates), maxCandidates)
			case m.more < 0 || (m.more > 0 && len(m.candidates) != maxCandidates):
				t.Fatalf("Lookup(%q): %d candidates and %d more", q, len(m.candidates), m.more)
			}
			for _, c := range m.candidates {
				if !inSnap(c) {
					t.Fatalf("Lookup(%q) returned candidate %d, not one of the snapshot's", q, c.ID)
				}
			}
			return m
		}

		check(query)

		ids := map[int64]bool{}
		for i := range snap.Orgs {
			ids[snap.Orgs[i].ID] = true
		}
		for i := range snap.Orgs {
			o := &snap.Orgs[i]
			id := strconv.FormatInt(o.ID, 10)
			for _, q := range []string{id, "#" + id, "  " + id + " "} {
				if m := check(q); m.org == nil || m.org.ID != o.ID {
					t.Fatalf("Lookup(%q) = %+v, want org %d", q, m, o.ID)
				}
			}

			want := normalize(o.Name)
			if want == "" {
				continue // a blank name cannot be asked for
			}
			if n, err := strconv.ParseInt(strings.TrimPrefix(want, "#"), 10, 64); err == nil && ids[n] {
				continue // an id wins over a name that reads like one
			}
			for _, q := range []string{o.Name, "  " + strings.Join(strings.Fields(swapCase(o.Name)), "   ") + "\t"} {
				m := check(q)
				if m.org != nil {
					if got := normalize(m.org.Name); got != want {
						t.Fatalf("Lookup(%q) found %q, want a name equal to %q", q, m.org.Name, o.Name)
					}
					continue
				}
				if len(m.candidates) == 0 {
					t.Fatalf("Lookup(%q) found nothing; org %d is named %q", q, o.ID, o.Name)
				}
				if m.fuzzy {
					t.Fatalf("Lookup(%q) matched fuzzily; org %d has that exact name", q, o.ID)
				}
				for _, c := range m.candidates {
					if got := normalize(c.Name); got != want {
						t.Fatalf("Lookup(%q) offered %q among exact matches for %q", q, c.Name, o.Name)
					}
				}
			}
		}
	})
}

// fuzzSnapshot makes a snapshot of the orgs named one a line in names, with
// ids counting from firstID, as the decoder would hand it over: valid
// UTF-8, sorted by id, unique.
func fuzzSnapshot(names string, firstID int64) *omni.Snapshot {
	snap := &omni.Snapshot{PolledAt: now, Reseller: omni.Reseller{ID: 1, Name: "Fuzz Reseller"}}
	for i, name := range strings.Split(strings.ToValidUTF8(names, "\uFFFD"), "\n") {
		if i == maxFuzzOrgs {
			break
		}
		id := firstID + int64(i)*7 // may wrap around; Normalize sorts
		snap.Orgs = append(snap.Orgs, omni.Org{ID: id, Name: name, Balance: float64(i * 10), CostPerMin: 0.1, Currency: "$"})
	}
	snap.Normalize()
	return snap
}

// swapCase changes the case of every letter whose other case folds back to
// it (so not "ı" or "ſ", which lower-case to other letters).
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		var o rune
		if unicode.IsUpper(r) {
			o = unicode.ToLower(r)
		} else {
			o = unicode.ToUpper(r)
		}
		if unicode.ToLower(o) != unicode.ToLower(r) {
			return r
		}
		return o
	}, s)
}
