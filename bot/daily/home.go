package daily

import (
	"context"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/render"
)

// HomeTab publishes the Home tab of whoever opens it (views.publish),
// drawn as of now: register it with (*bot.App).HandleHomeOpened.
func (b *Builder) HomeTab(api *slack.Client, now func() time.Time, log *slog.Logger) bot.HomeHandler {
	return func(ctx context.Context, userID string) {
		o, err := b.Overview(now())
		if err != nil {
			log.Error("building the Home tab", "user", userID, "error", err)
			return
		}
		if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: render.Home(o)}); err != nil {
			log.Error("publishing the Home tab", "user", userID, "error", err)
		}
	}
}
