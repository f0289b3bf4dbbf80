package redact

import (
	"slices"
	"strings"
	"unicode/utf8"
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
	s = r.plain.Replace(s)
	if strings.IndexByte(s, '\\') < 0 && !strings.Contains(s, "&#") {
		return s
	}
	return r.escaped(s)
}

// escaped replaces the secrets that s holds with some of their characters
// escaped. It walks s once, trying each secret at each byte.
func (r *Redactor) escaped(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		end := -1
		for _, secret := range r.secrets {
			if end = matchAt(s, i, secret); end >= 0 {
				break
			}
		}
		if end < 0 {
			i++
			continue
		}
		b.WriteString(s[done:i])
		b.WriteString(Marker)
		i, done = end, end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// matchAt returns where secret ends if it stands in s at i, each of its
// characters written as it is or escaped; otherwise -1.
func matchAt(s string, i int, secret string) int {
	for k := 0; k < len(secret); {
		if i >= len(s) {
			return -1
		}
		want, n := utf8.DecodeRuneInString(secret[k:])
		if got, m := unescape(s[i:]); m > 0 && got == want {
			i += m
		} else if strings.HasPrefix(s[i:], secret[k:k+n]) {
			i += n
		} else {
			return -1
		}
		k += n
	}
	return i
}

// unescape reads the escape that s starts with, a JSON escape or an HTML
// character reference, and returns the rune it stands for and its length,
// or 0 when s starts with neither.
func unescape(s string) (rune, int) {
	if len(s) < 2 {
		return 0, 0
	}
	if s[0] == '&' {
		return charRef(s)
	}
	if s[0] != '\\' {
		return 0, 0
	}
	switch c := s[1]; c {
	case '"', '\\', '/':
		return rune(c), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return 0, 0
		}
		if 0xd800 <= r && r < 0xdc00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if lo, ok := hex4(s[8:]); ok && 0xdc00 <= lo && lo < 0xe000 {
				return 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00), 12
			}
		}
		return r, 6
	}
	return 0, 0
}

// charRef reads an HTML numeric character reference: &#47; or &#x2F;.
func charRef(s string) (rune, int) {
	if len(s) < 4 || s[1] != '#' {
		return 0, 0
	}
	base, i := 10, 2
	if s[2] == 'x' || s[2] == 'X' {
		base, i = 16, 3
	}
	var r rune
	for start := i; i < len(s) && i < start+8; i++ {
		d := digit(s[i])
		if s[i] == ';' && i > start {
			return r, i + 1
		}
		if d < 0 || d >= base {
			return 0, 0
		}
		r = r*rune(base) + rune(d)
	}
	return 0, 0
}

// digit is the value of a hex digit, or -1.
func digit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// hex4 reads four hex digits.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		d := digit(c)
		if d < 0 {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
