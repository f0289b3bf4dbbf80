package omni_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

func decodeString(t *testing.T, body string) *omni.Snapshot {
	t.Helper()
	snap, err := omni.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return snap
}

// payload wraps one org JSON object into a minimal valid response.
func payload(orgs ...string) string {
	return `{"success":true,"reseller_organization":{"id":1,"name":"R","concurrent_call_limit":3},"organizations":[` +
		strings.Join(orgs, ",") + `],"total_organizations":` + fmt.Sprint(len(orgs)) + `}`
}

// userOrg wraps one user JSON object into an org.
func userOrg(user string) string {
	return `{"id":10,"name":"Org","cost_per_min":0.1,"org_balance":5,"users":[` + user + `]}`
}

func TestDecodeFixture(t *testing.T) {
	f, err := os.Open("omnitest/testdata/organizations.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := omni.Decode(f)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if snap.Reseller != (omni.Reseller{ID: 5678, Name: "Demo Reseller", ConcurrentCallLimit: 10}) {
		t.Errorf("Reseller = %+v", snap.Reseller)
	}
	if snap.TotalOrgs != 2 || snap.TotalUsers != 2 || len(snap.Orgs) != 2 {
		t.Fatalf("totals %d/%d, %d orgs", snap.TotalOrgs, snap.TotalUsers, len(snap.Orgs))
	}
	if got := snap.Scope.Len(); got != 16 {
		t.Errorf("reseller scope has %d flags on, want 16", got)
	}
	acme, beta := snap.Org(4001), snap.Org(4002)
	if acme == nil || beta == nil {
		t.Fatalf("orgs 4001 and 4002 missing: %+v", snap.Orgs)
	}
	if acme.Name != "Acme Inc" || acme.Balance != 24442.6 || acme.CostPerMin != 0.09 || acme.Currency != "$" ||
		acme.ConcurrentCallLimit != 1 || acme.Timezone != "US/Pacific" {
		t.Errorf("Acme = %+v", *acme)
	}
	if want := time.Date(2025, 10, 9, 10, 20, 58, 220633000, time.UTC); !acme.Created.Equal(want) {
		t.Errorf("Acme created %v, want %v", acme.Created, want)
	}
	u := acme.User(1110)
	if u == nil {
		t.Fatal("user 1110 missing")
	}
	if u.Name != "Demo User" || u.Email != "demo@example.com" || u.Phone != "" || !u.Active || u.AccessLevel != "" || !u.Expiry.IsZero() {
		t.Errorf("user 1110 = %+v", *u)
	}
	if want := time.Date(2026, 4, 23, 11, 0, 6, 685330000, time.UTC); !u.LastLogin.Equal(want) || u.LastLogin.Location() != time.UTC {
		t.Errorf("login %v, want %v in UTC", u.LastLogin, want)
	}
	if !u.Menus.Has("is_bulk_call_access") || u.Menus.Has("is_leads_access") || u.Menus.Len() != 9 {
		t.Errorf("menus of 1110 = %v", u.Menus.Keys())
	}
	u2 := beta.User(1234)
	if u2 == nil || u2.Phone != "+15551234567" || !u2.LastLogin.IsZero() || u2.Menus.Has("is_phone_number_access") {
		t.Errorf("user 1234 = %+v", u2)
	}
}

