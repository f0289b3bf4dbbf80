package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Confirmations make actions from Slack exactly once: a preview is stored
// pending, a confirm click claims it in one transaction (so only the first
// of two clicks wins) before the vendor is called, and the answer settles
// it. A record found claimed but unsettled at start-up is a call whose
// answer a crash lost.

var (
	bucketConfirm = []byte("confirmations")
	bucketAudit   = []byte("audit")
)

// ConfirmState is where a confirmation is in its life.
type ConfirmState string

// The states of a confirmation, in order.
const (
	// Pending: previewed, waiting for a click.
	Pending ConfirmState = "pending"
	// Confirmed: claimed by a click; the vendor may have been called.
	Confirmed ConfirmState = "confirmed"
	// Settled: the outcome is known and was answered. A cancelled
	// confirmation stays Cancelled when settled.
	Settled ConfirmState = "settled"
	// Cancelled: the asker pressed Cancel; nothing was called.
	Cancelled ConfirmState = "cancelled"
)

// Confirmation is one previewed action and what became of it.
type Confirmation struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Body is what to do, opaque to the store.
	Body  []byte       `json:"body"`
	State ConfirmState `json:"state"`
	// By and ByName are who confirmed or cancelled it, at At.
	By     string    `json:"by,omitempty"`
	ByName string    `json:"by_name,omitempty"`
	At     time.Time `json:"at,omitzero"`
	// Outcome is the answer given once settled.
	Outcome string `json:"outcome,omitempty"`
	// Mark is what the caller noted after claiming it and before acting
	// (for a credit move, the newest credit log's ID then), for finding
	// out after a crash what the act did.
	Mark int64 `json:"mark,omitempty"`
}

// AuditRecord is one attempt to act, whatever came of it. It holds no
// secret: who, what, the preview shown, the result and the vendor's words.
type AuditRecord struct {
	At       time.Time `json:"at"`
	UserID   string    `json:"user_id"`
	UserName string    `json:"user_name,omitempty"`
	// Via is the command or button ("/topup beta 100", "topup_confirm").
	Via           string `json:"via"`
	Action        string `json:"action"`
	Org           string `json:"org,omitempty"`
	Preview       string `json:"preview,omitempty"`
	Result        string `json:"result"`
	VendorMessage string `json:"vendor_message,omitempty"`
	// Confirmation is the ID of the confirmation concerned, if any.
	Confirmation string `json:"confirmation,omitempty"`
}

func actionBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketConfirm, bucketAudit} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// AddConfirmation stores a pending confirmation.
func (s *Store) AddConfirmation(c Confirmation) error {
	if c.ID == "" {
		return errors.New("store: a confirmation needs an ID")
	}
	c.State = Pending
	return s.update(func(tx *bolt.Tx) error { return putConfirmation(tx, &c) })
}

func putConfirmation(tx *bolt.Tx, c *Confirmation) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: confirmation: %w", err)
	}
	return tx.Bucket(bucketConfirm).Put([]byte(c.ID), b)
}

func getConfirmation(tx *bolt.Tx, id string) (Confirmation, error) {
	var c Confirmation
	v := tx.Bucket(bucketConfirm).Get([]byte(id))
	if v == nil {
		return c, fmt.Errorf("store: confirmation %q: %w", id, ErrNotFound)
	}
	if err := json.Unmarshal(v, &c); err != nil {
		return c, fmt.Errorf("store: confirmation %q: %w", id, err)
	}
	return c, nil
}

// GetConfirmation returns a confirmation, or ErrNotFound.
func (s *Store) GetConfirmation(id string) (c Confirmation, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		c, err = getConfirmation(tx, id)
		return err
	})
	return c, err
}

// Claim moves a pending confirmation to to (Confirmed or Cancelled) on
// behalf of a user, and reports whether this call did so. When it did not,
// c is the confirmation as someone else left it: a second click learns who
// acted first and when.
func (s *Store) Claim(id string, to ConfirmState, by, byName string, at time.Time) (c Confirmation, won bool, err error) {
	if to != Confirmed && to != Cancelled {
		return c, false, fmt.Errorf("store: claim to %q", to)
	}
	err = s.update(func(tx *bolt.Tx) error {
		c, err = getConfirmation(tx, id)
		if err != nil || c.State != Pending {
			return err
		}
		c.State, c.By, c.ByName, c.At = to, by, byName, at
		won = true
		return putConfirmation(tx, &c)
	})
	return c, won, err
}

// SetMark notes mark on a claimed confirmation; see Confirmation.Mark.
func (s *Store) SetMark(id string, mark int64) error {
	return s.update(func(tx *bolt.Tx) error {
		c, err := getConfirmation(tx, id)
		if err != nil {
			return err
		}
		c.Mark = mark
		return putConfirmation(tx, &c)
	})
}

// Settle records a confirmation's outcome together with its audit record
// and the messages announcing it (enqueued in the outbox), in one
// transaction, so an answered action is never answered again after a
// crash and its record is never lost.
func (s *Store) Settle(id, outcome string, rec AuditRecord, msgs ...Outgoing) error {
	return s.update(func(tx *bolt.Tx) error {
		c, err := getConfirmation(tx, id)
		if err != nil {
			return err
		}
		if c.State != Cancelled {
			c.State = Settled
		}
		c.Outcome = outcome
		if err := putConfirmation(tx, &c); err != nil {
			return err
		}
		return appendAudit(tx, rec, msgs)
	})
}

// Unsettled returns the confirmations claimed but never settled: at
// start-up, the actions a crash interrupted.
func (s *Store) Unsettled() ([]Confirmation, error) {
	var out []Confirmation
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketConfirm).ForEach(func(k, v []byte) error {
			var c Confirmation
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("store: confirmation %q: %w", k, err)
			}
			if c.State == Confirmed {
				out = append(out, c)
			}
			return nil
		})
	})
	return out, err
}

// AppendAudit appends an audit record, and enqueues msgs announcing it in
// the same transaction.
func (s *Store) AppendAudit(rec AuditRecord, msgs ...Outgoing) error {
	return s.update(func(tx *bolt.Tx) error { return appendAudit(tx, rec, msgs) })
}

func appendAudit(tx *bolt.Tx, rec AuditRecord, msgs []Outgoing) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	audit := tx.Bucket(bucketAudit)
	seq, err := audit.NextSequence()
	if err != nil {
		return err
	}
	// Time first, so the log reads in order and prunes from the front.
	key := append(timeKeyBytes(rec.At), seqKey(seq)...)
	if err := audit.Put(key, b); err != nil {
		return err
	}
	_, err = enqueue(tx, msgs, rec.At)
	return err
}

// Audit returns up to limit audit records, newest first (limit ≤ 0: all).
func (s *Store) Audit(limit int) ([]AuditRecord, error) {
	var out []AuditRecord
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var r AuditRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("store: audit: %w", err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// PruneActions drops audit records older than before, and confirmations
// created before it that are no longer waiting on a crash's resolution.
func (s *Store) PruneActions(before time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		cut := timeKeyBytes(before)
		c := tx.Bucket(bucketAudit).Cursor()
		for k, _ := c.First(); k != nil && string(k[:8]) < string(cut); k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		conf := tx.Bucket(bucketConfirm)
		var drop [][]byte
		err := conf.ForEach(func(k, v []byte) error {
			var cf Confirmation
			if json.Unmarshal(v, &cf) == nil && cf.State != Confirmed && cf.Created.Before(before) {
				drop = append(drop, k)
			}
			return nil
		})
		for _, k := range drop {
			if err := conf.Delete(k); err != nil {
				return err
			}
		}
		return err
	})
}
