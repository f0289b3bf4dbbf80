package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/actions"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// newActions makes the actions of issue 12 for a store and API client.
// pollNow polls at once after a change; kick delivers the outbox now.
func newActions(cfg *config.Config, client *omni.Client, st *store.Store, log *slog.Logger, now func() time.Time,
	pollNow, kick func()) *actions.Actions {
	return actions.New(actions.Config{Vendor: client, Store: st, AllowedUserIDs: cfg.Actions.AllowedUserIDs,
		MaxTopupMinutes: cfg.Actions.MaxTopupMinutes, AuditChannel: cfg.Slack.AuditChannel,
		AuditFile: actions.AuditFile(st.Path()), Retention: cfg.Store.AuditRetention.D(), AfterChange: pollNow, Enqueued: kick, Now: now, Logger: log})
}

// startActions prunes and mirrors the audit log and settles what a crash
// interrupted, then routes the action commands and buttons of app to acts.
func startActions(ctx context.Context, cfg *config.Config, acts *actions.Actions, app *bot.App, api *slack.Client, log *slog.Logger) error {
	if err := acts.Start(); err != nil {
		return err
	}
	if err := acts.Resolve(ctx); err != nil {
		log.Error("resolving actions a restart interrupted", "error", err)
	}
	for _, name := range actions.Commands() {
		app.HandleCommand(name, func(ctx context.Context, c bot.Command) []render.Message {
			return []render.Message{acts.Handle(ctx, actions.User{ID: c.UserID, Name: c.UserName}, c.Name, c.Text)}
		})
	}
	app.HandleHelp(func(_ context.Context, userID string) render.Message {
		return acts.Help(actions.User{ID: userID})
	})
	for _, id := range append(actions.ConfirmActionIDs(), render.CancelActionID) {
		app.HandleClick(id, func(ctx context.Context, c bot.Click) {
			msg := acts.Click(ctx, actions.User{ID: c.UserID, Name: c.UserName}, c.ActionID, c.Value)
			if c.ResponseURL == "" {
				return
			}
			if err := app.Respond(ctx, c.ResponseURL, msg, true); err != nil {
				log.Error("answering a click", "action_id", c.ActionID, "error", err)
			}
		})
	}
	openTopUp(acts, app, api, log)
	return nil
}

// openTopUp routes the topup_open button to the top-up modal, and its
// submission to a /topup preview posted ephemeral where the button was.
func openTopUp(acts *actions.Actions, app *bot.App, api *slack.Client, log *slog.Logger) {
	app.HandleClick(actions.TopUpOpenActionID, func(ctx context.Context, c bot.Click) {
		if !acts.Allowed(c.UserID) {
			if c.ResponseURL != "" {
				msg := acts.Handle(ctx, actions.User{ID: c.UserID, Name: c.UserName}, "/topup", c.Value)
				_ = app.Respond(ctx, c.ResponseURL, msg, false)
			}
			return
		}
		// The trigger_id lasts 3 seconds: the modal opens before any call
		// to the vendor.
		view, err := acts.TopUpModal(c.Value, actions.Thread{Channel: c.ChannelID, TS: c.MessageTS})
		if err == nil {
			_, err = api.OpenViewContext(ctx, c.TriggerID, view)
		}
		if err != nil {
			log.Error("opening the top-up modal", "error", err)
		}
	})
	app.HandleSubmit(actions.TopUpCallbackID, func(ctx context.Context, s bot.Submission) *slack.ViewSubmissionResponse {
		org, at, minutes, bad := actions.SubmitTopUp(s.PrivateMetadata, s.Values)
		if bad != nil {
			return slack.NewErrorsViewSubmissionResponse(bad)
		}
		go func() {
			msg := acts.TopUpPreview(ctx, actions.User{ID: s.UserID, Name: s.UserName}, org, minutes, at)
			if _, err := api.PostEphemeralContext(ctx, at.Channel, s.UserID, slack.MsgOptionText(msg.Text, false),
				slack.MsgOptionBlocks(msg.Blocks...)); err != nil {
				log.Error("posting the top-up preview", "error", err)
			}
		}()
		return nil
	})
}
