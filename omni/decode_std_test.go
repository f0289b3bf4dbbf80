package omni

// The encoding/json decoder that Decode had before decodeFast, kept as the
// reference the differential tests and the fuzzer hold decodeFast to, and
// for the benchmarks that chose between them. It lives in a test file: the
// bot never runs it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// decodeStd is the encoding/json implementation Decode had before
// decodeFast. It is kept as the reference that the differential tests and
// the fuzzer hold decodeFast to, and for benchmarks.
func decodeStd(r io.Reader) (*Snapshot, error) {
	dec := json.NewDecoder(r)
	snap, err := decodeTop(dec)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return nil, err
		}
		return nil, &APIError{Kind: ErrMalformed, Err: err}
	}
	return snap, nil
}

func decodeTop(dec *json.Decoder) (*Snapshot, error) {
	if err := expectDelim(dec, '{', "the response"); err != nil {
		return nil, err
	}
	var (
		snap            Snapshot
		success         looseBool
		sawSuccess      bool
		sawOrgs         bool
		vendorFields    = map[string]string{}
		vendorFieldKeys = [...]string{"error_description", "error", "message", "detail"}
	)
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "success":
			sawSuccess = true
			err = dec.Decode(&success)
		case "reseller_organization":
			var w wireReseller
			if err = dec.Decode(&w); err == nil {
				snap.Reseller = Reseller{ID: int64(w.ID), Name: string(w.Name), ConcurrentCallLimit: int(w.ConcurrentCallLimit)}
			}
		case "organizations":
			sawOrgs = true
			snap.Orgs, err = decodeOrgs(dec)
		case "reseller_access_control":
			var w struct {
				Menus scopeFlags `json:"dashboard_menu_access"`
			}
			if err = dec.Decode(&w); err == nil {
				snap.Scope, snap.HasScope = w.Menus.Flags, w.Menus.has
			}
		case "total_organizations":
			var n looseInt
			err = dec.Decode(&n)
			snap.TotalOrgs = int(n)
		case "total_users_across_orgs":
			var n looseInt
			err = dec.Decode(&n)
			snap.TotalUsers = int(n)
		case vendorFieldKeys[0], vendorFieldKeys[1], vendorFieldKeys[2], vendorFieldKeys[3]:
			var raw json.RawMessage
			if err = dec.Decode(&raw); err == nil {
				vendorFields[key] = string(raw)
			}
		default:
			err = dec.Decode(&skip{})
		}
		if err != nil {
			if key == "organizations" {
				return nil, err
			}
			return nil, fieldError(key, err)
		}
	}
	if err := expectDelim(dec, '}', "the response"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the response object")
	}
	if sawSuccess && !bool(success) {
		var body bytes.Buffer
		body.WriteByte('{')
		for _, k := range vendorFieldKeys {
			if v, ok := vendorFields[k]; ok {
				if body.Len() > 1 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, "%q:%s", k, v)
			}
		}
		body.WriteByte('}')
		msg := vendorMessage(body.Bytes())
		if msg == "" {
			msg = `"success": false without a reason`
		}
		return nil, &APIError{Kind: ErrVendor, Message: msg}
	}
	if !sawOrgs {
		return nil, errors.New(`no "organizations" in the response`)
	}
	snap.Normalize()
	if err := snap.checkTotals(); err != nil {
		return nil, err
	}
	return &snap, nil
}

// decodeOrgs streams the organizations array one element at a time.
func decodeOrgs(dec *json.Decoder) ([]Org, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("want an array, got %s", describeToken(tok))
	}
	var orgs []Org
	for i := 0; dec.More(); i++ {
		// A fresh value each time: encoding/json merges into what is there,
		// so reusing one would leak fields from the previous org.
		var w *wireOrg
		if err := dec.Decode(&w); err != nil {
			return nil, fieldError(fmt.Sprintf("organizations[%d]", i), err)
		}
		org, err := w.org()
		if err != nil {
			return nil, fmt.Errorf("organizations[%d]: %w", i, err)
		}
		orgs = append(orgs, org)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return orgs, nil
}

func expectDelim(dec *json.Decoder, want json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%s is empty", what)
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%s: want %q, got %s", what, string(want), describeToken(tok))
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, got %s", describeToken(tok))
	}
	return key, nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return strconv.Quote(string(v))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// fieldError puts the JSON path in front of a decoding error, so that
