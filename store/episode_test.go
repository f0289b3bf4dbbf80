package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/store"
)

func TestEpisodes(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "bot.db")
	s := open(t, path, store.Options{})
	const key = "low_balance/4002/1"
	res, err := s.Commit(store.Commit{At: t0,
		Messages: []store.Outgoing{{Body: []byte(`{}`), ReplyTo: -1}},
		Episodes: []store.EpisodeWrite{{Episode: store.Episode{Key: key, Opened: t0, First: []byte(`1`), Last: []byte(`1`)}, OpenedBy: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("an episode opened by a poll points at its message", func(t *testing.T) {
		ep, err := s.Episode(key)
		if err != nil || ep.Message != res.IDs[0] || !ep.Stale() {
			t.Fatalf("Episode = %+v, %v; want message %d, stale", ep, err, res.IDs[0])
		}
	})
	t.Run("delivering the opening gives the episode its receipt", func(t *testing.T) {
		if err := s.MarkSentEpisodes(res.IDs[0], "111.1", t0, key); err != nil {
			t.Fatal(err)
		}
		if ep, _ := s.Episode(key); ep.Receipt != "111.1" {
			t.Fatalf("receipt %q, want 111.1", ep.Receipt)
		}
	})
	t.Run("a click's snooze survives the next poll's write", func(t *testing.T) {
		until := t0.Add(time.Hour)
		if _, err := s.UpdateEpisode(key, func(ep *store.Episode) bool {
			ep.Snooze = store.Snooze{By: "U1", Until: until}
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(store.Commit{At: t0.Add(time.Minute), Episodes: []store.EpisodeWrite{{
			Episode: store.Episode{Key: key, Opened: t0, Reminders: 1, Last: []byte(`2`)}, OpenedBy: -1}}}); err != nil {
			t.Fatal(err)
		}
		ep, _ := s.Episode(key)
		if ep.Snooze.By != "U1" || !ep.Snooze.Active(t0) || ep.Snooze.Active(until) || ep.Receipt != "111.1" || ep.Reminders != 1 || ep.Message != res.IDs[0] {
			t.Fatalf("episode after poll = %+v", ep)
		}
	})
	t.Run("an edit that shows the latest version leaves it up to date", func(t *testing.T) {
		ep, _ := s.Episode(key)
		if err := s.MarkEpisodeShown(key, ep.Version-1, ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Episode(key); !got.Stale() {
			t.Fatal("showing an older version made the message up to date")
		}
		if err := s.MarkEpisodeShown(key, ep.Version, "222.2"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Episode(key); got.Stale() || got.Receipt != "222.2" {
			t.Fatalf("after showing the latest: %+v", got)
		}
	})
	outer := t
	t.Run("episodes survive a restart", func(t *testing.T) {
		s.Close()
		s = open(outer, path, store.Options{})
		eps, err := s.Episodes(nil)
		if err != nil || len(eps) != 1 || eps[0].Key != key || eps[0].Receipt != "222.2" {
			t.Fatalf("Episodes = %+v, %v", eps, err)
		}
	})
	t.Run("an unknown episode is not found", func(t *testing.T) {
		if _, err := s.Episode("nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateEpisode("nope", func(*store.Episode) bool { return true }); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestAckAlertKeepsTheFirst(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	at := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	const key = "alert/new_user/4001/1111/1"
	if a, first, err := s.AckAlert(key, store.Ack{By: "U1", Name: "maria", At: at}); err != nil || !first || a.By != "U1" {
		t.Fatalf("first ack = %+v, %v, %v", a, first, err)
	}
	if a, first, err := s.AckAlert(key, store.Ack{By: "U2", Name: "li", At: at.Add(time.Minute)}); err != nil || first || a.Name != "maria" {
		t.Fatalf("second ack = %+v, %v, %v; want maria's to stand", a, first, err)
	}
	if _, first, _ := s.AckAlert("alert/other", store.Ack{By: "U2", At: at.Add(31 * 24 * time.Hour)}); !first {
		t.Fatal("another alert's ack is not its first")
	}
	if _, first, _ := s.AckAlert(key, store.Ack{By: "U3", At: at.Add(31 * 24 * time.Hour)}); !first {
		t.Error("an acknowledgement older than the retention was kept")
	}
}
