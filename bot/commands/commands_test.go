package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// reseller is a small reseller for command tests.
func reseller() *omni.Snapshot {
	var scope, wide, narrow omni.Flags
	for _, f := range []string{"is_bots_menu_access", "is_billing_menu_access", "is_call_logs_menu_access"} {
		scope.Set(f, true)
		wide.Set(f, true)
	}
	wide.Set("is_bulk_call_access", true) // beyond the reseller's scope
	narrow.Set("is_bots_menu_access", true)
	snap := &omni.Snapshot{
		PolledAt: now.Add(-3 * time.Minute),
		Reseller: omni.Reseller{ID: 5678, Name: "Demo Reseller", ConcurrentCallLimit: 10},
		Scope:    scope,
		HasScope: true,
		Orgs: []omni.Org{
			{ID: 4001, Name: "Acme Inc", CostPerMin: 0.09, Balance: 24442.6, Currency: "$", ConcurrentCallLimit: 1, Timezone: "US/Pacific",
				Created: time.Date(2025, 10, 9, 10, 20, 58, 0, time.UTC),
				Users: []omni.User{{ID: 1110, Name: "Demo User", Email: "demo@example.com", Active: true,
					LastLogin: now.Add(-2 * time.Hour), Menus: wide}}},
			{ID: 4002, Name: "Beta Co", CostPerMin: 0.2, Balance: 13, Currency: "$", ConcurrentCallLimit: 5,
				Users: []omni.User{{ID: 1234, Name: "Demo User 2", Email: "demo2@example.com", Phone: "+15551234567", Active: true,
					Expiry: now.Add(72 * time.Hour), AccessLevel: "admin", Menus: narrow}}},
			{ID: 4003, Name: "Acme Logistics", CostPerMin: 0, Balance: 500, Currency: "€", ConcurrentCallLimit: 2},
			{ID: 4004, Name: "Zeta <Labs> & Co", CostPerMin: 1, Balance: 100, Currency: "$", ConcurrentCallLimit: 3},
		},
	}
	snap.Normalize()
	return snap
}

func newCommands(snap *omni.Snapshot) *Commands {
	c := NewCommands(alerts.DefaultRules().LowBalance, func() time.Time { return now })
	if snap != nil {
		c.SetSnapshot(snap)
	}
	return c
}

func TestCommandAnswersMatchGoldenFiles(t *testing.T) {
	c := newCommands(reseller())
	tests := []struct{ name, cmd, text string }{
		{"orgs", "/orgs", ""},
		{"orgs_low", "/orgs", "low"},
		{"org_by_prefix", "/org", "beta"},
		{"org_with_users", "/org", "4001"},
		{"org_candidates", "/org", "acme"},
		{"org_no_match", "/org", "nothing like it"},
		{"org_fuzzy", "/org", "zetta"},
		{"help", "/org", ""},
		{"orgs_bad_option", "/orgs", "sideways"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "command_"+tt.name, only(t, c.Handle(tt.cmd, tt.text)))
		})
	}
	t.Run("with a day of history", func(t *testing.T) {
		c := newCommands(reseller())
		c.UseHistory(fakeHistory{4002: 61, 4001: 24442.6, 4003: 200})
		for _, q := range []struct{ name, query string }{{"spending", "beta"}, {"no_spending", "acme inc"}, {"topped_up", "acme logistics"}} {
			golden(t, "command_org_trend_"+q.name, only(t, c.Handle("/org", q.query)))
		}
	})
	t.Run("before the first poll", func(t *testing.T) {
		golden(t, "command_no_data", only(t, newCommands(nil).Handle("/orgs", "")))
	})
	t.Run("while polls fail", func(t *testing.T) {
		c := newCommands(reseller())
		c.SetHealth(Health{Failures: 4, FailingSince: now.Add(-20 * time.Minute)})
		golden(t, "command_orgs_stale", only(t, c.Handle("/orgs", "")))
	})
}

func TestLookup(t *testing.T) {
	ix := NewIndex(reseller(), alerts.DefaultRules().LowBalance)
	tests := []struct {
		name  string
		query string
		org   int64   // the one org found, or 0
		cands []int64 // candidates, when several match
		fuzzy bool
	}{
		{"an id finds its org", "4002", 4002, nil, false},
		{"an exact name finds its org", "Acme Inc", 4001, nil, false},
		{"an exact name ignores case and spacing", "  acme   INC ", 4001, nil, false},
		{"a prefix finds the only org starting with it", "bet", 4002, nil, false},
		{"a shared prefix lists the candidates by name", "acme", 0, []int64{4001, 4003}, false},
		{"a substring finds the org containing it", "logist", 4003, nil, false},
		{"hostile characters are just text", "<labs>", 4004, nil, false},
		{"a typo finds the closest name", "bta co", 4002, nil, true},
		{"a misspelled prefix still finds the org", "zetta", 4004, nil, true},
		{"an unknown id that is no name finds nothing", "9999", 0, nil, false},
		{"nonsense finds nothing", "qqqqqqqq", 0, nil, false},
		{"an empty query finds nothing", "   ", 0, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ix.Lookup(tt.query)
			var got int64
			if m.Org != nil {
				got = m.Org.ID
			}
			var cands []int64
			for _, o := range m.Candidates {
				cands = append(cands, o.ID)
			}
			if got != tt.org || fmt.Sprint(cands) != fmt.Sprint(tt.cands) || (m.Org != nil && m.Fuzzy != tt.fuzzy) {
				t.Errorf("Lookup(%q) = org %d, candidates %v, fuzzy %v; want %d, %v, %v", tt.query, got, cands, m.Fuzzy, tt.org, tt.cands, tt.fuzzy)
			}
		})
	}
}

