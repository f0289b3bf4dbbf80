package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/actions"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// demoUser is who types at the demo's console; the demo lets them act.
var demoUser = actions.User{ID: "UCONSOLE", Name: "you"}

// demoActions lets the demo's console act on the fake vendor as Slack
// does: an action command previews, "confirm" or "cancel" answers the
// latest preview.
func demoActions(console *bot.Console, client *omni.Client, st *store.Store, log *slog.Logger, pollNow, kick func()) {
	acts := actions.New(actions.Config{Vendor: client, Store: st, AllowedUserIDs: []string{demoUser.ID},
		AfterChange: pollNow, Enqueued: kick, Now: time.Now, Logger: log})
	var mu sync.Mutex
	var lastAction, lastID string
	console.HandleOther(func(ctx context.Context, command, args string) (render.Message, bool) {
		name := "/" + strings.ToLower(strings.TrimPrefix(command, "/"))
		switch {
		case name == "/confirm" || name == "/cancel":
			mu.Lock()
			action, id := lastAction, lastID
			mu.Unlock()
			if id == "" {
				return render.ActionNotice("Nothing to "+name[1:]+": preview a change first, such as /topup beta 100", nil, ""), true
			}
			if name == "/cancel" {
				action = render.CancelActionID
			}
			return acts.Click(ctx, demoUser, action, id), true
		case name == "/help":
			return render.Message{Plain: render.Help().Plain + "\n" + acts.Help(demoUser).Plain}, true
		case !slices.Contains(actions.Commands(), name):
			return render.Message{}, false
		}
		m := acts.Handle(ctx, demoUser, name, args)
		if action, id, ok := actions.PendingID(m); ok {
			mu.Lock()
			lastAction, lastID = action, id
			mu.Unlock()
		}
		return m, true
	})
}
