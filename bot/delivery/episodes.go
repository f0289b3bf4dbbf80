package delivery

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// Episodes (alerts.Event.Episode) are planned in three kinds of outbox
// item: the message that opens one, which the episode's record learns the
// receipt of when it is delivered; a reply in its thread (reminders also
// broadcast to the channel, and the end); and an edit of the opening
// message, which is not an outbox item at all: the episode's record is the
// latest wanted state of its message, and the Deliverer edits every stale
// message after the outbox is empty, rendered then from the record, paced
// within chat.update's rate tier. So edits coalesce: however often an
// episode changes between two edits, it costs one.
//
// A poll big enough to be a digest keeps its episodes' news in the digest,
// not in a thread reply each; their messages are still edited, paced. An
// episode that opened inside a digest has no message of its own to edit:
// its news goes to the digest's thread.

// PlanEpisodes is Plan for a poll whose events may belong to episodes;
// open holds the episodes not yet ended, by key. It returns the outbox
// messages and the episodes' news, for the store to write in the poll's
// transaction. A reminder of a snoozed episode is not sent: it only
// updates the figures its message shows.
func PlanEpisodes(events []alerts.Event, polledAt time.Time, open map[string]store.Episode) ([]store.Outgoing, []store.EpisodeWrite, error) {
	return planChannel(events, polledAt, open, "", false)
}

// PlanRouted is PlanEpisodes for events routed to channels: channels names
// the channels an event goes to (none: the default channel, ""). Each
// channel gets its own cards, digest and episodes; an episode in a routed
// channel is filed under its key and the channel (EpisodeKey).
//
// topUp offers the topup_open button on the low-balance episodes it opens
// (actions are on).
func PlanRouted(events []alerts.Event, polledAt time.Time, open map[string]store.Episode,
	channels func(*alerts.Event) []string, topUp bool) ([]store.Outgoing, []store.EpisodeWrite, error) {
	if channels == nil {
		return planChannel(events, polledAt, open, "", topUp)
	}
	var order []string
	by := map[string][]alerts.Event{}
	for i := range events {
		chs := channels(&events[i])
		if len(chs) == 0 {
			chs = []string{""}
		}
		for _, ch := range chs {
			if _, seen := by[ch]; !seen {
				order = append(order, ch)
			}
			by[ch] = append(by[ch], events[i])
		}
	}
	var out []store.Outgoing
	var writes []store.EpisodeWrite
	for _, ch := range order {
		o, w, err := planChannel(by[ch], polledAt, open, ch, topUp)
		if err != nil {
			return nil, nil, err
		}
		// Indexes within one channel's plan become indexes in the commit.
		base := len(out)
		for i := range o {
			if o[i].ReplyTo >= 0 {
				o[i].ReplyTo += base
			}
		}
		for i := range w {
			if w[i].OpenedBy >= 0 {
				w[i].OpenedBy += base
			}
		}
		out, writes = append(out, o...), append(writes, w...)
	}
	return out, writes, nil
}

// EpisodeKey is the key an episode is filed under in the store: the
// event's episode (alerts.Event.Episode), and the channel when routing
// sent it to one other than the default.
func EpisodeKey(e *alerts.Event, channel string) string {
	key := e.Episode()
	if key == "" || channel == "" {
		return key
	}
	return key + "@" + channel
}

