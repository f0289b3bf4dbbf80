package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The daily digest needs two things no snapshot holds: how the polls went
// over the day (the API's health) and what they announced, and which day's
// digest was queued already, so that a restart neither repeats nor loses
// it. Both live in the meta bucket: a few small keys a day.

var (
	// prefixPollStats keys one hour's poll counts by the hour's Unix time.
	prefixPollStats = []byte("poll_stats/")
	keyDigestDay    = []byte("digest_day")
)

// pollStatsKept is how long hourly poll counts are kept: a day's digest
// reads the last 24 hours, and a bot down for a day still finds the day
// before.
const pollStatsKept = 72 * time.Hour

// PollStats counts polls and what they announced over some hours.
type PollStats struct {
	// OK and Failed count the polls that fetched a snapshot and those that
	// did not.
	OK     int `json:"ok,omitempty"`
	Failed int `json:"failed,omitempty"`
	// Events counts the alerts announced, by kind ("low_balance", …).
	Events map[string]int `json:"events,omitempty"`
}

func (p *PollStats) add(q PollStats) {
	p.OK += q.OK
	p.Failed += q.Failed
	for k, n := range q.Events {
		if p.Events == nil {
			p.Events = map[string]int{}
		}
		p.Events[k] += n
	}
}

func statsKey(hour time.Time) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(prefixPollStats), uint64(hour.Unix()))
}

// RecordPoll counts one poll that ended at: whether it fetched a snapshot,
// and the alerts it announced by kind. Counts older than three days are
// dropped as it goes.
func (s *Store) RecordPoll(at time.Time, ok bool, events map[string]int) error {
	hour := at.UTC().Truncate(time.Hour)
	add := PollStats{Events: events}
	if ok {
		add.OK = 1
	} else {
		add.Failed = 1
	}
	err := s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		key := statsKey(hour)
		var cur PollStats
		if v := meta.Get(key); v != nil {
			if err := json.Unmarshal(v, &cur); err != nil {
				return fmt.Errorf("poll counts at %s: %w", hour.Format(time.RFC3339), err)
			}
		}
		cur.add(add)
		v, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		if err := meta.Put(key, v); err != nil {
			return err
		}
		return pruneStats(meta, hour.Add(-pollStatsKept))
	})
	if err != nil {
		return fmt.Errorf("store: record poll: %w", err)
	}
	return nil
}

func pruneStats(meta *bolt.Bucket, cutoff time.Time) error {
	end := statsKey(cutoff)
	var drop [][]byte
	c := meta.Cursor()
	for k, _ := c.Seek(prefixPollStats); k != nil && bytes.HasPrefix(k, prefixPollStats) && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := meta.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// PollStats sums the counts of polls that ended in [from, to), to the
// hour: a poll is counted in the hour it ended in.
func (s *Store) PollStats(from, to time.Time) (PollStats, error) {
	var sum PollStats
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMeta).Cursor()
		end := statsKey(to.UTC().Truncate(time.Hour))
		for k, v := c.Seek(statsKey(from.UTC().Truncate(time.Hour))); k != nil && bytes.HasPrefix(k, prefixPollStats) && bytes.Compare(k, end) < 0; k, v = c.Next() {
			var p PollStats
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			sum.add(p)
		}
		return nil
	})
	if err != nil {
		return PollStats{}, fmt.Errorf("store: poll counts: %w", err)
	}
	return sum, nil
}

// DigestDay is the day ("2026-12-01") of the last daily digest queued,
// or "" if none was.
func (s *Store) DigestDay() (string, error) {
	var day string
	err := s.view(func(tx *bolt.Tx) error {
		day = string(tx.Bucket(bucketMeta).Get(keyDigestDay))
		return nil
	})
	return day, err
}

// EnqueueDigest queues the daily digest of day ("2026-12-01") and marks
// the day done, in one transaction, and returns the messages' outbox IDs;
// unless that day's digest, or a later one, was queued already: then it
// queues nothing and returns none. So a digest is queued once whatever
// restarts, and the outbox delivers it.
func (s *Store) EnqueueDigest(day string, msgs []Outgoing, at time.Time) (ids []uint64, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if last := string(meta.Get(keyDigestDay)); last != "" && last >= day {
			return nil
		}
		if ids, err = enqueue(tx, msgs, at); err != nil {
			return err
		}
		return meta.Put(keyDigestDay, []byte(day))
	})
	if err != nil {
		return nil, fmt.Errorf("store: queue the digest of %s: %w", day, err)
	}
	return ids, nil
}
