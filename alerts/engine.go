package alerts

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

// Rules configure the engine. The zero value alerts on changes but never on
// balances; DefaultRules has the defaults of the configuration file.
type Rules struct {
	LowBalance LowBalanceRule
	// NewUser announces users that appear in an existing org (and those
	// that disappear).
	NewUser bool
	// PermissionChange announces changes of a user's menus, is_active and
	// access_level.
	PermissionChange bool
	// FailuresBeforeNotice is how many consecutive failed polls make an
	// outage worth announcing; below 1 it is 1.
	FailuresBeforeNotice int
	// MassRemovalShare holds back removal alerts when one poll removes more
	// than this share of the orgs, or of the users, seen before (0.5 = half);
	// one MassRemovalHeld event is sent instead and the next poll confirms
	// or discards the removals. Zero disables the guard.
	MassRemovalShare float64
	// Expiry announces users whose access expires soon.
	Expiry ExpiryRule
}

// LowBalanceRule says when an org's balance is low. A threshold of zero is
// off; with both off, balances are never announced.
type LowBalanceRule struct {
	// Below fires when the balance is under this amount, in the org's
	// currency.
	Below float64
	// RunwayBelow fires when balance / cost_per_min, as calling time, is
	// under this.
	RunwayBelow time.Duration
	// RepeatEvery reminds while the balance stays low; zero never reminds.
	RepeatEvery time.Duration
	// RecoverMargin is how far above the thresholds, as a fraction of them,
	// a balance must climb to count as recovered, so that an org hovering at
	// the threshold does not flap between low and recovered.
	RecoverMargin float64
	// BurnWithin fires when the balance, at the spend rate seen over
	// BurnWindow (see Spend), runs out within this; zero is off.
	BurnWithin time.Duration
	// BurnWindow is how much recent history the spend rate is taken over.
	BurnWindow time.Duration
}

// DefaultRules are the defaults of the configuration file.
func DefaultRules() Rules {
	return Rules{
		LowBalance: LowBalanceRule{
			Below:         50,
			RunwayBelow:   4 * time.Hour,
			RepeatEvery:   24 * time.Hour,
			RecoverMargin: 0.1,
			BurnWithin:    24 * time.Hour,
			BurnWindow:    24 * time.Hour,
		},
		NewUser:              true,
		PermissionChange:     true,
		FailuresBeforeNotice: 3,
		MassRemovalShare:     0.5,
		Expiry:               ExpiryRule{Within: 72 * time.Hour},
	}
}

// State is what the engine remembers between polls. Store it after every
// poll, in the same transaction as the events it came with, so that a
// restart neither repeats an alert nor forgets one.
type State struct {
	// Low holds the orgs whose low balance has been announced, by org ID.
	Low map[int64]LowState `json:"low,omitempty"`
	// Failures counts consecutive failed polls.
	Failures int `json:"failures,omitempty"`
	// FailingSince is when the current run of failures began.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// OutageAnnounced is true once the current outage has been announced.
	OutageAnnounced bool `json:"outage_announced,omitempty"`
	// Held are removal events kept back by the mass-removal guard, waiting
	// for the next poll to confirm or discard them.
	Held []Event `json:"held,omitempty"`
	// HeldFrom is when the last snapshot that still had the held orgs and
	// users was polled: the next poll compares them with that snapshot
	// (see Baseline), not with the partial one.
	HeldFrom time.Time `json:"held_from,omitzero"`
	// Expiring holds the users whose expiry episode is open, by org and
	// user ID.
	Expiring []Expiring `json:"expiring,omitempty"`
}

// LowState is one org's low-balance alert.
type LowState struct {
	// Since is when the balance was first seen low.
	Since time.Time `json:"since"`
	// LastSent is when it was last announced (first notice or reminder).
	LastSent time.Time `json:"last_sent"`
}

// Evaluate compares a successful poll's snapshot cur with the previous one,
// prev (nil on the first poll, which is a baseline: it yields low-balance
// events but no changes), and returns the events to announce and the state to
// store. It does not modify its arguments.
//
// Events come out ordered: reseller-wide events first, then by org ID, kind
// and user ID. The work is linear in the size of the snapshots; allocations
// are proportional to the changes, not to the input.
func Evaluate(prev, cur *omni.Snapshot, st State, rules Rules, now time.Time) ([]Event, State) {
	return EvaluateSpend(prev, cur, st, rules, now, nil)
}

