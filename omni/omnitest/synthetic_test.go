package omnitest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni/omnitest"
)

func TestSyntheticIsDeterministic(t *testing.T) {
	a := omnitest.Synthetic(120, 4, 42).AppendJSON(nil)
	cases := []struct {
		name  string
		other []byte
		same  bool
	}{
		{"the same arguments give the same bytes", omnitest.Synthetic(120, 4, 42).AppendJSON(nil), true},
		{"another seed gives other data", omnitest.Synthetic(120, 4, 43).AppendJSON(nil), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if bytes.Equal(a, c.other) != c.same {
				t.Errorf("equal = %v, want %v", !c.same, c.same)
			}
		})
	}
}

func TestSyntheticShape(t *testing.T) {
	cases := []struct {
		name        string
		orgs, users int
	}{
		{"no orgs gives an empty reseller", 0, 0},
		{"orgs may have no users", 3, 0},
		{"one org with one user", 1, 1},
		{"many orgs with many users", 250, 10},
		{"negative sizes count as zero", -1, -5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := omnitest.Synthetic(c.orgs, c.users, 7)
			wantOrgs, wantUsers := max(c.orgs, 0), max(c.users, 0)
			if len(p.Orgs) != wantOrgs {
				t.Fatalf("%d orgs, want %d", len(p.Orgs), wantOrgs)
			}
			userIDs := make(map[int64]bool)
			for i, o := range p.Orgs {
				if o.ID != omnitest.SyntheticFirstOrgID+int64(i) {
					t.Errorf("org %d has id %d", i, o.ID)
				}
				if len(o.Users) != wantUsers {
					t.Errorf("org %d has %d users, want %d", o.ID, len(o.Users), wantUsers)
				}
				for _, u := range o.Users {
					if userIDs[u.ID] {
						t.Errorf("user id %d repeated", u.ID)
					}
					userIDs[u.ID] = true
				}
			}
			b := p.AppendJSON(nil)
			if !json.Valid(b) {
				t.Fatalf("invalid JSON: %s", clip(b))
			}
			m := decodeAny(t, b).(map[string]any)
			if m["total_organizations"] != float64(wantOrgs) || m["total_users_across_orgs"] != float64(wantOrgs*wantUsers) {
				t.Errorf("totals = %v, %v", m["total_organizations"], m["total_users_across_orgs"])
			}
			if m["success"] != true {
				t.Error("success is not true")
			}
		})
	}
}

func TestSyntheticQuirks(t *testing.T) {
	b := omnitest.Synthetic(200, 10, 3).AppendJSON(nil)
	if !json.Valid(b) {
		t.Fatal("invalid JSON")
	}
	m := decodeAny(t, b).(map[string]any)

	// Tally what the JSON holds, by kind.
	seen := make(map[string]int)
	var dates []string
	note := func(what string, ok bool) {
		if ok {
			seen[what]++
		}
	}
	for _, o := range m["organizations"].([]any) {
		o := o.(map[string]any)
		bal := o["org_balance"].(float64)
		note("balance negative", bal < 0)
		note("balance zero", bal == 0)
		note("balance below 50", bal > 0 && bal < 50)
		note("balance healthy", bal >= 50)
		note("cost zero", o["cost_per_min"] == 0.0)
		note("cost positive", o["cost_per_min"].(float64) > 0)
		note("created null", o["created_date"] == nil)
		_, hasKey := o["api_key"]
		note("child api_key", hasKey)
		_, hasExtra := o["partner_tier"]
		note("vendor-added field", hasExtra)
		note("special characters in a name", strings.ContainsAny(o["name"].(string), "&'é"))
		if s, ok := o["created_date"].(string); ok {
			dates = append(dates, s)
		}
		for _, u := range o["users"].([]any) {
			u := u.(map[string]any)
			note("phone false", u["phone"] == false)
			_, phoneString := u["phone"].(string)
			note("phone string", phoneString)
			note("login null", u["login_date"] == nil)
			if s, ok := u["login_date"].(string); ok {
				dates = append(dates, s)
				note("login without microseconds", len(s) == len("2006-01-02T15:04:05"))
			}
			if s, ok := u["expiry_date"].(string); ok {
				dates = append(dates, s)
			}
			note("expiry null", u["expiry_date"] == nil)
			note("expiry set", u["expiry_date"] != nil)
			note("access level false", u["access_level"] == false)
			_, levelString := u["access_level"].(string)
			note("access level string", levelString)
			_, levelNumber := u["access_level"].(float64)
			note("access level number", levelNumber)
			note("inactive user", u["is_active"] == false)
			menus := u["dashboard_menu_access"].(map[string]any)
			note("all 17 flags", len(menus) == 17)
			for _, v := range menus {
				note("flag on", v == true)
				note("flag off", v == false)
			}
		}
	}
	for _, what := range []string{
		"balance negative", "balance zero", "balance below 50", "balance healthy", "cost zero", "cost positive",
		"created null", "child api_key", "vendor-added field", "special characters in a name",
		"phone false", "phone string", "login null", "login without microseconds", "expiry null", "expiry set",
		"access level false", "access level string", "access level number", "inactive user", "flag on", "flag off",
	} {
		t.Run("the payload has "+what, func(t *testing.T) {
			if seen[what] == 0 {
				t.Errorf("no %s in 200 orgs × 10 users", what)
			}
		})
	}
	t.Run("every user has all 17 flags", func(t *testing.T) {
		if seen["all 17 flags"] != 2000 {
			t.Errorf("%d of 2000 users have all 17 flags", seen["all 17 flags"])
		}
	})
	t.Run("every date is zone-less and parses as the vendor's format", func(t *testing.T) {
		for _, s := range dates {
			if strings.ContainsAny(s[10:], "Z+") || strings.Count(s, "-") != 2 {
				t.Fatalf("date %q carries a zone", s)
			}
			if _, err := time.Parse("2006-01-02T15:04:05.999999", s); err != nil {
				t.Fatalf("date %q: %v", s, err)
			}
		}
	})
	t.Run("it can be served", func(t *testing.T) {
		s := omnitest.NewServer(omnitest.Synthetic(200, 10, 3))
		defer s.Close()
		r := fetch(t, endpoint(s), omnitest.DefaultAPIKey)
		if r.status != http.StatusOK || !bytes.Equal(r.body, b) {
			t.Errorf("status %d, served body differs from the encoding", r.status)
		}
	})
}

func BenchmarkSynthetic5000x10(b *testing.B) {
	p := omnitest.Synthetic(5000, 10, 1)
	buf := p.AppendJSON(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = p.AppendJSON(buf[:0])
	}
}

func BenchmarkMarshalSynthetic5000x10(b *testing.B) {
	p := omnitest.Synthetic(5000, 10, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildSynthetic10000x10(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		omnitest.Synthetic(10000, 10, 1)
	}
}
