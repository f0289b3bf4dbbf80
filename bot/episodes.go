package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// Episodes does what the buttons on an episode's message do: snooze its
// reminders, acknowledge it. Each change is stored first; then Changed has
// the deliverer edit the message, paced with every other edit. The Slack
// app calls it for clicks, the console for typed commands.
//
// A click acts once: the same choice by the same person again (a double
// click) changes nothing. A second person's snooze replaces the first, so
// the message always says who snoozed last and until when; the first
// acknowledgement stands, and later ones are told who has it.
type Episodes struct {
	Store *store.Store
	// Changed, if set, is called after a change was stored (the
	// Deliverer's Kick).
	Changed func()
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// doubleClick is how soon the same snooze by the same person counts as the
// same click.
const doubleClick = time.Minute

// ErrNoEpisode is the error for a click on an episode the store does not
// know or that has ended.
var ErrNoEpisode = errors.New("that alert is over or unknown")

func (e *Episodes) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// Snooze holds back the reminders of the episode filed under key, for
// choice ("1h", "24h", "168h" or render.SnoozeUntilEnd), on behalf of a
// user (ID and name). It returns what to tell them.
func (e *Episodes) Snooze(key, userID, userName, choice string) (string, error) {
	now := e.now()
	s := store.Snooze{By: userID, Name: nameOr(userName, userID)}
	if choice == render.SnoozeUntilEnd {
		s.UntilEnd = true
	} else {
		d, err := time.ParseDuration(choice)
		if err != nil || d <= 0 || d > 31*24*time.Hour {
			return "", fmt.Errorf("snooze for %q: not one of 1h, 24h, 168h or %s", choice, render.SnoozeUntilEnd)
		}
		s.Until = now.Add(d)
	}
	var what string
	ep, err := e.change(key, func(ep *store.Episode) bool {
		old := ep.Snooze
		if old.By == s.By && old.UntilEnd == s.UntilEnd && (s.UntilEnd || absDuration(old.Until.Sub(s.Until)) < doubleClick) {
			what = "already snoozed"
			return false
		}
		ep.Snooze = s
		what = "snoozed"
		return true
	})
	if err != nil {
		return "", err
	}
	until := "until it recovers"
	if !ep.Snooze.UntilEnd {
		until = "until " + ep.Snooze.Until.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprintf("Reminders for %s %s %s. The recovery will still be announced.", episodeName(&ep), what, until), nil
}

// Ack records that a user has the episode filed under key in hand.
func (e *Episodes) Ack(key, userID, userName string) (string, error) {
	now := e.now()
	first := false
	ep, err := e.change(key, func(ep *store.Episode) bool {
		if ep.Ack.By != "" {
			return false
		}
		ep.Ack = store.Ack{By: userID, Name: nameOr(userName, userID), At: now}
		first = true
		return true
	})
	if err != nil {
		return "", err
	}
	if !first {
		return fmt.Sprintf("%s was already acknowledged by @%s.", episodeName(&ep), ep.Ack.Name), nil
	}
	return fmt.Sprintf("You have acknowledged %s; the message says so.", episodeName(&ep)), nil
}

// Unsnooze ends the snooze of the episode filed under key.
func (e *Episodes) Unsnooze(key string) (string, error) {
	was := false
	ep, err := e.change(key, func(ep *store.Episode) bool {
		was = ep.Snooze.By != ""
		ep.Snooze = store.Snooze{}
		return was
	})
	if err != nil {
		return "", err
	}
	if !was {
		return fmt.Sprintf("%s was not snoozed.", episodeName(&ep)), nil
	}
	return fmt.Sprintf("Reminders for %s are back on.", episodeName(&ep)), nil
}

// Open returns the open episodes, in key order.
func (e *Episodes) Open() ([]store.Episode, error) {
	return e.Store.Episodes(func(ep *store.Episode) bool { return ep.Ended.IsZero() })
}

// change applies a click to an open episode and, if the message must show
// it, says so.
func (e *Episodes) change(key string, fn func(*store.Episode) bool) (store.Episode, error) {
	shown := false
	ep, err := e.Store.UpdateEpisode(key, func(ep *store.Episode) bool {
		if !ep.Ended.IsZero() {
			return false
		}
		shown = fn(ep)
		return shown
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && !ep.Ended.IsZero()) {
		return store.Episode{}, ErrNoEpisode
	}
	if err != nil {
		return store.Episode{}, err
	}
	if shown && e.Changed != nil {
		e.Changed()
	}
	return ep, nil
}

// EpisodeOrg returns the org an episode is about (zero for a reseller-wide
// one) and how to name it.
func EpisodeOrg(ep *store.Episode) (int64, string) {
	var first alerts.Event
	if json.Unmarshal(ep.First, &first) != nil || first.Org.ID == 0 {
		return 0, "the API outage"
	}
	if first.Org.Name == "" {
		return first.Org.ID, fmt.Sprintf("org %d", first.Org.ID)
	}
	return first.Org.ID, fmt.Sprintf("%s (%d)", first.Org.Name, first.Org.ID)
}

func episodeName(ep *store.Episode) string {
	_, name := EpisodeOrg(ep)
	return name
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// HandleEpisodes routes the snooze and ack buttons of episodes' messages
// to e, answering the clicker ephemerally.
func (a *App) HandleEpisodes(e *Episodes) {
	answer := func(ctx context.Context, c Click, text string, err error) {
		log := a.log.With("action_id", c.ActionID, "user", c.UserID)
		switch {
		case errors.Is(err, ErrNoEpisode):
			text = "That alert is over; there is nothing to " + c.ActionID + "."
		case err != nil:
			log.Error("acting on a click", "error", err)
			text = "Sorry, that did not work: " + err.Error()
		}
		if c.ResponseURL == "" {
			return
		}
		if err := a.Respond(ctx, c.ResponseURL, render.Message{Text: text}, false); err != nil {
			log.Error("answering a click", "error", err)
		}
	}
	a.HandleClick(render.ActionSnooze, func(ctx context.Context, c Click) {
		// A menu's value is the option chosen; the block names the episode.
		text, err := e.Snooze(c.BlockID, c.UserID, c.UserName, c.Value)
		answer(ctx, c, text, err)
	})
	a.HandleClick(render.ActionAck, func(ctx context.Context, c Click) {
		if render.IsAlertKey(c.Value) {
			a.ackAlert(ctx, e, c)
			return
		}
		text, err := e.Ack(c.Value, c.UserID, c.UserName)
		answer(ctx, c, text, err)
	})
	a.HandleCommand("/snoozes", func(context.Context, Command) []render.Message {
		rows, err := e.Snoozes()
		if err != nil {
			a.log.Error("listing snoozes", "error", err)
			return []render.Message{render.Text("Sorry, the snoozes could not be read: " + err.Error())}
		}
		return []render.Message{render.Snoozes(rows, e.now())}
	})
	a.HandleCommand("/unsnooze", func(_ context.Context, c Command) []render.Message {
		return []render.Message{render.Text(e.unsnooze(c.Text))}
	})
}

// Snoozes lists the active snoozes, soonest to end first.
func (e *Episodes) Snoozes() ([]render.SnoozeRow, error) {
	now := e.now()
	eps, err := e.Store.Episodes(func(ep *store.Episode) bool { return ep.Ended.IsZero() && ep.Snooze.Active(now) })
	if err != nil {
		return nil, err
	}
	rows := make([]render.SnoozeRow, len(eps))
	for i := range eps {
		s := eps[i].Snooze
		rows[i] = render.SnoozeRow{What: episodeName(&eps[i]), By: nameOr(s.Name, s.By), Until: s.Until, UntilEnd: s.UntilEnd}
	}
	slices.SortStableFunc(rows, func(a, b render.SnoozeRow) int {
		if a.UntilEnd != b.UntilEnd {
			if a.UntilEnd {
				return 1
			}
			return -1
		}
		return a.Until.Compare(b.Until)
	})
	return rows, nil
}

// Find returns the open episodes a query names: an org by ID, by exact
// name, or by a case-insensitive prefix of its name; "outage" or "api"
// names the API outage.
func (e *Episodes) Find(query string) ([]store.Episode, error) {
	open, err := e.Open()
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	var exact, prefix []store.Episode
	for _, ep := range open {
		var first struct {
			Org alerts.OrgRef `json:"org"`
		}
		_ = json.Unmarshal(ep.First, &first)
		id, name := first.Org.ID, strings.ToLower(first.Org.Name)
		switch {
		case id == 0 && (q == "outage" || q == "api"):
			exact = append(exact, ep)
		case id != 0 && (q == strconv.FormatInt(id, 10) || q == name):
			exact = append(exact, ep)
		case id != 0 && q != "" && strings.HasPrefix(name, q):
			prefix = append(prefix, ep)
		}
	}
	if len(exact) > 0 {
		return exact, nil
	}
	return prefix, nil
}

// unsnooze answers /unsnooze ORG.
func (e *Episodes) unsnooze(query string) string {
	if strings.TrimSpace(query) == "" {
		return "Usage: /unsnooze ORG (an org's ID or name; /snoozes lists what is snoozed)."
	}
	found, err := e.Find(query)
	switch {
	case err != nil:
		return "Sorry, that did not work: " + err.Error()
	case len(found) == 0:
		return fmt.Sprintf("No open alert matches %q.", query)
	case len(found) > 1:
		names := make([]string, len(found))
		for i := range found {
			names[i] = episodeName(&found[i])
		}
		return fmt.Sprintf("%q matches %s; say which.", query, strings.Join(names, ", "))
	}
	text, err := e.Unsnooze(found[0].Key)
	if err != nil {
		return "Sorry, that did not work: " + err.Error()
	}
	return text
}

// ackAlert acknowledges a one-off alert: stored first, once, then the
// message is put back through the click's response_url with a line saying
// who has it, and the clicker is told.
func (a *App) ackAlert(ctx context.Context, e *Episodes, c Click) {
	log := a.log.With("action_id", c.ActionID, "user", c.UserID)
	stands, first, err := e.Store.AckAlert(c.Value, store.Ack{By: c.UserID, Name: nameOr(c.UserName, c.UserID), At: e.now()})
	text := "You have acknowledged this alert; the message says so."
	switch {
	case err != nil:
		log.Error("acknowledging an alert", "error", err)
		text = "Sorry, that did not work: " + err.Error()
	case !first:
		text = "This alert was already acknowledged by @" + stands.Name + "."
	}
	if c.ResponseURL == "" {
		return
	}
	if err == nil && first && len(c.Blocks) > 0 {
		if err := a.Respond(ctx, c.ResponseURL, render.Acknowledged(c.Text, c.Blocks, stands.Name, stands.At), true); err != nil {
			log.Error("showing an acknowledgement", "error", err)
		}
	}
	if err := a.Respond(ctx, c.ResponseURL, render.Text(text), false); err != nil {
		log.Error("answering a click", "error", err)
	}
}
