package render

import (
	"slices"
	"strconv"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
)

// An episode's message (see alerts.Event.Episode) is the card of its latest
// event, edited in place as the episode goes on, with a status section
// saying what happened since it opened and what people did about it. Its
// reminders and its end are ordinary cards, posted in its thread.

// Grouped reports whether a poll with n events is announced as a digest
// rather than a card each (see Batches): a burst's episode news stays in
// the digest instead of a thread reply each.
func Grouped(n int) bool { return n > cardLimit }

// EpisodeView is what an episode's message shows.
type EpisodeView struct {
	// Key is the episode's key, the value its ack button carries.
	Key string
	// First and Last are the opening and the latest event.
	First, Last alerts.Event
	// Reminders counts the reminders sent so far.
	Reminders int
	// SnoozedBy, a person's name, snoozed the reminders until SnoozedUntil,
	// or until the episode ends when UntilEnd is set; empty: not snoozed.
	SnoozedBy    string
	SnoozedUntil time.Time
	UntilEnd     bool
	// AckedBy, a person's name, acknowledged the episode at AckedAt.
	AckedBy string
	AckedAt time.Time
	// TopUp offers the topup_open button on a low balance: actions are on.
	TopUp bool
	// ToppedUpBy, a person's name, topped the org up from Slack with
	// ToppedUpWhat ("100 minutes") at ToppedUpAt.
	ToppedUpBy, ToppedUpWhat string
	ToppedUpAt               time.Time
}

// Render writes the episode's message as of now.
func (ep *EpisodeView) Render(now time.Time) Message {
	last := ep.Last
	// The message stands for the whole episode: it reads "Low balance",
	// not "Still low balance", however many reminders followed.
	last.Reminder = false
	d := card(&last, now)
	if last.Ends() {
		// The notification keeps what the episode was about, then how it
		// ended: "Low balance: … → Balance recovered: …".
		first := ep.First
		first.Reminder = false
		k, _ := kindOf(first.Kind)
		d.notification(append(append(k.notification(&first, now), txt(" → ")), d.notify...)...)
	}
	// The status and the buttons go before the context line, which stays
	// last.
	// The card's own buttons give way to the episode's.
	d.blocks = slices.DeleteFunc(d.blocks, func(b block) bool { return b.kind == actionsBlock })
	ctx := d.blocks[len(d.blocks)-1]
	d.blocks = append(d.blocks[:len(d.blocks)-1], block{kind: sectionBlock, lines: ep.status(now)})
	if !last.Ends() {
		k, _ := kindOf(ep.First.Kind)
		if acts := episodeActions(k, ep); acts != nil {
			d.blocks = append(d.blocks, *acts)
		}
	}
	d.blocks = append(d.blocks, ctx)
	return d.render()
}

// status is one line per thing that happened since the episode opened.
func (ep *EpisodeView) status(now time.Time) []line {
	var lines []line
	ended := ep.Last.Ends()
	if !ep.First.Since.IsZero() {
		l := line{txt("Since " + stamp(ep.First.Since))}
		if !ended {
			l = append(l, txt(" ("+ago(ep.First.Since, now)+")"))
		}
		lines = append(lines, l)
	}
	if ep.Reminders > 0 {
		lines = append(lines, line{txt(counted(ep.Reminders, "reminder", "reminders") + " so far")})
	}
	if ended {
		lines = append(lines, line{bold("Ended"), txt(" " + stamp(ep.Last.At))})
	}
	if ep.SnoozedBy != "" && !ended {
		until := "until it recovers"
		if !ep.UntilEnd {
			until = "until " + stamp(ep.SnoozedUntil)
		}
		if ep.UntilEnd || now.Before(ep.SnoozedUntil) {
			lines = append(lines, line{txt("🔕 Reminders snoozed by "), person(ep.SnoozedBy), txt(" " + until)})
		}
	}
	if ep.AckedBy != "" {
		lines = append(lines, line{txt("👀 Acknowledged by "), person(ep.AckedBy), txt(" " + ago(ep.AckedAt, now))})
	}
	if ep.ToppedUpBy != "" {
		lines = append(lines, line{txt("💳 Topped up by "), person(ep.ToppedUpBy),
			txt(" with " + ep.ToppedUpWhat + " " + ago(ep.ToppedUpAt, now))})
	}
	return lines
}

func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// person is how the message names someone: "@name", as plain text, since a
// mention in an edited message would ping nobody and in a broadcast reply
// would ping everyone who clicked.
func person(name string) span { return txt("@" + name) }
