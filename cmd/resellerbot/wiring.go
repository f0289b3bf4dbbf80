package main

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// configFlag adds --config to a command's flags.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "path to the YAML configuration (see config.example.yaml)")
}

// loadConfig reads and validates the configuration for a command. Every
// problem is one line naming the key; warnings (a world-readable file with
// inline secrets) go to stderr.
func loadConfig(path string, need Need, e env) (*Config, error) {
	if path == "" {
		return nil, usagef("--config FILE is required")
	}
	cfg, err := LoadConfig(path, e.getenv)
	if err != nil {
		return nil, err
	}
	if problems := cfg.Validate(need); len(problems) > 0 {
		ce := &ConfigError{}
		for _, p := range problems {
			ce.Problems = append(ce.Problems, fmt.Sprintf("%s: %v", path, p))
		}
		return nil, ce
	}
	for _, w := range WarnInlineSecrets(path, nil) {
		fmt.Fprintf(e.stderr, "resellerbot: warning: %s\n", w)
	}
	return cfg, nil
}

// secrets lists the configured secrets, for log redaction.
func (c *Config) secrets() []string {
	return []string{c.Omnidim.APIKey.Reveal(), c.Slack.AppToken.Reveal(), c.Slack.BotToken.Reveal()}
}

// rules maps the alerts section onto the engine's rules.
func (c *Config) rules() alerts.Rules {
	a := c.Alerts
	return alerts.Rules{
		LowBalance: alerts.LowBalanceRule{
			Below:         a.LowBalance.Below,
			RunwayBelow:   a.LowBalance.RunwayBelow.D(),
			RepeatEvery:   a.LowBalance.RepeatEvery.D(),
			RecoverMargin: a.LowBalance.RecoverMargin,
		},
		NewUser:              a.NewUser,
		PermissionChange:     a.PermissionChange,
		FailuresBeforeNotice: c.Poll.FailuresBeforeNotice,
		MassRemovalShare:     a.MassRemovalShare,
	}
}

// omniClient returns the API client the omnidim section describes, its
// errors advised (see adviceFor).
func (c *Config) omniClient() (advisedClient, error) {
	client, err := omni.NewClient(c.Omnidim.BaseURL, c.Omnidim.APIKey.Reveal(),
		omni.WithTimeout(c.Omnidim.Timeout.D()),
		omni.WithMaxBody(int64(c.Omnidim.MaxBody)),
		omni.WithUserAgent("resellerbot/"+orUnknown(version)))
	return advisedClient{client}, withAdvice(err)
}

// openStore opens the store the store section describes.
func (c *Config) openStore() (*store.Store, error) {
	history := c.Store.History.D()
	if history == 0 {
		history = -1 // the configuration's 0 keeps none
	}
	st, err := store.Open(c.Store.Path, store.Options{History: history})
	return st, withAdvice(err)
}

// slackConfig returns the Slack side's configuration.
func (c *Config) slackConfig(log *slog.Logger) bot.SlackConfig {
	return bot.SlackConfig{
		AppToken:        c.Slack.AppToken.Reveal(),
		BotToken:        c.Slack.BotToken.Reveal(),
		APIURL:          c.Slack.APIURL,
		AlertChannel:    c.Slack.AlertChannel,
		AllowedUsers:    c.Slack.AllowedUserIDs,
		AllowedChannels: c.Slack.AllowedChannelIDs,
		Logger:          log,
	}
}

// pollTimeout bounds one whole poll cycle, retries included, so that a slow
// API cannot stall the scheduler: the poll gives up before the next is due.
func (c *Config) pollTimeout() time.Duration {
	return max(c.Poll.Interval.D()-time.Second, c.Omnidim.Timeout.D())
}
