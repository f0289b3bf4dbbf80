package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/internal/config"
)

// A poll's events become a few messages. A handful of events get a card
// each; a burst becomes a digest: one message in the channel with a summary
// line and each org's lines together, continued as thread replies when it
// outgrows one message.

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

// Batch is one message's worth of a poll's alerts: a single event's card,
// or one part of a digest. Its JSON is how the outbox held alerts before it
// held them rendered, so what an older version queued still decodes into a
// Batch and renders.
type Batch struct {
	// PolledAt is the time of the poll the events came from.
	PolledAt time.Time `json:"polled_at"`
	// Digest is false for a single event's card.
	Digest bool `json:"digest,omitempty"`
	// Part and Parts number the messages of one digest, from 1. Parts after
	// the first belong in the first's thread.
	Part  int `json:"part,omitempty"`
	Parts int `json:"parts,omitempty"`
	// Total and Summary describe the whole poll for the digest's first line:
	// "12 alerts", "9 low balance, 3 new users".
	Total   int            `json:"total,omitempty"`
	Summary string         `json:"summary,omitempty"`
	Events  []alerts.Event `json:"events"`

	// lines are the digest's lines for Events, when planning measured them
	// already, so that Render does not write them again.
	lines []digestEntry
}

// digestEntry is one event's line in a digest and, when the event is the
// first of its org there, the org's heading line: each with the mrkdwn
// written to measure it, and its length.
type digestEntry struct {
	head, line measured
}

// measured is a line with its mrkdwn and the length of that.
type measured struct {
	line   line
	mrkdwn string
	len    int
}

func measure(l line) measured {
	m := l.mrkdwn()
	return measured{line: l, mrkdwn: m, len: utf8.RuneCountInString(m)}
}

func newDigestEntry(e *alerts.Event, first bool) digestEntry {
	d := digestEntry{line: measure(digestLine(e))}
	if first {
		d.head = measure(orgLine(e))
	}
	return d
}

// Batches groups one poll's events into messages: a card each for a few, a
// digest in parts for more, with each org's events together whatever order
// they came in (the engine's order within an org stands).
func Batches(events []alerts.Event, polledAt time.Time) []Batch {
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
	events = slices.Clone(events)
	// By name too: orgs the API listed with id 0 are still orgs apart.
	slices.SortStableFunc(events, func(a, b alerts.Event) int {
		return cmp.Or(cmp.Compare(a.Org.ID, b.Org.ID), cmp.Compare(a.Org.Name, b.Org.Name))
	})
	summary := kindCounts(events)
	entries := make([]digestEntry, len(events))
	var batches []Batch
	start, size := 0, 0
	for i := range events {
		first := i == 0 || !sameOrg(&events[i], &events[i-1])
		entries[i] = newDigestEntry(&events[i], first)
		n := entries[i].line.len + 1
		if first {
			n += entries[i].head.len + 2
		}
		if size+n > digestBudget && i > start {
			batches = append(batches, Batch{Events: events[start:i], lines: entries[start:i]})
			start, size = i, 0
			// The org is named again at the top of the next part.
			if !first {
				entries[i].head = measure(orgLine(&events[i]))
			}
			n += entries[i].head.len + 2
		}
		size += n
	}
	batches = append(batches, Batch{Events: events[start:], lines: entries[start:]})
	for i := range batches {
		b := &batches[i]
		b.PolledAt, b.Digest, b.Part, b.Parts, b.Total, b.Summary = polledAt, true, i+1, len(batches), len(events), summary
	}
	return batches
}

// Render writes a batch as a message; now is the clock reading that "2
// hours ago" is measured from.
func (b *Batch) Render(now time.Time) Message {
	if !b.Digest {
		return card(&b.Events[0], now).render()
	}
	lines := b.lines
	if len(lines) != len(b.Events) {
		lines = make([]digestEntry, len(b.Events))
		for i := range b.Events {
			lines[i] = newDigestEntry(&b.Events[i], i == 0 || !sameOrg(&b.Events[i], &b.Events[i-1]))
		}
	}
	return b.digest(lines).render()
}

// orgLine heads an org's lines in a digest; reseller-wide events, which
// have no org at all, have none. An org with id 0 (the API's mistake) is
// still named.
func orgLine(e *alerts.Event) line {
	if e.Org.ID == 0 && e.Org.Name == "" {
		return nil
	}
	return orgName(e.Org, true)
}

// sameOrg reports whether two events concern the same org, as the digest
// groups them: by id and name, so that orgs the API listed with id 0 stay
// apart.
func sameOrg(a, b *alerts.Event) bool { return a.Org.ID == b.Org.ID && a.Org.Name == b.Org.Name }

// digestLine is one event in a digest: "⚠️ Low balance: $13.00 left, …".
func digestLine(e *alerts.Event) line {
	k, _ := kindOf(e.Kind)
	return append(line{txt(k.emoji + " " + k.titleOf(e) + ": ")}, k.summary(e)...)
}

func (b *Batch) digest(entries []digestEntry) *doc {
	d := &doc{}
	title := fmt.Sprintf("%s from the %s poll", Plural(b.Total, "alert"), clock(b.PolledAt))
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
	var mrkdwn []string
	size := 0
	add := func(m measured) {
		if size+m.len+1 > maxSectionText && len(lines) > 0 {
			d.measuredSection(lines, mrkdwn)
			lines, mrkdwn, size = nil, nil, 0
		}
		lines, mrkdwn = append(lines, m.line), append(mrkdwn, m.mrkdwn)
		size += m.len + 1
	}
	blank := measure(line{txt(" ")}) // between orgs
	for i, e := range entries {
		if i == 0 || !sameOrg(&b.Events[i], &b.Events[i-1]) {
			if len(lines) > 0 {
				add(blank)
			}
			if e.head.line != nil {
				add(e.head)
			}
		}
		add(e.line)
	}
	if len(lines) > 0 {
		d.measuredSection(lines, mrkdwn)
	}

	ctx := "Polled " + stamp(b.PolledAt)
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
		if r := config.RuleText(&events[i]); r != "" && !slices.Contains(rules, r) {
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
