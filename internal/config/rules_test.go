package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// cfgField is the struct field of Config at a dotted key, if any.
func cfgField(key string) (reflect.StructField, bool) {
	t := reflect.TypeFor[Config]()
	var f reflect.StructField
	for _, part := range strings.Split(key, ".") {
		if t.Kind() != reflect.Struct {
			return f, false
		}
		found := false
		for i := range t.NumField() {
			if yamlName(t.Field(i)) == part {
				f, t, found = t.Field(i), t.Field(i).Type, true
				break
			}
		}
		if !found {
			return f, false
		}
	}
	return f, true
}

func TestEveryRuleOfTheEngineHasAKeyOfItsType(t *testing.T) {
	keys := cfgKeyPaths(reflect.TypeFor[Config](), "")
	for _, id := range alerts.RuleIDs() {
		t.Run(string(id)+" is set by a key of the file", func(t *testing.T) {
			key, isDuration := ruleSetting(id)
			if key == "" || RuleKey(id) != key {
				t.Fatalf("no key for %q", id)
			}
			if !slices.Contains(keys, key) {
				t.Fatalf("%s is not a key of Config", key)
			}
			f, _ := cfgField(key)
			if got := f.Type == reflect.TypeFor[Duration](); got != isDuration {
				t.Errorf("%s is of type %s, but the rule is cited as a duration: %v", key, f.Type, isDuration)
			}
		})
	}
	if RuleKey("no_such_rule") != "" {
		t.Error("an unknown rule has a key")
	}
}

func TestRuleText(t *testing.T) {
	below := alerts.Threshold{Rule: alerts.RuleLowBalanceBelow, Number: 50}
	repeat := alerts.Threshold{Rule: alerts.RuleLowBalanceRepeatEvery, Duration: 24 * time.Hour}
	cause := func(ts ...alerts.Threshold) alerts.Event { return alerts.Event{Cause: &alerts.Cause{Thresholds: ts}} }
	tests := []struct {
		name string
		ev   alerts.Event
		want string
	}{
		{"an amount reads as a number", cause(below), "alerts.low_balance.below = 50"},
		{"a fraction keeps its decimals", cause(alerts.Threshold{Rule: alerts.RuleLowBalanceBelow, Number: 12.5}),
			"alerts.low_balance.below = 12.5"},
		{"a duration reads as the file writes it", cause(alerts.Threshold{Rule: alerts.RuleLowBalanceRunwayBelow, Duration: 90 * time.Minute}),
			"alerts.low_balance.runway_below = 1h30m"},
		{"a key in the first one's section is named by its last part", cause(below, repeat),
			"alerts.low_balance.below = 50, repeat_every = 24h"},
		{"a key of another section is named in full", cause(alerts.Threshold{Rule: alerts.RuleFailuresBeforeNotice, Number: 3}, below),
			"poll.failures_before_notice = 3, alerts.low_balance.below = 50"},
		{"a count reads as a whole number", cause(alerts.Threshold{Rule: alerts.RuleFailuresBeforeNotice, Number: 3}),
			"poll.failures_before_notice = 3"},
		{"a share reads as a fraction", cause(alerts.Threshold{Rule: alerts.RuleMassRemovalShare, Number: 0.5}),
			"alerts.mass_removal_share = 0.5"},
		{"a rule of a later version is named by its identifier", cause(alerts.Threshold{Rule: "burn_within", Duration: 24 * time.Hour}),
			"burn_within = 24h"},
		{"an event queued by an earlier version keeps its text", alerts.Event{Cause: &alerts.Cause{Text: "alerts.new_user = true"}}, "alerts.new_user = true"},
		{"an event no rule fired cites none", alerts.Event{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RuleText(&tt.ev); got != tt.want {
				t.Errorf("RuleText = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTheEngineCitesItsRulesAsTheFileSpellsThem holds the text every alert's
// context line has always shown, from the engine's own events.
func TestTheEngineCitesItsRulesAsTheFileSpellsThem(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)
	snap := func(orgs ...omni.Org) *omni.Snapshot {
		s := &omni.Snapshot{Orgs: orgs, HasScope: true}
		s.Normalize()
		return s
	}
	low := snap(omni.Org{ID: 1, Name: "A", Balance: 10, CostPerMin: 0.1})
	short := snap(omni.Org{ID: 1, Name: "A", Balance: 200, CostPerMin: 1})
	two := snap(omni.Org{ID: 1, Name: "A", Balance: 1000, CostPerMin: 0.1}, omni.Org{ID: 2, Name: "B", Balance: 1000, CostPerMin: 0.1})
	rules := alerts.DefaultRules()
	day := t0.Add(24 * time.Hour)
	first := func(cur *omni.Snapshot) []alerts.Event {
		events, _ := alerts.Evaluate(nil, cur, alerts.State{}, rules, t0)
		return events
	}
	reminder := func(cur *omni.Snapshot) []alerts.Event {
		_, st := alerts.Evaluate(nil, cur, alerts.State{}, rules, t0)
		events, _ := alerts.Evaluate(cur, cur, st, rules, day)
		return events
	}
	outage := func() []alerts.Event {
		var events []alerts.Event
		var st alerts.State
		for range rules.FailuresBeforeNotice {
			events, st = alerts.Failed(st, "x", rules, t0)
		}
		return events
	}
	massRemoval, _ := alerts.Evaluate(two, snap(), alerts.State{}, rules, t0)
	tests := []struct {
		name   string
		events []alerts.Event
		want   string
	}{
		{"a low balance", first(low), "alerts.low_balance.below = 50"},
		{"a short runway", first(short), "alerts.low_balance.runway_below = 4h"},
		{"a reminder", reminder(low), "alerts.low_balance.below = 50, repeat_every = 24h"},
		{"a runway reminder", reminder(short), "alerts.low_balance.runway_below = 4h, repeat_every = 24h"},
		{"an outage", outage(), "poll.failures_before_notice = 3"},
		{"a mass removal", massRemoval, "alerts.mass_removal_share = 0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" cites "+tt.want, func(t *testing.T) {
			if len(tt.events) != 1 {
				t.Fatalf("%d events, want 1: %+v", len(tt.events), tt.events)
			}
			if got := RuleText(&tt.events[0]); got != tt.want {
				t.Errorf("RuleText = %q, want %q", got, tt.want)
			}
		})
	}
}
