package daily_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/resellerbot/resellerbot/bot/daily"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/store"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	return loc
}

func utc(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
}

func TestScheduleLastFollowsTheLocalClock(t *testing.T) {
	s := daily.Schedule{Hour: 9, Minute: 0, Location: berlin(t)}
	// Berlin moves to summer time on 29 March 2026 and back on 25 October.
	tests := []struct {
		name    string
		at      time.Time
		wantUTC time.Time
	}{
		{"in winter 09:00 in Berlin is 08:00 UTC", utc(3, 28, 8, 0), utc(3, 28, 8, 0)},
		{"a minute before it is due, the day before's", utc(3, 28, 7, 59), utc(3, 27, 8, 0)},
		{"on the day summer time starts 09:00 is 07:00 UTC", utc(3, 29, 7, 0), utc(3, 29, 7, 0)},
		{"before it that day, the winter day before's", utc(3, 29, 6, 59), utc(3, 28, 8, 0)},
		{"on the day winter time returns 09:00 is 08:00 UTC again", utc(10, 25, 8, 30), utc(10, 25, 8, 0)},
		{"before it that day, the summer day before's", utc(10, 25, 7, 30), utc(10, 24, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Last(tt.at); !got.Equal(tt.wantUTC) {
				t.Errorf("Last(%s) = %s, want %s", tt.at, got.UTC(), tt.wantUTC)
			}
		})
	}
}

// poster is a Poster over a store holding one poll of the sample reseller.
func poster(t *testing.T, st *store.Store, s daily.Schedule) *daily.Poster {
	t.Helper()
	b := daily.New(daily.Config{Source: st, Rule: rule, RunwayWithin: 7 * 24 * time.Hour, Location: s.Location})
	return &daily.Poster{Builder: b, Outbox: st, Schedule: s, Channel: "C0DIGEST1", Logger: slog.New(slog.DiscardHandler)}
}

func sampleStore(t *testing.T) *store.Store {
	t.Helper()
	st := openStore(t)
	snap := rendertest.Reseller()
	snap.PolledAt = utc(3, 20, 0, 0)
	if _, err := st.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
		t.Fatal(err)
	}
	return st
}

func pending(t *testing.T, st *store.Store) []store.Message {
	t.Helper()
	msgs, err := st.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestCatchUpAtStartUp(t *testing.T) {
	s := daily.Schedule{Hour: 9, Minute: 0, Location: berlin(t)}
	tests := []struct {
		name  string
		start []time.Time // each a start of the bot
		want  int         // digests queued in all
	}{
		{"a digest less than 12 hours late is sent at start-up", []time.Time{utc(3, 28, 19, 59)}, 1},
		{"one 12 hours late or more is skipped", []time.Time{utc(3, 28, 20, 0)}, 0},
		{"a restart the same day does not send it again", []time.Time{utc(3, 28, 9, 0), utc(3, 28, 10, 0)}, 1},
		{"before the time of day the day before's is due, too late", []time.Time{utc(3, 28, 7, 30)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := sampleStore(t)
			for _, at := range tt.start {
				if err := poster(t, st, s).CatchUp(context.Background(), at); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(pending(t, st)); got != tt.want {
				t.Errorf("%d digests queued, want %d", got, tt.want)
			}
		})
	}
}

func TestTheScheduledDigestAcrossADaylightSavingChange(t *testing.T) {
	s := daily.Schedule{Hour: 9, Minute: 0, Location: berlin(t)}
	st := sampleStore(t)
	// The bot starts on the evening of 27 March, too late for that day's.
	clock := clockwork.NewFakeClockAt(utc(3, 27, 21, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := poster(t, st, s)
	stop, err := p.Start(ctx, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	// advance moves the clock to at and waits for the digests queued to
	// number want.
	advance := func(at time.Time, want int) {
		t.Helper()
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(at.Sub(clock.Now()))
		deadline := time.Now().Add(5 * time.Second)
		for len(pending(t, st)) < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := len(pending(t, st)); got != want {
			t.Fatalf("at %s: %d digests queued, want %d", at, got, want)
		}
	}
	advance(utc(3, 28, 7, 59), 0)
	advance(utc(3, 28, 8, 0), 1) // 09:00 CET
	advance(utc(3, 29, 6, 59), 1)
	advance(utc(3, 29, 7, 0), 2) // 09:00 CEST, the first day of summer time
	msgs := pending(t, st)
	for i, want := range []time.Time{utc(3, 28, 8, 0), utc(3, 29, 7, 0)} {
		if !msgs[i].Enqueued.Equal(want) {
			t.Errorf("digest %d queued at %s, want %s", i+1, msgs[i].Enqueued.UTC(), want)
		}
		if body := string(msgs[i].Body); !strings.Contains(body, `"channel":"C0DIGEST1"`) || !strings.Contains(body, "Daily digest") {
			t.Errorf("digest %d is %s", i+1, body)
		}
	}
	if day, _ := st.DigestDay(); day != "2026-03-29" {
		t.Errorf("the store says the last digest was of %s, want 2026-03-29", day)
	}
}
