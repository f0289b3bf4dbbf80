package bot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/store"
)

// A poll's events become a few messages, planned when the poll is stored and
// rendered when they are delivered. A handful of events get a card each; a
// burst becomes a digest: one message in the channel with a summary line and
// each org's lines together, continued as thread replies when it outgrows one
// message.

const (
	// cardLimit is the most events a poll may yield and still get one card
	// each; above it they become a digest.
	cardLimit = 3
	// digestBudget is the most mrkdwn characters of org lines in one digest
	// message: within what Slack takes in one message's blocks
	// (maxBlocksText) once the header, summary and context are added, and
	// about what a person reads before scrolling on.
	digestBudget = 9000
)

// Batch is one message's worth of alerts, as stored in the outbox.
type Batch struct {
	// PolledAt is the time of the poll the events came from.
	PolledAt time.Time `json:"polled_at"`
	// Digest is false for a single event's card.
	Digest bool `json:"digest,omitempty"`
	// Part and Parts number the messages of one digest, from 1.
	Part  int `json:"part,omitempty"`
	Parts int `json:"parts,omitempty"`
	// Total and Summary describe the whole poll for the digest's first line:
	// "12 alerts", "9 low balance, 3 new users".
	Total   int            `json:"total,omitempty"`
	Summary string         `json:"summary,omitempty"`
	Events  []alerts.Event `json:"events"`
}

// Plan groups one poll's events into outbox messages. Digest parts after
// the first reply to it, so they land in its thread.
func Plan(events []alerts.Event, polledAt time.Time) ([]store.Outgoing, error) {
	batches := planBatches(events, polledAt)
	out := make([]store.Outgoing, len(batches))
	for i, b := range batches {
		body, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("bot: encode batch: %w", err)
		}
		out[i] = store.Outgoing{Body: body, ReplyTo: -1}
		if b.Digest && b.Part > 1 {
			out[i].ReplyTo = 0
		}
	}
	return out, nil
}

func planBatches(events []alerts.Event, polledAt time.Time) []Batch {
	if len(events) == 0 {
		return nil
	}
	if len(events) <= cardLimit {
		batches := make([]Batch, len(events))
		for i := range events {
			batches[i] = Batch{PolledAt: polledAt, Events: events[i : i+1]}
		}
		return batches
	}
	// Keep each org's events together whatever order they came in; the
	// engine's order within an org stands.
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b alerts.Event) int { return cmp.Compare(a.Org.ID, b.Org.ID) })
	summary := kindCounts(events)
	var batches []Batch
	start, size := 0, 0
	for i := range events {
		n := digestLine(&events[i]).len() + 1
		if i == 0 || events[i].Org.ID != events[i-1].Org.ID {
			n += orgLine(&events[i]).len() + 2
		}
		if size+n > digestBudget && i > start {
			batches = append(batches, Batch{Events: events[start:i]})
			start, size = i, 0
			n += orgLine(&events[i]).len() + 2 // the org is named again
		}
		size += n
	}
	batches = append(batches, Batch{Events: events[start:]})
	for i := range batches {
		b := &batches[i]
		b.PolledAt, b.Digest, b.Part, b.Parts, b.Total, b.Summary = polledAt, true, i+1, len(batches), len(events), summary
	}
	return batches
}

// DecodeBatch reads a batch from an outbox message.
func DecodeBatch(body []byte) (Batch, error) {
	var b Batch
	if err := json.Unmarshal(body, &b); err != nil {
		return Batch{}, fmt.Errorf("bot: outbox message is not a batch: %w", err)
	}
	if len(b.Events) == 0 {
		return Batch{}, fmt.Errorf("bot: outbox message holds no events")
	}
	return b, nil
}

// Render writes a batch as a message.
func (b *Batch) Render(now time.Time) Message {
	if !b.Digest {
		return card(&b.Events[0], now).render()
	}
	return b.digest(now).render()
}

// orgLine heads an org's lines in a digest; reseller-wide events have none.
func orgLine(e *alerts.Event) line {
	if e.Org.ID == 0 {
		return nil
	}
	return orgName(e.Org, true)
}

// digestLine is one event in a digest: "⚠️ Low balance: $13.00 left, …".
func digestLine(e *alerts.Event) line {
	info := infoOf(e.Kind)
	title := info.title
	if e.Reminder {
		title = "Still low balance"
	}
	return append(line{txt(info.emoji + " " + title + ": ")}, summary(e)...)
}

func (b *Batch) digest(now time.Time) *doc {
	d := &doc{}
	title := fmt.Sprintf("%s from the %s poll", plural(b.Total, "alert"), clock(b.PolledAt))
	if b.Part == 1 {
		d.notification(txt(title + ": " + b.Summary))
		d.header("🔔 " + title)
		d.section(line{txt(b.Summary)})
	} else {
		d.notification(txt(fmt.Sprintf("%s, continued (%d of %d)", title, b.Part, b.Parts)))
		d.context(txt(fmt.Sprintf("Continued (%d of %d)", b.Part, b.Parts)))
	}

	// Pack orgs into sections of at most maxSectionText, keeping an org's
	// lines together unless it alone outgrows a section.
	var lines []line
	size := 0
	flush := func() {
		if len(lines) > 0 {
			d.section(lines...)
			lines, size = nil, 0
		}
	}
	add := func(l line) {
		n := l.len() + 1
		if size+n > maxSectionText {
			flush()
		}
		lines = append(lines, l)
		size += n
	}
	for i := range b.Events {
		e := &b.Events[i]
		if i == 0 || e.Org.ID != b.Events[i-1].Org.ID {
			if len(lines) > 0 {
				add(line{txt(" ")}) // a blank line between orgs
			}
			if head := orgLine(e); head != nil {
				add(head)
			}
		}
		add(digestLine(e))
	}
	flush()

	ctx := "Polled " + Stamp(b.PolledAt)
	if rules := distinctRules(b.Events); rules != "" {
		ctx += " · " + rules
	}
	if b.Parts > 1 && b.Part == 1 {
		ctx += fmt.Sprintf(" · continued in the thread (%d more messages)", b.Parts-1)
	}
	d.context(txt(ctx))
	return d
}

// distinctRules lists the rules that fired, once each.
func distinctRules(events []alerts.Event) string {
	var rules []string
	for i := range events {
		if r := events[i].Rule; r != "" && !slices.Contains(rules, r) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return ""
	}
	if len(rules) == 1 {
		return "rule " + rules[0]
	}
	return "rules " + strings.Join(rules, "; ")
}

// EventText is an event's notification as one plain line, for `poll`
// output and the console: control characters from API text become spaces.
func EventText(e *alerts.Event, now time.Time) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, notification(e, now).plain())
}