// EvaluateSpend is Evaluate with each org's recent spend, which one snapshot
// cannot show and the burn-rate forecast (LowBalanceRule.BurnWithin) needs.
// An org missing from spend has no forecast.
func EvaluateSpend(prev, cur *omni.Snapshot, st State, rules Rules, now time.Time, spend map[int64]Spend) ([]Event, State) {
	e := evaluation{rules: rules, now: now, state: st, spend: spend}
	if st.Failures > 0 {
		e.recovered()
	}
	if prev != nil {
		e.diff(prev, cur)
	}
	e.lowBalances(cur)
	e.expiries(cur)
	e.sort()
	return e.events, e.state
}

// Failed records a failed poll and returns the outage notice when the run of
// failures reaches Rules.FailuresBeforeNotice. reason is the error to show;
// callers must make sure it holds no secret.
func Failed(st State, reason string, rules Rules, now time.Time) ([]Event, State) {
	if st.Failures == 0 {
		st.FailingSince = now
	}
	st.Failures++
	if st.OutageAnnounced || st.Failures < max(rules.FailuresBeforeNotice, 1) {
		return nil, st
	}
	st.OutageAnnounced = true
	return []Event{{
		Kind:   APIOutage,
		At:     now,
		Since:  st.FailingSince,
		Count:  st.Failures,
		Detail: reason,
		Cause:  cite(Threshold{Rule: RuleFailuresBeforeNotice, Number: float64(max(rules.FailuresBeforeNotice, 1))}),
	}}, st
}

type evaluation struct {
	rules  Rules
	now    time.Time
	state  State
	events []Event
	// lowCopied is set once state.Low is a private copy that may be written.
	lowCopied bool
	// spend is each org's recent spend, for the forecast.
	spend map[int64]Spend
}

func (e *evaluation) emit(ev Event) {
	if e.events == nil {
		// A poll with news has several items (a changed org alone often
		// yields three): skip the slice's first small doublings. Nothing is
		// allocated for a poll without news.
		e.events = make([]Event, 0, 24)
	}
	ev.At = e.now
	e.events = append(e.events, ev)
}

// recovered ends a run of failures, announcing the recovery if the outage
// was announced.
func (e *evaluation) recovered() {
	if e.state.OutageAnnounced {
		e.emit(Event{Kind: APIRecovered, Since: e.state.FailingSince, Count: e.state.Failures})
	}
	e.state.Failures = 0
	e.state.FailingSince = time.Time{}
	e.state.OutageAnnounced = false
}

func (e *evaluation) sort() {
	slices.SortStableFunc(e.events, func(a, b Event) int {
		// Reseller-wide events (no org) first.
		if c := cmp.Compare(a.Org.ID, b.Org.ID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Kind.rank(), b.Kind.rank()); c != 0 {
			return c
		}
		return cmp.Compare(userID(a), userID(b))
	})
}

func userID(e Event) int64 {
	if e.User == nil {
		return 0
	}
	return e.User.ID
}

// setLow and deleteLow copy the state's map before the first write, so the
// caller's State is never modified and an unchanged poll allocates nothing.
func (e *evaluation) setLow(id int64, ls LowState) {
	e.copyLow()
	if e.state.Low == nil {
		e.state.Low = make(map[int64]LowState)
	}
	e.state.Low[id] = ls
}

func (e *evaluation) deleteLow(id int64) {
	if _, ok := e.state.Low[id]; !ok {
		return
	}
	e.copyLow()
	delete(e.state.Low, id)
}

func (e *evaluation) copyLow() {
	if !e.lowCopied {
		e.state.Low = maps.Clone(e.state.Low)
		e.lowCopied = true
	}
}

