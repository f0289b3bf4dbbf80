package store

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox makes delivery at-least-once and restart-safe: a poll's
// messages are written in the same transaction as the state that produced
// them, and leave the outbox only once the receiver has accepted them. The
// receipt of each delivered message is kept a while (the sent log), so that
// a later message can reply to it and a restart cannot deliver it twice.

// Message is a message waiting in the outbox.
type Message struct {
	ID   uint64
	Body []byte
	// ReplyTo is the ID of the message this one follows up, or 0.
	ReplyTo  uint64
	Enqueued time.Time
	// Attempts counts failed deliveries so far, and LastError says why the
	// last one failed.
	Attempts  int
	LastError string
	// InFlight is set while a delivery attempt is under way. Found set
	// when a message is read back, it means a process died mid-attempt:
	// the receiver may have the message already, so the deliverer should
	// look before sending it again.
	InFlight bool
}

func enqueue(tx *bolt.Tx, msgs []Outgoing, at time.Time) ([]uint64, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	outbox := tx.Bucket(bucketOutbox)
	ids := make([]uint64, len(msgs))
	for i, m := range msgs {
		id, err := outbox.NextSequence()
		if err != nil {
			return nil, err
		}
		ids[i] = id
		var replyTo uint64
		if m.ReplyTo >= 0 {
			if m.ReplyTo >= i {
				return nil, fmt.Errorf("message %d replies to message %d, which is not earlier in the commit", i, m.ReplyTo)
			}
			replyTo = ids[m.ReplyTo]
		}
		msg := Message{ID: id, Body: m.Body, ReplyTo: replyTo, Enqueued: at}
		if err := outbox.Put(seqKey(id), encodeMessage(&msg)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// Pending returns up to limit messages waiting in the outbox, oldest first
// (limit ≤ 0: all).
func (s *Store) Pending(limit int) ([]Message, error) { return s.messages(bucketOutbox, limit) }

// OutboxLen counts the messages waiting.
func (s *Store) OutboxLen() (int, error) { return s.count(bucketOutbox) }

// messages reads up to limit messages of a bucket of them, oldest first
// (limit ≤ 0: all); a bucket not made yet holds none.
func (s *Store) messages(bucket []byte, limit int) ([]Message, error) {
	var msgs []Message
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(msgs) < limit); k, v = c.Next() {
			m, err := decodeMessage(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", bucket, err)
	}
	return msgs, nil
}

// count counts the keys of a bucket; a bucket not made yet has none.
func (s *Store) count(bucket []byte) (int, error) {
	var n int
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// MarkSent removes a delivered message from the outbox and records its
// receipt (for Slack, the message's ts), in one transaction. Marking a
// message that is no longer in the outbox is not an error: it was marked
// already.
func (s *Store) MarkSent(id uint64, receipt string, at time.Time) error {
	return s.MarkSentEpisodes(id, receipt, at)
}

// MarkSentEpisodes is MarkSent for a message that opens the episodes filed
// under keys: they learn its receipt in the same transaction, so that a
// crash cannot leave a delivered opening that its episode's edits and
// replies cannot find.
func (s *Store) MarkSentEpisodes(id uint64, receipt string, at time.Time, keys ...string) error {
	err := s.update(func(tx *bolt.Tx) error {
		if err := markEpisodesDelivered(tx, keys, id, receipt); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOutbox).Delete(seqKey(id)); err != nil {
			return err
		}
		sent := tx.Bucket(bucketSent)
		e := encoder{}
		e.varint(at.UnixNano())
		e.str(receipt)
		if err := sent.Put(seqKey(id), e.b); err != nil {
			return err
		}
		return pruneSent(sent, at.Add(-s.opts.SentRetention))
	})
	if err != nil {
		return fmt.Errorf("store: mark message %d sent: %w", id, err)
	}
	return nil
}

// pruneSent drops receipts older than cutoff. IDs grow with time, so the
// oldest receipts come first.
func pruneSent(sent *bolt.Bucket, cutoff time.Time) error {
	var drop [][]byte
	c := sent.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		d := decoder{b: v}
		if !time.Unix(0, d.varint()).Before(cutoff) {
			break
		}
		drop = append(drop, append([]byte(nil), k...))
	}
	for _, k := range drop {
		if err := sent.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// MarkInFlight records that a delivery attempt is starting, so that after
// a crash the next process knows to check whether it arrived.
func (s *Store) MarkInFlight(id uint64) error {
	return s.updateMessage(id, "in flight", func(m *Message) { m.InFlight = true })
}

// MarkFailed records a failed delivery attempt; the message stays queued.
// maybeDelivered keeps it in flight: when the attempt ended without the
// receiver's answer (a timeout, a broken connection), the message may have
// arrived, and the next attempt should look before sending.
func (s *Store) MarkFailed(id uint64, reason string, maybeDelivered bool) error {
	return s.updateMessage(id, "failed", func(m *Message) {
		m.Attempts++
		m.LastError = reason
		m.InFlight = maybeDelivered
	})
}

func (s *Store) updateMessage(id uint64, what string, change func(*Message)) error {
	return s.moveMessage(id, what, bucketOutbox, bucketOutbox, change)
}

// moveMessage changes message id and moves it from one bucket of messages
// to another (or puts it back in the same). A message no longer in from is
// left alone: it was moved already.
func (s *Store) moveMessage(id uint64, what string, from, to []byte, change func(*Message)) error {
	err := s.update(func(tx *bolt.Tx) error {
		src := tx.Bucket(from)
		v := src.Get(seqKey(id))
		if v == nil {
			return nil
		}
		m, err := decodeMessage(id, v)
		if err != nil {
			return err
		}
		change(&m)
		dst, err := tx.CreateBucketIfNotExists(to)
		if err != nil {
			return err
		}
		if err := dst.Put(seqKey(id), encodeMessage(&m)); err != nil || string(from) == string(to) {
			return err
		}
		return src.Delete(seqKey(id))
	})
	if err != nil {
		return fmt.Errorf("store: mark message %d %s: %w", id, what, err)
	}
	return nil
}

// Receipt returns the receipt of a delivered message, or ErrNotFound if it
// was not delivered (or its receipt has expired).
func (s *Store) Receipt(id uint64) (string, error) {
	var receipt string
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSent).Get(seqKey(id))
		if v == nil {
			return fmt.Errorf("store: receipt of message %d: %w", id, ErrNotFound)
		}
		d := decoder{b: v}
		d.varint()
		receipt = d.str()
		return d.err
	})
	return receipt, err
}

func seqKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func encodeMessage(m *Message) []byte {
	e := encoder{}
	e.uvarint(m.ReplyTo)
	e.time(m.Enqueued)
	e.uvarint(uint64(m.Attempts))
	e.bool(m.InFlight)
	e.str(m.LastError)
	e.b = append(e.b, m.Body...)
	return e.b
}

func decodeMessage(id uint64, b []byte) (Message, error) {
	d := decoder{b: b}
	m := Message{ID: id, ReplyTo: d.uvarint(), Enqueued: d.time(), Attempts: int(d.uvarint()), InFlight: d.bool(), LastError: d.str()}
	if d.err != nil {
		return Message{}, fmt.Errorf("outbox message %d: %w", id, d.err)
	}
	m.Body = append([]byte(nil), d.b...)
	return m, nil
}