func TestDecodeQuirks(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		name  string
		user  string
		check func(u omni.User) bool
	}{
		{"phone false is no phone", `{"id":1,"phone":false}`, func(u omni.User) bool { return u.Phone == "" }},
		{"phone null is no phone", `{"id":1,"phone":null}`, func(u omni.User) bool { return u.Phone == "" }},
		{"phone string is kept", `{"id":1,"phone":"+44 20 7946 0000"}`, func(u omni.User) bool { return u.Phone == "+44 20 7946 0000" }},
		{"phone number is kept as text", `{"id":1,"phone":15551234567}`, func(u omni.User) bool { return u.Phone == "15551234567" }},
		{"zone-less login is read as UTC", `{"id":1,"login_date":"2026-04-23T11:00:06.685330"}`,
			func(u omni.User) bool {
				return u.LastLogin.Equal(utc("2026-04-23T11:00:06.68533Z")) && u.LastLogin.Location() == time.UTC
			}},
		{"zoned login is converted to UTC", `{"id":1,"login_date":"2026-04-23T13:00:06+02:00"}`,
			func(u omni.User) bool {
				return u.LastLogin.Equal(utc("2026-04-23T11:00:06Z")) && u.LastLogin.Location() == time.UTC
			}},
		{"login without fraction is read", `{"id":1,"login_date":"2026-04-23T11:00:06"}`,
			func(u omni.User) bool { return u.LastLogin.Equal(utc("2026-04-23T11:00:06Z")) }},
		{"login with a space separator is read", `{"id":1,"login_date":"2026-04-23 11:00:06.5"}`,
			func(u omni.User) bool { return u.LastLogin.Equal(utc("2026-04-23T11:00:06.5Z")) }},
		{"null login means never", `{"id":1,"login_date":null}`, func(u omni.User) bool { return u.LastLogin.IsZero() }},
		{"empty login means never", `{"id":1,"login_date":""}`, func(u omni.User) bool { return u.LastLogin.IsZero() }},
		{"expiry date is read", `{"id":1,"expiry_date":"2027-01-01T00:00:00"}`,
			func(u omni.User) bool { return u.Expiry.Equal(utc("2027-01-01T00:00:00Z")) }},
		{"access level false is none", `{"id":1,"access_level":false}`, func(u omni.User) bool { return u.AccessLevel == "" }},
		{"access level string is kept", `{"id":1,"access_level":"admin"}`, func(u omni.User) bool { return u.AccessLevel == "admin" }},
		{"access level number is kept as text", `{"id":1,"access_level":3}`, func(u omni.User) bool { return u.AccessLevel == "3" }},
		{"is_active as 0 is inactive", `{"id":1,"is_active":0}`, func(u omni.User) bool { return !u.Active }},
		{"is_active as \"true\" is active", `{"id":1,"is_active":"true"}`, func(u omni.User) bool { return u.Active }},
		{"unknown user fields are ignored", `{"id":1,"name":"N","nickname":{"a":[1,2,{"b":null}]},"tags":["x"],"score":1e9}`,
			func(u omni.User) bool { return u.Name == "N" }},
		{"a missing flag is off", `{"id":1,"dashboard_menu_access":{"is_bots_menu_access":true}}`,
			func(u omni.User) bool {
				return u.Menus.Has("is_bots_menu_access") && !u.Menus.Has("is_leads_access") && u.Menus.Len() == 1
			}},
		{"an unknown flag is kept", `{"id":1,"dashboard_menu_access":{"is_sms_campaign_access":true,"is_zeta_access":false}}`,
			func(u omni.User) bool {
				return u.Menus.Has("is_sms_campaign_access") && !u.Menus.Has("is_zeta_access") && u.Menus.Len() == 1
			}},
		{"the CRM flag is known", `{"id":1,"dashboard_menu_access":{"is_omni_crm_access":true}}`,
			func(u omni.User) bool { return u.Menus.Has("is_omni_crm_access") && len(u.Menus.Extra()) == 0 }},
		{"null menus are all off", `{"id":1,"dashboard_menu_access":null}`, func(u omni.User) bool { return u.Menus.Len() == 0 }},
		{"a string id is read", `{"id":"77"}`, func(u omni.User) bool { return u.ID == 77 }},
		{"escaped names are unescaped", `{"id":1,"name":"\u003c!channel\u003e \"Q\""}`, func(u omni.User) bool { return u.Name == `<!channel> "Q"` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := decodeString(t, payload(userOrg(tt.user)))
			if len(snap.Orgs) != 1 || len(snap.Orgs[0].Users) != 1 {
				t.Fatalf("decoded %+v", snap.Orgs)
			}
			if u := snap.Orgs[0].Users[0]; !tt.check(u) {
				t.Errorf("user decoded as %+v (menus %v)", u, u.Menus.Keys())
			}
		})
	}
}

