package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// SlackConfig wires the Slack side of the bot.
type SlackConfig struct {
	// AppToken (xapp-…) opens the socket-mode connection; BotToken
	// (xoxb-…) calls the Web API.
	AppToken, BotToken string
	// APIURL is Slack's Web API base; it must end in "/". Default
	// slack.APIURL.
	APIURL string
	// AlertChannel is the channel ID alerts are posted to.
	AlertChannel string
	// AllowedUsers and AllowedChannels restrict who may run commands and
	// where; empty allows everyone and everywhere.
	AllowedUsers, AllowedChannels []string
	// HTTPClient for Web API calls and response_url posts; default
	// http.DefaultClient.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// PingInterval is how long the socket may go without a ping from Slack
	// before the client reconnects; default 30s.
	PingInterval time.Duration
}

// NewSlackClient returns the Web API client for the bot token.
func NewSlackClient(cfg SlackConfig) *slack.Client {
	opts := []slack.Option{slack.OptionAppLevelToken(cfg.AppToken)}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(NormalizeAPIURL(cfg.APIURL)))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, slack.OptionHTTPClient(cfg.HTTPClient))
	}
	return slack.New(cfg.BotToken, opts...)
}

// NormalizeAPIURL makes a Slack API URL end in "/": slack-go appends the
// method name directly, so "https://slack.com/api" would call
// "https://slack.com/apichat.postMessage".
func NormalizeAPIURL(u string) string {
	if u != "" && !strings.HasSuffix(u, "/") {
		return u + "/"
	}
	return u
}

// SlackSender posts alerts to a channel with chat.postMessage.
type SlackSender struct {
	api     *slack.Client
	channel string
}

// NewSlackSender returns a Sender posting to channel.
func NewSlackSender(api *slack.Client, channel string) *SlackSender {
	return &SlackSender{api: api, channel: channel}
}

// Send implements Sender.
func (s *SlackSender) Send(ctx context.Context, m Message, replyTo string) (string, error) {
	opts := []slack.MsgOption{
		// The text is already escaped; let Slack parse nothing else.
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if replyTo != "" {
		opts = append(opts, slack.MsgOptionTS(replyTo))
	}
	if m.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType: metadataEvent, EventPayload: map[string]any{metadataKey: m.Key}}))
	}
	_, ts, err := s.api.PostMessageContext(ctx, s.channel, opts...)
	if err != nil {
		return "", ClassifySlackError(err, s.channel)
	}
	return ts, nil
}

// The metadata that marks the bot's alert messages, so that after a crash
// it can find what it had already posted.
const (
	metadataEvent = "resellerbot_alert"
	metadataKey   = "key"
	// findPages bounds how far back Find looks: 5 pages of 200 messages.
	findPages = 5
)

