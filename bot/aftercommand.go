package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// AfterCommand acts on a slash command once it has been answered, where
// the answer alone cannot do the job: sharing a file in the channel the
// command was typed in. It runs on the command's goroutine.
type AfterCommand func(ctx context.Context, cmd slack.SlashCommand)

// HandleAfterCommand makes h see every allowed slash command after its
// answer. Register it before Run.
func (a *App) HandleAfterCommand(h AfterCommand) { a.after = h }
