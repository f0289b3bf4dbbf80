package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot/render"
)

// Command is a slash command as a CommandHandler sees it.
type Command struct {
	// Name is the command with its slash ("/topup"); Text what followed.
	Name, Text string
	// UserID and UserName are who issued it, in ChannelID.
	UserID, UserName, ChannelID string
}

// CommandHandler answers a slash command that needs to know who asked or
// must call out (to the vendor), so it may be slow: it runs after the
// command was acknowledged, and its answers go to the response_url.
type CommandHandler func(ctx context.Context, c Command) []render.Message

// HelpHandler adds to the help answer, for the user asking.
type HelpHandler func(ctx context.Context, userID string) render.Message

// HandleCommand routes the slash command name ("/topup") to h instead of
// the read-only commands. Register handlers before Run.
func (a *App) HandleCommand(name string, h CommandHandler) {
	a.routes.mu.Lock()
	defer a.routes.mu.Unlock()
	if a.routes.commands == nil {
		a.routes.commands = map[string]CommandHandler{}
	}
	a.routes.commands[strings.ToLower(name)] = h
}

// HandleHelp adds h's answer after the help of the read-only commands.
func (a *App) HandleHelp(h HelpHandler) {
	a.routes.mu.Lock()
	defer a.routes.mu.Unlock()
	a.routes.help = h
}

func (r *interactions) command(name string) CommandHandler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.commands[strings.ToLower(name)]
}

func (r *interactions) helpHandler() HelpHandler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.help
}

// isHelp reports whether the read-only commands answer text with help.
func isHelp(command, text string) bool {
	cmd := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(command)), "/")
	text = strings.TrimSpace(text)
	return strings.EqualFold(text, "help") || (cmd == "org" && text == "") || (cmd != "org" && cmd != "orgs")
}

// hookedCommand answers a command routed to a handler: an empty ack at
// once (Slack wants it within 3 seconds), then the answers.
func (a *App) hookedCommand(ctx context.Context, client *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand, h CommandHandler) {
	log := a.log.With("user", cmd.UserID, "command", cmd.Command)
	if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		log.Error("acknowledging command", "error", err)
	}
	msgs := h(ctx, Command{Name: cmd.Command, Text: cmd.Text, UserID: cmd.UserID, UserName: cmd.UserName, ChannelID: cmd.ChannelID})
	for _, msg := range msgs {
		if err := a.respond(ctx, cmd, msg); err != nil {
			log.Error("answering command", "error", err)
			return
		}
	}
}
