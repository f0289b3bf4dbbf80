package config

import (
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/resellerbot/resellerbot/alerts"
)

// Route sends some alerts to a channel of their own. An empty list
// matches everything: a route with neither kinds nor orgs takes every
// alert.
type Route struct {
	// Channel is the channel's ID.
	Channel string `yaml:"channel" json:"channel"`
	// Kinds are alert kinds as in the alert table (low_balance, new_user,
	// …). An episode's later events go where it opened: a recovery follows
	// low_balance, the API's return follows api_outage.
	Kinds []string `yaml:"kinds" json:"kinds"`
	// Orgs are org IDs ("4002") or name globs ("Acme*", matched without
	// regard to case). Reseller-wide alerts (an outage) name no org and
	// match only routes without orgs.
	Orgs []string `yaml:"orgs" json:"orgs"`
}

// Matches reports whether the route takes e.
func (r *Route) Matches(e *alerts.Event) bool {
	if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, string(e.Family())) {
		return false
	}
	if len(r.Orgs) == 0 {
		return true
	}
	if e.Org.ID == 0 {
		return false
	}
	id, name := strconv.FormatInt(e.Org.ID, 10), strings.ToLower(e.Org.Name)
	for _, o := range r.Orgs {
		if o == id {
			return true
		}
		if ok, err := path.Match(strings.ToLower(o), name); err == nil && ok {
			return true
		}
	}
	return false
}

// Channels returns the channels an alert goes to: every matching route's,
// once each, in the routes' order; none when no route matches, which means
// AlertChannel. A route to AlertChannel counts as AlertChannel.
func (s *Slack) Channels(e *alerts.Event) []string {
	var out []string
	for i := range s.Routes {
		r := &s.Routes[i]
		if !r.Matches(e) {
			continue
		}
		ch := r.Channel
		if ch == s.AlertChannel {
			ch = ""
		}
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// RoutedChannels lists the channels routes name besides AlertChannel, for
// check to verify the bot may post there.
func (s *Slack) RoutedChannels() []string {
	var out []string
	for _, r := range s.Routes {
		if r.Channel != s.AlertChannel && !slices.Contains(out, r.Channel) {
			out = append(out, r.Channel)
		}
	}
	return out
}

// validateRoutes checks slack.routes: channel IDs, known kinds, and org
// IDs or valid globs.
func (s *Slack) validateRoutes(bad func(key, format string, args ...any), id func(key, v string, kind slackID)) {
	kinds := alerts.Kinds()
	for i, r := range s.Routes {
		key := "slack.routes[" + strconv.Itoa(i) + "]"
		if r.Channel == "" {
			bad(key+".channel", "empty; a route needs the channel ID (C…) it sends to")
		} else {
			id(key+".channel", r.Channel, postChannel)
		}
		for _, k := range r.Kinds {
			if !slices.Contains(kinds, alerts.Kind(k)) {
				names := make([]string, len(kinds))
				for j, kk := range kinds {
					names[j] = string(kk)
				}
				bad(key+".kinds", "%q is no alert kind (one of %s)", k, strings.Join(names, ", "))
			}
		}
		for _, o := range r.Orgs {
			if strings.TrimSpace(o) == "" {
				bad(key+".orgs", "holds an empty entry")
			} else if _, err := path.Match(strings.ToLower(o), ""); err != nil {
				bad(key+".orgs", "%q is not a valid glob: %v", o, err)
			}
		}
	}
}
