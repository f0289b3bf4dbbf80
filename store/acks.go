package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// One-off alerts (a new user, a permission change) have no episode, but
// their ack button must act once too: the first acknowledgement of each is
// kept, by the key its button carries, for episodeRetention.

var bucketAcks = []byte("acks")

// AckAlert records that a.By acknowledged the one-off alert filed under
// key, unless someone did already. It returns the acknowledgement that
// stands and whether it is this one.
func (s *Store) AckAlert(key string, a Ack) (Ack, bool, error) {
	stands, first := a, false
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAcks)
		if v := b.Get([]byte(key)); v != nil {
			return json.Unmarshal(v, &stands)
		}
		first = true
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(key), v); err != nil {
			return err
		}
		return pruneAcks(b, a.At.Add(-episodeRetention))
	})
	if err != nil {
		return Ack{}, false, fmt.Errorf("store: acknowledge %s: %w", key, err)
	}
	return stands, first, nil
}

func pruneAcks(b *bolt.Bucket, cutoff time.Time) error {
	// An unreadable record reads as the zero Ack, older than any cutoff.
	return pruneJSON(b, func(a *Ack) bool { return a.At.Before(cutoff) })
}
