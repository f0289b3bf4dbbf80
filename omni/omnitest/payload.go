package omnitest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// fixtureJSON is the vendor's example response, the ground truth for the
// payload shape. It is embedded so the package never reads files at run time.
//
//go:embed testdata/organizations.json
var fixtureJSON []byte

// Payload is the whole response body of GET /reseller/organizations. Field
// names and json tags mirror the vendor's JSON; *Payload has its own
// MarshalJSON and UnmarshalJSON, so the tags are documentation (pass a
// pointer to encoding/json).
//
// "total_organizations" and "total_users_across_orgs" are not stored: they
// are computed from Orgs when encoding, so they can never disagree with the
// data unless a test overrides them through Extra.
type Payload struct {
	// Success is the vendor's "success" flag; false with HTTP 200 is how some
	// of its endpoints report failure.
	Success bool `json:"success"`
	// Reseller is the organization that owns the API key.
	Reseller Reseller `json:"reseller_organization"`
	// Orgs are the reseller's child organizations, in the order served.
	Orgs []Org `json:"organizations"`
	// ResellerMenus is "reseller_access_control": {"dashboard_menu_access":
	// {...}}, the menus the reseller may grant to its users.
	ResellerMenus map[string]bool `json:"-"`
	// Extra holds top-level fields to emit besides the known ones, sorted by
	// key after them: vendor additions. See Org.Extra for overrides.
	Extra map[string]any `json:"-"`
}

// Reseller is "reseller_organization", the account that owns the API key.
type Reseller struct {
	ID                  int64  `json:"id"`
	Name                string `json:"name"`
	ConcurrentCallLimit int    `json:"concurrent_call_limit"`
	// Extra holds fields to emit besides the known ones; see Org.Extra.
	Extra map[string]any `json:"-"`
}

// Org is one child organization in "organizations". Its "total_users" is
// computed from len(Users) when encoding.
type Org struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	CostPerMin float64 `json:"cost_per_min"`
	// Balance is "org_balance", the prepaid balance; it may be zero or
	// negative.
	Balance float64 `json:"org_balance"`
	// CurrencySymbol is "reseller_org_balance_currency_symbol".
	CurrencySymbol string `json:"reseller_org_balance_currency_symbol"`
	// ConcurrentCallLimit is "concurrent_call_limit".
	ConcurrentCallLimit int `json:"concurrent_call_limit"`
	// UserCurrencySymbol is "org_user_currency_symbol".
	UserCurrencySymbol string `json:"org_user_currency_symbol"`
	Timezone           string `json:"timezone"`
	// CreatedDate is the raw zone-less timestamp text, such as
	// "2025-10-09T10:20:58.220633"; "" is sent as null.
	CreatedDate string `json:"created_date"`
	// APIKey is the child org's plaintext "api_key", which the vendor
	// sometimes includes; it is omitted when "". A client must never keep
	// it, which is what serving one tests.
	APIKey string `json:"api_key,omitempty"`
	// Users are the org's users; "total_users" is len(Users).
	Users []User `json:"users"`
	// Extra holds fields to emit besides the known ones, sorted by key after
	// them: vendor additions. A key naming a known field ("org_balance",
	// "total_users", ...) replaces that field's value in place instead, so a
	// test can inject a wrong type or a null; the value Omitted{} drops the
	// field altogether. Values are encoded like encoding/json would, with
	// json.Number and json.RawMessage emitted verbatim.
	Extra map[string]any `json:"-"`
}

