package store

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/resellerbot/resellerbot/omni"
)

// SchemaVersion is the layout of the file this package writes. A file with
// a newer version is refused rather than misread.
const SchemaVersion = 1

var (
	// ErrNotFound: nothing stored yet (no poll has succeeded), or history
	// does not reach back far enough.
	ErrNotFound = errors.New("not found")
	// ErrLocked: another process has the file open.
	ErrLocked = errors.New("store is locked by another process")
	// ErrSchema: the file was written by an incompatible version.
	ErrSchema = errors.New("incompatible store schema")
	// ErrClosed: the file could not be reopened after Compact; the Store is
	// unusable and the process should restart.
	ErrClosed = errors.New("store closed")
)

var (
	bucketMeta    = []byte("meta")
	bucketOrgs    = []byte("orgs")
	bucketHistory = []byte("history")
	bucketOutbox  = []byte("outbox")
	bucketSent    = []byte("sent")

	keySchema      = []byte("schema")
	keyHeader      = []byte("header")
	keyPolledAt    = []byte("polled_at")
	keyState       = []byte("alert_state")
	keyHistoryFrom = []byte("history_from")
	keyStoreID     = []byte("store_id")
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to let go of
	// the file; default 2s.
	LockTimeout time.Duration
	// History is how long earlier snapshots are kept: 0 means 720h, a
	// negative duration keeps none.
	History time.Duration
	// HistoryPolls caps how many changed polls are kept; 0 is no cap.
	HistoryPolls int
	// SentRetention is how long receipts of delivered messages are kept
	// (for threading replies to them); default 7 days.
	SentRetention time.Duration
}

// Store is an open state file. It is safe for concurrent use.
type Store struct {
	// mu guards db against Compact, which swaps the file underneath.
	mu   sync.RWMutex
	db   *bolt.DB
	path string
	id   string
	opts Options
}

func (s *Store) view(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.View(fn)
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.Update(fn)
}

// Open opens or creates the store at path. If another process holds the
// file, it fails with ErrLocked after opts.LockTimeout instead of hanging; a
// path it may not use fails with an error wrapping fs.ErrPermission.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.History == 0 {
		opts.History = 720 * time.Hour
	}
	if opts.History < 0 {
		opts.History = 0
	}
	if opts.SentRetention <= 0 {
		opts.SentRetention = 7 * 24 * time.Hour
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("store: %s: %w", path, ErrLocked)
		}
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("store: %s: %w", path, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, opts: opts}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketOrgs, bucketHistory, bucketOutbox, bucketSent, bucketEpisodes, bucketStale, bucketAcks} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		if err := actionBuckets(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if id := meta.Get(keyStoreID); id != nil {
			s.id = string(id)
		} else {
			var b [8]byte
			if _, err := rand.Read(b[:]); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			s.id = hex.EncodeToString(b[:])
			if err := meta.Put(keyStoreID, []byte(s.id)); err != nil {
				return err
			}
		}
		v := meta.Get(keySchema)
		if v == nil {
			return meta.Put(keySchema, binary.AppendUvarint(nil, SchemaVersion))
		}
		version, n := binary.Uvarint(v)
		if n <= 0 || version != SchemaVersion {
			return fmt.Errorf("store: %s has schema %d, this resellerbot reads %d: %w", s.path, version, SchemaVersion, ErrSchema)
		}
		return nil
	})
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// ID is a random identifier made when the file was created. It tells this
// store's messages apart from those of another bot posting to the same
// channel.
func (s *Store) ID() string { return s.id }

// Close closes the file. Pending writes are already on disk: every commit
// is synced.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}

// Commit is everything one poll cycle changes, written in one transaction.
type Commit struct {
	// At is when the poll ended; it stamps the outbox messages.
	At time.Time
	// Snapshot is the successful poll's result. Nil for a failed poll: the
	// latest snapshot stays as it was.
	Snapshot *omni.Snapshot
	// State is the alert state to keep; nil keeps the stored one.
	State []byte
	// Messages are appended to the outbox, in order.
	Messages []Outgoing
	// Episodes are the poll's news about alert episodes.
	Episodes []EpisodeWrite
}

// Outgoing is a message to enqueue.
type Outgoing struct {
	Body []byte
	// ReplyTo is the index, within the same Commit, of an earlier message
	// this one follows up (a thread reply), or -1.
	ReplyTo int
}

// Result says what a Commit wrote.
type Result struct {
	// ChangedOrgs counts orgs added, removed or changed since the latest
	// snapshot.
	ChangedOrgs int
	// IDs are the outbox IDs given to Commit.Messages.
	IDs []uint64
}

// Commit writes one poll's outcome atomically. With a snapshot, only orgs
// whose records changed are rewritten, and their previous records go to
// history; a poll that changed nothing grows nothing.
func (s *Store) Commit(c Commit) (Result, error) {
	var res Result
	err := s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if c.Snapshot != nil {
			n, err := s.putSnapshot(tx, c.Snapshot)
			if err != nil {
				return err
			}
			res.ChangedOrgs = n
		}
		if c.State != nil {
			if err := meta.Put(keyState, c.State); err != nil {
				return err
			}
		}
		ids, err := enqueue(tx, c.Messages, c.At)
		res.IDs = ids
		if err != nil {
			return err
		}
		return putEpisodes(tx, c.Episodes, ids, c.At)
	})
	if err != nil {
		return Result{}, fmt.Errorf("store: commit: %w", err)
	}
	return res, nil
}

