package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Episodes are alerts with a beginning and an end (alerts.Event.Episode):
// each has one message that is edited to show its current state, so the
// store keeps where that message is and what it should show. Three writers
// share a record and each owns its fields: the poll (what happened), the
// deliverer (where the message is, what it shows) and clicks (snoozes and
// acknowledgements). Version counts changes the message must show; the
// message is stale while Edited is behind it, which makes edits coalesce: a
// hundred changes before the next edit cost one edit.

var (
	bucketEpisodes = []byte("episodes")
	// bucketStale indexes the episodes whose message is stale, so that the
	// deliverer finds the next edit without reading every episode.
	bucketStale = []byte("episodes_stale")
)

// episodeRetention is how long an ended episode whose message is up to date
// is kept, so that a late click on it still finds it.
const episodeRetention = 30 * 24 * time.Hour

// Episode is one episode's record.
type Episode struct {
	Key string `json:"key"`
	// Message is the outbox ID of the message that opened the episode, and
	// Receipt that message's receipt (its Slack ts) once delivered, or of
	// the message that replaced it when it was deleted.
	Message uint64 `json:"message"`
	Receipt string `json:"receipt,omitempty"`
	// Channel is where the message is; empty: the default channel.
	Channel string `json:"channel,omitempty"`
	// InDigest is set when the episode opened inside a digest: that message
	// is about many orgs and is not edited for one; the episode's news goes
	// to its thread instead.
	InDigest bool `json:"in_digest,omitempty"`
	// TopUp offers the topup_open button on the episode's message: actions
	// were on when it opened.
	TopUp bool `json:"top_up,omitempty"`
	// ToppedUp is the last top-up made from Slack while the episode lasted.
	ToppedUp ToppedUp `json:"topped_up,omitzero"`
	// Opened and Ended bound the episode; Ended is zero while it lasts.
	Opened time.Time `json:"opened"`
	Ended  time.Time `json:"ended,omitzero"`
	// First and Last are the opening and the latest event, as the poller
	// encodes them; the store does not read them.
	First []byte `json:"first"`
	Last  []byte `json:"last"`
	// Reminders counts the reminders sent.
	Reminders int `json:"reminders,omitempty"`
	// Snooze and Ack are what people did; the zero value is nothing.
	Snooze Snooze `json:"snooze,omitzero"`
	Ack    Ack    `json:"ack,omitzero"`
	// Version counts the changes the message must show; Edited is the
	// version it shows.
	Version uint64 `json:"version"`
	Edited  uint64 `json:"edited"`
}

// ToppedUp is a top-up someone made from Slack for an episode's org: its
// message says who, what and when.
type ToppedUp struct {
	// By is the Slack user ID, Name their name.
	By, Name string
	// What is the top-up in words ("100 minutes").
	What string
	At   time.Time
}

// Snooze holds an episode's reminders back.
type Snooze struct {
	// By is who snoozed (a Slack user ID), and Name how the message names
	// them; By empty: not snoozed.
	By   string `json:"by,omitempty"`
	Name string `json:"name,omitempty"`
	// Until is when reminders resume, unless UntilEnd holds them until
	// the episode ends.
	Until    time.Time `json:"until,omitzero"`
	UntilEnd bool      `json:"until_end,omitempty"`
}

// Active reports whether the snooze holds reminders back at now.
func (s Snooze) Active(now time.Time) bool {
	return s.By != "" && (s.UntilEnd || now.Before(s.Until))
}

