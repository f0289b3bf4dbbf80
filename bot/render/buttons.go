package render

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// ActionOrgDetails is the action_id of the button (and of /orgs' menu)
// that answers the clicker with the /org card of the org in its value. It is
// a stable contract: tests and Slack's stored messages click it.
const ActionOrgDetails = "org_details"

// Slack's limits on interactive elements.
const (
	maxButtonText   = 75
	maxOptionText   = 75
	maxSelectOption = 100
)

// button is one element of an actions block: a button, or, with options,
// a static select whose chosen option's value is the click's value.
type button struct {
	label, actionID, value string
	// options make a static select with label as its placeholder.
	options []option
	// hint is how the console shows the element: "[details 4002]", what
	// one types to do the same.
	hint string
}

type option struct{ label, value string }

// actions adds a block of buttons.
func (d *doc) actions(bs ...button) {
	d.blocks = append(d.blocks, block{kind: actionsBlock, buttons: bs})
}

// detailsButton opens the /org card of an alert's org.
func detailsButton(o alerts.OrgRef) button {
	id := strconv.FormatInt(o.ID, 10)
	return button{label: "Details", actionID: ActionOrgDetails, value: id, hint: "[details " + id + "]"}
}

// detailsMenu picks one of a page's orgs for its /org card: one block for a
// whole page, where a button per row would cost a section per row.
func detailsMenu(orgs []*omni.Org) button {
	b := button{label: "Details of an org…", actionID: ActionOrgDetails, hint: "[details ID] shows one org"}
	for _, o := range orgs[:min(len(orgs), maxSelectOption)] {
		id := strconv.FormatInt(o.ID, 10)
		b.options = append(b.options, option{label: o.Name + " (" + id + ")", value: id})
	}
	return b
}

// slackActions writes an actions block. Labels are plain_text, which Slack
// shows as typed; an org's name in one only has to lose what could break
// or reverse a line (flatten).
func (b *block) slackActions() []slack.Block {
	elems := make([]slack.BlockElement, 0, len(b.buttons))
	for _, bt := range b.buttons {
		text := slack.NewTextBlockObject(slack.PlainTextType, cut(flatten(bt.label), maxButtonText), false, false)
		if len(bt.options) == 0 {
			elems = append(elems, slack.NewButtonBlockElement(bt.actionID, bt.value, text))
			continue
		}
		opts := make([]*slack.OptionBlockObject, len(bt.options))
		for i, o := range bt.options {
			label := slack.NewTextBlockObject(slack.PlainTextType, cut(flatten(o.label), maxOptionText), false, false)
			opts[i] = slack.NewOptionBlockObject(o.value, label, nil)
		}
		elems = append(elems, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, text, bt.actionID, opts...))
	}
	return []slack.Block{slack.NewActionBlock("", elems...)}
}

// plainActions is the console's line of hints.
func (b *block) plainActions(sb *strings.Builder) {
	sb.WriteString(" ")
	for _, bt := range b.buttons {
		sb.WriteString(" ")
		sb.WriteString(bt.hint)
	}
	sb.WriteByte('\n')
}
