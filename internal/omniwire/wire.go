package omniwire

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

// The wire types mirror the vendor's JSON field for field. A field not
// listed, such as a child org's api_key, is skipped by the decoder.
//
// They are generic where the reference and the libraries part ways: how a
// user is held in an org's users (U: a User, or a *User, which tells a null
// user from an empty one, as omni.Decode must), and how a
// dashboard_menu_access object is (M, see Menus).

// Response is the whole body of GET /reseller/organizations.
type Response[U any, M Menus] struct {
	Success       LooseBool        `json:"success"`
	Reseller      Reseller         `json:"reseller_organization"`
	Orgs          []Org[U]         `json:"organizations"`
	AccessControl AccessControl[M] `json:"reseller_access_control"`
	TotalOrgs     LooseInt         `json:"total_organizations"`
	TotalUsers    LooseInt         `json:"total_users_across_orgs"`
}

// AccessControl is "reseller_access_control": the menus the reseller may
// grant.
type AccessControl[M Menus] struct {
	Menus M `json:"dashboard_menu_access"`
}

// Reseller is "reseller_organization", the account that owns the API key.
type Reseller struct {
	ID                  LooseInt    `json:"id"`
	Name                LooseString `json:"name"`
	ConcurrentCallLimit LooseInt    `json:"concurrent_call_limit"`
}

// Org is one element of "organizations"; U is User[M] or *User[M].
type Org[U any] struct {
	ID                  LooseInt    `json:"id"`
	Name                LooseString `json:"name"`
	CostPerMin          LooseFloat  `json:"cost_per_min"`
	Balance             LooseFloat  `json:"org_balance"`
	BalanceCurrency     LooseString `json:"reseller_org_balance_currency_symbol"`
	UserCurrency        LooseString `json:"org_user_currency_symbol"`
	ConcurrentCallLimit LooseInt    `json:"concurrent_call_limit"`
	Timezone            LooseString `json:"timezone"`
	Created             LooseTime   `json:"created_date"`
	Users               []U         `json:"users"`
}

// User is one element of an org's "users".
type User[M Menus] struct {
	ID          LooseInt    `json:"id"`
	Name        LooseString `json:"name"`
	Email       LooseString `json:"email"`
	Phone       LooseString `json:"phone"`
	LoginDate   LooseTime   `json:"login_date"`
	IsActive    LooseBool   `json:"is_active"`
	ExpiryDate  LooseTime   `json:"expiry_date"`
	AccessLevel LooseString `json:"access_level"`
	Menus       M           `json:"dashboard_menu_access"`
}

// User converts u.
func (u User[M]) User() omni.User {
	return omni.User{
		ID:          int64(u.ID),
		Name:        string(u.Name),
		Email:       string(u.Email),
		Phone:       string(u.Phone),
		LastLogin:   time.Time(u.LoginDate),
		Active:      bool(u.IsActive),
		Expiry:      time.Time(u.ExpiryDate),
		AccessLevel: string(u.AccessLevel),
		Menus:       u.Menus.Flags(),
	}
}

// present reports whether u is a user, not the nil a null left.
func (u *User[M]) present() bool { return u != nil }

// user is what a *User[M] is, whatever M.
type user interface {
	User() omni.User
	present() bool
}

// convert converts an element of Org.Users: a User, or a *User, which is
// nil (false) for a null user.
func convert[U any](u *U) (omni.User, bool) {
	if v, ok := any(u).(user); ok { // U is a User
		return v.User(), true
	}
	p := any(*u).(user) // U is a *User
	if !p.present() {
		return omni.User{}, false
	}
	return p.User(), true
}

// Menus is how a dashboard_menu_access object is held while decoding.
type Menus interface {
	// Flags returns the flags that are on.
	Flags() omni.Flags
	// Present reports whether the payload held the object (not null, not
	// absent).
	Present() bool
}

// MenuMap is a dashboard_menu_access object as a map any JSON library
// decodes by itself, for the benchmarks. Like any map, it merges a repeated
// key's objects into one.
type MenuMap map[string]LooseBool

// Flags implements Menus.
func (m MenuMap) Flags() omni.Flags {
	var f omni.Flags
	for k, on := range m {
		if on {
			f.Set(k, true)
		}
	}
	return f
}

// Present implements Menus.
func (m MenuMap) Present() bool { return m != nil }

// MenuFlags is a dashboard_menu_access object that a repeated key replaces
// whole, as omni.Decode reads it: the reference's. It decodes with
// encoding/json, whichever library calls it.
type MenuFlags struct {
	flags   omni.Flags
	present bool
}

// UnmarshalJSON reads null, or an object of flag keys to anything
// LooseBool accepts; flags that are false, null or absent are off.
func (f *MenuFlags) UnmarshalJSON(b []byte) error {
	*f = MenuFlags{present: b[0] == '{'}
	if b[0] == 'n' {
		return nil
	}
	var m MenuMap
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	f.flags = m.Flags()
	return nil
}

// Flags implements Menus.
func (f MenuFlags) Flags() omni.Flags { return f.flags }

// Present implements Menus.
func (f MenuFlags) Present() bool { return f.present }

// Snapshot converts the response as omni.Decode does, normalized. It does
// not look at Success or the totals' consistency: that is the caller's.
func (r *Response[U, M]) Snapshot() (*omni.Snapshot, error) {
	s := &omni.Snapshot{
		Reseller:   r.Reseller.Reseller(),
		Scope:      r.AccessControl.Menus.Flags(),
		HasScope:   r.AccessControl.Menus.Present(),
		TotalOrgs:  int(r.TotalOrgs),
		TotalUsers: int(r.TotalUsers),
	}
	if len(r.Orgs) > 0 {
		s.Orgs = make([]omni.Org, len(r.Orgs))
	}
	for i := range r.Orgs {
		o, err := r.Orgs[i].Org()
		if err != nil {
			return nil, fmt.Errorf("organizations[%d]: %w", i, err)
		}
		s.Orgs[i] = o
	}
	s.Normalize()
	return s, nil
}

// Reseller converts r.
func (r Reseller) Reseller() omni.Reseller {
	return omni.Reseller{ID: int64(r.ID), Name: string(r.Name), ConcurrentCallLimit: int(r.ConcurrentCallLimit)}
}

// Org converts o. A nil o (a null org) or a null user is an error, as for
// omni.Decode; a null user is told only when U is a *User.
func (o *Org[U]) Org() (omni.Org, error) {
	if o == nil {
		return omni.Org{}, errors.New("want an object, got null")
	}
	// The vendor names the currency twice; the balance's wins.
	currency := string(o.BalanceCurrency)
	if currency == "" {
		currency = string(o.UserCurrency)
	}
	org := omni.Org{
		ID:                  int64(o.ID),
		Name:                string(o.Name),
		CostPerMin:          float64(o.CostPerMin),
		Balance:             float64(o.Balance),
		Currency:            currency,
		ConcurrentCallLimit: int(o.ConcurrentCallLimit),
		Timezone:            string(o.Timezone),
		Created:             time.Time(o.Created),
	}
	if len(o.Users) > 0 {
		org.Users = make([]omni.User, len(o.Users))
	}
	for i := range o.Users {
		u, ok := convert(&o.Users[i])
		if !ok {
			return omni.Org{}, fmt.Errorf("users[%d]: want an object, got null", i)
		}
		org.Users[i] = u
	}
	return org, nil
}
