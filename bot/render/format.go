package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Money formats an amount with thousands separators, two decimals and the
// currency symbol: "$24,442.60", "-€4.50". An empty symbol shows the number
// alone.
func Money(v float64, symbol string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return symbol + "?"
	}
	neg := v < 0
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg && s != "0.00" {
		b.WriteByte('-')
	}
	b.WriteString(symbol)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// Rate formats a per-minute cost, keeping the precision vendors use for
// fractions of a cent: "$0.09/min", "$0.085/min".
func Rate(v float64, symbol string) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if _, frac, ok := strings.Cut(s, "."); !ok || len(frac) < 2 {
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	if strings.HasPrefix(s, "-") {
		return "-" + symbol + s[1:] + "/min"
	}
	return symbol + s + "/min"
}

// runwayWords describes calling time left in words: "about 3 days", "about 40
// minutes", "none left"; "unlimited" when calls are free.
func runwayWords(d time.Duration, limited bool) string {
	if !limited {
		return "unlimited"
	}
	if d <= 0 {
		return "none left"
	}
	return "about " + approx(d)
}

// approx says a duration in the unit a person would use. Minutes are
// rounded; longer spans are rounded down, so that a runway is never
// overstated: 3 h 47 min of calls is "3 hours", not "4 hours", which would
// read as above a 4-hour threshold that fired.
func approx(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return "a minute"
	case d < time.Hour:
		return Plural(int(math.Round(d.Minutes())), "minute")
	case d < 10*time.Hour:
		// Half hours matter while a balance runs dry within the day.
		if halves := int(d / (30 * time.Minute)); halves%2 == 1 {
			return strconv.Itoa(halves/2) + "½ hours"
		}
		return Plural(int(d/time.Hour), "hour")
	case d < 36*time.Hour:
		return Plural(int(d/time.Hour), "hour")
	case d < 14*day:
		return Plural(int(d/day), "day")
	case d < 60*day:
		return Plural(int(d/(7*day)), "week")
	case d < 730*day:
		return Plural(int(d.Hours()/24/30.44), "month")
	}
	return Plural(int(d.Hours()/24/365), "year")
}

// Plural counts n of a unit in words: "1 org", "3 orgs". Units are the
// bot's own nouns, all of which take an "s".
func Plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// ago describes t relative to now: "2 hours ago", "in 3 days", "just now".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d > -time.Minute && d < time.Minute:
		return "just now"
	case d > 0:
		return approx(d) + " ago"
	}
	return "in " + approx(-d)
}

// stamp formats a time in UTC: "2026-11-27 16:05 UTC".
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// clock formats a poll time for summaries: "16:05".
func clock(t time.Time) string { return t.UTC().Format("15:04") }

// when formats a time in UTC with its relative form, or "never" for the zero
// time: "2026-11-27 14:05 UTC (2 hours ago)".
func when(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s)", stamp(t), ago(t, now))
}
