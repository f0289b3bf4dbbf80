package commands

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/internal/editdist"
	"github.com/resellerbot/resellerbot/omni"
)

// index answers commands from one snapshot. It is built once per snapshot,
// so a lookup over 10,000 orgs is a map read or a binary search, not a scan,
// and it is never modified after newIndex: commands read it concurrently.
type index struct {
	snap     *omni.Snapshot
	polledAt time.Time
	byID     map[int64]int
	// byName holds org positions sorted by lower-cased name, for exact and
	// prefix matches by binary search.
	byName []int
	lower  []string
	// risk holds org positions, riskiest first.
	risk  []int
	low   []int
	users int

	// fz holds the names prepared for fuzzy matching, on first use; copies
	// of the index share it.
	fz *fuzzyTables
}

// fuzzyTables are the lower-cased names as runes, whole and by word.
type fuzzyTables struct {
	once  sync.Once
	runes [][]rune
	words [][][]rune
}

// newIndex indexes a snapshot. rule decides which orgs /orgs low lists.
func newIndex(snap *omni.Snapshot, rule alerts.LowBalanceRule) *index {
	n := len(snap.Orgs)
	ix := &index{
		snap:     snap,
		polledAt: snap.PolledAt,
		byID:     make(map[int64]int, n),
		lower:    make([]string, n),
		byName:   make([]int, n),
		risk:     make([]int, n),
		users:    snap.UserCount(),
		fz:       new(fuzzyTables),
	}
	for i := range snap.Orgs {
		o := &snap.Orgs[i]
		ix.byID[o.ID] = i
		ix.lower[i] = normalize(o.Name)
		ix.byName[i] = i
		ix.risk[i] = i
		if rule.Breached(o) {
			ix.low = append(ix.low, i)
		}
	}
	slices.SortFunc(ix.byName, func(a, b int) int {
		return cmp.Or(strings.Compare(ix.lower[a], ix.lower[b]), cmp.Compare(snap.Orgs[a].ID, snap.Orgs[b].ID))
	})
	riskier := func(a, b int) int { return compareRisk(&snap.Orgs[a], &snap.Orgs[b]) }
	slices.SortFunc(ix.risk, riskier)
	slices.SortFunc(ix.low, riskier)
	return ix
}

// compareRisk orders orgs by runway, least first; orgs whose calls are free
// come last. Ties go to the smaller balance, then the name.
func compareRisk(a, b *omni.Org) int {
	ra, la := a.Runway()
	rb, lb := b.Runway()
	switch {
	case la && !lb:
		return -1
	case !la && lb:
		return 1
	}
	return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(a.Balance, b.Balance), strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}

// normalize folds case and runs of white space, so "acme  inc" finds
// "Acme Inc".
func normalize(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// match is the result of a lookup.
type match struct {
	// org is set when the query picks out one org.
	org *omni.Org
	// candidates are the orgs that match equally well, when there are
	// several (at most maxCandidates).
	candidates []*omni.Org
	// more counts candidates beyond those listed.
	more int
	// fuzzy is true when only an approximate match was found.
	fuzzy bool
}

const maxCandidates = 10

// lookup finds orgs by id, then exact name, then case-insensitive prefix,
// then substring, then a fuzzy match that forgives a typo or two. The first
// rule that matches decides; several matches under it are candidates.
func (ix *index) lookup(query string) match {
	q := normalize(query)
	if q == "" {
		return match{}
	}
	if id, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil {
		if i, ok := ix.byID[id]; ok {
			return match{org: &ix.snap.Orgs[i]}
		}
	}
	// Exact and prefix matches are contiguous runs of byName.
	start, _ := slices.BinarySearchFunc(ix.byName, q, func(i int, q string) int { return strings.Compare(ix.lower[i], q) })
	end := start
	for end < len(ix.byName) && ix.lower[ix.byName[end]] == q {
		end++
	}
	if end > start {
		return ix.matches(ix.byName[start:end], false)
	}
	for end < len(ix.byName) && strings.HasPrefix(ix.lower[ix.byName[end]], q) {
		end++
	}
	if end > start {
		return ix.matches(ix.byName[start:end], false)
	}
	var hits []int
	for _, i := range ix.byName {
		if strings.Contains(ix.lower[i], q) {
			hits = append(hits, i)
		}
	}
	if len(hits) > 0 {
		return ix.matches(hits, false)
	}
	return ix.fuzzy(q)
}

func (ix *index) matches(positions []int, fuzzy bool) match {
	if len(positions) == 1 {
		return match{org: &ix.snap.Orgs[positions[0]], fuzzy: fuzzy}
	}
	m := match{fuzzy: fuzzy}
	for _, i := range positions {
		if len(m.candidates) == maxCandidates {
			m.more = len(positions) - maxCandidates
			break
		}
		m.candidates = append(m.candidates, &ix.snap.Orgs[i])
	}
	return m
}

// fuzzy finds the names closest to q by edit distance, comparing q with the
// whole name, with the name's start (so "acne" finds "Acme Logistics") and
// with each word of the name (so "zetta" finds "Zeta Labs"). It allows one
// edit per four characters of the query, at least one.
func (ix *index) fuzzy(q string) match {
	fz := ix.fz
	fz.once.Do(func() { fz.prepare(ix.lower) })
	qr := []rune(q)
	limit := max(1, len(qr)/4)
	best := limit + 1
	var hits []int
	var lev editdist.Levenshtein
	for _, i := range ix.byName {
		// The distance stops early at best+1, so a tie with best is exact.
		d := fz.distance(&lev, qr, i, best+1)
		switch {
		case d < best:
			best, hits = d, append(hits[:0], i)
		case d == best && d <= limit:
			hits = append(hits, i)
		}
	}
	if best > limit {
		return match{}
	}
	return ix.matches(hits, true)
}

// prepare splits names into runes and words once, on the first fuzzy
// lookup, rather than on every lookup or for every snapshot.
func (fz *fuzzyTables) prepare(names []string) {
	fz.runes = make([][]rune, len(names))
	fz.words = make([][][]rune, len(names))
	for i, name := range names {
		fz.runes[i] = []rune(name)
		if strings.IndexByte(name, ' ') >= 0 {
			for _, w := range strings.Fields(name) {
				fz.words[i] = append(fz.words[i], []rune(w))
			}
		}
	}
}

// distance is the smallest edit distance between q and org i's name, a
// prefix of the name about as long as q, or a word of the name; at least
// bound means "too far".
func (fz *fuzzyTables) distance(lev *editdist.Levenshtein, q []rune, i, bound int) int {
	name := fz.runes[i]
	d := lev.Distance(q, name, bound)
	for n := len(q) - 1; n <= len(q)+1; n++ {
		if n > 0 && n < len(name) {
			d = min(d, lev.Distance(q, name[:n], min(d, bound)))
		}
	}
	for _, w := range fz.words[i] {
		d = min(d, lev.Distance(q, w, min(d, bound)))
	}
	return d
}
