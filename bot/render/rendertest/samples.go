package rendertest

import (
	"fmt"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// Now is the fixed clock reading the samples are about, the tests' "now":
// 16:05 UTC on 27 November 2026.
func Now() time.Time { return time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC) }

// Org is an alert's org with a name, in dollars.
func Org(id int64, name string) alerts.OrgRef {
	return alerts.OrgRef{ID: id, Name: name, Currency: "$"}
}

// Figures are an org's figures at a balance and cost per minute, with its
// runway worked out as the engine would.
func Figures(balance, cost float64) *alerts.Figures {
	o := omni.Org{Balance: balance, CostPerMin: cost}
	r, limited := o.Runway()
	return &alerts.Figures{Balance: balance, CostPerMin: cost, Runway: r, RunwayLimited: limited, ConcurrentCallLimit: 5, Users: 3}
}

// Burst is n events of one poll at Now across n/3 orgs, of every common
// kind: what a reseller's first day of polling, or a bad migration, sends.
func Burst(n int) []alerts.Event {
	now := Now()
	events := make([]alerts.Event, 0, n)
	for i := 0; len(events) < n; i++ {
		o := Org(int64(4001+i/3), fmt.Sprintf("Customer Org %04d Ltd", i/3))
		switch i % 3 {
		case 0:
			events = append(events, alerts.Event{Kind: alerts.LowBalance, At: now, Org: o, Figures: Figures(float64(i%50), 0.2),
				Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleLowBalanceBelow, Number: 50}}}, Since: now})
		case 1:
			events = append(events, alerts.Event{Kind: alerts.NewUser, At: now, Org: o,
				User:    &alerts.UserRef{ID: int64(i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@customer.example", i)},
				Changes: []alerts.Change{{Field: "is_bots_menu_access", Old: "off", New: "on"}}})
		case 2:
			events = append(events, alerts.Event{Kind: alerts.PermissionChange, At: now, Org: o,
				User:    &alerts.UserRef{ID: int64(i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@customer.example", i)},
				Changes: []alerts.Change{{Field: "is_bulk_call_access", Old: "off", New: "on"}}})
		}
	}
	return events
}

// Reseller is a small reseller polled three minutes before Now, whose four
// orgs exercise every part of an answer: a shared name prefix, a user with
// menus beyond the reseller's scope, a low balance, free calls, another
// currency and a name with markup in it.
func Reseller() *omni.Snapshot {
	now := Now()
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