// lowBalances fires, reminds and recovers low-balance alerts. It is about
// state, not change, so it runs on the first poll too.
func (e *evaluation) lowBalances(cur *omni.Snapshot) {
	r := e.rules.LowBalance
	// Forget orgs that are gone: their removal is announced by the diff.
	// Orgs whose removal is held may come back; keep what was announced.
	for id := range e.state.Low {
		if cur.Org(id) == nil && !e.holds(id) {
			e.deleteLow(id)
		}
	}
	if r.Below <= 0 && r.RunwayBelow <= 0 && r.BurnWithin <= 0 {
		return
	}
	for i := range cur.Orgs {
		org := &cur.Orgs[i]
		ls, firing := e.state.Low[org.ID]
		switch {
		case !firing:
			if rule := e.breach(org, 0); rule != ruleNone {
				e.setLow(org.ID, LowState{Since: e.now, LastSent: e.now})
				e.emit(Event{Kind: LowBalance, Org: orgRef(org), Figures: e.figures(org), Cause: cite(r.threshold(rule)), Since: e.now})
			}
		case e.breach(org, r.RecoverMargin) == ruleNone:
			e.deleteLow(org.ID)
			e.emit(Event{Kind: BalanceRecovered, Org: orgRef(org), Figures: e.figures(org), Since: ls.Since})
		case r.RepeatEvery > 0 && e.now.Sub(ls.LastSent) >= r.RepeatEvery:
			ls.LastSent = e.now
			e.setLow(org.ID, ls)
			e.emit(Event{Kind: LowBalance, Org: orgRef(org), Figures: e.figures(org), Cause: cite(r.threshold(e.breach(org, r.RecoverMargin)),
				Threshold{Rule: RuleLowBalanceRepeatEvery, Duration: r.RepeatEvery}),
				Reminder: true, Since: ls.Since})
		}
	}
}

// Breached reports whether an org's balance or runway is under the rule's
// thresholds now, without the recovery margin: the test /orgs low applies.
func (r LowBalanceRule) Breached(org *omni.Org) bool { return r.breach(org, 0) != ruleNone }

// breach says which threshold an org is under, with thresholds raised by
// margin (a fraction): ruleNone, ruleBelow or ruleRunway. It does not
// allocate: it runs for every org on every poll.
func (r LowBalanceRule) breach(org *omni.Org, margin float64) lowRule {
	if r.Below > 0 && org.Balance < r.Below+r.Below*margin {
		return ruleBelow
	}
	if r.RunwayBelow > 0 {
		runway, limited := org.Runway()
		if limited && float64(runway) < float64(r.RunwayBelow)+float64(r.RunwayBelow)*margin {
			return ruleRunway
		}
	}
	return ruleNone
}

type lowRule int

const (
	ruleNone lowRule = iota
	ruleBelow
	ruleRunway
)

// threshold is the setting of the threshold an org is under.
func (r LowBalanceRule) threshold(rule lowRule) Threshold {
	if rule == ruleBurn {
		return Threshold{Rule: RuleLowBalanceBurnWithin, Duration: r.BurnWithin}
	}
	if rule == ruleRunway {
		return Threshold{Rule: RuleLowBalanceRunwayBelow, Duration: r.RunwayBelow}
	}
	return Threshold{Rule: RuleLowBalanceBelow, Number: r.Below}
}

func cite(thresholds ...Threshold) *Cause { return &Cause{Thresholds: thresholds} }

func orgRef(o *omni.Org) OrgRef { return OrgRef{ID: o.ID, Name: o.Name, Currency: o.Currency} }

func userRef(u *omni.User) *UserRef { return &UserRef{ID: u.ID, Name: u.Name, Email: u.Email} }

func figures(o *omni.Org) *Figures {
	runway, limited := o.Runway()
	return &Figures{
		Balance:             o.Balance,
		CostPerMin:          o.CostPerMin,
		Runway:              runway,
		RunwayLimited:       limited,
		ConcurrentCallLimit: o.ConcurrentCallLimit,
		Users:               len(o.Users),
	}
}

