package config

import (
	"strconv"
	"strings"

	"github.com/resellerbot/resellerbot/alerts"
)

// RuleKey is the key that sets rule, as the file spells it
// ("alerts.low_balance.below"), or "" for a rule this version does not know.
func RuleKey(rule alerts.RuleID) string {
	key, _ := ruleSetting(rule)
	return key
}

// ruleSetting is the key that sets rule and whether its value is a
// Duration.
func ruleSetting(rule alerts.RuleID) (key string, isDuration bool) {
	switch rule {
	case alerts.RuleLowBalanceBelow:
		return "alerts.low_balance.below", false
	case alerts.RuleLowBalanceRunwayBelow:
		return "alerts.low_balance.runway_below", true
	case alerts.RuleLowBalanceRepeatEvery:
		return "alerts.low_balance.repeat_every", true
	case alerts.RuleFailuresBeforeNotice:
		return "poll.failures_before_notice", false
	case alerts.RuleMassRemovalShare:
		return "alerts.mass_removal_share", false
	case alerts.RuleLowBalanceBurnWithin:
		return "alerts.low_balance.burn_within", true
	case alerts.RuleExpiryWithin:
		return "alerts.expiry.within", true
	}
	return "", false
}

// RuleText cites the rules that fired e as the file would set them, for the
// line under an alert: "alerts.low_balance.below = 50", or for a reminder
// "alerts.low_balance.below = 50, repeat_every = 24h" (a key in the section
// of the first is named by what follows the section). An event queued by an
// earlier version carries this text itself, and gets it back unchanged. ""
// when no rule fired.
func RuleText(e *alerts.Event) string {
	if e.Cause == nil {
		return ""
	}
	if len(e.Cause.Thresholds) == 0 {
		return e.Cause.Text
	}
	// A digest cites the rules of every event it holds: one allocation each.
	var b strings.Builder
	b.Grow(48 * len(e.Cause.Thresholds))
	var num [24]byte
	section := ""
	for i, t := range e.Cause.Thresholds {
		key, isDuration := ruleSetting(t.Rule)
		if key == "" { // from a later version: its id says the most
			key, isDuration = string(t.Rule), t.Duration != 0
		}
		if i == 0 {
			section = key[:strings.LastIndexByte(key, '.')+1]
		} else {
			b.WriteString(", ")
			key = strings.TrimPrefix(key, section)
		}
		b.WriteString(key)
		b.WriteString(" = ")
		if isDuration {
			b.WriteString(Duration(t.Duration).String())
		} else {
			b.Write(strconv.AppendFloat(num[:0], t.Number, 'f', -1, 64))
		}
	}
	return b.String()
}
