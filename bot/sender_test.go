package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// TestSlackSenderFindsWhatItSent runs the real SlackSender against the fake
// Slack: what Send posted, Find finds by key, in the channel and in a thread.
func TestSlackSenderFindsWhatItSent(t *testing.T) {
	s := slacktest.NewServer()
	t.Cleanup(s.Close)
	api := bot.NewSlackClient(bot.SlackConfig{BotToken: s.BotToken(), AppToken: s.AppToken(), APIURL: s.APIURL()})
	sender := bot.NewSlackSender(api, slacktest.DefaultChannel)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	since := time.Now().Add(-time.Minute)

	parent, err := sender.Send(ctx, render.Message{Text: "parent", Key: "store/1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := sender.Send(ctx, render.Message{Text: "reply", Key: "store/2"}, parent)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := sender.Send(ctx, render.Message{Text: "later", Key: "other/9"}, ""); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name, key, replyTo string
		since              time.Time
		want               string
		found              bool
	}{
		{"a top-level message is found by its key", "store/1", "", since, parent, true},
		{"a reply is found in its thread", "store/2", parent, since, reply, true},
		{"a reply is not in the channel's history", "store/2", "", since, "", false},
		{"a key never sent is not found", "store/3", "", since, "", false},
		{"a message older than since is not found", "store/1", "", time.Now().Add(time.Hour), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := sender.Find(ctx, tt.key, tt.since, tt.replyTo)
			if err != nil || found != tt.found || got != tt.want {
				t.Errorf("Find = %q, %v, %v; want %q, %v", got, found, err, tt.want, tt.found)
			}
		})
	}

	t.Run("without the history scope Find fails with a hint naming that scope", func(t *testing.T) {
		s.FailMethod("conversations.history", "missing_scope", 1)
		_, found, err := sender.Find(ctx, "store/1", since, "")
		if err == nil || found {
			t.Fatalf("Find = %v, %v; want an error", found, err)
		}
		if !strings.Contains(err.Error(), "history") {
			t.Errorf("Find's missing_scope error does not name the history scopes: %v", err)
		}
	})
}

func TestSlackErrorsSayWhyAndWhetherToRetry(t *testing.T) {
	const channel = "C0ALERTS"
	tests := []struct {
		name      string
		err       error
		reason    delivery.Reason
		permanent bool
		rejected  bool
		retry     time.Duration
		hint      string
	}{
		{"a rate limit is waited out", &slack.RateLimitedError{RetryAfter: 3 * time.Second}, delivery.ReasonOther, false, false, 3 * time.Second, ""},
		{"a bot outside the channel is told how to get in", slack.SlackErrorResponse{Err: "not_in_channel"}, delivery.ReasonNotInChannel, true, false, 0,
			"invite the bot to the channel: /invite @resellerbot in " + channel},
		{"a missing channel is a reason for whoever set it", slack.SlackErrorResponse{Err: "channel_not_found"}, delivery.ReasonChannelNotFound, true, false, 0, ""},
		{"an archived channel is a reason for whoever set it", errors.New("is_archived"), delivery.ReasonChannelArchived, true, false, 0, ""},
		{"a revoked token is a reason for whoever set it", slack.SlackErrorResponse{Err: "token_revoked"}, delivery.ReasonBadToken, true, false, 0, ""},
		{"a missing scope names the scope", errors.New("missing_scope"), delivery.ReasonMissingScope, true, false, 0,
			"the bot token needs the chat:write scope; reinstall the app from manifest.yaml"},
		{"a layout Slack refuses is rejected, to be sent as text", slack.SlackErrorResponse{Err: "invalid_blocks"}, delivery.ReasonOther, false, true, 0, ""},
		{"any other refusal is retried", slack.SlackErrorResponse{Err: "internal_error"}, delivery.ReasonOther, false, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var se *delivery.SendError
			if !errors.As(bot.ClassifySlackError(tt.err, channel), &se) {
				t.Fatalf("ClassifySlackError(%v) is no SendError", tt.err)
			}
			if se.Reason != tt.reason || se.Permanent != tt.permanent || se.Rejected != tt.rejected || se.RetryAfter != tt.retry || se.Hint != tt.hint {
				t.Errorf("ClassifySlackError(%v) = %+v, want reason %v, permanent %v, rejected %v, retry after %v, hint %q",
					tt.err, se, tt.reason, tt.permanent, tt.rejected, tt.retry, tt.hint)
			}
			if strings.Contains(se.Hint, "slack.") {
				t.Errorf("the hint %q names a configuration key; the bot does not know them", se.Hint)
			}
		})
	}
	t.Run("an error that is not Slack's answer is left as it is", func(t *testing.T) {
		err := context.DeadlineExceeded
		if got := bot.ClassifySlackError(err, channel); got != err {
			t.Errorf("ClassifySlackError(%v) = %v", err, got)
		}
	})
}
