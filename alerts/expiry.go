package alerts

import (
	"cmp"
	"slices"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

// ExpiryRule says when a user's coming expiry is worth announcing.
type ExpiryRule struct {
	// Within opens an expiry episode for a user whose expiry_date falls
	// within this of the poll; zero is off.
	Within time.Duration
}

// Expiring is one user's open expiry episode.
type Expiring struct {
	Org  int64 `json:"org"`
	User int64 `json:"user"`
	// Expires is the expiry date that was announced.
	Expires time.Time `json:"expires"`
	// Since is when the episode opened.
	Since time.Time `json:"since"`
}

// expiries opens and ends expiry episodes. Like low balance it is about
// state, not change, so it runs on the first poll too: a user already within
// the window when the bot starts is announced then, because nobody has been
// told yet. A user whose date has already passed when first seen is not
// announced: no episode was open, and "expired" with no warning before it is
// old news that /org shows.
//
// At most one message opens an episode and one ends it: a date moved within
// the window updates the state silently.
func (e *evaluation) expiries(cur *omni.Snapshot) {
	within := e.rules.Expiry.Within
	if within <= 0 {
		// Turning the rule off ends its episodes without news: nothing
		// about the users changed.
		e.state.Expiring = nil
		return
	}
	var open map[[2]int64]int
	if len(e.state.Expiring) > 0 {
		open = make(map[[2]int64]int, len(e.state.Expiring))
	}
	for i, x := range e.state.Expiring {
		open[[2]int64{x.Org, x.User}] = i
	}
	var next []Expiring
	seen := make([]bool, len(e.state.Expiring))
	for i := range cur.Orgs {
		org := &cur.Orgs[i]
		for j := range org.Users {
			u := &org.Users[j]
			idx, isOpen := open[[2]int64{org.ID, u.ID}]
			inWindow := !u.Expiry.IsZero() && !u.Expiry.After(e.now.Add(within))
			// Built only for news: this runs for every user on every poll.
			emit := func(k Kind, since time.Time) {
				e.emit(Event{Kind: k, Org: orgRef(org), User: userRef(u), Expires: u.Expiry, Since: since,
					Cause: cite(Threshold{Rule: RuleExpiryWithin, Duration: within})})
			}
			switch {
			case !isOpen:
				if inWindow && u.Expiry.After(e.now) {
					emit(AccessExpiring, e.now)
					next = append(next, Expiring{Org: org.ID, User: u.ID, Expires: u.Expiry, Since: e.now})
				}
			case inWindow && !u.Expiry.After(e.now):
				seen[idx] = true
				emit(AccessExpired, e.state.Expiring[idx].Since)
			case !inWindow:
				seen[idx] = true
				emit(AccessExtended, e.state.Expiring[idx].Since)
			default:
				seen[idx] = true
				x := e.state.Expiring[idx]
				x.Expires = u.Expiry
				next = append(next, x)
			}
		}
	}
	// Users and orgs that are gone take their episode with them (their
	// removal is announced by the diff), unless the org's removal is held.
	for i, x := range e.state.Expiring {
		if !seen[i] && cur.Org(x.Org) == nil && e.holds(x.Org) {
			next = append(next, x)
		}
	}
	slices.SortFunc(next, func(a, b Expiring) int {
		return cmp.Or(cmp.Compare(a.Org, b.Org), cmp.Compare(a.User, b.User))
	})
	e.state.Expiring = next
}
