package render

import (
	"strconv"
	"time"
)

// SnoozeRow is one active snooze, for /snoozes.
type SnoozeRow struct {
	// What names the episode: "Beta Co (4002)", "the API outage".
	What string
	// By is who snoozed it; Until when it ends, unless UntilEnd.
	By       string
	Until    time.Time
	UntilEnd bool
}

// maxSnoozeRows bounds the /snoozes answer; beyond it the answer says how
// many more there are.
const maxSnoozeRows = 100

// Snoozes answers /snoozes: the active snoozes, soonest to end first as
// given, and how to end one.
func Snoozes(rows []SnoozeRow, now time.Time) Message {
	d := &doc{}
	if len(rows) == 0 {
		d.notification(txt("No alert is snoozed."))
		d.section(line{txt("No alert is snoozed. The snooze menu on a low-balance alert holds its reminders back.")})
		return d.render()
	}
	d.notification(txt(counted(len(rows), "snoozed alert", "snoozed alerts")))
	d.header("🔕 " + counted(len(rows), "snoozed alert", "snoozed alerts"))
	p := newPacker(d, 1)
	shown := 0
	for _, r := range rows {
		until := "until it recovers"
		if !r.UntilEnd {
			until = "until " + stamp(r.Until) + " (" + ago(r.Until, now) + ")"
		}
		if shown == maxSnoozeRows || !p.add(line{bold(r.What), txt(" · by "), person(r.By), txt(" · " + until)}) {
			break
		}
		shown++
	}
	if shown < len(rows) {
		p.note(line{txt("… and " + strconv.Itoa(len(rows)-shown) + " more")})
	}
	p.flush()
	d.context(txt("/unsnooze ORG turns an org's reminders back on."))
	return d.render()
}

// Text is a short answer in one line, for a click or a command.
func Text(s string) Message {
	d := &doc{}
	d.notification(txt(s))
	d.section(line{txt(s)})
	return d.render()
}