// Find implements Finder by reading the channel's recent history (or the
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
				return "", false, &SendError{Err: err, Permanent: true,
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

// ClassifySlackError turns slack-go's errors into SendErrors that say
// whether to wait, retry, or ask an operator.
func ClassifySlackError(err error, channel string) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &SendError{Err: err, RetryAfter: rl.RetryAfter}
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
	switch code {
	case "not_in_channel":
		return &SendError{Err: err, Permanent: true, Hint: "invite the bot to the channel: /invite @resellerbot in " + channel}
	case "channel_not_found":
		return &SendError{Err: err, Permanent: true, Hint: "check slack.alert_channel: use the channel ID (C…), and invite the bot if the channel is private"}
	case "is_archived":
		return &SendError{Err: err, Permanent: true, Hint: "the alert channel is archived; unarchive it or change slack.alert_channel"}
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return &SendError{Err: err, Permanent: true, Hint: "check slack.bot_token (xoxb-…); reinstall the app if it was revoked"}
	case "missing_scope", "not_allowed_token_type":
		return &SendError{Err: err, Permanent: true, Hint: "the bot token needs the chat:write scope; reinstall the app from manifest.yaml"}
	case "invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_arguments":
		return &SendError{Err: err, Rejected: true}
	}
	// Slack answered ok:false: the message was not posted; try again later.
	return &SendError{Err: err}
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

// App is the socket-mode side of the bot: it answers slash commands.
type App struct {
	cfg       SlackConfig
	api       *slack.Client
	commands  *Commands
	users     map[string]bool
	channels  map[string]bool
	log       *slog.Logger
	connected atomic.Bool
}

// NewApp returns an App answering with commands.
func NewApp(cfg SlackConfig, api *slack.Client, commands *Commands) *App {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &App{cfg: cfg, api: api, commands: commands, users: set(cfg.AllowedUsers),
		channels: set(cfg.AllowedChannels), log: cfg.Logger}
}

func set(ids []string) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Connected reports whether the socket is up.
func (a *App) Connected() bool { return a.connected.Load() }

// ErrSlackAuth means Slack refused the app-level token: retrying cannot
// help.
var ErrSlackAuth = errors.New("slack refused the app token")

// Run connects and answers commands until ctx ends. slack-go reconnects
// after dropped sockets by itself; when its client gives up on an error that
// is not fatal, Run starts it again with backoff. It returns ErrSlackAuth
// (wrapped) when the app token is refused, and nil when ctx ends.
func (a *App) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		started := time.Now()
		err := a.runOnce(ctx)
		a.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if isFatalAuth(err) {
			return fmt.Errorf("%w (%v): check slack.app_token (xapp-…) and that socket mode is on", ErrSlackAuth, err)
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		a.log.Warn("slack socket stopped; reconnecting", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}

func isFatalAuth(err error) bool {
	if err == nil {
		return false
	}
	switch err.Error() {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type":
		return true
	}
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && (se.Err == "invalid_auth" || se.Err == "not_authed")
}

func (a *App) runOnce(ctx context.Context) error {
	var opts []socketmode.Option
	if a.cfg.PingInterval > 0 {
		opts = append(opts, socketmode.OptionPingInterval(a.cfg.PingInterval))
	}
	client := socketmode.New(a.api, opts...)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	for {
		select {
		case err := <-done:
			return err
		case evt := <-client.Events:
			// Events must be drained continuously or the client blocks, so
			// commands are answered on their own goroutines.
			a.handle(ctx, client, evt)
		}
	}
}

func (a *App) handle(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.log.Info("slack: connecting")
	case socketmode.EventTypeConnected:
		a.log.Info("slack: connected")
	case socketmode.EventTypeHello:
		a.connected.Store(true)
	case socketmode.EventTypeConnectionError:
		a.connected.Store(false)
		a.log.Warn("slack: connection error", "error", evt.Data)
	case socketmode.EventTypeDisconnect:
		a.connected.Store(false)
		a.log.Info("slack: disconnected by Slack; reconnecting")
	case socketmode.EventTypeInvalidAuth:
		a.connected.Store(false)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		go a.slashCommand(ctx, client, *evt.Request, cmd)
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
		// Not used, but every envelope must be acknowledged or Slack retries.
		if evt.Request != nil {
			go client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		}
	}
}

// refusal is what users outside allowed_user_ids or allowed_channel_ids get:
// no data.
const refusal = "Sorry, resellerbot isn't available to you here. Ask your Slack admin if you need access."

func (a *App) allowed(cmd slack.SlashCommand) bool {
	return (a.users == nil || a.users[cmd.UserID]) && (a.channels == nil || a.channels[cmd.ChannelID])
}

func (a *App) slashCommand(ctx context.Context, client *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
	log := a.log.With("user", cmd.UserID, "channel", cmd.ChannelID, "command", cmd.Command, "text", cmd.Text)
	if !a.allowed(cmd) {
		log.Warn("command refused")
		if err := client.AckCtx(ctx, req.EnvelopeID, map[string]any{"response_type": slack.ResponseTypeEphemeral, "text": refusal}); err != nil {
			log.Error("acknowledging command", "error", err)
		}
		return
	}
	log.Info("command")
	msgs := a.commands.Handle(cmd.Command, cmd.Text)
	first, rest := msgs[0], msgs[1:]
	payload := map[string]any{"response_type": slack.ResponseTypeEphemeral, "text": first.Text, "blocks": first.Blocks}
	// AckCtx, not Ack: after the socket is gone an ack must give up, not
	// wait for ever.
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		if ctx.Err() != nil {
			return
		}
		log.Info("answer too large to acknowledge with; posting it to the response_url", "error", err)
		// The ack must come within 3 seconds whatever happens to the answer.
		if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
			log.Error("acknowledging command", "error", err)
		}
		rest = msgs
	}
	// Follow-ups (and an answer too large for the ack) go, in order, to the
	// command's response_url.
	for _, msg := range rest {
		if err := a.respond(ctx, cmd, msg); err != nil {
			log.Error("answering command", "error", err)
			return
		}
	}
}

// respond posts an ephemeral answer to the command's response_url, or with
// chat.postEphemeral when that fails.
func (a *App) respond(ctx context.Context, cmd slack.SlashCommand, msg Message) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	blocks := slack.Blocks{BlockSet: msg.Blocks}
	err := slack.PostWebhookCustomHTTPContext(ctx, cmd.ResponseURL, a.httpClient(), &slack.WebhookMessage{
		Text: msg.Text, Blocks: &blocks, ResponseType: slack.ResponseTypeEphemeral})
	if err == nil {
		return nil
	}
	a.log.Warn("posting to response_url failed; trying chat.postEphemeral", "error", err)
	_, err = a.api.PostEphemeralContext(ctx, cmd.ChannelID, cmd.UserID,
		slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...))
	return err
}

func (a *App) httpClient() *http.Client {
	if a.cfg.HTTPClient != nil {
		return a.cfg.HTTPClient
	}
	return http.DefaultClient
}
