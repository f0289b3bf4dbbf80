package store

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// minCompactSize keeps Compact from rewriting small files, where free pages
// cost nothing worth a rewrite.
const minCompactSize = 4 << 20

// Compact rewrites the file without its free pages when they make up more
// than share of it (0.5 = half), and reports whether it did. bbolt never
// shrinks a file by itself: pages freed by pruned history are reused but not
// returned. Other calls on the Store wait while it runs.
func (s *Store) Compact(share float64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info, err := os.Stat(s.path)
	if err != nil {
		return false, fmt.Errorf("store: compact: %w", err)
	}
	stats := s.db.Stats()
	free := int64(stats.FreePageN+stats.PendingPageN) * int64(s.db.Info().PageSize)
	if info.Size() < minCompactSize || float64(free) <= share*float64(info.Size()) {
		return false, nil
	}

	tmp := s.path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: s.opts.LockTimeout})
	if err != nil {
		return false, fmt.Errorf("store: compact: %w", err)
	}
	if err := bolt.Compact(dst, s.db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return false, fmt.Errorf("store: compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("store: compact: %w", err)
	}
	if err := s.db.Close(); err != nil {
		return false, fmt.Errorf("store: compact: %w", err)
	}
	// Rename is atomic: a crash leaves either the old file or the new one.
	renameErr := os.Rename(tmp, s.path)
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.opts.LockTimeout})
	if err != nil {
		return false, fmt.Errorf("store: reopen after compact: %w: %w", ErrClosed, err)
	}
	s.db = db
	if renameErr != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("store: compact: %w", renameErr)
	}
	return true, nil
}
