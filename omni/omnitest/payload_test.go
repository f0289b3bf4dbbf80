package omnitest_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// decodeAny unmarshals JSON into generic values for semantic comparison.
func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, clip(data))
	}
	return v
}

// clip shortens a body for failure messages.
func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func mustMarshal(t *testing.T, p *omnitest.Payload) []byte {
	t.Helper()
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	if !json.Valid(b) {
		t.Fatalf("MarshalJSON produced invalid JSON:\n%s", clip(b))
	}
	return b
}

func TestFixture(t *testing.T) {
	file, err := os.ReadFile("testdata/organizations.json")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the fixture round-trips to the vendor's example semantically", func(t *testing.T) {
		got := decodeAny(t, mustMarshal(t, omnitest.Fixture()))
		want := decodeAny(t, file)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("encoded fixture differs from testdata:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("the fixture encodes byte for byte as the compacted example, key order included", func(t *testing.T) {
		var want bytes.Buffer
		if err := json.Compact(&want, file); err != nil {
			t.Fatal(err)
		}
		if got := omnitest.Fixture().AppendJSON(nil); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("encoding differs:\n got %s\nwant %s", got, want.Bytes())
		}
	})

	t.Run("the computed totals match the example's", func(t *testing.T) {
		m := decodeAny(t, mustMarshal(t, omnitest.Fixture())).(map[string]any)
		if m["total_organizations"] != 2.0 || m["total_users_across_orgs"] != 2.0 {
			t.Errorf("totals = %v, %v; want 2, 2", m["total_organizations"], m["total_users_across_orgs"])
		}
		orgs := m["organizations"].([]any)
		for _, o := range orgs {
			if o.(map[string]any)["total_users"] != 1.0 {
				t.Errorf("org %v total_users = %v, want 1", o.(map[string]any)["id"], o.(map[string]any)["total_users"])
			}
		}
	})

	t.Run("the quirky fields decode into the typed model with nothing left over", func(t *testing.T) {
		p := omnitest.Fixture()
		if len(p.Orgs) != 2 || p.Reseller.ID != 5678 || p.Reseller.Name != "Demo Reseller" || !p.Success {
			t.Fatalf("unexpected fixture: %+v", p)
		}
		a, b := p.Orgs[0], p.Orgs[1]
		u1, u2 := a.Users[0], b.Users[0]
		checks := []struct {
			name      string
			got, want any
		}{
			{"org balance", a.Balance, 24442.6},
			{"whole balance", b.Balance, 13.0},
			{"cost per minute", b.CostPerMin, 0.2},
			{"currency symbol", a.CurrencySymbol, "$"},
			{"created date", a.CreatedDate, "2025-10-09T10:20:58.220633"},
			{"phone false", u1.Phone, ""},
			{"phone string", u2.Phone, "+15551234567"},
			{"login date", u1.LoginDate, "2026-04-23T11:00:06.685330"},
			{"null login date", u2.LoginDate, ""},
			{"null expiry date", u1.ExpiryDate, ""},
			{"access level false", u1.AccessLevel, nil},
			{"menu flag", u2.Menus[omnitest.FlagVoiceCloning], true},
			{"menu count", len(u1.Menus), 16},
			{"reseller menus", len(p.ResellerMenus), 16},
		}
		for _, c := range checks {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
			}
		}
		if p.Extra != nil || p.Reseller.Extra != nil || a.Extra != nil || b.Extra != nil || u1.Extra != nil || u2.Extra != nil {
			t.Errorf("fixture left fields in Extra: %v %v %v %v %v %v", p.Extra, p.Reseller.Extra, a.Extra, b.Extra, u1.Extra, u2.Extra)
		}
	})

	t.Run("each call returns an independent copy", func(t *testing.T) {
		p := omnitest.Fixture()
		p.Orgs[0].Balance = -1
		p.Orgs[0].Users[0].Menus[omnitest.FlagBots] = false
		q := omnitest.Fixture()
		if q.Orgs[0].Balance != 24442.6 || !q.Orgs[0].Users[0].Menus[omnitest.FlagBots] {
			t.Error("mutating one Fixture() result changed the next")
		}
	})
}

