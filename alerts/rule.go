package alerts

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// RuleID names a setting of Rules that can fire an event. Events cite rules
// by RuleID and leave it to the caller, who knows the configuration, to say
// which key sets each. Its value is stable: it is stored in the outbox.
type RuleID string

// The rules an event can cite.
const (
	// RuleLowBalanceBelow is LowBalanceRule.Below, an amount.
	RuleLowBalanceBelow RuleID = "low_balance_below"
	// RuleLowBalanceRunwayBelow is LowBalanceRule.RunwayBelow, a duration.
	RuleLowBalanceRunwayBelow RuleID = "low_balance_runway_below"
	// RuleLowBalanceRepeatEvery is LowBalanceRule.RepeatEvery, a duration.
	RuleLowBalanceRepeatEvery RuleID = "low_balance_repeat_every"
	// RuleFailuresBeforeNotice is Rules.FailuresBeforeNotice, a count.
	RuleFailuresBeforeNotice RuleID = "failures_before_notice"
	// RuleMassRemovalShare is Rules.MassRemovalShare, a share.
	RuleMassRemovalShare RuleID = "mass_removal_share"
	// RuleLowBalanceBurnWithin is LowBalanceRule.BurnWithin, a duration.
	RuleLowBalanceBurnWithin RuleID = "low_balance_burn_within"
	// RuleExpiryWithin is ExpiryRule.Within, a duration.
	RuleExpiryWithin RuleID = "expiry_within"
)

var ruleIDs = [...]RuleID{RuleLowBalanceBelow, RuleLowBalanceRunwayBelow, RuleLowBalanceRepeatEvery,
	RuleFailuresBeforeNotice, RuleMassRemovalShare, RuleLowBalanceBurnWithin, RuleExpiryWithin}

// RuleIDs lists every rule an event can cite, so that whoever names them
// can check that it names each.
func RuleIDs() []RuleID { return slices.Clone(ruleIDs[:]) }

// Cause is what fired an event: the configured rules that did, each with
// its setting at the time, so that a message cites the value that applied
// even when it is delivered after the configuration changed.
type Cause struct {
	// Thresholds are the rules, the deciding one first: a low-balance
	// reminder cites the threshold that is crossed, then
	// LowBalanceRule.RepeatEvery.
	Thresholds []Threshold `json:"thresholds,omitempty"`
	// Text is the cause as events queued by earlier versions spelled it
	// ("alerts.low_balance.below = 50"); the engine leaves it empty.
	Text string `json:"text,omitempty"`
}

// Threshold is one rule and its setting. A rule about time sets Duration,
// any other Number.
type Threshold struct {
	Rule     RuleID        `json:"id"`
	Number   float64       `json:"number,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
}

// UnmarshalJSON also reads the bare string earlier versions queued in its
// place, so that an upgrade delivers what they left in the outbox.
func (c *Cause) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		*c = Cause{}
		return json.Unmarshal(b, &c.Text)
	}
	type plain Cause // without this method
	return json.Unmarshal(b, (*plain)(c))
}
