package omni

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// The loose readers take what the vendor sends for a field besides its
// documented type, as the reference decoder's types do
// (internal/omniwire): null for "none", numbers as strings, phone and
// access_level false. A value no reader takes is a valueError.

// valueError is a value of the wrong type for its field; field is the path
// below the value, as encoding/json names it ("users.login_date").
type valueError struct {
	field string
	what  string // "a string of 9 bytes", "object"
	where string // which element, when the path does not say: "users[3]"
}

func (e *valueError) Error() string {
	var b strings.Builder
	if e.field != "" {
		b.WriteString("field ")
		b.WriteString(e.field)
		b.WriteString(": ")
	}
	b.WriteString("cannot use ")
	b.WriteString(e.what)
	if e.where != "" {
		b.WriteString(" (")
		b.WriteString(e.where)
		b.WriteString(")")
	}
	return b.String()
}

// inField puts a field's name in front of the path of a type error.
func inField(err error, name string) error {
	if te, ok := err.(*valueError); ok {
		if te.field == "" {
			te.field = name
		} else {
			te.field = name + "." + te.field
		}
	}
	return err
}

// kindOf names a value by its first byte, for errors about values that
// are not read.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '"':
		return "string"
	}
	return "number"
}

func isValueStart(c byte) bool {
	switch c {
	case '{', '[', '"', 't', 'f', 'n', '-':
		return true
	}
	return '0' <= c && c <= '9'
}

// badValue is the error for a value of the wrong type starting with c, or
// for a byte that starts no value at all.
func (d *decoder) badValue(c byte) error {
	if !isValueStart(c) {
		return d.s.invalidChar("looking for beginning of value")
	}
	switch c {
	case '"':
		b, err := d.s.str(strRaw)
		if err != nil {
			return err
		}
		return &valueError{what: fmt.Sprintf("a string of %d bytes", len(b))}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		b, err := d.s.number()
		if err != nil {
			return err
		}
		return &valueError{what: "number " + trim(string(b), 24)}
	}
	return &valueError{what: kindOf(c)}
}

// looseString reads what omniwire.LooseString accepts.
func (d *decoder) looseString(dst *string, intern bool) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	var b []byte
	switch c {
	case '"':
		b, err = s.str(strText)
	case 'n':
		*dst = ""
		return s.literal("null")
	case 'f':
		*dst = ""
		return s.literal("false")
	case 't':
		*dst = "true"
		return s.literal("true")
	case '{', '[':
		return d.badValue(c)
	default:
		if c != '-' && (c < '0' || c > '9') {
			return d.badValue(c)
		}
		b, err = s.number()
	}
	if err != nil {
		return err
	}
	if intern {
		*dst = d.internBytes(b)
	} else {
		*dst = string(b)
	}
	return nil
}

// text returns b as a string without copying, for parsing only: the
// result must not outlive the next read.
func text(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// looseScalar reads the text that looseInt and looseFloat parse: a number,
// or the trimmed raw contents of a string. null reads as "".
func (d *decoder) looseScalar() (t string, isString bool, err error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return "", false, err
	}
	switch {
	case c == '-' || ('0' <= c && c <= '9'):
		b, err := s.number()
		return text(b), false, err
	case c == '"':
		b, err := s.str(strRaw)
		return strings.TrimSpace(text(b)), true, err
	case c == 'n':
		return "", false, s.literal("null")
	}
	return "", false, d.badValue(c)
}

// looseInt reads what omniwire.LooseInt accepts: an integer, an
// integral float, a numeric string, or null.
func (d *decoder) looseInt() (int64, error) {
	t, isString, err := d.looseScalar()
	if err != nil || t == "" {
		return 0, err
	}
	// The common case: a short run of digits.
	if len(t) <= 18 {
		i := 0
		if t[0] == '-' {
			i = 1
		}
		var n int64
		j := i
		for ; j < len(t) && '0' <= t[j] && t[j] <= '9'; j++ {
			n = n*10 + int64(t[j]-'0')
		}
		if j == len(t) && j > i {
			if i == 1 {
				n = -n
			}
			return n, nil
		}
	}
	if isString && t == "null" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, scalarError(t, isString)
	}
	return int64(f), nil
}

// looseFloat reads what omniwire.LooseFloat accepts: a number, a
// numeric string, or null.
func (d *decoder) looseFloat() (float64, error) {
	t, isString, err := d.looseScalar()
	if err != nil || t == "" || (isString && t == "null") {
		return 0, err
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, scalarError(t, isString)
	}
	return f, nil
}

func scalarError(t string, isString bool) error {
	if isString {
		return &valueError{what: fmt.Sprintf("a string of %d bytes", len(t))}
	}
	return &valueError{what: "number " + trim(t, 24)}
}

// looseBool reads what omniwire.LooseBool accepts: true, false, null,
// 0 or 1, and (in any case) "true", "false", "yes", "no", "null", "1",
// "0" or "". A string with an escape is never accepted, as decodeStd
// compares the raw text.
func (d *decoder) looseBool() (bool, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	switch c {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return false, s.literal("null")
	case '"':
		b, err := s.str(strRaw)
		if err != nil {
			return false, err
		}
		switch {
		case asciiFold(b, "true"), asciiFold(b, "1"), asciiFold(b, "yes"):
			return true, nil
		case asciiFold(b, "false"), asciiFold(b, "0"), asciiFold(b, "null"), len(b) == 0, asciiFold(b, "no"):
			return false, nil
		}
		return false, &valueError{what: fmt.Sprintf("a string of %d bytes", len(b))}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		b, err := s.number()
		if err != nil {
			return false, err
		}
		switch string(b) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return false, &valueError{what: "number " + trim(string(b), 24)}
	}
	return false, d.badValue(c)
}

// asciiFold reports whether b is word (lower-case ASCII) in any case. No
// other rune lower-cases to one of the letters the words use, so this is
// strings.ToLower(string(b)) == word.
func asciiFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != word[i] {
			return false
		}
	}
	return true
}
