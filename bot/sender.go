package bot

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
)

// SlackSender posts alerts to a channel with chat.postMessage.
type SlackSender struct {
	api     *slack.Client
	channel string
}

// NewSlackSender returns a delivery.Sender posting to channel.
func NewSlackSender(api *slack.Client, channel string) *SlackSender {
	return &SlackSender{api: api, channel: channel}
}

// Send implements delivery.Sender.
func (s *SlackSender) Send(ctx context.Context, m render.Message, replyTo string) (string, error) {
	opts := []slack.MsgOption{
		// The text is already escaped; let Slack parse nothing else.
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if replyTo == "" {
		replyTo = m.ThreadTS
	}
	if replyTo != "" {
		opts = append(opts, slack.MsgOptionTS(replyTo))
		if m.Broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	if m.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType: metadataEvent, EventPayload: map[string]any{metadataKey: m.Key}}))
	}
	channel := s.channel
	if m.Channel != "" {
		channel = m.Channel
	}
	_, ts, err := s.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", ClassifySlackError(err, channel)
	}
	return ts, nil
}

// Edit implements delivery.Editor with chat.update. The metadata stays as
// it was posted: the key is the opening's, which Find looks for.
func (s *SlackSender) Edit(ctx context.Context, m render.Message, receipt string) error {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if _, _, _, err := s.api.UpdateMessageContext(ctx, s.channel, receipt, opts...); err != nil {
		return ClassifySlackError(err, s.channel)
	}
	return nil
}

// The metadata that marks the bot's alert messages, so that after a crash
// it can find what it had already posted.
const (
	metadataEvent = "resellerbot_alert"
	metadataKey   = "key"
	// findPages bounds how far back Find looks: 5 pages of 200 messages.
	findPages = 5
)

// Find implements delivery.Finder by reading the channel's recent history (or the
// thread's replies) for the message's metadata. It needs the
// channels:history scope (groups:history for a private channel).
func (s *SlackSender) Find(ctx context.Context, key string, since time.Time, replyTo string) (string, bool, error) {
	oldest := strconv.FormatInt(since.Unix(), 10)
	cursor := ""
	for range findPages {
		var msgs []slack.Message
		var more bool
		var err error
		if replyTo != "" {
			msgs, more, cursor, err = s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: s.channel, Timestamp: replyTo, Oldest: oldest, Limit: 200, Cursor: cursor, IncludeAllMetadata: true})
		} else {
			var resp *slack.GetConversationHistoryResponse
			resp, err = s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: s.channel, Oldest: oldest, Limit: 200, Cursor: cursor, IncludeAllMetadata: true})
			if resp != nil {
				msgs, more, cursor = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			var se slack.SlackErrorResponse
			if errors.As(err, &se) && se.Err == "missing_scope" || err.Error() == "missing_scope" {
				return "", false, &delivery.SendError{Err: err, Permanent: true, Reason: delivery.ReasonMissingScope,
					Hint: "the bot token needs channels:history (groups:history for a private channel) to avoid double posts after a crash; reinstall the app from manifest.yaml"}
			}
			return "", false, ClassifySlackError(err, s.channel)
		}
		for _, m := range msgs {
			if m.Metadata.EventType == metadataEvent && m.Metadata.EventPayload[metadataKey] == key {
				return m.Timestamp, true, nil
			}
		}
		if !more || cursor == "" {
			return "", false, nil
		}
	}
	return "", false, nil
}

// ClassifySlackError turns slack-go's errors into delivery.SendErrors that
// say whether to wait, retry, or ask an operator, and why. Hints are given
// where Slack alone decides what to do (invite the bot, grant a scope); a
// problem a setting fixes has only its Reason, for the caller who knows the
// settings to explain.
func ClassifySlackError(err error, channel string) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &delivery.SendError{Err: err, RetryAfter: rl.RetryAfter}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return slackProblem(se.Err, err, channel)
	}
	if code := err.Error(); isSlackCode(code) {
		return slackProblem(code, err, channel)
	}
	return err
}

func slackProblem(code string, err error, channel string) error {
	permanent := func(r delivery.Reason, hint string) error {
		return &delivery.SendError{Err: err, Permanent: true, Reason: r, Hint: hint}
	}
	switch code {
	case "not_in_channel":
		return permanent(delivery.ReasonNotInChannel, "invite the bot to the channel: /invite @resellerbot in "+channel)
	case "channel_not_found":
		return permanent(delivery.ReasonChannelNotFound, "")
	case "is_archived":
		return permanent(delivery.ReasonChannelArchived, "")
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return permanent(delivery.ReasonBadToken, "")
	case "missing_scope", "not_allowed_token_type":
		return permanent(delivery.ReasonMissingScope, "the bot token needs the chat:write scope; reinstall the app from manifest.yaml")
	case "restricted_action_read_only_channel":
		return permanent(delivery.ReasonReadOnlyChannel,
			"only some members may post in "+channel+"; let the bot post there (channel settings, Posting permissions)")
	case "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "invalid_arguments", "no_text":
		return &delivery.SendError{Err: err, Rejected: true}
	case "message_not_found", "cant_update_message", "edit_window_closed", "thread_not_found",
		"thread_locked", "cannot_reply_to_message", "cant_broadcast_message", "restricted_action_thread_locked",
		"restricted_action_non_threadable_channel":
		return &delivery.SendError{Err: err, ParentGone: true}
	case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited",
		"team_added_to_org", "message_limit_exceeded":
		// Slack's own trouble, or a limit that passes: the message was not
		// posted; try again later.
		return &delivery.SendError{Err: err}
	}
	// A refusal nobody here knows may be about this message alone: retried,
	// but not so often that it holds up the alerts behind it.
	return &delivery.SendError{Err: err, Unknown: true}
}

// isSlackCode reports whether s looks like a bare Slack error code, as
// slack-go returns for some calls.
func isSlackCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}