// "organizations[12]: field users.login_date: …" says where the payload went
// wrong.
func fieldError(path string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: field %s: cannot use %s", path, te.Field, te.Value)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// The wire types mirror the vendor's JSON. They exist only while decoding;
// the rest of the bot sees Snapshot. A field not listed here, such as a
// child org's api_key, is skipped by the decoder and never held in memory
// past the read buffer.
type wireReseller struct {
	ID                  looseInt    `json:"id"`
	Name                looseString `json:"name"`
	ConcurrentCallLimit looseInt    `json:"concurrent_call_limit"`
}

type wireOrg struct {
	ID                  looseInt    `json:"id"`
	Name                looseString `json:"name"`
	CostPerMin          looseFloat  `json:"cost_per_min"`
	Balance             looseFloat  `json:"org_balance"`
	BalanceCurrency     looseString `json:"reseller_org_balance_currency_symbol"`
	UserCurrency        looseString `json:"org_user_currency_symbol"`
	ConcurrentCallLimit looseInt    `json:"concurrent_call_limit"`
	Timezone            looseString `json:"timezone"`
	Created             looseTime   `json:"created_date"`
	Users               []*wireUser `json:"users"`
}

type wireUser struct {
	ID          looseInt    `json:"id"`
	Name        looseString `json:"name"`
	Email       looseString `json:"email"`
	Phone       looseString `json:"phone"`
	LoginDate   looseTime   `json:"login_date"`
	IsActive    looseBool   `json:"is_active"`
	ExpiryDate  looseTime   `json:"expiry_date"`
	AccessLevel looseString `json:"access_level"`
	Menus       Flags       `json:"dashboard_menu_access"`
}

func (w *wireOrg) org() (Org, error) {
	if w == nil {
		return Org{}, errors.New("want an object, got null")
	}
	currency := string(w.BalanceCurrency)
	if currency == "" {
		currency = string(w.UserCurrency)
	}
	o := Org{
		ID:                  int64(w.ID),
		Name:                string(w.Name),
		CostPerMin:          float64(w.CostPerMin),
		Balance:             float64(w.Balance),
		Currency:            currency,
		ConcurrentCallLimit: int(w.ConcurrentCallLimit),
		Timezone:            string(w.Timezone),
		Created:             time.Time(w.Created),
	}
	if len(w.Users) > 0 {
		o.Users = make([]User, len(w.Users))
		for i, u := range w.Users {
			if u == nil {
				return Org{}, fmt.Errorf("users[%d]: want an object, got null", i)
			}
			o.Users[i] = User{
				ID:          int64(u.ID),
				Name:        string(u.Name),
				Email:       string(u.Email),
				Phone:       string(u.Phone),
				LastLogin:   time.Time(u.LoginDate),
				Active:      bool(u.IsActive),
				Expiry:      time.Time(u.ExpiryDate),
				AccessLevel: string(u.AccessLevel),
				Menus:       u.Menus,
			}
		}
	}
	return o, nil
}

// scopeFlags are the reseller's flags and whether the payload held them as
// an object (not null, not absent).
type scopeFlags struct {
	Flags
	has bool
}

func (s *scopeFlags) UnmarshalJSON(b []byte) error {
	s.has = b[0] == '{'
	return s.Flags.UnmarshalJSON(b)
}

// skip discards a value of any type.
type skip struct{}

func (*skip) UnmarshalJSON([]byte) error { return nil }

// typeError reports a JSON value of the wrong kind for the Go type of v, in
// the form encoding/json completes with the field's path.
func typeError(b []byte, v any) error {
	what := "value"
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
		what = "number " + trim(string(b), 24)
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

// looseString accepts a string, null or false (both meaning "none"), or a
// number or true (kept as their text).
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case '"':
		v, err := unquote(b)
		*s = looseString(v)
		return err
	case 'n', 'f':
		*s = ""
		return nil
	case '{', '[':
		return typeError(b, *s)
	}
	*s = looseString(b)
	return nil
}

// looseBool accepts true, false, null, 0 or 1, and those as strings.
type looseBool bool

func (v *looseBool) UnmarshalJSON(b []byte) error {
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

// looseInt accepts an integer, an integral float, a numeric string or null.
type looseInt int64

func (v *looseInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if b[0] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "null" || s == "" {
		*v = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v = looseInt(n)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return typeError(b, *v)
	}
	*v = looseInt(f)
	return nil
}

// looseFloat accepts a number, a numeric string (as Django REST framework
// sends decimals) or null.
type looseFloat float64

func (v *looseFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if b[0] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "null" || s == "" {
		*v = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return typeError(b, *v)
	}
	*v = looseFloat(f)
	return nil
}

// looseTime accepts null, false, "" and timestamps with or without a zone;
// one without a zone is read as UTC. The result is always in UTC.
type looseTime time.Time

func (t *looseTime) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n', 'f':
		*t = looseTime{}
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
		*t = looseTime{}
		return nil
	}
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			*t = looseTime(v.UTC())
			return nil
		}
	}
	return typeError(b, *t)
}

// UnmarshalJSON reads a dashboard_menu_access object: flag keys to booleans
// (or anything looseBool accepts). Flags that are false, null or absent are
// off. Values that are not scalars are an error.
func (f *Flags) UnmarshalJSON(b []byte) error {
	*f = Flags{}
	if b[0] == 'n' {
		return nil
	}
	if b[0] != '{' {
		return typeError(b, *f)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for k, v := range raw {
		var on looseBool
		if err := on.UnmarshalJSON(v); err != nil {
			return fmt.Errorf("dashboard_menu_access.%s: %w", k, err)
		}
		if on {
			f.Set(k, true)
		}
	}
	return nil
}