// diff announces what changed between two successful polls.
func (e *evaluation) diff(prev, cur *omni.Snapshot) {
	// A payload without the reseller's access control says nothing about
	// it; only two that both carry it can show a change.
	if prev.HasScope && cur.HasScope {
		if changes := flagChanges(prev.Scope, cur.Scope); len(changes) > 0 {
			e.emit(Event{Kind: ScopeChanged, Changes: changes})
		}
	}
	held := e.takeHeld(cur)

	var removals []Event
	removedUsers := 0
	i, j := 0, 0
	for i < len(prev.Orgs) || j < len(cur.Orgs) {
		switch {
		case j >= len(cur.Orgs) || (i < len(prev.Orgs) && prev.Orgs[i].ID < cur.Orgs[j].ID):
			o := &prev.Orgs[i]
			// A held removal still gone was announced by takeHeld.
			if !held.org(o.ID) {
				removals = append(removals, Event{Kind: OrgRemoved, Org: orgRef(o), Figures: figures(o)})
			}
			i++
		case i >= len(prev.Orgs) || cur.Orgs[j].ID < prev.Orgs[i].ID:
			o := &cur.Orgs[j]
			if !held.org(o.ID) {
				e.emit(Event{Kind: OrgAdded, Org: orgRef(o), Figures: figures(o), Users: userRefs(o.Users)})
			}
			j++
		default:
			removedUsers += e.diffOrg(&prev.Orgs[i], &cur.Orgs[j], held, &removals)
			i++
			j++
		}
	}
	e.guardRemovals(removals, prev, removedUsers)
}

// diffOrg compares one org across two polls, emitting changes and collecting
// user removals. It returns the number of users removed.
func (e *evaluation) diffOrg(p, c *omni.Org, held heldSet, removals *[]Event) (removed int) {
	var limits []Change
	if p.CostPerMin != c.CostPerMin {
		limits = append(limits, Change{Field: FieldCostPerMin,
			Old: strconv.FormatFloat(p.CostPerMin, 'f', -1, 64), New: strconv.FormatFloat(c.CostPerMin, 'f', -1, 64)})
	}
	if p.ConcurrentCallLimit != c.ConcurrentCallLimit {
		limits = append(limits, Change{Field: FieldConcurrency,
			Old: strconv.Itoa(p.ConcurrentCallLimit), New: strconv.Itoa(c.ConcurrentCallLimit)})
	}
	if len(limits) > 0 {
		e.emit(Event{Kind: LimitsChanged, Org: orgRef(c), Figures: figures(c), Changes: limits})
	}

	i, j := 0, 0
	for i < len(p.Users) || j < len(c.Users) {
		switch {
		case j >= len(c.Users) || (i < len(p.Users) && p.Users[i].ID < c.Users[j].ID):
			// A held removal still gone was announced by takeHeld.
			if !held.user(c.ID, p.Users[i].ID) {
				if e.rules.NewUser {
					*removals = append(*removals, Event{Kind: UserRemoved, Org: orgRef(c), User: userRef(&p.Users[i])})
				}
				removed++
			}
			i++
		case i >= len(p.Users) || c.Users[j].ID < p.Users[i].ID:
			if e.rules.NewUser && !held.user(c.ID, c.Users[j].ID) {
				u := &c.Users[j]
				e.emit(Event{Kind: NewUser, Org: orgRef(c), User: userRef(u), Figures: figures(c),
					Changes: flagChanges(omni.Flags{}, u.Menus)})
			}
			j++
		default:
			if e.rules.PermissionChange {
				if changes := userChanges(&p.Users[i], &c.Users[j]); len(changes) > 0 {
					e.emit(Event{Kind: PermissionChange, Org: orgRef(c), User: userRef(&c.Users[j]), Changes: changes})
				}
			}
			i++
			j++
		}
	}
	return removed
}

// userChanges lists a user's permission changes: menus, is_active and
// access_level. It allocates only when something changed.
func userChanges(p, c *omni.User) []Change {
	if p.Active == c.Active && p.AccessLevel == c.AccessLevel && p.Menus.Equal(c.Menus) {
		return nil
	}
	var changes []Change
	if p.Active != c.Active {
		changes = append(changes, Change{Field: FieldActive, Old: onOff(p.Active), New: onOff(c.Active)})
	}
	if p.AccessLevel != c.AccessLevel {
		changes = append(changes, Change{Field: FieldAccessLevel, Old: p.AccessLevel, New: c.AccessLevel})
	}
	return append(changes, flagChanges(p.Menus, c.Menus)...)
}