func TestOrgsPagesStayWithinSlackLimits(t *testing.T) {
	snap := syntheticSnapshot(10000, 2)
	c := newCommands(snap)
	first := only(t, c.Handle("/orgs", ""))
	checkLimits(t, first)
	if !strings.Contains(first.Plain, "Page 1 of 500") || !strings.Contains(first.Plain, "/orgs page 2 for more") {
		t.Errorf("page 1 does not say how to go on:\n%s", first.Plain)
	}
	last := only(t, c.Handle("/orgs", "page 9999"))
	checkLimits(t, last)
	if !strings.Contains(last.Plain, "Page 500 of 500") {
		t.Errorf("a page past the end does not show the last page:\n%s", last.Plain)
	}
	low := only(t, c.Handle("/orgs", "low 2"))
	checkLimits(t, low)
	if !strings.Contains(low.Plain, "with a low balance") || !strings.Contains(low.Plain, "Page 2 of") {
		t.Errorf("/orgs low 2:\n%s", low.Plain)
	}
	// The riskiest org comes first: no other has less runway.
	ix := NewIndex(snap, alerts.DefaultRules().LowBalance)
	firstOrg := &snap.Orgs[ix.risk[0]]
	r0, _ := firstOrg.Runway()
	for i := range snap.Orgs {
		if r, limited := snap.Orgs[i].Runway(); limited && r < r0 {
			t.Fatalf("org %d has less runway (%v) than the first listed (%v)", snap.Orgs[i].ID, r, r0)
		}
	}
	if !strings.Contains(first.Plain, firstOrg.Name) {
		t.Errorf("page 1 does not start with the riskiest org %q", firstOrg.Name)
	}
}

// fakeHistory holds each org's balance a day ago.
type fakeHistory map[int64]float64

func (h fakeHistory) OrgAt(id int64, _ time.Time) (omni.Org, bool, error) {
	b, ok := h[id]
	return omni.Org{ID: id, Balance: b}, ok, nil
}

// only is the one message an answer must be.
func only(t *testing.T, msgs []Message) Message {
	t.Helper()
	if len(msgs) != 1 {
		t.Fatalf("the answer is %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

func TestAnOrgWithManyUsersShowsThemAllInFollowUps(t *testing.T) {
	tests := []struct {
		users, parts int
		shownAll     bool
	}{
		{20, 1, true},
		{300, 3, true},
		{5000, MaxAnswerParts, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d users", tt.users), func(t *testing.T) {
			snap := syntheticSnapshot(1, tt.users)
			msgs := newCommands(snap).Handle("/org", fmt.Sprint(snap.Orgs[0].ID))
			if len(msgs) != tt.parts {
				t.Errorf("%d messages, want %d", len(msgs), tt.parts)
			}
			var plain strings.Builder
			for _, m := range msgs {
				checkLimits(t, m)
				plain.WriteString(m.Plain)
			}
			all := plain.String()
			shown := strings.Count(all, "    Menus:")
			hidden := 0
			if i := strings.LastIndex(all, "… and "); i >= 0 {
				fmt.Sscanf(all[i+len("… and "):], "%d more users", &hidden)
			}
			if tt.shownAll && (shown != tt.users || hidden != 0) {
				t.Errorf("%d of %d users shown, %d said to be left out", shown, tt.users, hidden)
			}
			if !tt.shownAll && (hidden == 0 || shown+hidden != tt.users) {
				t.Errorf("%d users shown and %d said to be left out, of %d", shown, hidden, tt.users)
			}
			for i, m := range msgs[1:] {
				if !strings.Contains(m.Plain, "continued") {
					t.Errorf("follow-up %d does not say it continues:\n%.200s", i+2, m.Plain)
				}
			}
		})
	}
}

// syntheticSnapshot builds a reseller of n orgs with users each; balances
// spread so that some are low.
func syntheticSnapshot(n, users int) *omni.Snapshot {
	snap := &omni.Snapshot{PolledAt: now, Reseller: omni.Reseller{ID: 1, Name: "Big Reseller"}}
	snap.Orgs = make([]omni.Org, n)
	uid := int64(1)
	for i := range snap.Orgs {
		o := &snap.Orgs[i]
		*o = omni.Org{ID: int64(4001 + i), Name: fmt.Sprintf("Org %05d %s", i, []string{"Logistics", "Dental", "Studio", "Health"}[i%4]),
			CostPerMin: float64(i%7) * 0.05, Balance: float64((i * 7919) % 5000), Currency: "$", ConcurrentCallLimit: 1 + i%10}
		for j := 0; j < users; j++ {
			var menus omni.Flags
			menus.Set("is_bots_menu_access", true)
			o.Users = append(o.Users, omni.User{ID: uid, Name: fmt.Sprintf("User %d", uid), Email: fmt.Sprintf("user%d@example.com", uid),
				Active: true, LastLogin: now.Add(-time.Duration(uid) * time.Minute), Menus: menus})
			uid++
		}
	}
	return snap
}
