package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/delivery"
)

func TestSlackRefusalsNameTheKeyToFix(t *testing.T) {
	tests := []struct {
		name string
		code string
		want string
	}{
		{"a missing channel points at the channel setting", "channel_not_found",
			"channel_not_found (check slack.alert_channel: use the channel ID (C…), and invite the bot if the channel is private)"},
		{"an archived channel points at the channel setting", "is_archived",
			"is_archived (the alert channel is archived; unarchive it or change slack.alert_channel)"},
		{"a refused bot token points at the token setting", "invalid_auth",
			"invalid_auth (check slack.bot_token (xoxb-…); reinstall the app if it was revoked)"},
		{"a bot outside the channel keeps Slack's own advice", "not_in_channel",
			"not_in_channel (invite the bot to the channel: /invite @resellerbot in C0ALERTS)"},
		{"a refusal no setting fixes gets no advice", "internal_error", "internal_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			classified := bot.ClassifySlackError(slack.SlackErrorResponse{Err: tt.code}, "C0ALERTS")
			got := adviseSlack(classified)
			if got.Error() != tt.want {
				t.Errorf("advised %q, want %q", got.Error(), tt.want)
			}
			var se *delivery.SendError
			if !errors.As(got, &se) || se.Reason != classified.(*delivery.SendError).Reason {
				t.Errorf("advice lost the SendError or its reason: %#v", got)
			}
		})
	}
	t.Run("advice does not change the error it was given", func(t *testing.T) {
		classified := bot.ClassifySlackError(errors.New("channel_not_found"), "C0ALERTS")
		adviseSlack(classified)
		if h := classified.(*delivery.SendError).Hint; h != "" {
			t.Errorf("the classified error gained the hint %q", h)
		}
	})
	t.Run("errors that are not Slack's refusals pass through", func(t *testing.T) {
		for _, err := range []error{nil, errors.New("connection reset"), fmt.Errorf("wrapped: %w", &delivery.SendError{Err: errors.New("x")})} {
			if got := adviseSlack(err); got != err {
				t.Errorf("adviseSlack(%v) = %v", err, got)
			}
		}
	})
	t.Run("a refused app token points at the app token setting", func(t *testing.T) {
		err := adviseSlackApp(fmt.Errorf("%w (%v)", bot.ErrSlackAuth, "invalid_auth"))
		if want := "slack refused the app token (invalid_auth): check slack.app_token (xapp-…) and that socket mode is on"; err.Error() != want || !errors.Is(err, bot.ErrSlackAuth) {
			t.Errorf("advised %q, want %q wrapping ErrSlackAuth", err, want)
		}
		if err := errors.New("socket closed"); adviseSlackApp(err) != err {
			t.Error("an error other than ErrSlackAuth gained advice")
		}
	})
}