func flagChanges(p, c omni.Flags) []Change {
	keys := p.Changed(c)
	if len(keys) == 0 {
		return nil
	}
	changes := make([]Change, len(keys))
	for i, k := range keys {
		changes[i] = Change{Field: k, Old: onOff(p.Has(k)), New: onOff(c.Has(k))}
	}
	return changes
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func userRefs(users []omni.User) []UserRef {
	if len(users) == 0 {
		return nil
	}
	refs := make([]UserRef, len(users))
	for i := range users {
		refs[i] = *userRef(&users[i])
	}
	return refs
}

// heldSet is, for the poll after a mass removal was held, the orgs and
// users whose removal was held. takeHeld settles each of them, so the diff
// must not: one that is "added" now came back (its return is not news), and
// one missing from prev's comparison is announced by takeHeld, not again.
// When the caller restored them with Baseline, the diff compares them with
// their last state instead, and announces what changed during the gap.
type heldSet struct {
	orgs  map[int64]bool
	users map[[2]int64]bool
}

func (h heldSet) org(id int64) bool         { return h.orgs[id] }
func (h heldSet) user(org, user int64) bool { return h.users[[2]int64{org, user}] }

// takeHeld settles removals held by the previous poll: those still gone are
// announced now, those back are dropped. It returns what was held.
func (e *evaluation) takeHeld(cur *omni.Snapshot) heldSet {
	if len(e.state.Held) == 0 {
		return heldSet{}
	}
	held := heldSet{orgs: map[int64]bool{}, users: map[[2]int64]bool{}}
	for _, ev := range e.state.Held {
		org := cur.Org(ev.Org.ID)
		switch {
		case ev.Kind == OrgRemoved:
			held.orgs[ev.Org.ID] = true
			if org == nil {
				e.emit(ev)
			}
		case ev.Kind == UserRemoved:
			held.users[[2]int64{ev.Org.ID, ev.User.ID}] = true
			if org == nil || org.User(ev.User.ID) == nil {
				e.emit(ev)
			}
		}
	}
	e.state.Held, e.state.HeldFrom = nil, time.Time{}
	return held
}

// holds reports whether the removal of an org is held.
func (e *evaluation) holds(orgID int64) bool {
	for _, ev := range e.state.Held {
		if ev.Kind == OrgRemoved && ev.Org.ID == orgID {
			return true
		}
	}
	return false
}

// guardRemovals announces removals, unless there are so many that the
// vendor more likely sent a partial answer: then it holds them for the next
// poll and announces that instead.
func (e *evaluation) guardRemovals(removals []Event, prev *omni.Snapshot, removedUsers int) {
	if len(removals) == 0 {
		return
	}
	prevOrgs, prevUsers := len(prev.Orgs), prev.UserCount()
	removedOrgs := 0
	for _, ev := range removals {
		if ev.Kind == OrgRemoved {
			removedOrgs++
			// An org's users go with it: count them against the users too.
			removedUsers += ev.Figures.Users
		}
	}
	share := e.rules.MassRemovalShare
	tooMany := func(removed, of int) bool { return of > 0 && float64(removed) > share*float64(of) }
	if share <= 0 || (!tooMany(removedOrgs, prevOrgs) && !tooMany(removedUsers, prevUsers)) {
		for _, ev := range removals {
			e.emit(ev)
		}
		return
	}
	e.state.Held, e.state.HeldFrom = make([]Event, len(removals)), prev.PolledAt
	for i, ev := range removals {
		ev.At = e.now
		e.state.Held[i] = ev
	}
	e.emit(Event{
		Kind:  MassRemovalHeld,
		Count: len(removals),
		Detail: fmt.Sprintf("%d of %d orgs and %d of %d users disappeared in one poll",
			removedOrgs, prevOrgs, removedUsers, prevUsers),
		Cause: cite(Threshold{Rule: RuleMassRemovalShare, Number: share}),
	})
}
