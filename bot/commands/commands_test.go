package commands

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/omni"
)

var now = rendertest.Now()

func newCommands(snap *omni.Snapshot) *Commands {
	c := New(alerts.DefaultRules().LowBalance, func() time.Time { return now })
	if snap != nil {
		c.SetSnapshot(snap)
	}
	return c
}

func TestLookup(t *testing.T) {
	ix := newIndex(rendertest.Reseller(), alerts.DefaultRules().LowBalance)
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
			m := ix.lookup(tt.query)
			var got int64
			if m.org != nil {
				got = m.org.ID
			}
			var cands []int64
			for _, o := range m.candidates {
				cands = append(cands, o.ID)
			}
			if got != tt.org || fmt.Sprint(cands) != fmt.Sprint(tt.cands) || (m.org != nil && m.fuzzy != tt.fuzzy) {
				t.Errorf("Lookup(%q) = org %d, candidates %v, fuzzy %v; want %d, %v, %v", tt.query, got, cands, m.fuzzy, tt.org, tt.cands, tt.fuzzy)
			}
		})
	}
}

func TestOrgsPagesStayWithinSlackLimits(t *testing.T) {
	snap := syntheticSnapshot(10000, 2)
	c := newCommands(snap)
	first := rendertest.Only(t, c.Handle("/orgs", ""))
	rendertest.CheckLimits(t, first)
	if !strings.Contains(first.Plain, "Page 1 of 500") || !strings.Contains(first.Plain, "/orgs page 2 for more") {
		t.Errorf("page 1 does not say how to go on:\n%s", first.Plain)
	}
	last := rendertest.Only(t, c.Handle("/orgs", "page 9999"))
	rendertest.CheckLimits(t, last)
	if !strings.Contains(last.Plain, "Page 500 of 500") {
		t.Errorf("a page past the end does not show the last page:\n%s", last.Plain)
	}
	low := rendertest.Only(t, c.Handle("/orgs", "low 2"))
	rendertest.CheckLimits(t, low)
	if !strings.Contains(low.Plain, "with a low balance") || !strings.Contains(low.Plain, "Page 2 of") {
		t.Errorf("/orgs low 2:\n%s", low.Plain)
	}
	// The riskiest org comes first: no other has less runway.
	ix := newIndex(snap, alerts.DefaultRules().LowBalance)
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

func TestAnOrgWithManyUsersShowsThemAllInFollowUps(t *testing.T) {
	tests := []struct {
		users, parts int
		shownAll     bool
	}{
		{20, 1, true},
		{300, 3, true},
		{5000, render.MaxAnswerParts, false},
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
				rendertest.CheckLimits(t, m)
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
