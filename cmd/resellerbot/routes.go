package main

import (
	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/internal/config"
)

// routes is how the poller routes alerts: by slack.routes, or nil when
// there are none and everything goes to slack.alert_channel.
func routes(cfg *config.Config) func(*alerts.Event) []string {
	if len(cfg.Slack.Routes) == 0 {
		return nil
	}
	return cfg.Slack.Channels
}
