package alerts_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

var t0 = time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)

func user(id int64, name string, flags ...string) omni.User {
	u := omni.User{ID: id, Name: name, Email: strings.ToLower(name) + "@example.com", Active: true}
	for _, f := range flags {
		u.Menus.Set(f, true)
	}
	return u
}

func org(id int64, name string, balance, cost float64, users ...omni.User) omni.Org {
	return omni.Org{ID: id, Name: name, Balance: balance, CostPerMin: cost, Currency: "$", ConcurrentCallLimit: 5, Users: users}
}

func snap(orgs ...omni.Org) *omni.Snapshot {
	s := &omni.Snapshot{Orgs: orgs, HasScope: true}
	s.Normalize()
	return s
}

// baseline is a reseller with one healthy org and one low org.
func baseline() *omni.Snapshot {
	return snap(
		org(4001, "Acme Inc", 24442.6, 0.09, user(1110, "Demo", "is_bots_menu_access", "is_billing_menu_access")),
		org(4002, "Beta Co", 13, 0.2, user(1234, "Demo2", "is_bots_menu_access")),
	)
}

// summary renders events compactly for comparison: kind, org, user, changes.
func summary(events []alerts.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%s", e.Kind)
		if e.Org.ID != 0 {
			fmt.Fprintf(&b, " org=%d", e.Org.ID)
		}
		if e.User != nil {
			fmt.Fprintf(&b, " user=%d", e.User.ID)
		}
		for _, c := range e.Changes {
			fmt.Fprintf(&b, " %s:%s->%s", c.Field, c.Old, c.New)
		}
		if e.Reminder {
			b.WriteString(" reminder")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestFirstPollIsABaseline(t *testing.T) {
	events, st := alerts.Evaluate(nil, baseline(), alerts.State{}, alerts.DefaultRules(), t0)
	if got, want := summary(events), "low_balance org=4002\n"; got != want {
		t.Errorf("events:\n%s\nwant:\n%s", got, want)
	}
	if ls, ok := st.Low[4002]; !ok || !ls.Since.Equal(t0) || !ls.LastSent.Equal(t0) {
		t.Errorf("state.Low = %+v", st.Low)
	}
	ev := events[0]
	if !slices.Equal(thresholds(ev), []alerts.Threshold{below50}) || ev.Figures.Balance != 13 || ev.Org.Name != "Beta Co" ||
		ev.Figures.Runway != 65*time.Minute || !ev.At.Equal(t0) {
		t.Errorf("event = %+v, figures %+v", ev, ev.Figures)
	}
}

func TestLowBalanceFiresOn(t *testing.T) {
	rules := alerts.DefaultRules()
	tests := []struct {
		name string
		org  omni.Org
		rule alerts.Threshold // zero when no alert is expected
	}{
		{"a balance under the amount", org(1, "A", 49.99, 0.01), below50},
		{"a runway under the limit though the balance is high", org(1, "A", 200, 1), runway4h},
		{"a negative balance", org(1, "A", -3, 0.1), below50},
		{"a low balance with free calls", org(1, "A", 10, 0), below50},
		{"nothing when calls are free and the balance is fine", org(1, "A", 100, 0), alerts.Threshold{}},
		{"nothing at exactly the amount with a long runway", org(1, "A", 50, 0.001), alerts.Threshold{}},
		{"nothing for a healthy org", org(1, "A", 1000, 0.5), alerts.Threshold{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, _ := alerts.Evaluate(nil, snap(tt.org), alerts.State{}, rules, t0)
			switch {
			case tt.rule == alerts.Threshold{} && len(events) != 0:
				t.Errorf("unexpected events:\n%s", summary(events))
			case tt.rule != alerts.Threshold{} && (len(events) != 1 || !slices.Equal(thresholds(events[0]), []alerts.Threshold{tt.rule})):
				t.Errorf("events:\n%s (rules %+v), want one with rule %+v", summary(events), ruleOf(events), tt.rule)
			}
		})
	}
	t.Run("no balance alerts when both thresholds are off", func(t *testing.T) {
		off := rules
		off.LowBalance.Below, off.LowBalance.RunwayBelow = 0, 0
		if events, _ := alerts.Evaluate(nil, snap(org(1, "A", -5, 1)), alerts.State{}, off, t0); len(events) != 0 {
			t.Errorf("events:\n%s", summary(events))
		}
	})
}

// The thresholds of the default rules, as events cite them.
var (
	below50  = alerts.Threshold{Rule: alerts.RuleLowBalanceBelow, Number: 50}
	runway4h = alerts.Threshold{Rule: alerts.RuleLowBalanceRunwayBelow, Duration: 4 * time.Hour}
)

func ruleOf(events []alerts.Event) []alerts.Threshold {
	if len(events) == 0 {
		return nil
	}
	return thresholds(events[0])
}

// thresholds are the rules an event cites; nil when it cites none.
func thresholds(e alerts.Event) []alerts.Threshold {
	if e.Cause == nil {
		return nil
	}
	return e.Cause.Thresholds
}

func TestLowBalanceReminders(t *testing.T) {
	rules := alerts.DefaultRules() // repeat_every 24h
	cur := snap(org(1, "A", 10, 0.1))
	_, st := alerts.Evaluate(nil, cur, alerts.State{}, rules, t0)
	steps := []struct {
		after    time.Duration
		reminded bool
	}{
		{time.Hour, false},
		{23*time.Hour + 59*time.Minute, false},
		{24 * time.Hour, true},
		{25 * time.Hour, false},
		{47 * time.Hour, false},
		{48 * time.Hour, true},
	}
	for _, step := range steps {
		events, next := alerts.Evaluate(cur, cur, st, rules, t0.Add(step.after))
		st = next
		reminded := len(events) == 1 && events[0].Kind == alerts.LowBalance && events[0].Reminder
		if reminded != step.reminded || (!step.reminded && len(events) != 0) {
			t.Errorf("after %v: events %q, want reminder=%v", step.after, summary(events), step.reminded)
		}
		if reminded && !events[0].Since.Equal(t0) {
			t.Errorf("reminder says low since %v, want %v", events[0].Since, t0)
		}
	}
	t.Run("never reminds when repeat_every is zero", func(t *testing.T) {
		r := rules
		r.LowBalance.RepeatEvery = 0
		_, st := alerts.Evaluate(nil, cur, alerts.State{}, r, t0)
		if events, _ := alerts.Evaluate(cur, cur, st, r, t0.Add(1000*time.Hour)); len(events) != 0 {
			t.Errorf("events %q", summary(events))
		}
	})
}

func TestLowBalanceRecoversOnceWithoutFlapping(t *testing.T) {
	rules := alerts.DefaultRules() // below 50, margin 10%: recovered at 55
	balances := []struct {
		balance float64
		want    string
	}{
		{49, "low_balance org=1\n"},
		{51, ""},   // above the threshold but inside the margin: still low
		{49.5, ""}, // low again: already announced
		{54.99, ""},
		{55, "balance_recovered org=1\n"},
		{56, ""},
		{52, ""}, // above the threshold: not low
		{48, "low_balance org=1\n"},
	}
	var prev *omni.Snapshot
	st := alerts.State{}
	for i, step := range balances {
		cur := snap(org(1, "A", step.balance, 0.001))
		var events []alerts.Event
		events, st = alerts.Evaluate(prev, cur, st, rules, t0.Add(time.Duration(i)*time.Minute))
		if got := summary(events); got != step.want {
			t.Errorf("balance %v: events %q, want %q", step.balance, got, step.want)
		}
		if step.want == "balance_recovered org=1\n" && !events[0].Since.Equal(t0) {
			t.Errorf("recovered event says low since %v, want %v", events[0].Since, t0)
		}
		prev = cur
	}
}

func TestChanges(t *testing.T) {
	rules := alerts.DefaultRules()
	healthy := func() *omni.Snapshot {
		return snap(
			org(1, "A", 1000, 0.1, user(10, "Ann", "is_bots_menu_access"), user(11, "Bob")),
			org(2, "B", 1000, 0.1, user(20, "Cat")),
		)
	}
	tests := []struct {
		name   string
		rules  func(*alerts.Rules)
		change func(s *omni.Snapshot)
		want   string
	}{
		{"nothing changed yields nothing", nil, func(s *omni.Snapshot) {}, ""},
		{"a user appearing is a new user", nil, func(s *omni.Snapshot) {
			s.Orgs[1].Users = append(s.Orgs[1].Users, user(21, "Dan", "is_leads_access"))
		}, "new_user org=2 user=21 is_leads_access:off->on\n"},
		{"a user disappearing is a removed user", nil, func(s *omni.Snapshot) {
			s.Orgs[0].Users = s.Orgs[0].Users[:1]
		}, "user_removed org=1 user=11\n"},
		{"a flag switched on is a permission change", nil, func(s *omni.Snapshot) {
			s.Orgs[0].Users[1].Menus.Set("is_bulk_call_access", true)
		}, "permission_change org=1 user=11 is_bulk_call_access:off->on\n"},
		{"several changes of one user are one event", nil, func(s *omni.Snapshot) {
			u := &s.Orgs[0].Users[0]
			u.Menus.Set("is_bots_menu_access", false)
			u.Menus.Set("is_new_thing_access", true)
			u.Active = false
			u.AccessLevel = "admin"
		}, "permission_change org=1 user=10 is_active:on->off access_level:->admin is_bots_menu_access:on->off is_new_thing_access:off->on\n"},
		{"a name change alone is not a permission change", nil, func(s *omni.Snapshot) {
			s.Orgs[0].Users[0].Name = "Annie"
		}, ""},
		{"an org appearing is an added org", nil, func(s *omni.Snapshot) {
			s.Orgs = append(s.Orgs, org(3, "C", 1000, 0.1, user(30, "Eve")))
		}, "org_added org=3\n"},
		{"an org disappearing is a removed org", nil, func(s *omni.Snapshot) {
			s.Orgs = s.Orgs[:1]
		}, "org_removed org=2\n"},
		{"cost and concurrency changes are one limits event", nil, func(s *omni.Snapshot) {
			s.Orgs[0].CostPerMin = 0.12
			s.Orgs[0].ConcurrentCallLimit = 10
		}, "limits_changed org=1 cost_per_min:0.1->0.12 concurrent_call_limit:5->10\n"},
		{"a reseller scope change is announced", nil, func(s *omni.Snapshot) {
			s.Scope.Set("is_voice_cloning_access", true)
		}, "scope_changed is_voice_cloning_access:off->on\n"},
		{"a payload without the access control announces no scope change", nil, func(s *omni.Snapshot) {
			s.Scope.Set("is_voice_cloning_access", true)
			s.HasScope = false
		}, ""},
		{"new users are quiet when new_user is off", func(r *alerts.Rules) { r.NewUser = false }, func(s *omni.Snapshot) {
			s.Orgs[1].Users = append(s.Orgs[1].Users, user(21, "Dan"))
		}, ""},
		{"permission changes are quiet when permission_change is off", func(r *alerts.Rules) { r.PermissionChange = false }, func(s *omni.Snapshot) {
			s.Orgs[0].Users[1].Active = false
		}, ""},
		{"events come out by org, then kind, then user", nil, func(s *omni.Snapshot) {
			s.Orgs[1].Users = append(s.Orgs[1].Users, user(22, "Gus"), user(21, "Fay"))
			s.Orgs[1].CostPerMin = 0.3
			s.Orgs[0].Users[0].Active = false
			s.Orgs = append(s.Orgs, org(0o3, "C", 1000, 0.1))
			s.Scope.Set("is_leads_access", true)
			s.Normalize()
		}, "scope_changed is_leads_access:off->on\n" +
			"permission_change org=1 user=10 is_active:on->off\n" +
			"limits_changed org=2 cost_per_min:0.1->0.3\n" +
			"new_user org=2 user=21\n" +
			"new_user org=2 user=22\n" +
			"org_added org=3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rules
			if tt.rules != nil {
				tt.rules(&r)
			}
			prev, cur := healthy(), healthy()
			tt.change(cur)
			events, _ := alerts.Evaluate(prev, cur, alerts.State{}, r, t0)
			if got := summary(events); got != tt.want {
				t.Errorf("events:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestEvaluateIsPureAndDeterministic(t *testing.T) {
	prev := baseline()
	cur := baseline()
	cur.Orgs[0].Users = append(cur.Orgs[0].Users, user(1111, "New"))
	cur.Orgs[1].Balance = 100
	st := alerts.State{Low: map[int64]alerts.LowState{4002: {Since: t0, LastSent: t0}}}
	before := fmt.Sprintf("%+v", st)
	first, firstState := alerts.Evaluate(prev, cur, st, alerts.DefaultRules(), t0.Add(time.Hour))
	second, secondState := alerts.Evaluate(prev, cur, st, alerts.DefaultRules(), t0.Add(time.Hour))
	if fmt.Sprintf("%+v", st) != before {
		t.Errorf("Evaluate changed the state it was given: %+v", st)
	}
	if !reflect.DeepEqual(first, second) || !reflect.DeepEqual(firstState, secondState) {
		t.Error("the same inputs gave different results")
	}
	if got := summary(first); got != "new_user org=4001 user=1111\nbalance_recovered org=4002\n" {
		t.Errorf("events:\n%s", got)
	}
	if _, ok := firstState.Low[4002]; ok {
		t.Error("the recovered org is still in the state")
	}
}

func TestAnUnchangedPollAllocatesNothing(t *testing.T) {
	prev, cur := baseline(), baseline()
	_, st := alerts.Evaluate(nil, prev, alerts.State{}, alerts.DefaultRules(), t0)
	allocs := testing.AllocsPerRun(100, func() {
		alerts.Evaluate(prev, cur, st, alerts.DefaultRules(), t0.Add(time.Minute))
	})
	if allocs != 0 {
		t.Errorf("an unchanged poll allocated %v times", allocs)
	}
}

func TestOutageIsAnnouncedOnceAndItsEndOnce(t *testing.T) {
	rules := alerts.DefaultRules() // 3 failures before notice
	_, st := alerts.Evaluate(nil, baseline(), alerts.State{}, rules, t0)
	var got []string
	for i := 1; i <= 5; i++ {
		var events []alerts.Event
		events, st = alerts.Failed(st, "omnidim: server error (HTTP 502)", rules, t0.Add(time.Duration(i)*time.Minute))
		got = append(got, strings.TrimSpace(summary(events)))
	}
	if want := []string{"", "", "api_outage", "", ""}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events per failed poll %q, want %q", got, want)
	}
	events, st := alerts.Evaluate(baseline(), baseline(), st, rules, t0.Add(10*time.Minute))
	if summary(events) != "api_recovered\n" {
		t.Fatalf("after recovery: %q", summary(events))
	}
	if events[0].Count != 5 || !events[0].Since.Equal(t0.Add(time.Minute)) {
		t.Errorf("recovered event = %+v", events[0])
	}
	if st.Failures != 0 || st.OutageAnnounced {
		t.Errorf("state after recovery = %+v", st)
	}

	t.Run("a short blip is never announced", func(t *testing.T) {
		_, st := alerts.Evaluate(nil, baseline(), alerts.State{}, rules, t0)
		for range 2 {
			if events, next := alerts.Failed(st, "x", rules, t0); len(events) != 0 {
				t.Fatal("announced too early")
			} else {
				st = next
			}
		}
		if events, _ := alerts.Evaluate(baseline(), baseline(), st, rules, t0); len(events) != 0 {
			t.Errorf("events %q", summary(events))
		}
	})
}

func TestMassRemovalIsHeldForOnePoll(t *testing.T) {
	rules := alerts.DefaultRules()
	full := func() *omni.Snapshot {
		return snap(
			org(1, "A", 10, 0.1, user(10, "Ann")),
			org(2, "B", 1000, 0.1, user(20, "Bob")),
			org(3, "C", 1000, 0.1, user(30, "Cat")),
			org(4, "D", 1000, 0.1, user(40, "Dan")),
		)
	}
	partial := snap(org(4, "D", 1000, 0.1, user(40, "Dan")))
	_, st := alerts.Evaluate(nil, full(), alerts.State{}, rules, t0)

	held, st := alerts.Evaluate(full(), partial, st, rules, t0.Add(time.Minute))
	if summary(held) != "mass_removal_held\n" || held[0].Count != 3 {
		t.Fatalf("on the partial poll: %q", summary(held))
	}
	if !strings.Contains(held[0].Detail, "3 of 4 orgs") {
		t.Errorf("detail %q", held[0].Detail)
	}

	t.Run("orgs that come back are neither removed nor added, nor alerted again", func(t *testing.T) {
		events, next := alerts.Evaluate(partial, full(), st, rules, t0.Add(2*time.Minute))
		if len(events) != 0 {
			t.Errorf("events %q", summary(events))
		}
		if len(next.Held) != 0 {
			t.Errorf("still held: %+v", next.Held)
		}
		if _, ok := next.Low[1]; !ok {
			t.Error("the low balance of org 1 was forgotten while its removal was held")
		}
	})
	t.Run("orgs still gone on the next poll are announced as removed", func(t *testing.T) {
		events, next := alerts.Evaluate(partial, partial, st, rules, t0.Add(2*time.Minute))
		if got := summary(events); got != "org_removed org=1\norg_removed org=2\norg_removed org=3\n" {
			t.Errorf("events %q", got)
		}
		if len(next.Held) != 0 || len(next.Low) != 0 {
			t.Errorf("state after confirming: %+v", next)
		}
	})
	t.Run("a small removal is announced at once", func(t *testing.T) {
		cur := full()
		cur.Orgs = cur.Orgs[1:]
		events, _ := alerts.Evaluate(full(), cur, alerts.State{}, rules, t0)
		if got := summary(events); got != "org_removed org=1\n" {
			t.Errorf("events %q", got)
		}
	})
	t.Run("the guard is off at share zero", func(t *testing.T) {
		r := rules
		r.MassRemovalShare = 0
		events, _ := alerts.Evaluate(full(), partial, alerts.State{}, r, t0)
		if got := summary(events); !strings.HasPrefix(got, "org_removed org=1\n") {
			t.Errorf("events %q", got)
		}
	})
	t.Run("losing most users of an org is held too", func(t *testing.T) {
		prev := snap(org(1, "A", 1000, 0.1, user(10, "A"), user(11, "B"), user(12, "C")))
		cur := snap(org(1, "A", 1000, 0.1, user(10, "A")))
		events, next := alerts.Evaluate(prev, cur, alerts.State{}, rules, t0)
		if summary(events) != "mass_removal_held\n" || len(next.Held) != 2 {
			t.Errorf("events %q, held %d", summary(events), len(next.Held))
		}
		back, _ := alerts.Evaluate(cur, prev, next, rules, t0.Add(time.Minute))
		if len(back) != 0 {
			t.Errorf("users who came back were announced: %q", summary(back))
		}
	})
}

func TestChangesDuringAHeldMassRemovalAreAnnounced(t *testing.T) {
	rules := alerts.DefaultRules()
	before := snap(
		org(1, "A", 1000, 0.1, user(10, "Ann", "is_bots_menu_access")),
		org(2, "B", 1000, 0.1, user(20, "Bob")),
		org(3, "C", 1000, 0.1, user(30, "Cat")),
		org(4, "D", 1000, 0.1, user(40, "Dan")),
	)
	before.PolledAt = t0
	partial := snap(org(4, "D", 1000, 0.1, user(40, "Dan")))
	partial.PolledAt = t0.Add(time.Minute)
	_, st := alerts.Evaluate(nil, before, alerts.State{}, rules, t0)
	_, st = alerts.Evaluate(before, partial, st, rules, partial.PolledAt)
	if len(st.Held) != 3 || !st.HeldFrom.Equal(t0) {
		t.Fatalf("held %d from %v, want 3 from %v", len(st.Held), st.HeldFrom, t0)
	}

	// Meanwhile Ann lost a menu, Bob got a colleague and C's price rose.
	back := snap(
		org(1, "A", 1000, 0.1, user(10, "Ann")),
		org(2, "B", 1000, 0.1, user(20, "Bob"), user(21, "Eve")),
		org(3, "C", 1000, 0.2, user(30, "Cat")),
		org(4, "D", 1000, 0.1, user(40, "Dan")),
	)
	t.Run("orgs that come back are compared with the last snapshot that had them", func(t *testing.T) {
		events, next := alerts.Evaluate(alerts.Baseline(partial, before, st), back, st, rules, t0.Add(2*time.Minute))
		want := "permission_change org=1 user=10 is_bots_menu_access:on->off\n" +
			"new_user org=2 user=21\n" +
			"limits_changed org=3 cost_per_min:0.1->0.2\n"
		if got := summary(events); got != want {
			t.Errorf("events:\n%s\nwant:\n%s", got, want)
		}
		if len(next.Held) != 0 || !next.HeldFrom.IsZero() {
			t.Errorf("still held: %+v from %v", next.Held, next.HeldFrom)
		}
	})
	t.Run("orgs still gone are announced once, not held again", func(t *testing.T) {
		cur := snap(org(1, "A", 1000, 0.1, user(10, "Ann", "is_bots_menu_access")), org(4, "D", 1000, 0.1, user(40, "Dan")))
		events, next := alerts.Evaluate(alerts.Baseline(partial, before, st), cur, st, rules, t0.Add(2*time.Minute))
		if got := summary(events); got != "org_removed org=2\norg_removed org=3\n" {
			t.Errorf("events %q", got)
		}
		if len(next.Held) != 0 {
			t.Errorf("held again: %+v", next.Held)
		}
	})
	t.Run("users who come back are compared with their last state", func(t *testing.T) {
		prev := snap(org(1, "A", 1000, 0.1, user(10, "A"), user(11, "B", "is_bots_menu_access"), user(12, "C")))
		prev.PolledAt = t0
		cur := snap(org(1, "A", 1000, 0.1, user(10, "A")))
		cur.PolledAt = t0.Add(time.Minute)
		_, held := alerts.Evaluate(prev, cur, alerts.State{}, rules, cur.PolledAt)
		returned := snap(org(1, "A", 1000, 0.1, user(10, "A"), user(11, "B"), user(12, "C")))
		events, _ := alerts.Evaluate(alerts.Baseline(cur, prev, held), returned, held, rules, t0.Add(2*time.Minute))
		if got := summary(events); got != "permission_change org=1 user=11 is_bots_menu_access:on->off\n" {
			t.Errorf("events %q", got)
		}
	})
	t.Run("without the earlier snapshot, returning orgs are still not news", func(t *testing.T) {
		events, _ := alerts.Evaluate(alerts.Baseline(partial, nil, st), back, st, rules, t0.Add(2*time.Minute))
		if len(events) != 0 {
			t.Errorf("events %q", summary(events))
		}
	})
	t.Run("Baseline leaves its arguments alone", func(t *testing.T) {
		n := len(partial.Orgs)
		alerts.Baseline(partial, before, st)
		if len(partial.Orgs) != n || len(before.Orgs) != 4 {
			t.Errorf("partial has %d orgs, before %d", len(partial.Orgs), len(before.Orgs))
		}
	})
}
