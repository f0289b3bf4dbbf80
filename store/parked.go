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
	return s.moveMessage(id, "parked", bucketOutbox, bucketParked, func(m *Message) {
		m.LastError, m.InFlight = reason, false
	})
}

// Parked returns up to limit parked messages, oldest first (limit ≤ 0:
// all).
func (s *Store) Parked(limit int) ([]Message, error) { return s.messages(bucketParked, limit) }

// ParkedLen counts the parked messages.
func (s *Store) ParkedLen() (int, error) { return s.count(bucketParked) }

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
