package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render"
)

// App is the socket-mode side of the bot: it answers slash commands.
type App struct {
	cfg       SlackConfig
	api       *slack.Client
	commands  *commands.Commands
	users     map[string]bool
	channels  map[string]bool
	log       *slog.Logger
	connected atomic.Bool
	routes    interactions
	guests    *guests
	after     AfterCommand
}

// NewApp returns an App answering with commands.
func NewApp(cfg SlackConfig, api *slack.Client, cmds *commands.Commands) *App {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &App{cfg: cfg, api: api, commands: cmds, users: set(cfg.AllowedUsers),
		channels: set(cfg.AllowedChannels), log: cfg.Logger, guests: newGuests(api, cfg.Logger)}
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

// ErrSlackAuth means Slack refused the app-level token, or socket mode is
// off for the app: retrying cannot help.
var ErrSlackAuth = errors.New("slack refused the app token")

// Run connects and answers commands until ctx ends. slack-go reconnects
// after dropped sockets by itself; when its client gives up on an error that
// is not fatal, Run starts it again with backoff. It returns ErrSlackAuth
// (wrapped, with Slack's reason) when the app token is refused, and nil
// when ctx ends.
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
			return fmt.Errorf("%w (%v)", ErrSlackAuth, err)
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
	case socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			// Every envelope must be acknowledged or Slack retries it.
			go client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
			return
		}
		go a.interactive(ctx, client, *evt.Request, cb)
	case socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			go a.eventsAPI(ctx, client, *evt.Request)
		}
	}
}

// refusal is what users outside allowed_user_ids or allowed_channel_ids get:
// no data.
const refusal = "Sorry, resellerbot isn't available to you here. Ask your Slack admin if you need access."

// allowedUser returns "" when a user may use the bot in a channel ("" for
// none: a modal, the Home tab), else what to tell them. Users listed in
// allowed_user_ids may; with that list empty, every member may but guests,
// who would otherwise read every child user's email and phone. Slash
// commands, clicks, submissions and the Home tab all ask here.
func (a *App) allowedUser(ctx context.Context, userID, channelID string) string {
	if channelID != "" && a.channels != nil && !a.channels[channelID] {
		return refusal
	}
	if a.users != nil {
		if a.users[userID] {
			return ""
		}
		return refusal
	}
	guest, err := a.guests.isGuest(ctx, userID)
	switch {
	case err != nil:
		return uncheckable
	case guest:
		return refusal
	}
	return ""
}

func (a *App) slashCommand(ctx context.Context, client *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
	log := a.log.With("user", cmd.UserID, "channel", cmd.ChannelID, "command", cmd.Command, "text", cmd.Text)
	if why := a.allowedUser(ctx, cmd.UserID, cmd.ChannelID); why != "" {
		log.Warn("command refused")
		if err := client.AckCtx(ctx, req.EnvelopeID, ackPayload(render.Message{Text: why})); err != nil {
			log.Error("acknowledging command", "error", err)
		}
		return
	}
	log.Info("command")
	if h := a.routes.command(cmd.Command); h != nil {
		a.hookedCommand(ctx, client, req, cmd, h)
		return
	}
	msgs := a.commands.Handle(cmd.Command, cmd.Text)
	if h := a.routes.helpHandler(); h != nil && isHelp(cmd.Command, cmd.Text) {
		msgs = append(msgs, h(ctx, cmd.UserID))
	}
	first, rest := msgs[0], msgs[1:]
	payload := ackPayload(first)
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
	if a.after != nil {
		a.after(ctx, cmd)
	}
}

// respond posts an ephemeral answer to the command's response_url, or with
// chat.postEphemeral when that fails.
func (a *App) respond(ctx context.Context, cmd slack.SlashCommand, msg render.Message) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	blocks := slack.Blocks{BlockSet: msg.Blocks}
	err := slack.PostWebhookCustomHTTPContext(ctx, cmd.ResponseURL, a.httpClient(), noUnfurl(&slack.WebhookMessage{
		Text: msg.Text, Blocks: &blocks, ResponseType: slack.ResponseTypeEphemeral}))
	if err == nil {
		return nil
	}
	a.log.Warn("posting to response_url failed; trying chat.postEphemeral", "error", err)
	_, err = a.api.PostEphemeralContext(ctx, cmd.ChannelID, cmd.UserID,
		slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
	return err
}

// ackPayload is a slash command's answer in its ack: ephemeral, and
// without previews, so that a link in API text is not unfurled.
func ackPayload(m render.Message) map[string]any {
	p := map[string]any{"response_type": slack.ResponseTypeEphemeral, "text": m.Text,
		"unfurl_links": false, "unfurl_media": false}
	if len(m.Blocks) > 0 {
		p["blocks"] = m.Blocks
	}
	return p
}

// noUnfurl turns off link and media previews on a response_url post:
// slack-go leaves the fields out when unset, and Slack then unfurls.
func noUnfurl(m *slack.WebhookMessage) *slack.WebhookMessage {
	off := false
	m.UnfurlLinks, m.UnfurlMedia = &off, &off
	return m
}

func (a *App) httpClient() *http.Client {
	if a.cfg.HTTPClient != nil {
		return a.cfg.HTTPClient
	}
	return http.DefaultClient
}
