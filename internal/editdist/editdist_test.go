package editdist

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		name  string
		a, b  string
		bound int
		want  int
	}{
		{"equal strings are no edits apart", "acme", "acme", 5, 0},
		{"an empty string is as far as the other is long", "", "beta", 10, 4},
		{"a substitution is one edit", "acne", "acme", 5, 1},
		{"an insertion is one edit", "zeta", "zetta", 5, 1},
		{"a deletion is one edit", "summit", "sumit", 5, 1},
		{"a swap of neighbours is two edits", "ab", "ba", 5, 2},
		{"kitten to sitting is three edits", "kitten", "sitting", 10, 3},
		{"runes count, not bytes", "café", "cafe", 5, 1},
		{"a distance at the bound reads as the bound", "kitten", "sitting", 3, 3},
		{"a distance past the bound reads as the bound", "kitten", "sitting", 2, 2},
		{"lengths far apart stop at the bound at once", "a", "abcdefgh", 3, 3},
		{"a key one typo off is found", "alert_chanel", "alert_channel", 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Distance(tt.a, tt.b, tt.bound); got != tt.want {
				t.Errorf("Distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.bound, got, tt.want)
			}
		})
	}
}

func TestALevenshteinReusedForLongerNamesGivesTheSameAnswers(t *testing.T) {
	var l Levenshtein
	pairs := [][2]string{{"ab", "abc"}, {"organization", "organisation"}, {"x", "y"}, {"zeta labs", "zetta"}, {"", ""}}
	for _, p := range pairs {
		got := l.Distance([]rune(p[0]), []rune(p[1]), 100)
		if want := Distance(p[0], p[1], 100); got != want {
			t.Errorf("a reused Levenshtein says %q and %q are %d apart, a fresh one %d", p[0], p[1], got, want)
		}
	}
}