func TestClone(t *testing.T) {
	p := omnitest.Fixture()
	p.Extra = map[string]any{"nested": map[string]any{"list": []any{1.0, "x"}}}
	p.Orgs[0].Extra = map[string]any{"tags": []any{"a"}}
	p.Orgs[0].Users[0].AccessLevel = "admin"
	before := p.AppendJSON(nil)

	mutations := []struct {
		name string
		fn   func(c *omnitest.Payload)
	}{
		{"changing an org balance leaves the original alone", func(c *omnitest.Payload) { c.Orgs[0].Balance = 1 }},
		{"appending an org leaves the original alone", func(c *omnitest.Payload) { c.Orgs = append(c.Orgs, omnitest.Org{ID: 9}) }},
		{"changing a user's flag leaves the original alone", func(c *omnitest.Payload) { c.Orgs[0].Users[0].Menus[omnitest.FlagBots] = false }},
		{"changing a user leaves the original alone", func(c *omnitest.Payload) { c.Orgs[1].Users[0].Name = "changed" }},
		{"changing reseller menus leaves the original alone", func(c *omnitest.Payload) { c.ResellerMenus[omnitest.FlagLeads] = false }},
		{"changing a nested extra value leaves the original alone", func(c *omnitest.Payload) {
			c.Extra["nested"].(map[string]any)["list"].([]any)[0] = 2.0
		}},
		{"changing an org's extra list leaves the original alone", func(c *omnitest.Payload) { c.Orgs[0].Extra["tags"].([]any)[0] = "b" }},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			c := p.Clone()
			if !bytes.Equal(c.AppendJSON(nil), before) {
				t.Fatal("clone does not encode like the original")
			}
			m.fn(c)
			if !bytes.Equal(p.AppendJSON(nil), before) {
				t.Error("mutating the clone changed the original")
			}
		})
	}
}

func orgJSON(t *testing.T, o omnitest.Org) string {
	t.Helper()
	b, err := o.MarshalJSON() // json.Marshal would add its own HTML escaping
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStringEscaping(t *testing.T) {
	cases := []struct {
		name, in, want string // want is the decoded value
		raw            string // must appear verbatim in the encoding, if set
	}{
		{name: "plain text is copied", in: "Acme Logistics 0042", want: "Acme Logistics 0042", raw: `"Acme Logistics 0042"`},
		{name: "HTML characters stay unescaped as Python sends them", in: "R&D <Labs>", want: "R&D <Labs>", raw: `"R&D <Labs>"`},
		{name: "quotes and backslashes are escaped", in: `say "hi" \o/`, want: `say "hi" \o/`, raw: `"say \"hi\" \\o/"`},
		{name: "newlines and tabs are escaped", in: "a\nb\tc\r", want: "a\nb\tc\r", raw: `"a\nb\tc\r"`},
		{name: "other control characters become \\u escapes", in: "x\x01\x1f", want: "x\x01\x1f", raw: `"x\u0001\u001f"`},
		{name: "accents and emoji pass through as UTF-8", in: "Café Müller ☕ 😀", want: "Café Müller ☕ 😀", raw: `"Café Müller ☕ 😀"`},
		{name: "line separators stay valid JSON", in: "a\u2028b", want: "a\u2028b"},
		{name: "invalid UTF-8 becomes the replacement character", in: "bad\xffbyte", want: "bad\ufffdbyte"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := orgJSON(t, omnitest.Org{Name: c.in})
			if !json.Valid([]byte(enc)) {
				t.Fatalf("invalid JSON: %s", enc)
			}
			if c.raw != "" && !strings.Contains(enc, `"name":`+c.raw) {
				t.Errorf("encoding %s lacks %s", enc, c.raw)
			}
			var back struct{ Name string }
			if err := json.Unmarshal([]byte(enc), &back); err != nil {
				t.Fatal(err)
			}
			if back.Name != c.want {
				t.Errorf("decoded %q, want %q", back.Name, c.want)
			}
		})
	}
}

