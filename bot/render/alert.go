package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni"
)

// orgTitle is the org's name, or "org 4002" when it has none.
func orgTitle(o alerts.OrgRef) string {
	if strings.TrimSpace(o.Name) == "" {
		return "org " + strconv.FormatInt(o.ID, 10)
	}
	return o.Name
}

// orgName is "Beta Co (4002)", with the name as API text.
func orgName(o alerts.OrgRef, boldName bool) []span {
	s := txt(orgTitle(o))
	s.bold = boldName
	return []span{s, txt(" (" + strconv.FormatInt(o.ID, 10) + ")")}
}

// userName is "Ann Lee (ann@example.com)".
func userName(u *alerts.UserRef) []span {
	name := u.Name
	if strings.TrimSpace(name) == "" {
		name = "user " + strconv.FormatInt(u.ID, 10)
	}
	if u.Email == "" {
		return []span{txt(name)}
	}
	return []span{txt(name), txt(" (" + u.Email + ")")}
}

// runwayPhrase reads "about 1 hour of calls" or "calls are free".
func runwayPhrase(f *alerts.Figures) string {
	if !f.RunwayLimited {
		return "calls are free"
	}
	if f.Runway <= 0 {
		return "no calls left"
	}
	return runwayWords(f.Runway, true) + " of calls"
}

// changeValue shows a changed value the way support staff read it.
func changeValue(field, v, currency string) string {
	switch field {
	case alerts.FieldCostPerMin:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return v
		}
		return Rate(f, currency)
	case alerts.FieldAccessLevel:
		if v == "" {
			return "none"
		}
	case alerts.FieldActive:
		if v == "on" {
			return "active"
		}
		return "inactive"
	}
	return v
}

// fieldLabel names a changed field in words.
func fieldLabel(field string) string {
	switch field {
	case alerts.FieldCostPerMin:
		return "Cost per minute"
	case alerts.FieldConcurrency:
		return "Concurrent calls"
	case alerts.FieldActive:
		return "Status"
	case alerts.FieldAccessLevel:
		return "Access level"
	}
	return omni.FlagLabel(field)
}

// changeText is "Bulk calls off → on".
func changeText(c alerts.Change, currency string) string {
	return fieldLabel(c.Field) + " " + changeValue(c.Field, c.Old, currency) + " → " + changeValue(c.Field, c.New, currency)
}

func changesText(cs []alerts.Change, currency string, limit int) string {
	parts := make([]string, 0, min(len(cs), limit)+1)
	for i, c := range cs {
		if i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-limit))
			break
		}
		parts = append(parts, changeText(c, currency))
	}
	return strings.Join(parts, ", ")
}

// menusOn lists the labels of flags switched on by a new user's changes.
func menusOn(cs []alerts.Change) string {
	var labels []string
	for _, c := range cs {
		if c.New == "on" {
			labels = append(labels, omni.FlagLabel(c.Field))
		}
	}
	if len(labels) == 0 {
		return "no menus"
	}
	return strings.Join(labels, ", ")
}

// card renders a single event as a full message: header, a sentence naming
// the org and what happened, the figures that matter, and a context line
// saying when and which rule fired.
func card(e *alerts.Event, now time.Time) *doc {
	k, _ := kindOf(e.Kind)
	d := &doc{}
	d.notification(k.notification(e, now)...)
	d.header(k.emoji + " " + k.titleOf(e))
	d.section(k.sentenceOf(e, now))
	if fs := k.fieldsOf(e); len(fs) > 0 {
		d.fields(fs...)
	}
	d.context(contextLine(e)...)
	// The buttons, last. An episode's message puts its own in their place
	// (episodeActions).
	var bs []button
	if e.Org.ID != 0 {
		bs = append(bs, detailsButton(e.Org))
	}
	if e.Episode() == "" {
		bs = append(bs, button{actionID: ActionAck, label: "Acknowledge", value: AlertKey(e)})
	}
	if len(bs) > 0 {
		d.actions("", bs...)
	}
	return d
}

// boldFirst makes the first span bold (a user's name).
func boldFirst(spans []span) line {
	l := line(append([]span(nil), spans...))
	if len(l) > 0 {
		l[0].bold = true
	}
	return l
}

func contextLine(e *alerts.Event) []span {
	s := "Polled " + stamp(e.At)
	if r := config.RuleText(e); r != "" {
		s += " · rule " + r
	}
	return []span{txt(s)}
}

// kindCounts counts events by kind in display order: "9 low balance, 3 new
// users".
func kindCounts(events []alerts.Event) string {
	counts := map[alerts.Kind]int{}
	for i := range events {
		counts[events[i].Kind]++
	}
	return changeCounts(counts)
}

// EventText is an event's notification as one plain line, for `poll`
// output and the console: control characters from API text become spaces.
func EventText(e *alerts.Event, now time.Time) string {
	k, _ := kindOf(e.Kind)
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, k.notification(e, now).plain())
}
