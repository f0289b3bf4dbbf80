// Package decoders compares JSON decoders on the reseller payload: the
// hand-written streaming decoder that omni.Decode is, encoding/json (what
// omni used before), github.com/goccy/go-json, github.com/bytedance/sonic
// and, under GOEXPERIMENT=jsonv2, encoding/json/v2.
//
// It is a module of its own so that the libraries it compares never enter
// the bot's go.mod. Everything is in the benchmarks (go test -bench .);
// this file holds the types they decode into.
//
// Two shapes are decoded with each library:
//
//   - wire: the tolerant wire types omni used with encoding/json (phone
//     false or a string, dates without a zone, numbers as strings, …),
//     which need the library to call UnmarshalJSON methods, converted to an
//     omni.Snapshot. This gives the same Snapshot as omni.Decode, which the
//     tests check, so it is the fair comparison.
//   - plain: plain Go types the library decodes natively (any for the
//     fields whose JSON type varies, map[string]bool for the menus), with
//     no conversion. It is not equivalent (it tolerates nothing and keeps
//     strings as they come) and only shows the library's best case on this
//     payload.
package decoders

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

// Response is the whole body in wire types.
type Response struct {
	Success       LooseBool     `json:"success"`
	Reseller      WireReseller  `json:"reseller_organization"`
	Orgs          []WireOrg     `json:"organizations"`
	AccessControl AccessControl `json:"reseller_access_control"`
	TotalOrgs     LooseInt      `json:"total_organizations"`
	TotalUsers    LooseInt      `json:"total_users_across_orgs"`
}

type AccessControl struct {
	Menus Menus `json:"dashboard_menu_access"`
}

type WireReseller struct {
	ID                  LooseInt    `json:"id"`
	Name                LooseString `json:"name"`
	ConcurrentCallLimit LooseInt    `json:"concurrent_call_limit"`
}

type WireOrg struct {
	ID                  LooseInt    `json:"id"`
	Name                LooseString `json:"name"`
	CostPerMin          LooseFloat  `json:"cost_per_min"`
	Balance             LooseFloat  `json:"org_balance"`
	BalanceCurrency     LooseString `json:"reseller_org_balance_currency_symbol"`
	UserCurrency        LooseString `json:"org_user_currency_symbol"`
	ConcurrentCallLimit LooseInt    `json:"concurrent_call_limit"`
	Timezone            LooseString `json:"timezone"`
	Created             LooseTime   `json:"created_date"`
	Users               []WireUser  `json:"users"`
}

type WireUser struct {
	ID          LooseInt    `json:"id"`
	Name        LooseString `json:"name"`
	Email       LooseString `json:"email"`
	Phone       LooseString `json:"phone"`
	LoginDate   LooseTime   `json:"login_date"`
	IsActive    LooseBool   `json:"is_active"`
	ExpiryDate  LooseTime   `json:"expiry_date"`
	AccessLevel LooseString `json:"access_level"`
	Menus       Menus       `json:"dashboard_menu_access"`
}

// Menus is a dashboard_menu_access object, decoded by the library itself
// (a map of LooseBool) rather than by omni.Flags.UnmarshalJSON, which would
// call encoding/json whatever library is being measured.
type Menus map[string]LooseBool

// Snapshot converts the response as omni's decoder did, normalized.
func (r *Response) Snapshot() *omni.Snapshot {
	s := &omni.Snapshot{
		Reseller: omni.Reseller{ID: int64(r.Reseller.ID), Name: string(r.Reseller.Name),
			ConcurrentCallLimit: int(r.Reseller.ConcurrentCallLimit)},
		Scope:      r.AccessControl.Menus.flags(),
		TotalOrgs:  int(r.TotalOrgs),
		TotalUsers: int(r.TotalUsers),
	}
	if len(r.Orgs) > 0 {
		s.Orgs = make([]omni.Org, len(r.Orgs))
	}
	for i := range r.Orgs {
		w := &r.Orgs[i]
		currency := string(w.BalanceCurrency)
		if currency == "" {
			currency = string(w.UserCurrency)
		}
		o := omni.Org{ID: int64(w.ID), Name: string(w.Name), CostPerMin: float64(w.CostPerMin),
			Balance: float64(w.Balance), Currency: currency, ConcurrentCallLimit: int(w.ConcurrentCallLimit),
			Timezone: string(w.Timezone), Created: time.Time(w.Created)}
		if len(w.Users) > 0 {
			o.Users = make([]omni.User, len(w.Users))
			for j, u := range w.Users {
				o.Users[j] = omni.User{ID: int64(u.ID), Name: string(u.Name), Email: string(u.Email),
					Phone: string(u.Phone), LastLogin: time.Time(u.LoginDate), Active: bool(u.IsActive),
					Expiry: time.Time(u.ExpiryDate), AccessLevel: string(u.AccessLevel), Menus: u.Menus.flags()}
			}
		}
		s.Orgs[i] = o
	}
	s.Normalize()
	return s
}

