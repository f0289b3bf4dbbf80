package store

import (
	"bytes"
	"cmp"
	"compress/flate"
	"fmt"
	"io"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/resellerbot/resellerbot/omni"
)

// Balances returns, for each org that existed between since and the latest
// poll, its balance at every poll that changed it, sorted by org ID; with
// ids, only those orgs (an ID that did not exist then is left out). It reads
// the history once, newest to oldest, and decodes only the records of the
// orgs asked for.
//
// Every series covers the same [From, To]: To is the latest poll, and From
// is since, or the start of the stored history if that is later. A From
// after since is how a caller learns that the history is shorter than it
// asked; the series' own methods refuse windows before it. Before the first
// poll the error is ErrNotFound.
//
// The walk is one read transaction, as long as decompressing every delta
// since since takes (about half a second for a month of hourly changes to
// 1% of 5,000 orgs); a commit that must grow the file waits for it.
func (s *Store) Balances(since time.Time, ids ...int64) ([]omni.BalanceSeries, error) {
	var out []omni.BalanceSeries
	err := s.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		polled := meta.Get(keyPolledAt)
		if polled == nil {
			return fmt.Errorf("store: no snapshot yet: %w", ErrNotFound)
		}
		w := balanceWalk{from: since.UTC(), to: varintTime(polled), orgs: map[int64]*orgTrack{}}
		if start := varintTime(meta.Get(keyHistoryFrom)); w.from.Before(start) {
			w.from = start
		}
		if w.from.After(w.to) {
			w.from = w.to
		}
		if len(ids) > 0 {
			w.want = make(map[int64]bool, len(ids))
			for _, id := range ids {
				w.want[id] = true
			}
		}
		if err := w.start(tx.Bucket(bucketOrgs)); err != nil {
			return err
		}
		if err := w.walk(tx.Bucket(bucketHistory)); err != nil {
			return err
		}
		out = w.series()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// balanceWalk rebuilds balance series backwards from the latest snapshot.
type balanceWalk struct {
	from, to time.Time
	want     map[int64]bool // nil: every org
	orgs     map[int64]*orgTrack
}

// orgTrack is one org's state as the walk goes back: its balance (or
// absence) after the poll being undone, and the points found so far, newest
// first.
type orgTrack struct {
	name, currency string
	balance        float64
	gone           bool
	points         []omni.BalancePoint
}

func (w *balanceWalk) wanted(id int64) bool { return w.want == nil || w.want[id] }

// start takes the orgs as they are now.
func (w *balanceWalk) start(orgs *bolt.Bucket) error {
	c := orgs.Cursor()
	k, v := c.First()
	if w.want != nil && len(w.want) < 64 {
		// A few orgs: seek to each rather than read all.
		for id := range w.want {
			key := idKey(id)
			if k, v = c.Seek(key[:]); k == nil || !bytes.Equal(k, key[:]) {
				continue
			}
			if err := w.take(id, v); err != nil {
				return err
			}
		}
		return nil
	}
	for ; k != nil; k, v = c.Next() {
		if id := keyID(k); w.wanted(id) {
			if err := w.take(id, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *balanceWalk) take(id int64, rec []byte) error {
	o, err := decodeOrg(rec)
	if err != nil {
		return fmt.Errorf("store: org %d: %w", id, err)
	}
	w.orgs[id] = &orgTrack{name: o.Name, currency: o.Currency, balance: o.Balance}
	return nil
}

// walk undoes the polls after from, newest first. A poll's delta holds each
// changed org's record from before the poll, so the balance the walk holds
// is the one the poll left, and it stands from that poll on.
func (w *balanceWalk) walk(hist *bolt.Bucket) error {
	var z inflater
	c := hist.Cursor()
	for k, v := c.Last(); k != nil && keyTime(k).After(w.from); k, v = c.Prev() {
		at := keyTime(k)
		raw, err := z.inflate(v)
		if err != nil {
			return fmt.Errorf("store: history at %s: %w", at.Format(time.RFC3339), err)
		}
		entries, err := decodeDelta(raw)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		for _, en := range entries {
			if en.kind == deltaHeader || !w.wanted(en.id) {
				continue
			}
			if err := w.undo(at, en); err != nil {
				return err
			}
		}
	}
	return nil
}

// inflater decompresses deltas into one reused buffer with one reused
// reader: a month's walk reads hundreds of deltas, and allocating both
// afresh for each was most of its garbage. What inflate returns is valid
// until the next call.
type inflater struct {
	src bytes.Reader
	r   io.ReadCloser
	buf bytes.Buffer
}

func (z *inflater) inflate(b []byte) ([]byte, error) {
	z.src.Reset(b)
	if z.r == nil {
		z.r = flate.NewReader(&z.src)
	} else if err := z.r.(flate.Resetter).Reset(&z.src, nil); err != nil {
		return nil, err
	}
	z.buf.Reset()
	if _, err := z.buf.ReadFrom(z.r); err != nil {
		return nil, err
	}
	return z.buf.Bytes(), nil
}

func (w *balanceWalk) undo(at time.Time, en deltaEntry) error {
	tr := w.orgs[en.id]
	if en.kind == deltaOrgAdded {
		if tr == nil || tr.gone {
			return fmt.Errorf("store: history at %s adds org %d, which is not there after it: %w",
				at.Format(time.RFC3339), en.id, errCorrupt)
		}
		tr.points = append(tr.points, omni.BalancePoint{At: at, Balance: tr.balance})
		tr.gone, tr.balance = true, 0
		return nil
	}
	old, err := decodeOrg(en.old)
	if err != nil {
		return fmt.Errorf("store: org %d at %s: %w", en.id, at.Format(time.RFC3339), err)
	}
	if tr == nil {
		// Not there now: this poll removed it.
		tr = &orgTrack{name: old.Name, currency: old.Currency, gone: true}
		w.orgs[en.id] = tr
	}
	if tr.gone || old.Balance != tr.balance {
		tr.points = append(tr.points, omni.BalancePoint{At: at, Balance: tr.balance, Gone: tr.gone})
	}
	tr.gone, tr.balance = false, old.Balance
	return nil
}

// series closes each track with its state at from and puts it in time
// order.
func (w *balanceWalk) series() []omni.BalanceSeries {
	out := make([]omni.BalanceSeries, 0, len(w.orgs))
	for id, tr := range w.orgs {
		tr.points = append(tr.points, omni.BalancePoint{At: w.from, Balance: tr.balance, Gone: tr.gone})
		slices.Reverse(tr.points)
		out = append(out, omni.BalanceSeries{ID: id, Name: tr.name, Currency: tr.currency,
			From: w.from, To: w.to, Points: tr.points})
	}
	slices.SortFunc(out, func(a, b omni.BalanceSeries) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