func planChannel(events []alerts.Event, polledAt time.Time, open map[string]store.Episode, channel string,
	topUp bool) ([]store.Outgoing, []store.EpisodeWrite, error) {
	var (
		top     []alerts.Event
		replies []alerts.Event
		// inThread says, for each kept event in order, whether it is a
		// reply rather than a card.
		inThread []bool
		writes   []store.EpisodeWrite
		opened   []int // indexes into writes of episodes opened now
	)
	kept := events[:0:0]
	for i := range events {
		ev := &events[i]
		ep, known := open[EpisodeKey(ev, channel)]
		if known && ev.Reminder && ep.Snooze.Active(polledAt) {
			last, err := json.Marshal(ev)
			if err != nil {
				return nil, nil, fmt.Errorf("delivery: encode event: %w", err)
			}
			ep.Last = last
			writes = append(writes, store.EpisodeWrite{Episode: ep, OpenedBy: -1})
			continue
		}
		kept = append(kept, *ev)
	}
	grouped := render.Grouped(len(kept))
	for i := range kept {
		ev := &kept[i]
		key := EpisodeKey(ev, channel)
		ep, known := open[key]
		enc, err := json.Marshal(ev)
		if err != nil {
			return nil, nil, fmt.Errorf("delivery: encode event: %w", err)
		}
		reply := false
		switch {
		case key == "" || (!known && ev.Ends()):
			// A one-off change, or the end of an episode this store never
			// saw open (it opened before episodes were kept).
			top = append(top, *ev)
		case !known:
			top = append(top, *ev)
			opened = append(opened, len(writes))
			writes = append(writes, store.EpisodeWrite{OpenedBy: -1,
				Episode: store.Episode{Key: key, Channel: channel, Opened: ev.Since, First: enc, Last: enc, TopUp: topUp}})
		default:
			ep.Last = enc
			if ev.Reminder {
				ep.Reminders++
			}
			if ev.Ends() {
				ep.Ended = ev.At
			}
			writes = append(writes, store.EpisodeWrite{Episode: ep, OpenedBy: -1})
			if grouped {
				top = append(top, *ev)
			} else {
				replies, reply = append(replies, *ev), true
			}
		}
		inThread = append(inThread, reply)
	}
	batches := render.Batches(top, polledAt)
	opens, err := markOpenings(batches, writes, opened, channel)
	if err != nil {
		return nil, nil, err
	}
	out, err := plan(batches, polledAt, opens, channel)
	if err != nil {
		return nil, nil, err
	}
	// An episode's own card opens as the episode's message, so that it
	// needs no edit until something happens.
	for i := range batches {
		if b := &batches[i]; i < len(opens) && !b.Digest && len(opens[i]) == 1 {
			ep := render.EpisodeView{Key: opens[i][0], First: b.Events[0], Last: b.Events[0], TopUp: topUp}
			if out[i].Body, err = encodeEntry(ep.Render(polledAt), entry{Events: 1, Opens: opens[i], Channel: channel}); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(replies) == 0 {
		return out, writes, nil
	}
	// Not a digest: a card or a reply each, in the engine's order, so that
	// an outage's end comes before the news it held up.
	all := make([]store.Outgoing, 0, len(out)+len(replies))
	for _, reply := range inThread {
		if !reply {
			all, out = append(all, out[0]), out[1:]
			continue
		}
		ev := &replies[0]
		body, err := encodeEntry((&render.Batch{PolledAt: polledAt, Events: replies[:1]}).Render(polledAt),
			entry{Events: 1, Episode: EpisodeKey(ev, channel), Broadcast: ev.Reminder, Channel: channel})
		if err != nil {
			return nil, nil, err
		}
		all = append(all, store.Outgoing{Body: body, ReplyTo: -1})
		replies = replies[1:]
	}
	return all, writes, nil
}

// markOpenings ties each episode opened by the poll to the message that
// opens it, its own card or the first part of the digest it is in, and
// returns the episodes each message opens.
func markOpenings(batches []render.Batch, writes []store.EpisodeWrite, opened []int, channel string) ([][]string, error) {
	if len(opened) == 0 {
		return nil, nil
	}
	at := map[string]int{}
	for i := range batches {
		b := &batches[i]
		for j := range b.Events {
			if key := EpisodeKey(&b.Events[j], channel); key != "" {
				if b.Digest {
					at[key] = 0
				} else {
					at[key] = i
				}
			}
		}
	}
	opens := make([][]string, len(batches))
	for _, w := range opened {
		ep := &writes[w].Episode
		i, ok := at[ep.Key]
		if !ok {
			return nil, fmt.Errorf("delivery: episode %s opened by no message", ep.Key)
		}
		writes[w].OpenedBy = i
		ep.InDigest = batches[i].Digest
		opens[i] = append(opens[i], ep.Key)
	}
	return opens, nil
}

// episodeMessage renders an episode's message from its record.
func episodeMessage(ep *store.Episode, now time.Time) (render.Message, error) {
	v := render.EpisodeView{Key: ep.Key, Reminders: ep.Reminders, TopUp: ep.TopUp,
		ToppedUpBy: ep.ToppedUp.Name, ToppedUpWhat: ep.ToppedUp.What, ToppedUpAt: ep.ToppedUp.At,
		SnoozedBy: ep.Snooze.Name, SnoozedUntil: ep.Snooze.Until, UntilEnd: ep.Snooze.UntilEnd,
		AckedBy: ep.Ack.Name, AckedAt: ep.Ack.At}
	if ep.Snooze.By != "" && v.SnoozedBy == "" {
		v.SnoozedBy = ep.Snooze.By
	}
	if ep.Ack.By != "" && v.AckedBy == "" {
		v.AckedBy = ep.Ack.By
	}
	if err := json.Unmarshal(ep.First, &v.First); err != nil {
		return render.Message{}, fmt.Errorf("delivery: episode %s: first event: %w", ep.Key, err)
	}
	if err := json.Unmarshal(ep.Last, &v.Last); err != nil {
		return render.Message{}, fmt.Errorf("delivery: episode %s: last event: %w", ep.Key, err)
	}
	return v.Render(now), nil
}
