package bot_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/store"
)

func TestEpisodeButtons(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	const key = "low_balance/4002/1"
	first := []byte(`{"kind":"low_balance","org":{"id":4002,"name":"Beta Co"}}`)
	if _, err := st.Commit(store.Commit{At: now, Episodes: []store.EpisodeWrite{{OpenedBy: -1,
		Episode: store.Episode{Key: key, Opened: now, First: first, Last: first}}}}); err != nil {
		t.Fatal(err)
	}
	changes := 0
	e := &bot.Episodes{Store: st, Changed: func() { changes++ }, Now: func() time.Time { return now }}
	version := func() uint64 {
		ep, err := st.Episode(key)
		if err != nil {
			t.Fatal(err)
		}
		return ep.Version
	}

	steps := []struct {
		name    string
		act     func() (string, error)
		says    string
		changed bool
	}{
		{"a snooze holds the reminders back for a day", func() (string, error) { return e.Snooze(key, "U1", "maria", "24h") }, "snoozed until 2026-12-02 16:00 UTC", true},
		{"the same snooze again is a double click and changes nothing", func() (string, error) { return e.Snooze(key, "U1", "maria", "24h") }, "already snoozed", false},
		{"another person's snooze replaces it", func() (string, error) { return e.Snooze(key, "U2", "li", "recovered") }, "snoozed until it recovers", true},
		{"an unknown choice is refused", func() (string, error) { return e.Snooze(key, "U2", "li", "forever") }, "", false},
		{"the first acknowledgement stands", func() (string, error) { return e.Ack(key, "U1", "maria") }, "You have acknowledged Beta Co (4002)", true},
		{"a later one is told who has it", func() (string, error) { return e.Ack(key, "U2", "li") }, "already acknowledged by @maria", false},
		{"unsnoozing turns the reminders back on", func() (string, error) { return e.Unsnooze(key) }, "back on", true},
		{"unsnoozing again says it was not snoozed", func() (string, error) { return e.Unsnooze(key) }, "was not snoozed", false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			v, n := version(), changes
			text, err := s.act()
			if s.says == "" {
				if err == nil {
					t.Fatalf("answered %q, want an error", text)
				}
			} else if err != nil || !strings.Contains(text, s.says) {
				t.Fatalf("answered %q, %v; want %q", text, err, s.says)
			}
			if changed := version() > v; changed != s.changed || (changes > n) != s.changed {
				t.Errorf("changed the message: %v (Changed called: %v), want %v", changed, changes > n, s.changed)
			}
		})
	}
	t.Run("a click on an ended episode does nothing", func(t *testing.T) {
		if _, err := st.UpdateEpisode(key, func(ep *store.Episode) bool { ep.Ended = now; return true }); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Ack(key, "U3", "kim"); !errors.Is(err, bot.ErrNoEpisode) {
			t.Errorf("err = %v, want ErrNoEpisode", err)
		}
		if _, err := e.Snooze("nope", "U3", "kim", "1h"); !errors.Is(err, bot.ErrNoEpisode) {
			t.Errorf("err = %v, want ErrNoEpisode", err)
		}
	})
}
