package omni

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The wire types below read the reseller endpoints' JSON as leniently as
// the list decoder reads the organizations: the vendor's backend (Odoo,
// judging by its SDKs) sends false for an empty string, its spec types IDs
// and minutes as integers while its TypeScript SDK has them as numbers, and
// a decimal may come as a string. null is zero. Their errors never quote
// the value, which could be anything the vendor echoed.

// wireFloat is a number, a numeric string, null or false (zero).
type wireFloat float64

func (v *wireFloat) UnmarshalJSON(b []byte) error {
	s, ok := scalarText(b)
	if !ok {
		return errNotScalar
	}
	if s == "" {
		*v = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%d bytes that are not a number", len(b))
	}
	*v = wireFloat(f)
	return nil
}

// wireInt is an integer, an integral number such as 5.0, a numeric string,
// null or false (zero).
type wireInt int64

func (v *wireInt) UnmarshalJSON(b []byte) error {
	var f wireFloat
	if err := f.UnmarshalJSON(b); err != nil {
		return err
	}
	if float64(f) != math.Trunc(float64(f)) || math.Abs(float64(f)) > 1<<53 {
		return errors.New("a number that is not an integer")
	}
	*v = wireInt(f)
	return nil
}

// wireText is a string, or null or false (""); a number or true is kept as
// its text.
type wireText string

func (v *wireText) UnmarshalJSON(b []byte) error {
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = wireText(s)
		return nil
	}
	s, ok := scalarText(b)
	if !ok {
		return errNotScalar
	}
	*v = wireText(s)
	return nil
}

// wireBool is true or false, null (false), 0 or 1, or those as strings.
type wireBool bool

func (v *wireBool) UnmarshalJSON(b []byte) error {
	s, ok := scalarText(b)
	switch s = strings.ToLower(s); {
	case !ok:
		return errNotScalar
	case s == "true" || s == "1":
		*v = true
	case s == "" || s == "0":
		*v = false
	default:
		return errors.New("a value that is not a boolean")
	}
	return nil
}

// wireTime is a date (2026-01-15), a timestamp with an offset
// (2026-01-15T16:34:40+05:30, kept in that offset) or without one (read as
// UTC, like the list's timestamps), or null, false or "" (the zero time).
type wireTime time.Time

func (v *wireTime) UnmarshalJSON(b []byte) error {
	var s wireText
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	text := strings.TrimSpace(string(s))
	if text == "" {
		*v = wireTime{}
		return nil
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, text); err == nil {
			*v = wireTime(t)
			return nil
		}
	}
	return fmt.Errorf("a string of %d bytes that is not a date or a timestamp", len(text))
}

// errNotScalar is the error for an object or array where a scalar belongs.
var errNotScalar = errors.New("an object or array where a scalar belongs")

// scalarText returns a JSON scalar as text: a string's content (trimmed),
// a number or true as written, and "" for null and false. ok is false for
// an object or an array.
func scalarText(b []byte) (s string, ok bool) {
	switch b[0] {
	case '{', '[':
		return "", false
	case 'n', 'f':
		return "", true
	case '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false
		}
		return strings.TrimSpace(s), true
	}
	return string(b), true
}

// wireFlags is a dashboard_menu_access object: flag keys to booleans, with
// null read as false. It keeps the off flags too, as the vendor's answer to
// a partial update lists what it set either way.
type wireFlags map[string]bool

func (v *wireFlags) UnmarshalJSON(b []byte) error {
	var raw map[string]wireBool
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	m := make(map[string]bool, len(raw))
	for k, on := range raw {
		m[k] = bool(on)
	}
	*v = m
	return nil
}
