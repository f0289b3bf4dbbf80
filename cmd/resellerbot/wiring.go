package main

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/internal/config"
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
func loadConfig(path string, need config.Need, e env) (*config.Config, error) {
	if path == "" {
		return nil, usagef("--config FILE is required")
	}
	cfg, err := config.Load(path, e.getenv)
	if err != nil {
		return nil, err
	}
	if problems := cfg.Validate(need); len(problems) > 0 {
		ce := &config.Error{}
		for _, p := range problems {
			ce.Problems = append(ce.Problems, fmt.Sprintf("%s: %v", path, p))
		}
		return nil, ce
	}
	for _, w := range config.WarnInlineSecrets(path, nil) {
		fmt.Fprintf(e.stderr, "resellerbot: warning: %s\n", w)
	}
	return cfg, nil
}

// alertRules maps the alerts section onto the engine's rules.
func alertRules(c *config.Config) alerts.Rules {
	a := c.Alerts
	return alerts.Rules{
		LowBalance: alerts.LowBalanceRule{
			Below:         a.LowBalance.Below,
			RunwayBelow:   a.LowBalance.RunwayBelow.D(),
			RepeatEvery:   a.LowBalance.RepeatEvery.D(),
			RecoverMargin: a.LowBalance.RecoverMargin,
			BurnWithin:    a.LowBalance.BurnWithin.D(),
			BurnWindow:    a.LowBalance.BurnWindow.D(),
		},
		Expiry:               alerts.ExpiryRule{Within: a.Expiry.Within.D()},
		NewUser:              a.NewUser,
		PermissionChange:     a.PermissionChange,
		FailuresBeforeNotice: c.Poll.FailuresBeforeNotice,
		MassRemovalShare:     a.MassRemovalShare,
	}
}

// openBackends makes the API client and opens the store that run, poll and
// check share. A client that cannot be made is bad configuration (a usage
// error, exit 2) and comes back alone. A store that does not open comes back
// as the error together with the client, so that check can report it as one
// failed check among the others; run and poll stop on any error. The caller
// closes the store.
// Both come with adviceFor's advice on their errors.
func openBackends(c *config.Config) (advisedClient, *store.Store, error) {
	client, err := omni.NewClient(c.Omnidim.BaseURL, c.Omnidim.APIKey.Reveal(),
		omni.WithTimeout(c.Omnidim.Timeout.D()),
		omni.WithMaxBody(int64(c.Omnidim.MaxBody)),
		omni.WithUserAgent("resellerbot/"+orUnknown(version)))
	if err != nil {
		return advisedClient{}, nil, usageError{withAdvice(err)}
	}
	history := c.Store.History.D()
	if history == 0 {
		history = -1 // the configuration's 0 keeps none
	}
	st, err := store.Open(c.Store.Path, store.Options{History: history})
	if err != nil {
		return advisedClient{client}, nil, withAdvice(err)
	}
	return advisedClient{client}, st, nil
}

// slackConfig returns the Slack side's configuration.
func slackConfig(c *config.Config, log *slog.Logger) bot.SlackConfig {
	return bot.SlackConfig{
		AppToken:        c.Slack.AppToken.Reveal(),
		BotToken:        c.Slack.BotToken.Reveal(),
		APIURL:          c.Slack.APIURL,
		AlertChannel:    c.Slack.AlertChannel,
		RoutedChannels:  c.Slack.RoutedChannels(),
		AllowedUsers:    c.Slack.AllowedUserIDs,
		AllowedChannels: c.Slack.AllowedChannelIDs,
		Logger:          log,
	}
}

// pollTimeout bounds one whole poll cycle, retries included, so that a slow
// API cannot stall the scheduler: the poll gives up before the next is due.
func pollTimeout(c *config.Config) time.Duration {
	return max(c.Poll.Interval.D()-time.Second, c.Omnidim.Timeout.D())
}
