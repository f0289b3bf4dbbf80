package delivery

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// The outbox holds each message rendered, once, when its poll is stored:
// measuring a digest to split it into parts is rendering it, so the parts
// are kept as they were measured rather than rendered again at delivery.
// What versions before held, the alerts themselves (render.Batch), still
// decodes, and renders at delivery as it did then.

// entry is one outbox message as this version writes it.
type entry struct {
	Message *storing `json:"message"`
	// Events counts the alerts the message holds, and Part and Parts
	// number a digest's messages, for the delivery log.
	Events int `json:"alerts"`
	Part   int `json:"part,omitempty"`
	Parts  int `json:"parts,omitempty"`
	// Episode, if set, is the episode in whose thread the message goes, and
	// Broadcast shows it in the channel too (a reminder). Opens are the
	// episodes the message opens, which learn its receipt.
	Episode   string   `json:"episode,omitempty"`
	Broadcast bool     `json:"broadcast,omitempty"`
	Opens     []string `json:"opens,omitempty"`
	// Channel is where the message goes, when routing named one; empty:
	// the default channel.
	Channel string `json:"channel,omitempty"`
}

// stored is a rendered message as the outbox holds it: render.Message
// without its Key, which is the outbox's own. slack.Blocks decodes each
// block into its type.
type stored struct {
	Text     string       `json:"text"`
	Blocks   slack.Blocks `json:"blocks"`
	Plain    string       `json:"plain"`
	Channel  string       `json:"channel,omitempty"`
	ThreadTS string       `json:"thread_ts,omitempty"`
}

// storing is stored for encoding: the blocks as they are, since
// slack.Blocks' own encoding costs a second pass over them.
type storing struct {
	Text     string        `json:"text"`
	Blocks   []slack.Block `json:"blocks"`
	Plain    string        `json:"plain"`
	Channel  string        `json:"channel,omitempty"`
	ThreadTS string        `json:"thread_ts,omitempty"`
}

// Plan renders one poll's events as outbox messages: a card each for a few,
// a digest for a burst, whose parts after the first reply to it so that they
// land in its thread. Relative times ("low since 2 hours ago") are measured
// from polledAt, the time the messages say they were polled.
func Plan(events []alerts.Event, polledAt time.Time) ([]store.Outgoing, error) {
	return plan(render.Batches(events, polledAt), polledAt, nil, "")
}

// plan encodes batches as outbox messages; opens, if set, names the
// episodes each batch's message opens.
func plan(batches []render.Batch, polledAt time.Time, opens [][]string, channel string) ([]store.Outgoing, error) {
	out := make([]store.Outgoing, len(batches))
	for i := range batches {
		b := &batches[i]
		e := entry{Events: len(b.Events), Part: b.Part, Parts: b.Parts, Channel: channel}
		if i < len(opens) {
			e.Opens = opens[i]
		}
		body, err := encodeEntry(b.Render(polledAt), e)
		if err != nil {
			return nil, err
		}
		out[i] = store.Outgoing{Body: body, ReplyTo: -1}
		if b.Part > 1 {
			out[i].ReplyTo = 0
		}
	}
	return out, nil
}

// Encode makes a rendered message an outbox message, for messages that are
// no poll's: the daily digest, the audit record of an action.
func Encode(m render.Message) (store.Outgoing, error) {
	body, err := encodeEntry(m, entry{})
	return store.Outgoing{Body: body, ReplyTo: -1}, err
}

// encodeEntry writes m, with e's other fields, as an outbox body.
func encodeEntry(m render.Message, e entry) ([]byte, error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	// The text is Slack-escaped already; "\u0026lt;" for "&lt;" would
	// only make it longer.
	enc.SetEscapeHTML(false)
	e.Message = &storing{Text: m.Text, Blocks: m.Blocks, Plain: m.Plain, Channel: m.Channel, ThreadTS: m.ThreadTS}
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("delivery: encode message: %w", err)
	}
	return body.Bytes(), nil
}

// decoded is an outbox message ready to send.
type decoded struct {
	msg                 render.Message
	events, part, parts int
	episode             string
	broadcast           bool
	opens               []string
	channel             string
}

// decode reads an outbox message: rendered, as this version writes it, or
// a batch of alerts from an older version, rendered now.
func decode(body []byte, now time.Time) (decoded, error) {
	var e struct {
		Message   *stored  `json:"message"`
		Count     int      `json:"alerts"`
		Episode   string   `json:"episode"`
		Broadcast bool     `json:"broadcast"`
		Opens     []string `json:"opens"`
		Channel   string   `json:"channel"`
		render.Batch
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return decoded{}, fmt.Errorf("delivery: outbox message is not a message: %w", err)
	}
	if m := e.Message; m != nil && m.Text != "" {
		// A message that names its channel (the digest's, the audit's) goes
		// there like a routed one.
		return decoded{msg: render.Message{Text: m.Text, Blocks: m.Blocks.BlockSet, Plain: m.Plain, Channel: m.Channel, ThreadTS: m.ThreadTS},
			events: e.Count, part: e.Part, parts: e.Parts, episode: e.Episode, broadcast: e.Broadcast, opens: e.Opens,
			channel: cmp.Or(e.Channel, m.Channel)}, nil
	}
	if len(e.Batch.Events) == 0 {
		return decoded{}, errors.New("delivery: outbox message holds no events")
	}
	return decoded{msg: e.Batch.Render(now), events: len(e.Batch.Events), part: e.Part, parts: e.Parts}, nil
}