func (m Menus) flags() omni.Flags {
	var f omni.Flags
	for k, on := range m {
		if on {
			f.Set(k, true)
		}
	}
	return f
}

// Equal reports whether two snapshots hold the same data, with a reason
// when they do not. Flags compare by their keys, since a decoder may build
// an empty extra list where another leaves it nil.
func Equal(a, b *omni.Snapshot) (bool, string) {
	if len(a.Orgs) != len(b.Orgs) || a.Reseller != b.Reseller || !a.Scope.Equal(b.Scope) ||
		a.TotalOrgs != b.TotalOrgs || a.TotalUsers != b.TotalUsers {
		return false, fmt.Sprintf("top level: %+v vs %+v", *a, *b)
	}
	for i := range a.Orgs {
		x, y := a.Orgs[i], b.Orgs[i]
		if len(x.Users) != len(y.Users) {
			return false, fmt.Sprintf("org %d: %d vs %d users", x.ID, len(x.Users), len(y.Users))
		}
		for j := range x.Users {
			u, v := x.Users[j], y.Users[j]
			if !u.Menus.Equal(v.Menus) {
				return false, fmt.Sprintf("org %d user %d: menus %v vs %v", x.ID, u.ID, u.Menus.Keys(), v.Menus.Keys())
			}
			u.Menus, v.Menus = omni.Flags{}, omni.Flags{}
			if !reflect.DeepEqual(u, v) {
				return false, fmt.Sprintf("org %d: user %+v vs %+v", x.ID, u, v)
			}
		}
		x.Users, y.Users = nil, nil
		if !reflect.DeepEqual(x, y) {
			return false, fmt.Sprintf("org %+v vs %+v", x, y)
		}
	}
	return true, ""
}

// The loose types are omni's wire types (omni/decode.go), exported so that
// every library can find their UnmarshalJSON methods.

func typeError(b []byte, v any) error {
	return &json.UnmarshalTypeError{Value: string(b[:min(len(b), 24)]), Type: reflect.TypeOf(v)}
}

func unquote(b []byte) (string, error) {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

type LooseString string

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

type LooseBool bool

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

type LooseInt int64

func (v *LooseInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if b[0] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "null" || s == "" {
		*v = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v = LooseInt(n)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return typeError(b, *v)
	}
	*v = LooseInt(f)
	return nil
}

type LooseFloat float64

func (v *LooseFloat) UnmarshalJSON(b []byte) error {
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
	*v = LooseFloat(f)
	return nil
}

type LooseTime time.Time

var timeLayouts = [...]string{
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02",
}

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
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			*t = LooseTime(v.UTC())
			return nil
		}
	}
	return typeError(b, *t)
}

// Plain is the body in plain Go types, for the libraries' best case.
type Plain struct {
	Success  bool `json:"success"`
	Reseller struct {
		ID                  int64  `json:"id"`
		Name                string `json:"name"`
		ConcurrentCallLimit int    `json:"concurrent_call_limit"`
	} `json:"reseller_organization"`
	Orgs          []PlainOrg `json:"organizations"`
	AccessControl struct {
		Menus map[string]bool `json:"dashboard_menu_access"`
	} `json:"reseller_access_control"`
	TotalOrgs  int `json:"total_organizations"`
	TotalUsers int `json:"total_users_across_orgs"`
}

type PlainOrg struct {
	ID                  int64       `json:"id"`
	Name                string      `json:"name"`
	CostPerMin          float64     `json:"cost_per_min"`
	Balance             float64     `json:"org_balance"`
	BalanceCurrency     string      `json:"reseller_org_balance_currency_symbol"`
	UserCurrency        string      `json:"org_user_currency_symbol"`
	ConcurrentCallLimit int         `json:"concurrent_call_limit"`
	Timezone            string      `json:"timezone"`
	Created             *string     `json:"created_date"`
	Users               []PlainUser `json:"users"`
}

type PlainUser struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Email       string          `json:"email"`
	Phone       any             `json:"phone"`
	LoginDate   *string         `json:"login_date"`
	IsActive    bool            `json:"is_active"`
	ExpiryDate  *string         `json:"expiry_date"`
	AccessLevel any             `json:"access_level"`
	Menus       map[string]bool `json:"dashboard_menu_access"`
}
