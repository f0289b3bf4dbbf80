package omni

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Snapshot is the reseller's state as one successful poll saw it. Orgs are
// sorted by ID and unique, and each org's users are sorted by ID and unique,
// so two snapshots can be compared with a merge rather than with maps.
//
// A Snapshot never holds a credential: fields such as a child org's api_key
// are not decoded.
type Snapshot struct {
	// PolledAt is when the response was received (UTC).
	PolledAt time.Time
	Reseller Reseller
	Orgs     []Org
	// Scope is the reseller's own access control: the menus it may grant.
	Scope Flags
	// HasScope is false when the payload carried no reseller access
	// control, so Scope says nothing (rather than "no menus at all").
	HasScope bool
	// TotalOrgs and TotalUsers are the totals the vendor reported, which may
	// differ from len(Orgs) and the sum of users when the vendor is
	// inconsistent.
	TotalOrgs  int
	TotalUsers int
	// Duplicates counts orgs and users the payload listed more than once
	// (Normalize keeps the first); it is not stored.
	Duplicates int
}

// Reseller is the reseller organization that owns the API key.
type Reseller struct {
	ID                  int64
	Name                string
	ConcurrentCallLimit int
}

// Org is one child organization.
type Org struct {
	ID   int64
	Name string
	// CostPerMin is what a call minute costs the org, in its currency. Zero
	// means calls are free: the balance does not burn down.
	CostPerMin float64
	// Balance is the prepaid balance left, in Currency. It may be negative.
	Balance float64
	// Currency is the symbol of the balance's currency, such as "$".
	Currency            string
	ConcurrentCallLimit int
	Timezone            string
	// Created is the zero time when the vendor sent none.
	Created time.Time
	Users   []User
}

// User is one user of a child organization.
type User struct {
	ID    int64
	Name  string
	Email string
	// Phone is "" when the vendor sent false or null.
	Phone string
	// LastLogin is the zero time when the user never logged in.
	LastLogin time.Time
	Active    bool
	// Expiry is the zero time when access does not expire.
	Expiry time.Time
	// AccessLevel is "" when the vendor sent false or null; otherwise the
	// string or number it sent, as text.
	AccessLevel string
	// Menus are the dashboard menus switched on for the user.
	Menus Flags
}

// Runway is how long the balance lasts at CostPerMin if calls never stop: one
// concurrent call burning balance / cost_per_min minutes. It is zero for an
// empty or negative balance, and ok is false when calls are free
// (CostPerMin ≤ 0), where the balance never runs out.
func (o *Org) Runway() (runway time.Duration, ok bool) {
	if o.CostPerMin <= 0 || math.IsNaN(o.CostPerMin) {
		return 0, false
	}
	if o.Balance <= 0 {
		return 0, true
	}
	minutes := o.Balance / o.CostPerMin
	if minutes >= float64(math.MaxInt64/int64(time.Minute)) {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(minutes * float64(time.Minute)), true
}

// Org returns the org with the given id, or nil.
func (s *Snapshot) Org(id int64) *Org {
	i, ok := slices.BinarySearchFunc(s.Orgs, id, func(o Org, id int64) int { return cmp.Compare(o.ID, id) })
	if !ok {
		return nil
	}
	return &s.Orgs[i]
}

// User returns the user with the given id, or nil.
func (o *Org) User(id int64) *User {
	i, ok := slices.BinarySearchFunc(o.Users, id, func(u User, id int64) int { return cmp.Compare(u.ID, id) })
	if !ok {
		return nil
	}
	return &o.Users[i]
}

// UserCount is the number of users across all orgs.
func (s *Snapshot) UserCount() int {
	n := 0
	for i := range s.Orgs {
		n += len(s.Orgs[i].Users)
	}
	return n
}

// Normalize sorts orgs and users by ID and drops repeated IDs, keeping the
// first occurrence, so that the rest of the bot can rely on the order. It
// returns how many duplicates it dropped, which the caller should report:
// duplicates mean the vendor sent something inconsistent.
func (s *Snapshot) Normalize() (dropped int) {
	byID := func(a, b Org) int { return cmp.Compare(a.ID, b.ID) }
	slices.SortStableFunc(s.Orgs, byID)
	before := len(s.Orgs)
	s.Orgs = slices.CompactFunc(s.Orgs, func(a, b Org) bool { return a.ID == b.ID })
	dropped = before - len(s.Orgs)
	defer func() { s.Duplicates += dropped }()
	for i := range s.Orgs {
		users := s.Orgs[i].Users
		slices.SortStableFunc(users, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
		before := len(users)
		s.Orgs[i].Users = slices.CompactFunc(users, func(a, b User) bool { return a.ID == b.ID })
		dropped += before - len(s.Orgs[i].Users)
	}
	return dropped
}

// Clone returns a deep copy, for callers that change a snapshot they did not
// build (tests, simulations).
func (s *Snapshot) Clone() *Snapshot {
	c := *s
	c.Orgs = slices.Clone(s.Orgs)
	for i := range c.Orgs {
		c.Orgs[i].Users = slices.Clone(c.Orgs[i].Users)
	}
	return &c
}

// checkTotals refuses an answer that lists no orgs while its own total says
// there are some: a truncated or half-built list, not a reseller whose orgs
// all left.
func (s *Snapshot) checkTotals() error {
	if len(s.Orgs) == 0 && s.TotalOrgs > 0 {
		return fmt.Errorf("organizations is empty but total_organizations is %d", s.TotalOrgs)
	}
	return nil
}
