package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
)

// What to do about Slack's refusals, in the configuration's words. Package
// bot says what Slack refused and why (a delivery.Reason, ErrSlackAuth);
// only here, where the configuration is known, are the keys to fix named.

// Advice for `check`, which tries each credential on its own.
const (
	adviceCheckBotToken = "check slack.bot_token (xoxb-…)"
	adviceCheckAppToken = "check slack.app_token (xapp-… with connections:write) and that socket mode is on"
)

// slackAdvice says which setting fixes a refusal for reason r, or "" when
// no setting does (Slack's own advice, such as inviting the bot, is in the
// error's hint already).
func slackAdvice(r delivery.Reason) string {
	switch r {
	case delivery.ReasonChannelNotFound:
		return "check slack.alert_channel: use the channel ID (C…), and invite the bot if the channel is private"
	case delivery.ReasonChannelArchived:
		return "the alert channel is archived; unarchive it or change slack.alert_channel"
	case delivery.ReasonBadToken:
		return "check slack.bot_token (xoxb-…); reinstall the app if it was revoked"
	}
	return ""
}

// adviseSlack gives a refusal from the Slack sender (a *delivery.SendError,
// as bot returns it) the advice its reason calls for, when it has none yet;
// any other error is returned as it is.
func adviseSlack(err error) error {
	se, ok := err.(*delivery.SendError)
	if !ok || se.Hint != "" {
		return err
	}
	advice := slackAdvice(se.Reason)
	if advice == "" {
		return err
	}
	advised := *se
	advised.Hint = advice
	return &advised
}

// adviseSlackApp says what to check when Slack refuses the app token.
func adviseSlackApp(err error) error {
	if errors.Is(err, bot.ErrSlackAuth) {
		return fmt.Errorf("%w: check slack.app_token (xapp-…) and that socket mode is on", err)
	}
	return err
}

// advisedSlack is the Slack sender with the configuration's advice on its
// refusals, so that the deliverer's log says which key to fix.
type advisedSlack struct{ *bot.SlackSender }

// Send implements delivery.Sender.
func (s advisedSlack) Send(ctx context.Context, m render.Message, replyTo string) (string, error) {
	receipt, err := s.SlackSender.Send(ctx, m, replyTo)
	return receipt, adviseSlack(err)
}

// Find implements delivery.Finder.
func (s advisedSlack) Find(ctx context.Context, key string, since time.Time, replyTo string) (string, bool, error) {
	receipt, found, err := s.SlackSender.Find(ctx, key, since, replyTo)
	return receipt, found, adviseSlack(err)
}
