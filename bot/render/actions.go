package render

import (
	"github.com/slack-go/slack"
)

// Actions from Slack (top-ups, reverts, limits, menus, expiry) are shown
// as a preview with Confirm and Cancel buttons, then as a notice saying
// what came of them. Everything in them that came from the vendor or a
// user (org names, vendor messages) is text, escaped like any API text.

// Fact is one line of an action's preview or result: "Org balance",
// "$13.00 → $33.00".
type Fact struct {
	Label, Value string
}

// CancelActionID is the action_id of every preview's Cancel button.
const CancelActionID = "cancel"

// ActionPreview renders a change waiting for its confirmation: a title, the
// facts (what changes, from what to what, what it costs, what is left), and
// Confirm (confirmActionID) and Cancel buttons whose value is id, the
// pending confirmation's. note, if not empty, ends it (such as why it was
// previewed again).
func ActionPreview(title string, facts []Fact, note, confirmActionID, id string) Message {
	d := actionDoc(title, facts, note)
	d.context(txt("Only you see this. It expires in 10 minutes."))
	m := d.render()
	confirm := slack.NewButtonBlockElement(confirmActionID, id, slack.NewTextBlockObject(slack.PlainTextType, "Confirm", false, false))
	confirm.Style = slack.StylePrimary
	cancel := slack.NewButtonBlockElement(CancelActionID, id, slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
	m.Blocks = append(m.Blocks, slack.NewActionBlock("confirm_"+id, confirm, cancel))
	m.Plain += "Type confirm to go ahead, or cancel.\n"
	return m
}

// ActionNotice renders an action's answer or a refusal: a title, facts and
// an optional closing note.
func ActionNotice(title string, facts []Fact, note string) Message {
	return actionDoc(title, facts, note).render()
}

func actionDoc(title string, facts []Fact, note string) *doc {
	d := &doc{}
	d.notification(txt(title))
	d.section(line{bold(title)})
	if len(facts) > 0 {
		fs := make([]field, len(facts))
		for i, f := range facts {
			fs[i] = field{label: f.Label, value: line{txt(f.Value)}}
		}
		d.fields(fs...)
	}
	if note != "" {
		d.context(txt(note))
	}
	return d
}

// ActionList renders lines under a title, for /credits and /audit: the
// lines packed into sections within Slack's limits, then a note.
func ActionList(title string, lines []string, note string) Message {
	d := &doc{}
	d.notification(txt(title))
	d.header(title)
	p := newPacker(d, 1)
	for _, l := range lines {
		if !p.add(line{txt(l)}) {
			break
		}
	}
	p.flush()
	if note != "" {
		d.context(txt(note))
	}
	return d.render()
}