// User is one user of a child organization.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Phone is sent as false when "" (the vendor's way of saying "none"),
	// else as the string.
	Phone string `json:"phone"`
	// LoginDate is the raw zone-less timestamp of the last login; "" is sent
	// as null (never logged in).
	LoginDate string `json:"login_date"`
	IsActive  bool   `json:"is_active"`
	// ExpiryDate is the raw zone-less expiry timestamp; "" is sent as null.
	ExpiryDate string `json:"expiry_date"`
	// AccessLevel is sent as false when nil; otherwise as is: a string, a
	// number (any Go numeric type or json.Number) or true. Decoding yields
	// nil, a string, a json.Number or true.
	AccessLevel any `json:"access_level"`
	// Menus is "dashboard_menu_access". Keys are emitted in the vendor's
	// order (see KnownFlags), then unknown keys sorted; absent keys are not
	// emitted, which a client must read as "off".
	Menus map[string]bool `json:"dashboard_menu_access"`
	// Extra holds fields to emit besides the known ones; see Org.Extra.
	Extra map[string]any `json:"-"`
}

// Omitted, as a value in an Extra map under a known field's key, drops that
// field from the encoded object, to test a client against a vendor that
// stops sending it.
type Omitted struct{}

// The 17 dashboard menu flags the vendor is known to send, in its order:
// the 16 of the example response, then FlagOmniCRM, which newer accounts
// have. Tests use them with SetFlag and SetResellerFlag.
const (
	FlagBots                   = "is_bots_menu_access"
	FlagLeads                  = "is_leads_access"
	FlagVoiceCloning           = "is_voice_cloning_access"
	FlagWorkflow               = "is_workflow_access"
	FlagASREvaluation          = "is_asr_evaluation_menu_access"
	FlagTrainWithCallRecording = "is_train_with_call_recording_menu_access"
	FlagCallLogs               = "is_call_logs_menu_access"
	FlagCallSimulation         = "is_call_simulation_menu_access"
	FlagMonitorLiveCall        = "access_to_monitor_live_call"
	FlagWhatsAppFlow           = "is_whatsapp_flow_enabled"
	FlagBilling                = "is_billing_menu_access"
	FlagKnowledgeBase          = "is_knowledge_base_access"
	FlagIntegration            = "is_integration_access"
	FlagPhoneNumber            = "is_phone_number_access"
	FlagBulkCall               = "is_bulk_call_access"
	FlagAnalytics              = "is_analytics_access"
	FlagOmniCRM                = "is_omni_crm_access"
)

// numFlags is the number of known menu flags.
const numFlags = 17

// flagName returns the i-th known flag in the vendor's order. A switch
// rather than a package-level slice keeps the package free of mutable state.
func flagName(i int) string {
	switch i {
	case 0:
		return FlagBots
	case 1:
		return FlagLeads
	case 2:
		return FlagVoiceCloning
	case 3:
		return FlagWorkflow
	case 4:
		return FlagASREvaluation
	case 5:
		return FlagTrainWithCallRecording
	case 6:
		return FlagCallLogs
	case 7:
		return FlagCallSimulation
	case 8:
		return FlagMonitorLiveCall
	case 9:
		return FlagWhatsAppFlow
	case 10:
		return FlagBilling
	case 11:
		return FlagKnowledgeBase
	case 12:
		return FlagIntegration
	case 13:
		return FlagPhoneNumber
	case 14:
		return FlagBulkCall
	case 15:
		return FlagAnalytics
	case 16:
		return FlagOmniCRM
	}
	return ""
}

// isKnownFlag reports whether key is one of the 17 known menu flags.
func isKnownFlag(key string) bool {
	switch key {
	case FlagBots, FlagLeads, FlagVoiceCloning, FlagWorkflow, FlagASREvaluation,
		FlagTrainWithCallRecording, FlagCallLogs, FlagCallSimulation,
		FlagMonitorLiveCall, FlagWhatsAppFlow, FlagBilling, FlagKnowledgeBase,
		FlagIntegration, FlagPhoneNumber, FlagBulkCall, FlagAnalytics, FlagOmniCRM:
		return true
	}
	return false
}

// KnownFlags returns the 17 known menu flags in the vendor's order, a fresh
// slice each call, so tests can build full menus without repeating the list.
func KnownFlags() []string {
	flags := make([]string, numFlags)
	for i := range flags {
		flags[i] = flagName(i)
	}
	return flags
}