func (s *Store) putSnapshot(tx *bolt.Tx, snap *omni.Snapshot) (changed int, err error) {
	meta, orgs := tx.Bucket(bucketMeta), tx.Bucket(bucketOrgs)
	var delta []deltaEntry
	type write struct {
		key [8]byte
		val []byte // nil: delete
	}
	var writes []write

	// Merge the stored orgs (sorted by key) with the new ones (sorted by
	// ID). Writes wait until the cursor is done: bbolt cursors do not
	// survive changes to their bucket.
	var buf []byte
	cur := orgs.Cursor()
	k, v := cur.First()
	for i := 0; i < len(snap.Orgs) || k != nil; {
		var next *omni.Org
		if i < len(snap.Orgs) {
			next = &snap.Orgs[i]
		}
		switch {
		case k != nil && (next == nil || keyID(k) < next.ID):
			// Removed.
			writes = append(writes, write{key: idKey(keyID(k))})
			delta = append(delta, deltaEntry{kind: deltaOrg, id: keyID(k), old: bytes.Clone(v)})
			k, v = cur.Next()
		case k == nil || next.ID < keyID(k):
			// Added.
			buf = appendOrg(buf[:0], next)
			writes = append(writes, write{key: idKey(next.ID), val: bytes.Clone(buf)})
			delta = append(delta, deltaEntry{kind: deltaOrgAdded, id: next.ID})
			i++
		default:
			buf = appendOrg(buf[:0], next)
			if !bytes.Equal(buf, v) {
				writes = append(writes, write{key: idKey(next.ID), val: bytes.Clone(buf)})
				delta = append(delta, deltaEntry{kind: deltaOrg, id: next.ID, old: bytes.Clone(v)})
			}
			i++
			k, v = cur.Next()
		}
	}
	for _, w := range writes {
		if w.val == nil {
			err = orgs.Delete(w.key[:])
		} else {
			err = orgs.Put(w.key[:], w.val)
		}
		if err != nil {
			return 0, err
		}
	}
	changed = len(writes)

	header := appendHeader(nil, snap)
	if old := meta.Get(keyHeader); !bytes.Equal(old, header) {
		if old != nil {
			delta = append(delta, deltaEntry{kind: deltaHeader, old: bytes.Clone(old)})
		}
		if err := meta.Put(keyHeader, header); err != nil {
			return 0, err
		}
	}

	polledAt := snap.PolledAt.UTC()
	firstPoll := meta.Get(keyPolledAt) == nil
	if err := meta.Put(keyPolledAt, binary.AppendVarint(nil, polledAt.UnixNano())); err != nil {
		return 0, err
	}
	if firstPoll {
		// History reaches back to the first poll; nothing before it.
		if err := meta.Put(keyHistoryFrom, binary.AppendVarint(nil, polledAt.UnixNano())); err != nil {
			return 0, err
		}
	} else if len(delta) > 0 {
		z, err := compress(appendDelta(nil, delta))
		if err != nil {
			return 0, err
		}
		if err := tx.Bucket(bucketHistory).Put(timeKeyBytes(polledAt), z); err != nil {
			return 0, err
		}
	}
	return changed, s.pruneHistory(tx, polledAt)
}

// pruneHistory drops deltas older than Options.History, or beyond
// Options.HistoryPolls, and moves history_from forward accordingly.
func (s *Store) pruneHistory(tx *bolt.Tx, now time.Time) error {
	hist := tx.Bucket(bucketHistory)
	cutoff := now.Add(-s.opts.History)
	c := hist.Cursor()
	excess := 0
	if s.opts.HistoryPolls > 0 {
		// Count with the cursor: Bucket.Stats misses this transaction's puts.
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			excess++
		}
		excess -= s.opts.HistoryPolls
	}
	var drop [][]byte
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(drop) >= excess && !keyTime(k).Before(cutoff) {
			break
		}
		drop = append(drop, bytes.Clone(k))
	}
	if len(drop) == 0 {
		return nil
	}
	for _, k := range drop {
		if err := hist.Delete(k); err != nil {
			return err
		}
	}
	// The state before the newest dropped delta can no longer be rebuilt.
	from := keyTime(drop[len(drop)-1])
	return tx.Bucket(bucketMeta).Put(keyHistoryFrom, binary.AppendVarint(nil, from.UnixNano()))
}