func TestNumberEncoding(t *testing.T) {
	cases := []struct {
		name string
		in   float64
		want string
	}{
		{"a whole amount has no fraction", 13, "13"},
		{"a fraction uses the shortest form", 24442.6, "24442.6"},
		{"a small price keeps its digits", 0.09, "0.09"},
		{"a negative balance keeps its sign", -12.34, "-12.34"},
		{"zero is plain", 0, "0"},
		{"a tiny number uses an exponent", 1e-7, "1e-7"},
		{"a huge number uses an exponent", 1e21, "1e+21"},
		{"NaN, which JSON cannot carry, is null", math.NaN(), "null"},
		{"infinity, which JSON cannot carry, is null", math.Inf(-1), "null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := orgJSON(t, omnitest.Org{Balance: c.in})
			if !strings.Contains(enc, `"org_balance":`+c.want+`,`) {
				t.Errorf("encoding %s lacks org_balance %s", enc, c.want)
			}
		})
	}
}

func TestUserEncoding(t *testing.T) {
	cases := []struct {
		name string
		user omnitest.User
		want map[string]any // decoded members to check
	}{
		{"an empty phone is sent as false", omnitest.User{}, map[string]any{"phone": false}},
		{"a phone is sent as a string", omnitest.User{Phone: "+1 555"}, map[string]any{"phone": "+1 555"}},
		{"empty dates are sent as null", omnitest.User{}, map[string]any{"login_date": nil, "expiry_date": nil}},
		{"dates are sent as raw zone-less text", omnitest.User{LoginDate: "2026-04-23T11:00:06.685330"},
			map[string]any{"login_date": "2026-04-23T11:00:06.685330"}},
		{"a nil access level is sent as false", omnitest.User{}, map[string]any{"access_level": false}},
		{"a string access level is sent as is", omnitest.User{AccessLevel: "admin"}, map[string]any{"access_level": "admin"}},
		{"a numeric access level is sent as a number", omnitest.User{AccessLevel: 3}, map[string]any{"access_level": 3.0}},
		{"a json.Number access level is sent verbatim", omnitest.User{AccessLevel: json.Number("2")}, map[string]any{"access_level": 2.0}},
		{"nil menus are sent as an empty object", omnitest.User{}, map[string]any{"dashboard_menu_access": map[string]any{}}},
		{"a vendor-added field is sent", omnitest.User{Extra: map[string]any{"role": "owner"}}, map[string]any{"role": "owner"}},
		{"an override replaces a known field's value", omnitest.User{Phone: "+1", Extra: map[string]any{"phone": nil}},
			map[string]any{"phone": nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.user)
			if err != nil {
				t.Fatal(err)
			}
			m := decodeAny(t, b).(map[string]any)
			for k, want := range c.want {
				if got, ok := m[k]; !ok || !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v (present %v), want %#v", k, got, ok, want)
				}
			}
		})
	}
}