// Ack records who has an episode in hand.
type Ack struct {
	// By is who (a Slack user ID), Name how the message names them.
	By   string    `json:"by,omitempty"`
	Name string    `json:"name,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// Stale reports whether the episode's message does not show its latest
// state.
func (e *Episode) Stale() bool { return e.Version > e.Edited }

// EpisodeWrite is a poll's news about an episode, written with the poll.
// Only the poll's fields of Episode are taken (Message, Channel, InDigest,
// Opened, Ended, First, Last, Reminders); the others stay as stored.
type EpisodeWrite struct {
	Episode Episode
	// OpenedBy is the index, within the same Commit, of the message that
	// opens the episode, whose ID becomes Episode.Message; -1 keeps the
	// stored one.
	OpenedBy int
}

func putEpisodes(tx *bolt.Tx, writes []EpisodeWrite, ids []uint64, at time.Time) error {
	if len(writes) == 0 {
		return nil
	}
	b := tx.Bucket(bucketEpisodes)
	for _, w := range writes {
		ep := w.Episode
		if w.OpenedBy >= 0 {
			if w.OpenedBy >= len(ids) {
				return fmt.Errorf("episode %s opens with message %d, which is not in the commit", ep.Key, w.OpenedBy)
			}
			ep.Message = ids[w.OpenedBy]
		}
		old, found, err := getEpisode(b, ep.Key)
		if err != nil {
			return err
		}
		if found {
			if w.OpenedBy < 0 {
				ep.Message = old.Message
			}
			ep.Receipt, ep.Snooze, ep.Ack, ep.Edited = old.Receipt, old.Snooze, old.Ack, old.Edited
		}
		ep.Version = old.Version + 1
		if err := putEpisode(b, &ep); err != nil {
			return err
		}
	}
	return pruneEpisodes(b, at.Add(-episodeRetention))
}

func getEpisode(b *bolt.Bucket, key string) (Episode, bool, error) {
	v := b.Get([]byte(key))
	if v == nil {
		return Episode{}, false, nil
	}
	var ep Episode
	if err := json.Unmarshal(v, &ep); err != nil {
		return Episode{}, false, fmt.Errorf("episode %s: %w", key, err)
	}
	return ep, true, nil
}

func putEpisode(b *bolt.Bucket, ep *Episode) error {
	v, err := json.Marshal(ep)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(ep.Key), v); err != nil {
		return err
	}
	stale := b.Tx().Bucket(bucketStale)
	if ep.Stale() {
		return stale.Put([]byte(ep.Key), nil)
	}
	return stale.Delete([]byte(ep.Key))
}

// pruneEpisodes drops episodes that ended before cutoff and whose message
// is up to date.
func pruneEpisodes(b *bolt.Bucket, cutoff time.Time) error {
	return pruneJSON(b, func(ep *Episode) bool {
		return !ep.Ended.IsZero() && ep.Ended.Before(cutoff) && !ep.Stale()
	}, b.Tx().Bucket(bucketStale))
}

// pruneJSON deletes the records of b, JSON-encoded Ts, that drop says to,
// and their keys in also (an index). A record that does not decode is
// dropped when drop says so of the zero T, else kept for readers to report.
func pruneJSON[T any](b *bolt.Bucket, drop func(*T) bool, also ...*bolt.Bucket) error {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var rec T
		if json.Unmarshal(v, &rec) != nil {
			rec = *new(T)
		}
		if drop(&rec) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		for _, bk := range append([]*bolt.Bucket{b}, also...) {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// Episode returns the episode filed under key, or ErrNotFound.
func (s *Store) Episode(key string) (Episode, error) {
	var ep Episode
	err := s.view(func(tx *bolt.Tx) error {
		var found bool
		var err error
		ep, found, err = getEpisode(tx.Bucket(bucketEpisodes), key)
		if err == nil && !found {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return Episode{}, fmt.Errorf("store: episode %s: %w", key, err)
	}
	return ep, nil
}

// Episodes returns every episode kept, open and recently ended, in key
// order; keep, if not nil, filters them as they are read.
func (s *Store) Episodes(keep func(*Episode) bool) ([]Episode, error) {
	var eps []Episode
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEpisodes).ForEach(func(k, v []byte) error {
			var ep Episode
			if err := json.Unmarshal(v, &ep); err != nil {
				return fmt.Errorf("episode %s: %w", k, err)
			}
			if keep == nil || keep(&ep) {
				eps = append(eps, ep)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: episodes: %w", err)
	}
	return eps, nil
}

// StaleEpisodes returns up to limit episodes whose message does not show
// their latest state, in key order.
func (s *Store) StaleEpisodes(limit int) ([]Episode, error) {
	var eps []Episode
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEpisodes)
		c := tx.Bucket(bucketStale).Cursor()
		for k, _ := c.First(); k != nil && len(eps) < limit; k, _ = c.Next() {
			ep, found, err := getEpisode(b, string(k))
			if err != nil {
				return err
			}
			if found {
				eps = append(eps, ep)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: stale episodes: %w", err)
	}
	return eps, nil
}

// UpdateEpisode changes the episode filed under key in one transaction and
// returns it as stored. change reports whether its message must show the
// change; then the episode's Version grows and its message is stale. An
// episode not kept is ErrNotFound.
func (s *Store) UpdateEpisode(key string, change func(*Episode) (show bool)) (Episode, error) {
	var ep Episode
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEpisodes)
		var found bool
		var err error
		if ep, found, err = getEpisode(b, key); err != nil || !found {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		if change(&ep) {
			ep.Version++
		}
		ep.Key = key
		return putEpisode(b, &ep)
	})
	if err != nil {
		return Episode{}, fmt.Errorf("store: update episode %s: %w", key, err)
	}
	return ep, nil
}

// MarkEpisodeShown records that the episode's message shows version, and,
// when receipt is not empty, that the message now has that receipt (a
// replacement for a deleted one). A later version stays stale.
func (s *Store) MarkEpisodeShown(key string, version uint64, receipt string) error {
	_, err := s.UpdateEpisode(key, func(ep *Episode) bool {
		ep.Edited = max(ep.Edited, version)
		if receipt != "" {
			ep.Receipt = receipt
		}
		return false
	})
	return err
}

// markEpisodesDelivered gives the episodes opened by outbox message id
// their receipt, in the transaction that marks the message sent.
func markEpisodesDelivered(tx *bolt.Tx, keys []string, id uint64, receipt string) error {
	b := tx.Bucket(bucketEpisodes)
	for _, key := range keys {
		ep, found, err := getEpisode(b, key)
		if err != nil {
			return err
		}
		if !found || ep.Message != id {
			continue
		}
		ep.Receipt = receipt
		if ep.Version == 1 && !ep.InDigest {
			// The opening was rendered as the episode's message, and
			// nothing happened since.
			ep.Edited = ep.Version
		}
		if err := putEpisode(b, &ep); err != nil {
			return err
		}
	}
	return nil
}
