package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Need says which parts of the configuration a subcommand uses; Validate
// insists on those parts being complete, so that `poll` runs without Slack
// tokens. `poll` needs NeedOmnidim|NeedStore, `run` and `check` all three.
type Need int

// The parts of the configuration a subcommand may need.
const (
	NeedOmnidim Need = 1 << iota
	NeedSlack
	NeedStore
)

// The longest durations the file may set: far beyond any sensible value,
// and far enough from time.Duration's 292 years that a few multiples or
// sums of them still fit.
const (
	maxInterval      = Duration(24 * time.Hour)    // poll.interval
	maxHistory       = Duration(87600 * time.Hour) // store.history: ten years
	maxAlertDuration = Duration(8760 * time.Hour)  // alert thresholds: a year
	maxBurnWindow    = Duration(720 * time.Hour)   // the default history kept: a month
)

// slackID is a kind of Slack ID a key holds, and what people paste instead
// of one: a name, marked with sigil.
type slackID struct {
	re           *regexp.Regexp
	sigil, named string // named is the advice when the value starts with sigil
	what         string
}

var (
	// postChannel is a channel the bot posts to: public or private.
	postChannel = slackID{regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`), "#", "use the channel ID (C…), not its name", "a channel ID (C… or G…)"}
	// anyChannel is a channel the bot answers in, direct messages included.
	anyChannel    = slackID{regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`), "#", "use the channel ID (C…), not its name", "a channel ID (C…, G… or D…)"}
	member        = slackID{regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`), "@", "use the member ID (U…), not a name", "a user ID (U… or W…)"}
	tokenPrefixes = []string{"xapp-", "xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxs-", "xoxr-"}
)

// Validate returns every problem in c, one per entry, each naming its key.
// The omnidim, slack and store sections are checked only when need asks
// for them; poll, alerts and http are always checked. It never quotes a
// secret.
func (c *Config) Validate(need Need) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	secret := func(i int, prefix string) {
		s := secretKeys[i]
		v := string(*s.get(c))
		switch {
		case v == "":
			bad(s.key, "empty (set it or %s)", s.env)
		case !strings.HasPrefix(v, prefix):
			msg := fmt.Sprintf("must start with %q", prefix)
			for _, p := range tokenPrefixes {
				if strings.HasPrefix(v, p) {
					msg += fmt.Sprintf(" (this one starts with %q)", p)
				}
			}
			bad(s.key, "%s", msg)
		case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			bad(s.key, "holds spaces or control characters")
		}
	}
	httpURL := func(key, v string) {
		u, err := url.Parse(v)
		switch {
		case v == "":
			bad(key, "empty")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			bad(key, "not an http(s) URL")
		}
	}
	// Durations have upper bounds so that arithmetic on them, such as
	// /readyz's 3 × poll.interval, cannot overflow time.Duration.
	duration := func(key string, d, lo, hi Duration) {
		switch {
		case d < 0 && lo == 0:
			bad(key, "must not be negative")
		case d < lo:
			bad(key, "must be at least %s", lo)
		case d > hi:
			bad(key, "must be at most %s", hi)
		}
	}
	id := func(key, v string, kind slackID) {
		switch {
		case strings.HasPrefix(v, kind.sigil):
			bad(key, "%s", kind.named)
		case !kind.re.MatchString(v):
			bad(key, "%s is not %s", quote(v), kind.what)
		}
	}
	share := func(key string, f float64) {
		if !(f >= 0 && f <= 1) {
			bad(key, "must be between 0 and 1")
		}
	}

	if need&NeedOmnidim != 0 {
		o := &c.Omnidim
		httpURL("omnidim.base_url", o.BaseURL)
		secret(0, "")
		switch {
		case o.Timeout <= 0:
			bad("omnidim.timeout", "must be positive")
		case time.Duration(o.Timeout) > 10*time.Minute:
			bad("omnidim.timeout", "must be at most 10m")
		}
		if o.MaxBody < 1<<20 {
			bad("omnidim.max_body", "must be at least 1MiB")
		}
	}
	if need&NeedSlack != 0 {
		s := &c.Slack
		secret(1, "xapp-")
		secret(2, "xoxb-")
		httpURL("slack.api_url", s.APIURL)
		if s.AlertChannel == "" {
			bad("slack.alert_channel", "empty")
		} else {
			id("slack.alert_channel", s.AlertChannel, postChannel)
		}
		for i, v := range s.AllowedUserIDs {
			id(fmt.Sprintf("slack.allowed_user_ids[%d]", i), v, member)
		}
		for i, v := range s.AllowedChannelIDs {
			id(fmt.Sprintf("slack.allowed_channel_ids[%d]", i), v, anyChannel)
		}
		if s.AuditChannel != "" {
			id("slack.audit_channel", s.AuditChannel, postChannel)
		}
		for i, v := range c.Actions.AllowedUserIDs {
			id(fmt.Sprintf("actions.allowed_user_ids[%d]", i), v, member)
		}
		s.validateRoutes(bad, id)
	}
	if need&NeedStore != 0 {
		if c.Store.Path == "" {
			bad("store.path", "empty")
		}
		duration("store.history", c.Store.History, 0, maxHistory)
		duration("store.audit_retention", c.Store.AuditRetention, Duration(time.Hour), maxHistory)
	}
	if n := c.Actions.MaxTopupMinutes; n < 1 || n > 10_000_000 {
		bad("actions.max_topup_minutes", "must be from 1 to 10000000")
	}

	duration("poll.interval", c.Poll.Interval, Duration(time.Second), maxInterval)
	if c.Poll.FailuresBeforeNotice < 1 {
		bad("poll.failures_before_notice", "must be at least 1")
	}
	lb := &c.Alerts.LowBalance
	if !(lb.Below >= 0) || math.IsInf(lb.Below, 0) {
		bad("alerts.low_balance.below", "must be a number, 0 or more")
	}
	duration("alerts.low_balance.runway_below", lb.RunwayBelow, 0, maxAlertDuration)
	duration("alerts.low_balance.repeat_every", lb.RepeatEvery, 0, maxAlertDuration)
	share("alerts.low_balance.recover_margin", lb.RecoverMargin)
	duration("alerts.low_balance.burn_within", lb.BurnWithin, 0, maxAlertDuration)
	if lb.BurnWithin > 0 {
		// A window under an hour is a few polls: one large call would
		// read as a day's pace.
		duration("alerts.low_balance.burn_window", lb.BurnWindow, Duration(time.Hour), maxBurnWindow)
	}
	duration("alerts.expiry.within", c.Alerts.Expiry.Within, 0, maxAlertDuration)
	share("alerts.mass_removal_share", c.Alerts.MassRemovalShare)
	c.Digest.validate(bad)
	if l := c.HTTP.Listen; l != "" {
		if _, port, err := net.SplitHostPort(l); err != nil || port == "" {
			bad("http.listen", `want host:port like 127.0.0.1:9464, or "" to disable`)
		}
	}
	return errs
}
