package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Parked messages are outbox messages the receiver kept refusing for a
// reason nobody can fix by waiting: set aside so that the messages behind
// them go out, and kept, so that an alert is never lost for being refused.
// They keep their IDs, so that put back they are again the oldest.

var bucketParked = []byte("parked")

// Park moves message id from the outbox to the parked messages, recording
// reason as its last error. Parking a message that is no longer in the
// outbox is not an error.
func (s *Store) Park(id uint64, reason string) error {
	err := s.update(func(tx *bolt.Tx) error {
		outbox := tx.Bucket(bucketOutbox)
		v := outbox.Get(seqKey(id))
		if v == nil {
			return nil
		}
		m, err := decodeMessage(id, v)
		if err != nil {
			return err
		}
		m.LastError, m.InFlight = reason, false
		parked, err := tx.CreateBucketIfNotExists(bucketParked)
		if err != nil {
			return err
		}
		if err := parked.Put(seqKey(id), encodeMessage(&m)); err != nil {
			return err
		}
		return outbox.Delete(seqKey(id))
	})
	if err != nil {
		return fmt.Errorf("store: park message %d: %w", id, err)
	}
	return nil
}

// Parked returns up to limit parked messages, oldest first (limit ≤ 0:
// all).
func (s *Store) Parked(limit int) ([]Message, error) {
	var msgs []Message
	err := s.view(func(tx *bolt.Tx) error {
		parked := tx.Bucket(bucketParked)
		if parked == nil {
			return nil
		}
		c := parked.Cursor()
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
		return nil, fmt.Errorf("store: parked: %w", err)
	}
	return msgs, nil
}

// ParkedLen counts the parked messages.
func (s *Store) ParkedLen() (int, error) {
	var n int
	err := s.view(func(tx *bolt.Tx) error {
		if parked := tx.Bucket(bucketParked); parked != nil {
			n = parked.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// Unpark puts every parked message back in the outbox with its attempts
// cleared, to be tried again, and returns how many it put back. Their IDs
// are older than any message queued since, so they go out first.
func (s *Store) Unpark() (int, error) {
	var n int
	err := s.update(func(tx *bolt.Tx) error {
		parked := tx.Bucket(bucketParked)
		if parked == nil {
			return nil
		}
		outbox := tx.Bucket(bucketOutbox)
		err := parked.ForEach(func(k, v []byte) error {
			id := binary.BigEndian.Uint64(k)
			m, err := decodeMessage(id, v)
			if err != nil {
				return err
			}
			m.Attempts = 0
			n++
			// A key of its own: k lives in the pages DeleteBucket frees.
			return outbox.Put(seqKey(id), encodeMessage(&m))
		})
		if err != nil {
			return err
		}
		return tx.DeleteBucket(bucketParked)
	})
	if err != nil {
		return 0, fmt.Errorf("store: unpark: %w", err)
	}
	return n, nil
}
