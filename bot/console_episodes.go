package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render"
)

// The console does what the buttons on alerts do, typed: "snooze beta 1d",
// "ack beta", "details beta", as the hints under each alert show, and the
// episodes' commands "/snoozes" and "/unsnooze beta". The typist is the
// console's one user.

const consoleUser = "console"

// UseEpisodes lets the console act on episodes; without it, the buttons'
// commands are not understood. Call it before Serve.
func (c *Console) UseEpisodes(e *Episodes) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.episodes = e
}

// Edit implements delivery.Editor by printing the message's new version.
func (c *Console) Edit(_ context.Context, m render.Message, receipt string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	title := "update of " + receipt
	c.printf("\n── %s %s\n%s", title, strings.Repeat("─", max(0, 60-len(title))), m.Plain)
	return nil
}

// consoleSnooze maps the console's short durations to the snooze menu's
// values.
func consoleSnooze(s string) string {
	switch strings.ToLower(s) {
	case "1h", "hour":
		return "1h"
	case "1d", "24h", "day":
		return "24h"
	case "1w", "7d", "168h", "week":
		return "168h"
	case "recovered", "recovery", "end":
		return render.SnoozeUntilEnd
	}
	return s
}

// episodeCommand answers a button's command; ok is false for other text.
// c.mu must be held.
func (c *Console) episodeCommand(cmd, args string, cmds *commands.Commands) (answer []render.Message, ok bool) {
	one := func(s string) []render.Message { return []render.Message{render.Text(s)} }
	e := c.episodes
	switch cmd {
	case "details":
		return cmds.Handle("/org", args), true
	case "snooze", "ack", "snoozes", "unsnooze":
	default:
		return nil, false
	}
	if e == nil {
		return one("This console does not keep alert episodes."), true
	}
	switch cmd {
	case "snoozes":
		rows, err := e.Snoozes()
		if err != nil {
			return one("Sorry, the snoozes could not be read: " + err.Error()), true
		}
		return []render.Message{render.Snoozes(rows, e.now())}, true
	case "unsnooze":
		return one(e.unsnooze(args)), true
	}
	query, choice := args, ""
	if cmd == "snooze" {
		if i := strings.LastIndexByte(args, ' '); i > 0 {
			query, choice = strings.TrimSpace(args[:i]), consoleSnooze(strings.TrimSpace(args[i+1:]))
		} else {
			return one("Usage: snooze ORG 1h|1d|1w|recovered"), true
		}
	}
	found, err := e.Find(query)
	switch {
	case err != nil:
		return one("Sorry, that did not work: " + err.Error()), true
	case len(found) != 1:
		return one(fmt.Sprintf("%d open alerts match %q; name one org by its ID.", len(found), query)), true
	}
	var text string
	if cmd == "snooze" {
		text, err = e.Snooze(found[0].Key, consoleUser, "you", choice)
	} else {
		text, err = e.Ack(found[0].Key, consoleUser, "you")
	}
	if err != nil {
		text = "Sorry, that did not work: " + err.Error()
	}
	return one(text), true
}
