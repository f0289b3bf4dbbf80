package render

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// actions adds a block of buttons; id, if set, is its block_id.
func (d *doc) actions(id string, bs ...button) {
	d.blocks = append(d.blocks, block{kind: actionsBlock, id: id, buttons: bs})
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

// slackActions writes an actions block, and the characters of text it
// holds. Labels are plain_text, which Slack shows as typed; an org's name
// in one only has to lose what could break or reverse a line (flatten).
func (b *block) slackActions() ([]slack.Block, int) {
	elems := make([]slack.BlockElement, 0, len(b.buttons))
	n := 0
	for _, bt := range b.buttons {
		text := slack.NewTextBlockObject(slack.PlainTextType, cut(flatten(bt.label), maxButtonText), false, false)
		n += utf8.RuneCountInString(text.Text)
		if len(bt.options) == 0 {
			elems = append(elems, slack.NewButtonBlockElement(bt.actionID, bt.value, text))
			continue
		}
		opts := make([]*slack.OptionBlockObject, len(bt.options))
		for i, o := range bt.options {
			label := slack.NewTextBlockObject(slack.PlainTextType, cut(flatten(o.label), maxOptionText), false, false)
			n += utf8.RuneCountInString(label.Text)
			opts[i] = slack.NewOptionBlockObject(o.value, label, nil)
		}
		elems = append(elems, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, text, bt.actionID, opts...))
	}
	return []slack.Block{slack.NewActionBlock(b.id, elems...)}, n
}

// plainActions is the console's line of hints: "[details 4002] [snooze
// 4002 1d] [ack 4002]", the commands that do what the elements do.
func (b *block) plainActions(sb *strings.Builder) {
	if !slices.ContainsFunc(b.buttons, func(bt button) bool { return bt.hint != "" }) {
		return // the console has no command for these
	}
	sb.WriteString(" ")
	for _, bt := range b.buttons {
		if bt.hint != "" {
			sb.WriteString(" ")
			sb.WriteString(bt.hint)
		}
	}
	sb.WriteByte('\n')
}

// Buttons and menus on messages. Their action_ids are a stable contract:
// the bot routes clicks by them and tests click them. Which a card offers
// is in the kinds table (kind.actions), so a new kind of alert, or a new
// button on a kind, is one entry there.

// The action_ids of the elements on alerts.
const (
	// ActionSnooze is the menu that holds an episode's reminders back; its
	// options' values are durations ("1h", "24h", "168h") or
	// SnoozeUntilEnd.
	ActionSnooze = "snooze"
	// ActionAck records who has an episode in hand; its value is the
	// episode's key.
	ActionAck = "ack"
	// ActionTopUpOpen starts a top-up of the org in its value (a modal
	// asking how many minutes); only on low balances, with actions on.
	ActionTopUpOpen = "topup_open"
)

// AlertKey identifies a one-off alert for its ack button: "alert/", its
// kind, org, user and when it was polled.
func AlertKey(e *alerts.Event) string {
	var user int64
	if e.User != nil {
		user = e.User.ID
	}
	// The kind is the engine's name; one from a newer version is kept to
	// the characters those names use, since the value is sent back as is.
	kind := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || r == '_' {
			return r
		}
		return -1
	}, string(e.Kind))
	return "alert/" + kind[:min(len(kind), 40)] + "/" + strconv.FormatInt(e.Org.ID, 10) + "/" + strconv.FormatInt(user, 10) +
		"/" + strconv.FormatInt(e.At.Unix(), 10)
}

// IsAlertKey reports whether an ack button's value is a one-off alert's
// (AlertKey) rather than an episode's.
func IsAlertKey(v string) bool { return strings.HasPrefix(v, "alert/") }

// Acknowledged is the message clicked, blocks as Slack sent them, with its
// ack button taken out and a line saying who acknowledged it: a one-off
// alert's new version, put in place through the click's response_url.
func Acknowledged(text string, blocks []slack.Block, name string, now time.Time) Message {
	out := make([]slack.Block, 0, len(blocks)+1)
	for _, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok && a.Elements != nil {
			var keep []slack.BlockElement
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == ActionAck {
					continue
				}
				keep = append(keep, el)
			}
			if len(keep) == 0 {
				continue
			}
			b = slack.NewActionBlock(a.BlockID, keep...)
		}
		out = append(out, b)
	}
	note := line{txt("👀 Acknowledged by "), person(name), txt(" at " + stamp(now))}
	out = append(out, slack.NewContextBlock("", mrkdwnObject(note.mrkdwn(), maxContextText)))
	if len(out) > maxBlocks {
		out = out[len(out)-maxBlocks:]
	}
	return Message{Text: text, Blocks: out, Plain: note.plain()}
}

// snoozeOptions are the snooze menu's options, in its order.
var snoozeOptions = [...]option{
	{label: "1 hour", value: "1h"},
	{label: "1 day", value: "24h"},
	{label: "1 week", value: "168h"},
	{label: "Until it recovers", value: SnoozeUntilEnd},
}

// SnoozeUntilEnd is the snooze option that lasts until the episode ends.
const SnoozeUntilEnd = "recovered"

// episodeActions are the elements of an episode's message that is still
// open: its kind's actions, which the actions block identifies by the
// episode's key (the block_id) so that a menu's click, whose value is the
// option, still names the episode.
func episodeActions(k kind, ep *EpisodeView) *block {
	var acts []button
	if ep.First.Org.ID != 0 {
		acts = append(acts, detailsButton(ep.First.Org))
	}
	orgHint := strings.TrimSpace(orgHintOf(ep))
	for _, id := range k.actions {
		switch id {
		case ActionSnooze:
			acts = append(acts, button{actionID: id, label: "Snooze reminders", options: snoozeOptions[:],
				hint: "[snooze " + orgHint + " 1d]"})
		case ActionTopUpOpen:
			if ep.TopUp && ep.First.Org.ID != 0 {
				acts = append(acts, button{actionID: id, label: "Top up…", value: strconv.FormatInt(ep.First.Org.ID, 10),
					hint: "[/topup " + orgHint + " MINUTES]"})
			}
		case ActionAck:
			if ep.AckedBy == "" {
				acts = append(acts, button{actionID: id, label: "Acknowledge", value: ep.Key, hint: "[ack " + orgHint + "]"})
			}
		}
	}
	if len(acts) == 0 || len(ep.Key) > 255 {
		return nil
	}
	return &block{kind: actionsBlock, id: ep.Key, buttons: acts}
}

// orgHintOf names the episode's org for the console's commands, by ID; the
// one reseller-wide episode, the API outage, is "outage".
func orgHintOf(ep *EpisodeView) string {
	if ep.First.Org.ID != 0 {
		return strconv.FormatInt(ep.First.Org.ID, 10)
	}
	return "outage"
}