// AllFlags returns a menu map with every known flag set to on, the usual
// reseller access control.
func AllFlags(on bool) map[string]bool {
	m := make(map[string]bool, numFlags)
	for i := 0; i < numFlags; i++ {
		m[flagName(i)] = on
	}
	return m
}

// Fixture returns the vendor's example response, decoded from the embedded
// testdata/organizations.json: a fresh deep copy each call, so callers may
// mutate it freely.
func Fixture() *Payload {
	p := new(Payload)
	if err := json.Unmarshal(fixtureJSON, p); err != nil {
		// The fixture is embedded and covered by tests; failing here means
		// the file was edited into something that is not a payload.
		panic(fmt.Sprintf("omnitest: embedded fixture does not decode: %v", err))
	}
	return p
}

// FixtureJSON returns the raw bytes of the vendor's example response (a
// copy), for tests that compare against what the vendor documents.
func FixtureJSON() []byte {
	return append([]byte(nil), fixtureJSON...)
}

// Clone returns a deep copy of p: no slice, map or Extra value is shared, so
// the copy can be mutated while p is being served.
func (p *Payload) Clone() *Payload {
	if p == nil {
		return nil
	}
	c := &Payload{
		Success:       p.Success,
		Reseller:      p.Reseller.Clone(),
		ResellerMenus: maps.Clone(p.ResellerMenus),
		Extra:         cloneExtra(p.Extra),
	}
	if p.Orgs != nil {
		c.Orgs = make([]Org, len(p.Orgs))
		for i := range p.Orgs {
			c.Orgs[i] = p.Orgs[i].Clone()
		}
	}
	return c
}

// Clone returns a deep copy of r.
func (r Reseller) Clone() Reseller {
	r.Extra = cloneExtra(r.Extra)
	return r
}

// Clone returns a deep copy of o, users included.
func (o Org) Clone() Org {
	o.Extra = cloneExtra(o.Extra)
	if o.Users != nil {
		users := make([]User, len(o.Users))
		for i := range o.Users {
			users[i] = o.Users[i].Clone()
		}
		o.Users = users
	}
	return o
}

// Clone returns a deep copy of u.
func (u User) Clone() User {
	u.Menus = maps.Clone(u.Menus)
	u.Extra = cloneExtra(u.Extra)
	u.AccessLevel = cloneAny(u.AccessLevel)
	return u
}

// cloneExtra deep-copies an Extra map.
func cloneExtra(m map[string]any) map[string]any {
	c := maps.Clone(m)
	for k, v := range c {
		c[k] = cloneAny(v)
	}
	return c
}

// cloneAny deep-copies the JSON-shaped values found in Extra maps; other
// values are copied as they are. A nil stays nil.
func cloneAny(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneExtra(v)
	case []any:
		c := slices.Clone(v)
		for i := range c {
			c[i] = cloneAny(c[i])
		}
		return c
	case json.RawMessage:
		return slices.Clone(v)
	case []byte:
		return slices.Clone(v)
	case map[string]bool:
		return maps.Clone(v)
	case []string:
		return slices.Clone(v)
	}
	return v
}

// org returns a pointer to the org with the given id, or nil.
func (p *Payload) org(id int64) *Org {
	for i := range p.Orgs {
		if p.Orgs[i].ID == id {
			return &p.Orgs[i]
		}
	}
	return nil
}

// user returns a pointer to the user with the given id, or nil.
func (o *Org) user(id int64) *User {
	for i := range o.Users {
		if o.Users[i].ID == id {
			return &o.Users[i]
		}
	}
	return nil
}

// UserCount is the number of users across all orgs, the value encoded as
// "total_users_across_orgs".
func (p *Payload) UserCount() int {
	n := 0
	for i := range p.Orgs {
		n += len(p.Orgs[i].Users)
	}
	return n
}
