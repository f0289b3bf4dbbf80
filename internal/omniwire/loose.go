package omniwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

// The loose types accept what the vendor sends for a field besides the
// documented type, as omni.Decode does: null for "none", numbers as
// strings, phone and access_level false, dates without a zone.

// LooseString accepts a string, null or false (both meaning "none"), or a
// number or true (kept as their text).
type LooseString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *LooseString) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case '"':
		v, err := unquote(b)
		*s = LooseString(v)
		return err
	case 'n', 'f':
		*s = ""
		return nil
	case '{', '[':
		return typeError(b, *s)
	}
	*s = LooseString(b)
	return nil
}

// LooseBool accepts true, false, null, 0 or 1, and (in any case) "true",
// "false", "yes", "no", "null", "1", "0" or "".
type LooseBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *LooseBool) UnmarshalJSON(b []byte) error {
	s := string(b)
	if b[0] == '"' {
		s = strings.ToLower(strings.Trim(s, `"`))
	}
	switch s {
	case "true", "1", "yes":
		*v = true
	case "false", "0", "null", "", "no":
		*v = false
	default:
		return typeError(b, *v)
	}
	return nil
}

// LooseInt accepts an integer, an integral float, a numeric string or
// null.
type LooseInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (v *LooseInt) UnmarshalJSON(b []byte) error {
	t, null := number(b)
	if n, err := strconv.ParseInt(string(t), 10, 64); null || err == nil {
		*v = LooseInt(n) // 0 for null
		return nil
	}
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return typeError(b, *v)
	}
	*v = LooseInt(f)
	return nil
}

// LooseFloat accepts a number, a numeric string (as Django REST framework
// sends decimals) or null.
type LooseFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (v *LooseFloat) UnmarshalJSON(b []byte) error {
	t, null := number(b)
	f, err := strconv.ParseFloat(string(t), 64)
	if null {
		f, err = 0, nil
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return typeError(b, *v)
	}
	*v = LooseFloat(f)
	return nil
}

// number returns the text of a number or of a string holding one, trimmed,
// and whether it means none (null, "null" or "").
func number(b []byte) (t []byte, null bool) {
	t = b
	if b[0] == '"' {
		t = bytes.TrimSpace(b[1 : len(b)-1])
	}
	return t, len(t) == 0 || string(t) == "null"
}

// LooseTime accepts null, false, "" and the timestamps omni.ParseTime
// reads. The result is always in UTC.
type LooseTime time.Time

// UnmarshalJSON implements json.Unmarshaler.
func (t *LooseTime) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n', 'f':
		*t = LooseTime{}
		return nil
	case '"':
	default:
		return typeError(b, *t)
	}
	s, err := unquote(b)
	if err != nil {
		return err
	}
	if s = strings.TrimSpace(s); s == "" {
		*t = LooseTime{}
		return nil
	}
	v, ok := omni.ParseTime(s)
	if !ok {
		return typeError(b, *t)
	}
	*t = LooseTime(v)
	return nil
}

// typeError reports a JSON value of the wrong kind for the Go type of v, in
// the form encoding/json completes with the field's path.
func typeError(b []byte, v any) error {
	var what string
	switch b[0] {
	case '"':
		// Say how long, not what: a misplaced credential must not be echoed.
		what = fmt.Sprintf("a string of %d bytes", len(b)-2)
	case '{':
		what = "object"
	case '[':
		what = "array"
	case 't', 'f':
		what = "boolean"
	case 'n':
		what = "null"
	default:
		what = "number " + string(b[:min(len(b), 24)])
	}
	return &json.UnmarshalTypeError{Value: what, Type: reflect.TypeOf(v)}
}

// unquote returns the text of a JSON string literal.
func unquote(b []byte) (string, error) {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}
