package store_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/store"
)

func TestPollStatsSumTheHoursAsked(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.Options{})
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	record := func(at time.Time, ok bool, events map[string]int) {
		t.Helper()
		if err := s.RecordPoll(at, ok, events); err != nil {
			t.Fatal(err)
		}
	}
	record(day.Add(-time.Minute), true, map[string]int{"low_balance": 9}) // the day before
	record(day.Add(5*time.Minute), true, map[string]int{"low_balance": 2})
	record(day.Add(65*time.Minute), false, nil)
	record(day.Add(23*time.Hour+59*time.Minute), true, map[string]int{"low_balance": 1, "new_user": 3})

	tests := []struct {
		name     string
		from, to time.Time
		want     store.PollStats
	}{
		{"a whole day counts every poll that ended in it", day, day.Add(24 * time.Hour),
			store.PollStats{OK: 2, Failed: 1, Events: map[string]int{"low_balance": 3, "new_user": 3}}},
		{"an hour counts only the polls that ended in it", day.Add(time.Hour), day.Add(2 * time.Hour),
			store.PollStats{Failed: 1}},
		{"a window before any poll counts nothing", day.Add(-48 * time.Hour), day.Add(-24 * time.Hour),
			store.PollStats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.PollStats(tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("counts older than three days are dropped", func(t *testing.T) {
		record(day.Add(5*24*time.Hour), true, nil)
		got, err := s.PollStats(day.Add(-24*time.Hour), day.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.OK != 0 || got.Failed != 0 {
			t.Errorf("got %+v, want nothing left", got)
		}
	})
}

func TestADigestIsQueuedOncePerDay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, store.Options{})
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	msg := []store.Outgoing{{Body: []byte(`{"x":1}`), ReplyTo: -1}}
	steps := []struct {
		name, day string
		reopen    bool
		queued    bool
	}{
		{"the first digest of a day is queued", "2026-03-01", false, true},
		{"the same day again is not", "2026-03-01", false, false},
		{"after a restart the same day is still not", "2026-03-01", true, false},
		{"an earlier day is not", "2026-02-28", false, false},
		{"the next day is", "2026-03-02", false, true},
	}
	want := 0
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.reopen {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				var err error
				if s, err = store.Open(path, store.Options{}); err != nil {
					t.Fatal(err)
				}
			}
			ids, err := s.EnqueueDigest(st.day, msg, at)
			if err != nil {
				t.Fatal(err)
			}
			queued := len(ids) == 1
			if queued != st.queued {
				t.Errorf("queued = %v, want %v", queued, st.queued)
			}
			if queued {
				want++
			}
			if n, _ := s.OutboxLen(); n != want {
				t.Errorf("outbox holds %d, want %d", n, want)
			}
		})
	}
	if day, err := s.DigestDay(); err != nil || day != "2026-03-02" {
		t.Errorf("DigestDay() = %q, %v; want 2026-03-02", day, err)
	}
	s.Close()
}
