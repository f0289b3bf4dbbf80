package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/internal/redact"
)

// cmdCheck validates the configuration and each credential, one line a
// check, and never prints a secret. It exits 2 for a bad configuration and
// 1 when a check fails.
func cmdCheck(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("check", e)
	path := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, config.NeedOmnidim|config.NeedSlack|config.NeedStore, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ok    config: %s\n", *path)
	ctx, cancel := context.WithTimeout(ctx, 2*cfg.Omnidim.Timeout.D()+30*time.Second)
	defer cancel()

	failed := 0
	report := func(name string, detail string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "FAIL  %s: %s\n", name, redact.New(cfg.Secrets()...).String(err.Error()))
			return
		}
		fmt.Fprintf(e.stdout, "ok    %s: %s\n", name, detail)
	}

	client, st, storeErr := openBackends(cfg)
	if errors.As(storeErr, new(usageError)) {
		return storeErr
	}
	if st != nil {
		// Only whether it opens is checked: holding it through the network
		// checks would lock out a bot starting meanwhile.
		storeErr = st.Close()
	}
	snap, err := client.Organizations(ctx)
	if err == nil {
		report("omnidim", fmt.Sprintf("%s answers for reseller %q: %d orgs, %d users", client.Endpoint(),
			snap.Reseller.Name, len(snap.Orgs), snap.UserCount()), nil)
	} else {
		report("omnidim", "", err)
	}

	api := bot.NewSlackClient(slackConfig(cfg, nil))
	auth, err := api.AuthTestContext(ctx)
	if err == nil {
		report("slack bot token", fmt.Sprintf("bot %s (%s) in workspace %s", auth.User, auth.UserID, auth.Team), nil)
	} else {
		report("slack bot token", "", slackHint(err, adviceCheckBotToken))
	}

	if _, _, err := socketmode.New(api).OpenContext(ctx); err == nil {
		report("slack app token", "socket mode connection can be opened", nil)
	} else {
		report("slack app token", "", slackHint(err, adviceCheckAppToken))
	}

	report("slack alert channel", cfg.Slack.AlertChannel+": the bot may post there", checkChannel(ctx, api, cfg.Slack.AlertChannel))
	for _, ch := range cfg.Slack.RoutedChannels() {
		report("slack routed channel", ch+": the bot may post there", checkChannel(ctx, api, ch))
	}

	report("store", cfg.Store.Path+" opens", storeErr)

	if failed > 0 {
		return fmt.Errorf("%s failed", render.Plural(failed, "check"))
	}
	return nil
}

// checkChannel proves the bot may post to the channel without posting: it
// schedules a message an hour ahead, which Slack checks like a post, and
// deletes it at once. Both need only the chat:write scope the bot has.
func checkChannel(ctx context.Context, api *slack.Client, channel string) error {
	postAt := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	_, id, err := api.ScheduleMessageContext(ctx, channel, postAt, slack.MsgOptionText("resellerbot check", false))
	if err != nil {
		if se, ok := adviseSlack(bot.ClassifySlackError(err, channel)).(*delivery.SendError); ok && se.Hint != "" {
			return fmt.Errorf("%v: %s", err, se.Hint)
		}
		return err
	}
	_, err = api.DeleteScheduledMessageContext(ctx, &slack.DeleteScheduledMessageParameters{Channel: channel, ScheduledMessageID: id})
	return err
}

func slackHint(err error, hint string) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return fmt.Errorf("%v (rate limited; try again in %s)", err, rl.RetryAfter)
	}
	return fmt.Errorf("%v: %s", err, hint)
}

// cmdHealthcheck probes /healthz, for container health checks where no curl
// is at hand.
func cmdHealthcheck(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("healthcheck", e)
	url := fs.String("url", "http://127.0.0.1:9464/healthz", "the endpoint to probe")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usagef("healthcheck: --url: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}
