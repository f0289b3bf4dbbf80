package alerts

import (
	"slices"
	"time"
)

// Kind names one kind of alert. Its value is stable: it is stored in the
// outbox and shown in rule references.
type Kind string

// The kinds of alert, in the order they are listed within one org.
const (
	OrgAdded         Kind = "org_added"
	OrgRemoved       Kind = "org_removed"
	LowBalance       Kind = "low_balance"
	BalanceRecovered Kind = "balance_recovered"
	LimitsChanged    Kind = "limits_changed"
	NewUser          Kind = "new_user"
	UserRemoved      Kind = "user_removed"
	PermissionChange Kind = "permission_change"
	ScopeChanged     Kind = "scope_changed"
	// MassRemovalHeld says removals were held back because one poll removed
	// more than Rules.MassRemovalShare of the orgs or users.
	MassRemovalHeld Kind = "mass_removal_held"
	// AccessExpiring opens an expiry episode: a user's expiry_date falls
	// within ExpiryRule.Within. AccessExpired and AccessExtended end it: the
	// date passed, or moved out of the window (or was cleared).
	AccessExpiring Kind = "access_expiring"
	AccessExpired  Kind = "access_expired"
	AccessExtended Kind = "access_extended"
	// APIOutage and APIRecovered are about the poller, not about an org.
	APIOutage    Kind = "api_outage"
	APIRecovered Kind = "api_recovered"
)

// kindOrder is every kind in display order.
var kindOrder = [...]Kind{APIOutage, APIRecovered, MassRemovalHeld, ScopeChanged, OrgAdded, OrgRemoved, LowBalance,
	BalanceRecovered, LimitsChanged, NewUser, UserRemoved, PermissionChange, AccessExpiring, AccessExpired, AccessExtended}

// Kinds lists every kind in display order.
func Kinds() []Kind { return slices.Clone(kindOrder[:]) }

// rank orders kinds within one org and across the reseller. It does not
// allocate: it runs for every comparison when a burst is sorted.
func (k Kind) rank() int {
	for i := range kindOrder {
		if kindOrder[i] == k {
			return i
		}
	}
	return len(kindOrder)
}

// Event is one thing to tell support staff. It carries every figure its
// message needs, so it can be rendered long after the snapshot it came from
// is gone (events wait in the outbox while Slack is unreachable).
type Event struct {
	Kind Kind `json:"kind"`
	// At is the time of the poll that produced the event.
	At time.Time `json:"at"`
	// Org is the org concerned; zero for reseller-wide events.
	Org OrgRef `json:"org,omitzero"`
	// User is the user concerned, for user events.
	User *UserRef `json:"user,omitempty"`
	// Figures are the org's figures at the time of the event (for removals,
	// the last figures seen).
	Figures *Figures `json:"figures,omitempty"`
	// Changes lists what changed, for permission, limit and scope changes.
	Changes []Change `json:"changes,omitempty"`
	// Users lists an added org's users.
	Users []UserRef `json:"users,omitempty"`
	// Cause is the configured rules that fired the event; nil for news that
	// no setting decides (an org added, a new user). A pointer keeps Event
	// small: a burst holds thousands of them.
	Cause *Cause `json:"rule,omitempty"`
	// Reminder is true for a repeated low-balance notice.
	Reminder bool `json:"reminder,omitempty"`
	// Since is when the condition began: low balance, or the outage.
	Since time.Time `json:"since,omitzero"`
	// Detail is free text: the API error of an outage, or the scale of a
	// held mass removal.
	Detail string `json:"detail,omitempty"`
	// Count is a number that qualifies the event: failed polls for an
	// outage, removals held for a mass removal.
	Count int `json:"count,omitempty"`
	// Expires is the user's expiry date, for expiry events; zero when it
	// was cleared.
	Expires time.Time `json:"expires,omitzero"`
}

// OrgRef names an org.
type OrgRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Currency is the org's currency symbol, for rendering money.
	Currency string `json:"currency,omitempty"`
}

// UserRef names a user.
type UserRef struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// Figures are the numbers support staff weigh when an org is low.
type Figures struct {
	Balance    float64 `json:"balance"`
	CostPerMin float64 `json:"cost_per_min"`
	// Runway is balance / cost_per_min as calling time; meaningful only
	// when RunwayLimited (a zero cost never runs out).
	Runway              time.Duration `json:"runway"`
	RunwayLimited       bool          `json:"runway_limited"`
	ConcurrentCallLimit int           `json:"concurrent_call_limit"`
	Users               int           `json:"users"`
	// Pace is how long the balance lasts at the spend rate seen over
	// PaceWindow of history; zero when unknown or when nothing was spent.
	Pace       time.Duration `json:"pace,omitempty"`
	PaceWindow time.Duration `json:"pace_window,omitempty"`
}

// Change is one field that changed. Field is the vendor's key: a menu flag,
// "is_active", "access_level", "cost_per_min" or "concurrent_call_limit".
// Old and New are the values as text: "on"/"off" for flags and is_active,
// the value itself otherwise ("" for no access level).
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// The fields a Change can name besides menu flags.
const (
	FieldActive      = "is_active"
	FieldAccessLevel = "access_level"
	FieldCostPerMin  = "cost_per_min"
	FieldConcurrency = "concurrent_call_limit"
)