// Latest returns the snapshot of the last successful poll, with PolledAt set
// to that poll's time even when it changed nothing. Before the first poll it
// returns ErrNotFound.
func (s *Store) Latest() (*omni.Snapshot, error) {
	var snap *omni.Snapshot
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		snap, err = latest(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

func latest(tx *bolt.Tx) (*omni.Snapshot, error) {
	meta := tx.Bucket(bucketMeta)
	polled := meta.Get(keyPolledAt)
	if polled == nil {
		return nil, fmt.Errorf("store: no snapshot yet: %w", ErrNotFound)
	}
	snap := &omni.Snapshot{PolledAt: varintTime(polled)}
	if err := decodeHeader(meta.Get(keyHeader), snap); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	orgs := tx.Bucket(bucketOrgs)
	snap.Orgs = make([]omni.Org, 0, orgs.Stats().KeyN)
	err := orgs.ForEach(func(k, v []byte) error {
		o, err := decodeOrg(v)
		if err != nil {
			return fmt.Errorf("store: org %d: %w", keyID(k), err)
		}
		snap.Orgs = append(snap.Orgs, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// At rebuilds the snapshot as it stood at time t: the result of the last
// successful poll at or before t, with PolledAt set to t (or to the latest
// poll, if that is earlier). It returns ErrNotFound when history does not
// reach back that far.
func (s *Store) At(t time.Time) (*omni.Snapshot, error) {
	var snap *omni.Snapshot
	err := s.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		orgs := map[int64][]byte{}
		header := bytes.Clone(meta.Get(keyHeader))
		if err := tx.Bucket(bucketOrgs).ForEach(func(k, v []byte) error {
			orgs[keyID(k)] = v
			return nil
		}); err != nil {
			return err
		}
		err := undoSince(tx, t, func(en deltaEntry) {
			switch en.kind {
			case deltaOrg:
				orgs[en.id] = en.old
			case deltaOrgAdded:
				delete(orgs, en.id)
			case deltaHeader:
				header = en.old
			}
		})
		if err != nil {
			return err
		}
		polledAt := t.UTC()
		if latestAt := varintTime(meta.Get(keyPolledAt)); latestAt.Before(polledAt) {
			polledAt = latestAt
		}
		snap = &omni.Snapshot{PolledAt: polledAt}
		if err := decodeHeader(header, snap); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		for _, v := range orgs {
			o, err := decodeOrg(v)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			snap.Orgs = append(snap.Orgs, o)
		}
		snap.Normalize()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// undoSince walks the history back from the latest poll to time t, newest
// first, handing undo each record a poll after t replaced, so that applying
// them in order rebuilds the state at t. It returns ErrNotFound when history
// does not reach back to t.
func undoSince(tx *bolt.Tx, t time.Time, undo func(deltaEntry)) error {
	from := tx.Bucket(bucketMeta).Get(keyHistoryFrom)
	if from == nil || t.Before(varintTime(from)) {
		return fmt.Errorf("store: history does not reach back to %s: %w", t.UTC().Format(time.RFC3339), ErrNotFound)
	}
	c := tx.Bucket(bucketHistory).Cursor()
	after := timeKey(t.Add(time.Nanosecond))
	for k, v := c.Last(); k != nil && bytes.Compare(k, after[:]) >= 0; k, v = c.Prev() {
		raw, err := decompress(v)
		if err != nil {
			return fmt.Errorf("store: history at %s: %w", keyTime(k).Format(time.RFC3339), err)
		}
		entries, err := decodeDelta(raw)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		for _, en := range entries {
			undo(en)
		}
	}
	return nil
}

// OrgAt returns one org as it stood at time t, rebuilt like At but reading
// only that org's changes, so /org can show a trend without rebuilding the
// whole reseller. found is false when the org did not exist then; the error
// is ErrNotFound when history does not reach back to t.
func (s *Store) OrgAt(id int64, t time.Time) (org omni.Org, found bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		key := idKey(id)
		rec := tx.Bucket(bucketOrgs).Get(key[:])
		err := undoSince(tx, t, func(en deltaEntry) {
			switch {
			case en.id != id:
			case en.kind == deltaOrg:
				rec = en.old
			case en.kind == deltaOrgAdded:
				rec = nil
			}
		})
		if err != nil {
			return err
		}
		if rec == nil {
			return nil
		}
		org, err = decodeOrg(rec)
		found = err == nil
		return err
	})
	return org, found, err
}

// State returns the stored alert state, or nil before the first commit of
// one.
func (s *Store) State() ([]byte, error) {
	var st []byte
	err := s.view(func(tx *bolt.Tx) error {
		st = bytes.Clone(tx.Bucket(bucketMeta).Get(keyState))
		return nil
	})
	return st, err
}

func idKey(id int64) [8]byte {
	var k [8]byte
	// Flip the sign bit so negative IDs sort before positive ones.
	binary.BigEndian.PutUint64(k[:], uint64(id)^(1<<63))
	return k
}

func keyID(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

func timeKey(t time.Time) [8]byte { return idKey(t.UnixNano()) }

func timeKeyBytes(t time.Time) []byte {
	k := timeKey(t)
	return k[:]
}

func keyTime(k []byte) time.Time { return time.Unix(0, keyID(k)).UTC() }

func varintTime(b []byte) time.Time {
	ns, n := binary.Varint(b)
	if n <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func compress(b []byte) ([]byte, error) {
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func decompress(b []byte) ([]byte, error) {
	return io.ReadAll(flate.NewReader(bytes.NewReader(b)))
}