func TestMenuOrder(t *testing.T) {
	menus := omnitest.AllFlags(false)
	menus["is_sms_access"] = true
	menus["is_a_new_access"] = true
	b, err := json.Marshal(omnitest.User{Menus: menus})
	if err != nil {
		t.Fatal(err)
	}
	want := append(omnitest.KnownFlags(), "is_a_new_access", "is_sms_access")

	t.Run("known flags come in the vendor's order, then unknown ones sorted", func(t *testing.T) {
		s := string(b)
		last := -1
		for _, k := range want {
			i := strings.Index(s, `"`+k+`":`)
			if i < 0 || i < last {
				t.Fatalf("flag %s out of order (at %d, previous at %d) in %s", k, i, last, s)
			}
			last = i
		}
	})
	t.Run("the Omni CRM flag is the last known one", func(t *testing.T) {
		flags := omnitest.KnownFlags()
		if len(flags) != 17 || flags[16] != omnitest.FlagOmniCRM || flags[0] != omnitest.FlagBots {
			t.Errorf("KnownFlags() = %v", flags)
		}
	})
	t.Run("absent flags are not sent", func(t *testing.T) {
		b, _ := json.Marshal(omnitest.User{Menus: map[string]bool{omnitest.FlagBilling: true}})
		if !strings.Contains(string(b), `"dashboard_menu_access":{"is_billing_menu_access":true}`) {
			t.Errorf("got %s", b)
		}
	})
}

func TestExtraFields(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(p *omnitest.Payload)
		check  func(t *testing.T, raw string, m map[string]any)
	}{
		{"a vendor-added top-level field is sent after the known ones", func(p *omnitest.Payload) {
			p.Extra = map[string]any{"api_version": "2.1", "zz": 1}
		}, func(t *testing.T, raw string, m map[string]any) {
			if m["api_version"] != "2.1" {
				t.Errorf("api_version = %v", m["api_version"])
			}
			if strings.Index(raw, `"api_version"`) < strings.Index(raw, `"reseller_access_control"`) ||
				strings.Index(raw, `"zz"`) < strings.Index(raw, `"api_version"`) {
				t.Errorf("extra fields not after known ones, sorted: %s", raw)
			}
		}},
		{"an override can make a balance a string", func(p *omnitest.Payload) {
			p.Orgs[0].Extra = map[string]any{"org_balance": "24442.60"}
		}, func(t *testing.T, raw string, m map[string]any) {
			if got := org(m, 0)["org_balance"]; got != "24442.60" {
				t.Errorf("org_balance = %#v", got)
			}
		}},
		{"an override can contradict the computed totals", func(p *omnitest.Payload) {
			p.Extra = map[string]any{"total_organizations": 99}
			p.Orgs[1].Extra = map[string]any{"total_users": 5}
		}, func(t *testing.T, raw string, m map[string]any) {
			if m["total_organizations"] != 99.0 || org(m, 1)["total_users"] != 5.0 {
				t.Errorf("totals = %v, %v", m["total_organizations"], org(m, 1)["total_users"])
			}
		}},
		{"Omitted drops a known field", func(p *omnitest.Payload) {
			p.Orgs[0].Extra = map[string]any{"id": omnitest.Omitted{}, "timezone": omnitest.Omitted{}}
			p.Orgs[0].Users[0].Extra = map[string]any{"dashboard_menu_access": omnitest.Omitted{}}
		}, func(t *testing.T, raw string, m map[string]any) {
			o := org(m, 0)
			for _, k := range []string{"id", "timezone"} {
				if _, ok := o[k]; ok {
					t.Errorf("%s still sent", k)
				}
			}
			if _, ok := o["users"].([]any)[0].(map[string]any)["dashboard_menu_access"]; ok {
				t.Error("dashboard_menu_access still sent")
			}
		}},
		{"a child api_key is sent only when set", func(p *omnitest.Payload) {
			p.Orgs[1].APIKey = "child-secret"
		}, func(t *testing.T, raw string, m map[string]any) {
			if _, ok := org(m, 0)["api_key"]; ok {
				t.Error("empty api_key sent")
			}
			if org(m, 1)["api_key"] != "child-secret" {
				t.Errorf("api_key = %v", org(m, 1)["api_key"])
			}
		}},
		{"nested extra values are encoded as JSON", func(p *omnitest.Payload) {
			p.Reseller.Extra = map[string]any{"plan": map[string]any{"seats": json.Number("12345678901234567890"), "tags": []any{"a", true, nil}}}
		}, func(t *testing.T, raw string, m map[string]any) {
			if !strings.Contains(raw, `"plan":{"seats":12345678901234567890,"tags":["a",true,null]}`) {
				t.Errorf("nested extra encoded as %s", raw)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := omnitest.Fixture()
			c.mutate(p)
			raw := mustMarshal(t, p)
			c.check(t, string(raw), decodeAny(t, raw).(map[string]any))
		})
	}
}

