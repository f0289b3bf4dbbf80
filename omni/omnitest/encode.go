package omnitest

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MarshalJSON encodes p as the vendor does; see AppendJSON.
func (p *Payload) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(make([]byte, 0, p.sizeHint())), nil
}

// AppendJSON appends the vendor JSON encoding of p to dst and returns the
// extended buffer. It is hand-written rather than reflective because
// benchmarks encode thousands of orgs per version; reusing dst makes it
// allocation-free. The output is compact, valid JSON: strings escape only
// what JSON requires (", \ and control characters; <, > and & stay as they
// are, as the vendor's Python sends them; invalid UTF-8 becomes U+FFFD),
// and non-finite numbers, which JSON cannot carry, are sent as null.
func (p *Payload) AppendJSON(dst []byte) []byte {
	if p == nil {
		return append(dst, "null"...)
	}
	if cap(dst)-len(dst) < 1024 {
		dst = slices.Grow(dst, p.sizeHint())
	}
	return p.appendJSON(dst)
}

// sizeHint estimates the encoded size, so that encoding grows its buffer
// once rather than a dozen times.
func (p *Payload) sizeHint() int {
	return 1024 + len(p.Orgs)*400 + p.UserCount()*1000
}

// MarshalJSON encodes r as the vendor's "reseller_organization" object.
func (r Reseller) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

// MarshalJSON encodes o as one element of the vendor's "organizations".
func (o Org) MarshalJSON() ([]byte, error) { return o.appendJSON(nil), nil }

// MarshalJSON encodes u as one element of an org's "users".
func (u User) MarshalJSON() ([]byte, error) { return u.appendJSON(nil), nil }

// The appendJSON methods write an object through its fields list. Each
// calls its own fields, not through an interface, so that the codec stays
// on the stack: encoding allocates nothing.

func (p *Payload) appendJSON(dst []byte) []byte {
	c := newEncoder(dst, p.Extra)
	p.fields(&c)
	return c.end()
}

func (r *Reseller) appendJSON(dst []byte) []byte {
	c := newEncoder(dst, r.Extra)
	r.fields(&c)
	return c.end()
}

func (o *Org) appendJSON(dst []byte) []byte {
	c := newEncoder(dst, o.Extra)
	o.fields(&c)
	return c.end()
}

func (u *User) appendJSON(dst []byte) []byte {
	c := newEncoder(dst, u.Extra)
	u.fields(&c)
	return c.end()
}

// newEncoder returns a codec that writes an object, whose Extra is extra,
// after dst.
func newEncoder(dst []byte, extra map[string]any) codec {
	return codec{w: objectWriter{dst: append(dst, '{'), extra: extra}}
}

// end writes the Extra members that are no known field and closes the
// object.
func (c *codec) end() []byte {
	c.w.extras()
	return append(c.w.dst, '}')
}

// objectWriter writes the members of one JSON object, applying the
// overrides and additions of its Extra map.
type objectWriter struct {
	dst   []byte
	n     int // members written so far
	extra map[string]any
	// overrode lists the keys of extra that replaced a known field.
	overrode []string
}

// key writes the separator and a member name that needs no escaping.
func (e *objectWriter) key(k string) {
	if e.n > 0 {
		e.dst = append(e.dst, ',')
	}
	e.n++
	e.dst = append(e.dst, '"')
	e.dst = append(e.dst, k...)
	e.dst = append(e.dst, '"', ':')
}

// has reports whether Extra overrides the known field k.
func (e *objectWriter) has(k string) bool {
	if len(e.extra) == 0 {
		return false
	}
	_, ok := e.extra[k]
	return ok
}

// field starts the known member k and reports whether the caller should
// write its typed value; false means Extra overrode it (and the override,
// unless Omitted, has been written).
func (e *objectWriter) field(k string) bool {
	if len(e.extra) != 0 {
		if v, ok := e.extra[k]; ok {
			e.overrode = append(e.overrode, k)
			if _, omit := v.(Omitted); !omit {
				e.key(k)
				e.dst = appendAny(e.dst, v)
			}
			return false
		}
	}
	e.key(k)
	return true
}

// extras writes the Extra members that are not known fields, sorted by key
// so that the output is deterministic.
func (e *objectWriter) extras() {
	if len(e.extra) == len(e.overrode) {
		return
	}
	keys := make([]string, 0, len(e.extra))
	for k := range e.extra {
		if !slices.Contains(e.overrode, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := e.extra[k]
		if _, omit := v.(Omitted); omit {
			continue
		}
		if e.n > 0 {
			e.dst = append(e.dst, ',')
		}
		e.n++
		e.dst = appendString(e.dst, k)
		e.dst = append(e.dst, ':')
		e.dst = appendAny(e.dst, v)
	}
}

// appendMenus writes a menu map: known flags in the vendor's order, then
// unknown flags sorted. A nil map is written as {}.
func appendMenus(dst []byte, m map[string]bool) []byte {
	dst = append(dst, '{')
	n := 0
	for i := 0; i < numFlags && n < len(m); i++ {
		k := flagName(i)
		v, ok := m[k]
		if !ok {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendBool(dst, v)
	}
	if n < len(m) {
		unknown := make([]string, 0, len(m)-n)
		for k := range m {
			if !isKnownFlag(k) {
				unknown = append(unknown, k)
			}
		}
		slices.Sort(unknown)
		for _, k := range unknown {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = strconv.AppendBool(dst, m[k])
		}
	}
	return append(dst, '}')
}

// appendNullString writes s as a JSON string, or null when it is "".
func appendNullString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendString(dst, s)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Only ", \ and control characters
// are escaped; invalid UTF-8 is replaced by U+FFFD so the output stays
// valid.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendFloat writes f in the shortest form that reads back exactly, like
// encoding/json: 13 for 13.0, 24442.6, exponents only for very small or
// large magnitudes. NaN and infinities are written as null.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendAny writes an Extra or AccessLevel value. JSON-shaped values are
// written directly; anything else goes through encoding/json, and a value
// that cannot be encoded is written as null so the body stays valid.
func appendAny(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, v)
	case string:
		return appendString(dst, v)
	case float64:
		return appendFloat(dst, v)
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, float64(v), 'g', -1, 32)
	case int:
		return strconv.AppendInt(dst, int64(v), 10)
	case int8:
		return strconv.AppendInt(dst, int64(v), 10)
	case int16:
		return strconv.AppendInt(dst, int64(v), 10)
	case int32:
		return strconv.AppendInt(dst, int64(v), 10)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(dst, v, 10)
	case json.Number:
		if v == "" {
			return append(dst, '0')
		}
		if c := v[0]; (c != '-' && (c < '0' || c > '9')) || !json.Valid([]byte(v)) {
			return append(dst, "null"...)
		}
		return append(dst, v...)
	case json.RawMessage:
		if !json.Valid(v) {
			return append(dst, "null"...)
		}
		return append(dst, v...)
	case map[string]any:
		if v == nil {
			return append(dst, "null"...)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendAny(dst, v[k])
		}
		return append(dst, '}')
	case []any:
		if v == nil {
			return append(dst, "null"...)
		}
		dst = append(dst, '[')
		for i := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendAny(dst, v[i])
		}
		return append(dst, ']')
	}
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}
