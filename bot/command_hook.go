package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/render"
)

// CommandHandler answers a slash command that needs more than the latest
// snapshot (the store's episodes, say): userID asked, text followed the
// command. It must answer within Slack's 3 seconds, and with at least one
// message.
type CommandHandler func(ctx context.Context, userID, text string) []render.Message

// HandleCommand routes the slash command name ("/snoozes") to h rather
// than to package commands. Register handlers before Run.
func (a *App) HandleCommand(name string, h CommandHandler) {
	a.routes.mu.Lock()
	defer a.routes.mu.Unlock()
	if a.routes.commands == nil {
		a.routes.commands = map[string]CommandHandler{}
	}
	a.routes.commands[strings.ToLower(name)] = h
}

func (a *App) answerCommand(ctx context.Context, cmd slack.SlashCommand) []render.Message {
	a.routes.mu.Lock()
	h := a.routes.commands[strings.ToLower(cmd.Command)]
	a.routes.mu.Unlock()
	if h != nil {
		if msgs := h(ctx, cmd.UserID, cmd.Text); len(msgs) > 0 {
			return msgs
		}
	}
	return a.commands.Handle(cmd.Command, cmd.Text)
}
