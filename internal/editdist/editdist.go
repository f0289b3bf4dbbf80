package editdist

// Levenshtein computes edit distances, keeping its two rows between calls so
// that comparing one query with thousands of names allocates once. The zero
// value is ready to use; a Levenshtein is not safe for concurrent use.
type Levenshtein struct{ prev, cur []int }

// Distance is the edit distance between a and b, counted in runes, or bound
// as soon as it is clear the distance reaches bound: a search for names
// within a few edits stops early on every name that is far off.
func (l *Levenshtein) Distance(a, b []rune, bound int) int {
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

// Distance is the edit distance between a and b, counted in runes, or bound
// when it is bound or more. It is for one-off comparisons, such as a
// configuration key against the known keys; a loop over many names should
// reuse a Levenshtein.
func Distance(a, b string, bound int) int {
	var l Levenshtein
	return l.Distance([]rune(a), []rune(b), bound)
}
