package alerts

import (
	"math"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

// Spend is what an org spent over a stretch of recent history: the sum of
// its balance's falls between polls. A balance that rose between two polls
// was topped up, and the rise is not negative spend.
type Spend struct {
	Amount float64
	// Over is how much history Amount covers: the burn window, or less
	// when the history is shorter.
	Over time.Duration
}

// maxPace bounds a forecast, which for a trickle of spend would overflow a
// Duration; no one plans ten years ahead from a day's spend.
const maxPace = 10 * 365 * 24 * time.Hour

// Pace is how long balance lasts at this spend's rate, and false when
// nothing was spent (or nothing covered), so there is no rate to go by.
func (s Spend) Pace(balance float64) (time.Duration, bool) {
	if !(s.Amount > 0) || s.Over <= 0 {
		return 0, false
	}
	if balance <= 0 {
		return 0, true
	}
	left := balance / s.Amount * float64(s.Over)
	if left >= float64(maxPace) || math.IsNaN(left) {
		return maxPace, true
	}
	return time.Duration(left), true
}

// ruleBurn is a breach of LowBalanceRule.BurnWithin.
const ruleBurn = ruleRunway + 1

// Forecast is how long balance lasts at the pace of s, as the rule judges
// it, for the engine and for whoever shows the forecast (/orgs, /org), so
// that both say the same. It is false when the forecast is off, nothing was
// spent, or the history does not yet cover the whole burn window: a shorter
// history is not extrapolated, because an hour that happened to hold a
// large call would forecast a day of 24 of them and cry wolf.
func (r LowBalanceRule) Forecast(balance float64, s Spend) (time.Duration, bool) {
	if r.BurnWithin <= 0 || s.Over < r.BurnWindow {
		return 0, false
	}
	return s.Pace(balance)
}

// pace is an org's forecast under the rules.
func (e *evaluation) pace(org *omni.Org) (time.Duration, bool) {
	s, ok := e.spend[org.ID]
	if !ok {
		return 0, false
	}
	return e.rules.LowBalance.Forecast(org.Balance, s)
}

// breach is LowBalanceRule.breach with the forecast: an org above the
// thresholds whose balance runs out within BurnWithin (raised by margin) at
// its recent pace is low too.
func (e *evaluation) breach(org *omni.Org, margin float64) lowRule {
	if rule := e.rules.LowBalance.breach(org, margin); rule != ruleNone {
		return rule
	}
	within := e.rules.LowBalance.BurnWithin
	if left, ok := e.pace(org); ok && float64(left) < float64(within)+float64(within)*margin {
		return ruleBurn
	}
	return ruleNone
}

// figures are the org's figures with its forecast, when there is one.
func (e *evaluation) figures(org *omni.Org) *Figures {
	f := figures(org)
	if left, ok := e.pace(org); ok {
		f.Pace, f.PaceWindow = left, e.spend[org.ID].Over
	}
	return f
}
