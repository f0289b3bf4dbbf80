package render

import (
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// How expiry episodes and forecasts read. An expiry is a calendar date, so
// it shows as one ("2026-11-30"); how far off it is counts from the poll
// that saw it, which is when the message was written.

func expiryDate(t time.Time) string { return t.UTC().Format("2006-01-02") }

func expiringSummary(e *alerts.Event) line {
	return append(line(userName(e.User)), txt(": access expires "+ago(e.Expires, e.At)+" ("+expiryDate(e.Expires)+")"))
}

func expiringNotification(e *alerts.Event, _ string, _ time.Time) line {
	l := append(line{txt("Access expiring in "), txt(orgTitle(e.Org)), txt(": ")}, userName(e.User)...)
	return append(l, txt(", access expires "+ago(e.Expires, e.At)))
}

func expiringSentence(e *alerts.Event, _ time.Time) line {
	l := append(boldFirst(userName(e.User)), txt(" in "))
	l = append(append(l, orgName(e.Org, true)...), txt(": access expires "+ago(e.Expires, e.At)+", on "+expiryDate(e.Expires)+"."))
	return l
}

func expiredSummary(e *alerts.Event) line {
	return append(line(userName(e.User)), txt(": access expired on "+expiryDate(e.Expires)))
}

func expiredNotification(e *alerts.Event, _ string, _ time.Time) line {
	l := append(line{txt("Access expired in "), txt(orgTitle(e.Org)), txt(": ")}, userName(e.User)...)
	return append(l, txt(" (on "+expiryDate(e.Expires)+")"))
}

func expiredSentence(e *alerts.Event, now time.Time) line {
	l := append(boldFirst(userName(e.User)), txt(" in "))
	return append(append(l, orgName(e.Org, true)...),
		txt(": access expired on "+expiryDate(e.Expires)+"; the warning went out "+when(e.Since, now)+"."))
}

// extendedWords is what became of the expiry: a later date, or none.
func extendedWords(e *alerts.Event) string {
	if e.Expires.IsZero() {
		return "access no longer expires"
	}
	return "access now expires on " + expiryDate(e.Expires)
}

func extendedSummary(e *alerts.Event) line {
	return append(line(userName(e.User)), txt(": "+extendedWords(e)))
}

func extendedNotification(e *alerts.Event, _ string, _ time.Time) line {
	l := append(line{txt("Access extended in "), txt(orgTitle(e.Org)), txt(": ")}, userName(e.User)...)
	return append(l, txt(", "+extendedWords(e)))
}

func extendedSentence(e *alerts.Event, _ time.Time) line {
	l := append(boldFirst(userName(e.User)), txt(" in "))
	return append(append(l, orgName(e.Org, true)...), txt(": "+extendedWords(e)+"."))
}

// pacePhrase reads "at the last day's pace, about 9 hours left", or "" when
// the figures hold no forecast.
func pacePhrase(f *alerts.Figures) string {
	if f == nil || f.Pace <= 0 {
		return ""
	}
	return PaceWords(f.PaceWindow) + ", " + runwayWords(f.Pace, true) + " left"
}

// PaceWords names a spend window as a pace: "at the last day's pace", "at
// the last 6 hours' pace".
func PaceWords(window time.Duration) string {
	if window == 24*time.Hour {
		return "at the last day's pace"
	}
	return "at the last " + approx(window) + "' pace"
}

// paceOrRunway is the forecast when there is one, which says more than the
// runway: a balance that lasts days of calls can still be gone by morning at
// the pace it is being spent.
func paceOrRunway(f *alerts.Figures) string {
	if p := pacePhrase(f); p != "" {
		return p
	}
	return runwayPhrase(f)
}

// pace is an org's forecast for /orgs and /org: "at the last day's pace:
// about 9 hours", or "" without one.
func (b Basis) pace(o *omni.Org) string {
	s, ok := b.Spend[o.ID]
	if !ok {
		return ""
	}
	left, ok := b.Rule.Forecast(o.Balance, s)
	if !ok {
		return ""
	}
	return PaceWords(s.Over) + ": " + runwayWords(left, true)
}

// paceSuffix is pace as the tail of an /orgs row.
func (b Basis) paceSuffix(o *omni.Org) string {
	if p := b.pace(o); p != "" {
		return " · " + p
	}
	return ""
}
