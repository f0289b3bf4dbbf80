package render

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/alerts"
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
func episodeActions(k kind, ep *EpisodeView) *block {
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
func orgHintOf(ep *EpisodeView) string {
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
	if !slices.ContainsFunc(acts, func(a action) bool { return a.hint != "" }) {
		return // the console has no command for these
	}
	b.WriteString(" ")
	for _, a := range acts {
		if a.hint == "" {
			continue
		}
		b.WriteString(" [")
		b.WriteString(a.hint)
		b.WriteString("]")
	}
	b.WriteByte('\n')
}
