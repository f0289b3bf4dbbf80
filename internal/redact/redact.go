package redact

import (
	"slices"
	"strings"
)

// Marker is what stands in the text where a secret was.
const Marker = "[redacted]"

// MinLen is the length of the shortest secret that is redacted: a shorter
// one would match ordinary words, and reveals little when it shows.
const MinLen = 4

// Redactor replaces a fixed set of secrets in text. The zero value redacts
// nothing. It is safe for concurrent use.
type Redactor struct {
	// secrets are the secrets of MinLen bytes or more, longest first, so
	// that a secret holding another is replaced whole.
	secrets []string
	// plain replaces the secrets written out as they are.
	plain *strings.Replacer
}

// New returns a Redactor for the given secrets. Empty and short secrets
// (fewer than MinLen bytes) are ignored, so unset credentials can be passed
// as they come.
func New(secrets ...string) *Redactor {
	var keep []string
	for _, s := range secrets {
		if len(s) >= MinLen && !slices.Contains(keep, s) {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return &Redactor{}
	}
	slices.SortStableFunc(keep, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(keep))
	for _, s := range keep {
		pairs = append(pairs, s, Marker)
	}
	return &Redactor{secrets: keep, plain: strings.NewReplacer(pairs...)}
}

// Empty reports whether r has no secret to redact.
func (r *Redactor) Empty() bool { return r == nil || len(r.secrets) == 0 }

// String returns s with every secret replaced by Marker.
func (r *Redactor) String(s string) string {
	if r.Empty() {
		return s
	}
	return r.plain.Replace(s)
}
