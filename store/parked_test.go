package store_test

import (
	"path/filepath"
	"testing"

	"github.com/resellerbot/resellerbot/store"
)

func TestParkedMessagesStepAsideAndComeBackFirst(t *testing.T) {
	top := t
	path := filepath.Join(t.TempDir(), "parked.db")
	s := open(t, path, store.Options{})
	res, err := s.Commit(store.Commit{At: t0, Messages: []store.Outgoing{
		{Body: []byte("one"), ReplyTo: -1}, {Body: []byte("two"), ReplyTo: -1}, {Body: []byte("three"), ReplyTo: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkInFlight(res.IDs[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(res.IDs[0], "first try", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Park(res.IDs[0], "some_future_refusal"); err != nil {
		t.Fatal(err)
	}

	t.Run("a parked message leaves the outbox and is kept with its reason", func(t *testing.T) {
		pending, err := s.Pending(0)
		if err != nil || len(pending) != 2 || string(pending[0].Body) != "two" {
			t.Fatalf("pending %+v (%v), want two and three", pending, err)
		}
		parked, err := s.Parked(0)
		if err != nil || len(parked) != 1 || string(parked[0].Body) != "one" || parked[0].LastError != "some_future_refusal" || parked[0].Attempts != 1 {
			t.Fatalf("parked %+v (%v), want one with its reason and attempt", parked, err)
		}
		if n, err := s.ParkedLen(); err != nil || n != 1 {
			t.Errorf("ParkedLen = %d, %v; want 1", n, err)
		}
	})
	t.Run("parking a message no longer queued is not an error", func(t *testing.T) {
		if err := s.Park(res.IDs[0], "again"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.ParkedLen(); n != 1 {
			t.Errorf("ParkedLen = %d, want 1", n)
		}
	})
	t.Run("parked messages survive a reopen", func(t *testing.T) {
		s.Close()
		s = open(top, path, store.Options{})
		if n, err := s.ParkedLen(); err != nil || n != 1 {
			t.Errorf("ParkedLen after reopen = %d, %v; want 1", n, err)
		}
	})
	t.Run("unparked messages are queued again first, with no attempts", func(t *testing.T) {
		n, err := s.Unpark()
		if err != nil || n != 1 {
			t.Fatalf("Unpark = %d, %v; want 1", n, err)
		}
		pending, err := s.Pending(0)
		if err != nil || len(pending) != 3 || string(pending[0].Body) != "one" || pending[0].Attempts != 0 {
			t.Fatalf("pending %+v (%v), want one first with no attempts", pending, err)
		}
		if n, err := s.ParkedLen(); err != nil || n != 0 {
			t.Errorf("ParkedLen = %d, %v; want 0", n, err)
		}
		if n, err := s.Unpark(); err != nil || n != 0 {
			t.Errorf("a second Unpark = %d, %v; want 0", n, err)
		}
	})
}