// org returns the i-th org of a decoded payload.
func org(m map[string]any, i int) map[string]any {
	return m["organizations"].([]any)[i].(map[string]any)
}

func TestDecodeIsLossless(t *testing.T) {
	cases := []struct{ name, doc string }{
		{"unknown fields at every level survive", `{"success":true,"new_top":[1,2],
			"reseller_organization":{"id":1,"name":"R","concurrent_call_limit":2,"tier":"x"},
			"organizations":[{"id":4001,"name":"A","cost_per_min":0,"org_balance":-3.5,
			  "reseller_org_balance_currency_symbol":"$","concurrent_call_limit":1,"org_user_currency_symbol":"₹",
			  "timezone":"UTC","created_date":null,"total_users":1,"region":"eu","api_key":"k",
			  "users":[{"id":1,"name":"U","email":"u@x","phone":false,"login_date":null,"is_active":false,
			    "expiry_date":"2027-01-01T00:00:00","access_level":"admin","mfa":true,
			    "dashboard_menu_access":{"is_bots_menu_access":true,"is_brand_new_access":false}}]}],
			"total_organizations":1,"total_users_across_orgs":1,
			"reseller_access_control":{"dashboard_menu_access":{"is_omni_crm_access":true}}}`},
		{"wrong types and nulls in known fields survive", `{"success":"yes","reseller_organization":null,
			"organizations":[{"id":"4001","name":null,"cost_per_min":"0.1","org_balance":null,
			  "reseller_org_balance_currency_symbol":1,"concurrent_call_limit":1.5,"org_user_currency_symbol":"$",
			  "timezone":"UTC","created_date":"","total_users":"1",
			  "users":[{"id":1.0,"name":"U","email":null,"phone":null,"login_date":false,"is_active":1,
			    "expiry_date":null,"access_level":null,"dashboard_menu_access":{"is_bots_menu_access":"yes"}}]}],
			"total_organizations":1,"total_users_across_orgs":1,"reseller_access_control":[]}`},
		{"totals that disagree with the data survive", `{"success":true,"reseller_organization":{"id":1,"name":"R","concurrent_call_limit":2},
			"organizations":[{"id":4001,"name":"A","cost_per_min":0.1,"org_balance":1,
			  "reseller_org_balance_currency_symbol":"$","concurrent_call_limit":1,"org_user_currency_symbol":"$",
			  "timezone":"UTC","created_date":null,"total_users":3,"users":[]}],
			"total_organizations":7,"total_users_across_orgs":0,"reseller_access_control":{"dashboard_menu_access":{}}}`},
		{"missing fields stay missing", `{"organizations":[{"id":4001,"users":[{"id":5,"access_level":7}]}]}`},
		{"numeric access levels survive exactly", `{"organizations":[{"users":[{"access_level":12345678901234567890},{"access_level":2.50}]}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p omnitest.Payload
			if err := json.Unmarshal([]byte(c.doc), &p); err != nil {
				t.Fatal(err)
			}
			got, want := decodeAny(t, mustMarshal(t, &p)), decodeAny(t, []byte(c.doc))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("re-encoding differs:\n got %v\nwant %v", got, want)
			}
		})
	}

	t.Run("a body that is not an object is an error", func(t *testing.T) {
		var p omnitest.Payload
		if err := json.Unmarshal([]byte(`[1,2]`), &p); err == nil {
			t.Error("no error for an array")
		}
	})
}
