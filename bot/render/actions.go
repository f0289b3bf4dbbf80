package render

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

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
)

// snoozeOptions are the snooze menu's options, in its order.
var snoozeOptions = [...]option{
	{label: "1 hour", value: "1h"},
	{label: "1 day", value: "24h"},
	{label: "1 week", value: "168h"},
	{label: "Until it recovers", value: SnoozeUntilEnd},
}

// SnoozeUntilEnd is the snooze option that lasts until the episode ends.
const SnoozeUntilEnd = "recovered"

// action is one element of an actions block: a button, or a static_select
// when it has options.
type action struct {
	id, label, value string
	options          []option
	// hint is the console's command that does what the element does.
	hint string
}

type option struct{ label, value string }

// episodeActions are the elements of an episode's message that is still
// open: its kind's actions, which the actions block identifies by the
// episode's key (the block_id) so that a menu's click, whose value is the
// option, still names the episode.
func episodeActions(k kind, ep *Episode) *block {
	var acts []action
	orgHint := strings.TrimSpace(orgHintOf(ep))
	for _, id := range k.actions {
		switch id {
		case ActionSnooze:
			a := action{id: id, label: "Snooze reminders", hint: "snooze " + orgHint + " 1d"}
			a.options = snoozeOptions[:]
			acts = append(acts, a)
		case ActionAck:
			if ep.AckedBy == "" {
				acts = append(acts, action{id: id, label: "Acknowledge", value: ep.Key, hint: "ack " + orgHint})
			}
		}
	}
	if len(acts) == 0 || len(ep.Key) > 255 {
		return nil
	}
	return &block{kind: actionsBlock, id: ep.Key, actions: acts}
}

// orgHintOf names the episode's org for the console's commands, by ID; the
// one reseller-wide episode, the API outage, is "outage".
func orgHintOf(ep *Episode) string {
	if ep.First.Org.ID != 0 {
		return strconv.FormatInt(ep.First.Org.ID, 10)
	}
	return "outage"
}

// slackActions writes an actions block as Block Kit.
func (b *block) slackActions() ([]slack.Block, int) {
	els := make([]slack.BlockElement, 0, len(b.actions))
	n := 0
	for _, a := range b.actions {
		label := slack.NewTextBlockObject(slack.PlainTextType, cut(a.label, 75), true, false)
		n += utf8.RuneCountInString(label.Text)
		if len(a.options) == 0 {
			els = append(els, slack.NewButtonBlockElement(a.id, a.value, label))
			continue
		}
		opts := make([]*slack.OptionBlockObject, len(a.options))
		for i, o := range a.options {
			opts[i] = slack.NewOptionBlockObject(o.value, slack.NewTextBlockObject(slack.PlainTextType, o.label, true, false), nil)
			n += utf8.RuneCountInString(o.label)
		}
		els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, label, a.id, opts...))
	}
	return []slack.Block{slack.NewActionBlock(b.id, els...)}, n
}

// writeHints writes an actions block for the console: "[snooze 4002 1d]
// [ack 4002]", the commands that do what the elements do.
func writeHints(b *strings.Builder, acts []action) {
	b.WriteString(" ")
	for _, a := range acts {
		b.WriteString(" [")
		b.WriteString(a.hint)
		b.WriteString("]")
	}
	b.WriteByte('\n')
}
