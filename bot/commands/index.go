package bot

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// Index answers commands from one snapshot. It is built once per snapshot,
// so a lookup over 10,000 orgs is a map read or a binary search, not a scan,
// and it is never modified after NewIndex: commands read it concurrently.
type Index struct {
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

// NewIndex indexes a snapshot. rule decides which orgs /orgs low lists.
func NewIndex(snap *omni.Snapshot, rule alerts.LowBalanceRule) *Index {
	n := len(snap.Orgs)
	ix := &Index{
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

// Match is the result of a lookup.
type Match struct {
	// Org is set when the query picks out one org.
	Org *omni.Org
	// Candidates are the orgs that match equally well, when there are
	// several (at most maxCandidates).
	Candidates []*omni.Org
	// More counts candidates beyond those listed.
	More int
	// Fuzzy is true when only an approximate match was found.
	Fuzzy bool
}

const maxCandidates = 10

// Lookup finds orgs by id, then exact name, then case-insensitive prefix,
// then substring, then a fuzzy match that forgives a typo or two. The first
// rule that matches decides; several matches under it are candidates.
func (ix *Index) Lookup(query string) Match {
	q := normalize(query)
	if q == "" {
		return Match{}
	}
	if id, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil {
		if i, ok := ix.byID[id]; ok {
			return Match{Org: &ix.snap.Orgs[i]}
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

func (ix *Index) matches(positions []int, fuzzy bool) Match {
	if len(positions) == 1 {
		return Match{Org: &ix.snap.Orgs[positions[0]], Fuzzy: fuzzy}
	}
	m := Match{Fuzzy: fuzzy}
	for _, i := range positions {
		if len(m.Candidates) == maxCandidates {
			m.More = len(positions) - maxCandidates
			break
		}
		m.Candidates = append(m.Candidates, &ix.snap.Orgs[i])
	}
	return m
}

// fuzzy finds the names closest to q by edit distance, comparing q with the
// whole name, with the name's start (so "acne" finds "Acme Logistics") and
// with each word of the name (so "zetta" finds "Zeta Labs"). It allows one
// edit per four characters of the query, at least one.
func (ix *Index) fuzzy(q string) Match {
	fz := ix.fz
	fz.once.Do(func() { fz.prepare(ix.lower) })
	qr := []rune(q)
	limit := max(1, len(qr)/4)
	best := limit + 1
	var hits []int
	var lev levenshtein
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
		return Match{}
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
func (fz *fuzzyTables) distance(lev *levenshtein, q []rune, i, bound int) int {
	name := fz.runes[i]
	d := lev.distance(q, name, bound)
	for n := len(q) - 1; n <= len(q)+1; n++ {
		if n > 0 && n < len(name) {
			d = min(d, lev.distance(q, name[:n], min(d, bound)))
		}
	}
	for _, w := range fz.words[i] {
		d = min(d, lev.distance(q, w, min(d, bound)))
	}
	return d
}

// levenshtein computes edit distances, reusing its rows between calls.
type levenshtein struct{ prev, cur []int }

// distance is the edit distance between a and b, or bound once it is clear
// the distance reaches bound.
func (l *levenshtein) distance(a, b []rune, bound int) int {
	if d := len(a) - len(b); d >= bound || -d >= bound {
		return bound
	}
	if cap(l.prev) < len(b)+1 {
		l.prev, l.cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	prev, cur := l.prev[:len(b)+1], l.cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], bound)
}
