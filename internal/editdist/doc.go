// Package editdist measures how far apart two short strings are, in the
// edits (insertions, deletions, substitutions) that turn one into the other,
// so that a mistyped name or key can be matched to the one meant.
package editdist