func TestDecodeOrgQuirks(t *testing.T) {
	t.Run("money sent as strings is read", func(t *testing.T) {
		snap := decodeString(t, payload(`{"id":1,"org_balance":"1234.50","cost_per_min":"0.09"}`))
		if o := snap.Orgs[0]; o.Balance != 1234.5 || o.CostPerMin != 0.09 {
			t.Errorf("org = %+v", o)
		}
	})
	t.Run("the user currency stands in for a missing balance currency", func(t *testing.T) {
		snap := decodeString(t, payload(`{"id":1,"org_user_currency_symbol":"€"}`))
		if snap.Orgs[0].Currency != "€" {
			t.Errorf("currency = %q", snap.Orgs[0].Currency)
		}
	})
	t.Run("orgs and users come out sorted by id with duplicates dropped", func(t *testing.T) {
		snap := decodeString(t, payload(
			`{"id":3,"name":"C","users":[{"id":9},{"id":2},{"id":9,"name":"dup"}]}`,
			`{"id":1,"name":"A"}`,
			`{"id":3,"name":"C again"}`))
		var ids []int64
		for _, o := range snap.Orgs {
			ids = append(ids, o.ID)
		}
		if fmt.Sprint(ids) != "[1 3]" || snap.Org(3).Name != "C" {
			t.Fatalf("orgs = %+v", snap.Orgs)
		}
		users := snap.Org(3).Users
		if len(users) != 2 || users[0].ID != 2 || users[1].ID != 9 || users[1].Name != "" {
			t.Errorf("users = %+v", users)
		}
	})
	t.Run("an empty organizations list is a valid answer", func(t *testing.T) {
		snap := decodeString(t, `{"success":true,"organizations":[]}`)
		if len(snap.Orgs) != 0 {
			t.Errorf("orgs = %+v", snap.Orgs)
		}
	})
	t.Run("the reseller's access control is known only when the payload carries it", func(t *testing.T) {
		for body, want := range map[string]bool{
			`{"organizations":[],"reseller_access_control":{"dashboard_menu_access":{"is_bots_menu_access":true}}}`: true,
			`{"organizations":[],"reseller_access_control":{"dashboard_menu_access":{}}}`:                           true,
			`{"organizations":[],"reseller_access_control":{"dashboard_menu_access":null}}`:                         false,
			`{"organizations":[],"reseller_access_control":null}`:                                                   false,
			`{"organizations":[]}`: false,
		} {
			if got := decodeString(t, body).HasScope; got != want {
				t.Errorf("%s: HasScope = %v, want %v", body, got, want)
			}
		}
	})
	t.Run("fields of one org do not leak into the next", func(t *testing.T) {
		snap := decodeString(t, payload(`{"id":1,"timezone":"UTC","users":[{"id":5,"name":"X"}]}`, `{"id":2}`))
		if o := snap.Org(2); o.Timezone != "" || len(o.Users) != 0 {
			t.Errorf("org 2 = %+v", *o)
		}
	})
}

func TestDecodeNeverKeepsCredentials(t *testing.T) {
	const secret = "sk-live-CHILD-ORG-KEY-0123456789"
	body := payload(`{"id":1,"name":"A","api_key":"` + secret + `","users":[{"id":2,"api_key":"` + secret + `","token":"` + secret + `"}]}`)
	body = strings.Replace(body, `{"success":true`, `{"success":true,"api_key":"`+secret+`"`, 1)
	snap := decodeString(t, body)
	if dump := fmt.Sprintf("%#v", snap); strings.Contains(dump, secret) {
		t.Errorf("the decoded snapshot holds a credential: %s", dump)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		kind    error
		message string // a substring the error must contain
	}{
		{"an empty body is malformed", ``, omni.ErrMalformed, "empty"},
		{"garbage is malformed", `<html><body>oops</body></html>`, omni.ErrMalformed, "invalid character"},
		{"a truncated body is malformed", payload(userOrg(`{"id":1}`))[:60], omni.ErrMalformed, "unexpected EOF"},
		{"a top-level array is malformed", `[1,2]`, omni.ErrMalformed, `want "{"`},
		{"a response without organizations is malformed", `{"success":true}`, omni.ErrMalformed, "no \"organizations\""},
		{"organizations that are not a list are malformed", `{"organizations":{"a":1}}`, omni.ErrMalformed, "want an array"},
		{"a null organizations list is malformed", `{"organizations":null}`, omni.ErrMalformed, "want an array, got null"},
		{"a null org is malformed, not an org with id 0", payload(`null`), omni.ErrMalformed, "organizations[0]"},
		{"a null user is malformed, not a user with id 0", payload(userOrg(`null`)), omni.ErrMalformed, "organizations[0]"},
		{"an empty list that contradicts its total is malformed", `{"organizations":[],"total_organizations":12}`, omni.ErrMalformed, "total_organizations is 12"},
		{"trailing data is malformed", `{"organizations":[]} {}`, omni.ErrMalformed, "after the response"},
		{"an unreadable date names its field", payload(userOrg(`{"id":1,"login_date":"yesterday"}`)), omni.ErrMalformed, "organizations[0]: field users.login_date"},
		{"a flag that is an object names its flag", payload(userOrg(`{"id":1,"dashboard_menu_access":{"is_leads_access":{}}}`)), omni.ErrMalformed, "dashboard_menu_access.is_leads_access"},
		{"a bad flag in the reseller's access control names its flag", `{"organizations":[],"reseller_access_control":{"dashboard_menu_access":{"is_leads_access":[]}}}`, omni.ErrMalformed, "is_leads_access"},
		{"success false carries the vendor's message", `{"success":false,"error":"Reseller disabled"}`, omni.ErrVendor, "Reseller disabled"},
		{"success false prefers error_description", `{"success":false,"error":"forbidden","error_description":"Account suspended"}`, omni.ErrVendor, "Account suspended (forbidden)"},
		{"success false without a reason says so", `{"success":false}`, omni.ErrVendor, "without a reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := omni.Decode(strings.NewReader(tt.body))
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			var apiErr *omni.APIError
			if !errors.As(err, &apiErr) {
				t.Errorf("error %T is not an *omni.APIError", err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
		})
	}
}

func TestFlagLabels(t *testing.T) {
	tests := []struct{ key, label string }{
		{"is_bulk_call_access", "Bulk calls"},
		{"access_to_monitor_live_call", "Live call monitoring"},
		{"is_omni_crm_access", "Omni CRM"},
		{"is_sms_campaign_access", "Sms campaign"},
		{"is_reports_menu_access", "Reports"},
		{"is_beta_enabled", "Beta"},
		{"custom_flag", "Custom flag"},
		{"is_", "is_"},
	}
	for _, tt := range tests {
		t.Run(tt.key+" reads "+tt.label, func(t *testing.T) {
			if got := omni.FlagLabel(tt.key); got != tt.label {
				t.Errorf("FlagLabel(%q) = %q, want %q", tt.key, got, tt.label)
			}
		})
	}
	if n := len(omni.KnownFlags()); n != 17 {
		t.Errorf("%d known flags, want 17", n)
	}
}

func TestFlagsSetOperations(t *testing.T) {
	var a, b omni.Flags
	for _, k := range []string{"is_leads_access", "is_zz_access", "is_bots_menu_access"} {
		a.Set(k, true)
	}
	b.Set("is_bots_menu_access", true)
	b.Set("is_aa_access", true)
	if got := fmt.Sprint(a.Keys()); got != "[is_bots_menu_access is_leads_access is_zz_access]" {
		t.Errorf("Keys = %s", got)
	}
	if got := fmt.Sprint(a.Minus(b)); got != "[is_leads_access is_zz_access]" {
		t.Errorf("Minus = %s", got)
	}
	if got := fmt.Sprint(a.Changed(b)); got != "[is_leads_access is_aa_access is_zz_access]" {
		t.Errorf("Changed = %s", got)
	}
	c := a
	c.Set("is_zz_access", false)
	if !a.Has("is_zz_access") {
		t.Error("switching a flag off in a copy changed the original")
	}
	if a.Equal(c) || !a.Equal(a) {
		t.Error("Equal is wrong")
	}
	back := omni.FlagsFrom(a.KnownBits(), a.Extra())
	if !back.Equal(a) {
		t.Errorf("FlagsFrom round trip: %v != %v", back.Keys(), a.Keys())
	}
}

func TestRunway(t *testing.T) {
	tests := []struct {
		name    string
		org     omni.Org
		runway  time.Duration
		limited bool
	}{
		{"balance over cost gives minutes", omni.Org{Balance: 13, CostPerMin: 0.2}, 65 * time.Minute, true},
		{"zero cost never runs out", omni.Org{Balance: 13, CostPerMin: 0}, 0, false},
		{"a negative balance has no runway", omni.Org{Balance: -5, CostPerMin: 0.2}, 0, true},
		{"a huge balance does not overflow", omni.Org{Balance: 1e300, CostPerMin: 1e-300}, time.Duration(1<<63 - 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := tt.org.Runway()
			if r != tt.runway || ok != tt.limited {
				t.Errorf("Runway = %v, %v; want %v, %v", r, ok, tt.runway, tt.limited)
			}
		})
	}
}
