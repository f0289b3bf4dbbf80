package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/store"
)

// editingSender records posts and edits with the test's clock reading.
type editingSender struct {
	mu    sync.Mutex
	t     *testing.T
	now   func() time.Time
	calls []time.Time
	posts []render.Message
	edits map[string]render.Message
	n     int
}

func (s *editingSender) Send(_ context.Context, m render.Message, replyTo string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rendertest.CheckLimits(s.t, m)
	s.calls = append(s.calls, s.now())
	s.posts = append(s.posts, m)
	s.n++
	return fmt.Sprintf("%d.0", s.n), nil
}

func (s *editingSender) Edit(_ context.Context, m render.Message, receipt string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rendertest.CheckLimits(s.t, m)
	s.calls = append(s.calls, s.now())
	if s.edits == nil {
		s.edits = map[string]render.Message{}
	}
	s.edits[receipt] = m
	return nil
}

// busiestMinute is the most calls made in any minute.
func (s *editingSender) busiestMinute() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	most := 0
	for i, start := range s.calls {
		n := 0
		for _, c := range s.calls[i:] {
			if c.Sub(start) < time.Minute {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func lowEvent(org int64, at, since time.Time, kind alerts.Kind, balance float64) alerts.Event {
	return alerts.Event{Kind: kind, At: at, Since: since, Org: rendertest.Org(org, fmt.Sprintf("Org %d", org)),
		Figures: rendertest.Figures(balance, 0.2),
		Cause:   &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleLowBalanceBelow, Number: 50}}}}
}

func openEpisodes(t *testing.T, st *store.Store) map[string]store.Episode {
	t.Helper()
	eps, err := st.Episodes(func(ep *store.Episode) bool { return ep.Ended.IsZero() })
	if err != nil {
		t.Fatal(err)
	}
	open := map[string]store.Episode{}
	for _, ep := range eps {
		open[ep.Key] = ep
	}
	return open
}

func commitPoll(t *testing.T, st *store.Store, events []alerts.Event, at time.Time) {
	t.Helper()
	msgs, eps, err := delivery.PlanEpisodes(events, at, openEpisodes(t, st))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(store.Commit{At: at, Messages: msgs, Episodes: eps}); err != nil {
		t.Fatal(err)
	}
}

// drainFor drains with the clock moving as the Deliverer asks to wait,
// until nothing is left or the clock passes limit.
func drainFor(t *testing.T, d *delivery.Deliverer, clock *time.Time, limit time.Time) {
	t.Helper()
	for clock.Before(limit) {
		wait, err := d.Drain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if wait <= 0 {
			return
		}
		*clock = clock.Add(wait)
	}
}

func TestAThousandRecoveriesInOnePollArePacedEdits(t *testing.T) {
	const orgs = 1000
	st, err := store.Open(filepath.Join(t.TempDir(), "episodes.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	since := clock
	sender := &editingSender{t: t, now: func() time.Time { return clock }}
	d := delivery.New(delivery.Config{Store: st, Sender: sender, Now: func() time.Time { return clock }, Logger: slog.New(slog.DiscardHandler)})

	// Each org's episode opened on its own, with a message of its own: as
	// a thousand polls would have, in one transaction.
	var opening store.Commit
	for org := int64(1); org <= orgs; org++ {
		msgs, eps, err := delivery.PlanEpisodes([]alerts.Event{lowEvent(org, since, since, alerts.LowBalance, 10)}, clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range eps {
			eps[i].OpenedBy += len(opening.Messages)
		}
		opening.Messages, opening.Episodes = append(opening.Messages, msgs...), append(opening.Episodes, eps...)
	}
	opening.At = clock
	if _, err := st.Commit(opening); err != nil {
		t.Fatal(err)
	}
	drainFor(t, d, &clock, clock.Add(time.Hour))
	if len(sender.edits) != 0 {
		t.Fatalf("%d edits of messages that opened showing their episode", len(sender.edits))
	}
	opened := len(sender.calls)
	sender.calls = nil

	clock = clock.Add(time.Hour)
	var recoveries []alerts.Event
	for org := int64(1); org <= orgs; org++ {
		recoveries = append(recoveries, lowEvent(org, clock, since, alerts.BalanceRecovered, 900))
	}
	start := clock
	commitPoll(t, st, recoveries, clock)
	drainFor(t, d, &clock, clock.Add(2*time.Hour))

	if opened != orgs {
		t.Errorf("%d posts for %d openings", opened, orgs)
	}
	if len(sender.edits) != orgs {
		t.Errorf("%d episode messages edited, want %d", len(sender.edits), orgs)
	}
	posts := len(sender.calls) - len(sender.edits)
	if posts > 20 {
		t.Errorf("%d posts for one poll's recoveries, want a digest of a few", posts)
	}
	// 40 edits a minute plus the digest's few posts: within chat.update's
	// Tier 3 (about 50 a minute).
	if most := sender.busiestMinute(); most > 40+posts {
		t.Errorf("%d Slack calls in the busiest minute, want at most %d", most, 40+posts)
	}
	took := clock.Sub(start)
	t.Logf("1,000 recoveries: %d posts, %d edits over %v; busiest minute %d calls", posts, len(sender.edits), took, sender.busiestMinute())
	for _, m := range sender.edits {
		if !strings.Contains(m.Text, "→ Balance recovered") {
			t.Fatalf("an edited message does not say it recovered: %q", m.Text)
		}
	}
}

func TestPlanEpisodes(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	low := lowEvent(4002, t0, t0, alerts.LowBalance, 10)
	reminder := low
	reminder.Reminder, reminder.At = true, t0.Add(24*time.Hour)
	recovered := lowEvent(4002, t0.Add(25*time.Hour), t0, alerts.BalanceRecovered, 900)
	open := map[string]store.Episode{low.Episode(): {Key: low.Episode(), Message: 1, Receipt: "1.0", Opened: t0}}
	snoozed := map[string]store.Episode{low.Episode(): {Key: low.Episode(), Message: 1, Receipt: "1.0", Opened: t0,
		Snooze: store.Snooze{By: "U1", UntilEnd: true}}}
	burst := []alerts.Event{recovered}
	for org := int64(1); org <= 5; org++ {
		burst = append(burst, lowEvent(org, t0, t0, alerts.OrgAdded, 100))
	}
	tests := []struct {
		name      string
		events    []alerts.Event
		open      map[string]store.Episode
		messages  int
		threaded  []bool // per message: a reply in an episode's thread
		reminders int
		ended     bool
	}{
		{"an opening is a message of its own", []alerts.Event{low}, nil, 1, []bool{false}, 0, false},
		{"a reminder is a reply in the episode's thread", []alerts.Event{reminder}, open, 1, []bool{true}, 1, false},
		{"a snoozed reminder is not sent", []alerts.Event{reminder}, snoozed, 0, nil, 0, false},
		{"the recovery is a reply, snoozed or not", []alerts.Event{recovered}, snoozed, 1, []bool{true}, 0, true},
		{"in a burst the recovery stays in the digest", burst, open, 1, []bool{false}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, eps, err := delivery.PlanEpisodes(tt.events, t0, tt.open)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != tt.messages {
				t.Fatalf("%d messages, want %d", len(msgs), tt.messages)
			}
			for i, m := range msgs {
				if got := strings.Contains(string(m.Body), `"episode":`); got != tt.threaded[i] {
					t.Errorf("message %d threaded %v, want %v: %s", i, got, tt.threaded[i], m.Body)
				}
			}
			if len(eps) != 1 {
				t.Fatalf("%d episode writes, want 1", len(eps))
			}
			if ep := eps[0].Episode; ep.Reminders != tt.reminders || ep.Ended.IsZero() == tt.ended {
				t.Errorf("episode %+v: want %d reminders, ended %v", ep, tt.reminders, tt.ended)
			}
		})
	}
	t.Run("episodes opened in a digest are marked so", func(t *testing.T) {
		var events []alerts.Event
		for org := int64(1); org <= 5; org++ {
			events = append(events, lowEvent(org, t0, t0, alerts.LowBalance, 10))
		}
		msgs, eps, err := delivery.PlanEpisodes(events, t0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || len(eps) != 5 {
			t.Fatalf("%d messages, %d episodes; want one digest opening 5", len(msgs), len(eps))
		}
		for _, w := range eps {
			if !w.Episode.InDigest || w.OpenedBy != 0 {
				t.Errorf("episode %s: in digest %v, opened by %d", w.Episode.Key, w.Episode.InDigest, w.OpenedBy)
			}
		}
	})
}

// limitedEditor answers the first edit with a 429.
type limitedEditor struct {
	editingSender
	limited bool
}

func (s *limitedEditor) Edit(ctx context.Context, m render.Message, receipt string) error {
	if !s.limited {
		s.limited = true
		return &delivery.SendError{Err: errors.New("ratelimited"), RetryAfter: 30 * time.Second}
	}
	return s.editingSender.Edit(ctx, m, receipt)
}

func TestAnEditHonoursRetryAfter(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "episodes.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	sender := &limitedEditor{editingSender: editingSender{t: t, now: func() time.Time { return clock }}}
	d := delivery.New(delivery.Config{Store: st, Sender: sender, Now: func() time.Time { return clock }, Logger: slog.New(slog.DiscardHandler)})
	commitPoll(t, st, []alerts.Event{lowEvent(4002, clock, clock, alerts.LowBalance, 10)}, clock)
	if _, err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	commitPoll(t, st, []alerts.Event{lowEvent(4002, clock, clock.Add(-time.Hour), alerts.BalanceRecovered, 900)}, clock)
	wait, err := d.Drain(context.Background())
	if err != nil || wait != 30*time.Second {
		t.Fatalf("Drain = %v, %v; want to wait the 429's 30s", wait, err)
	}
	clock = clock.Add(29 * time.Second)
	if wait, err := d.Drain(context.Background()); err != nil || wait != time.Second {
		t.Fatalf("Drain within the 429's wait = %v, %v; want the second left", wait, err)
	}
	if len(sender.edits) != 0 {
		t.Fatal("an edit went through despite the 429")
	}
	clock = clock.Add(time.Second)
	if wait, err := d.Drain(context.Background()); err != nil || wait != 0 {
		t.Fatalf("Drain after the wait = %v, %v", wait, err)
	}
	if len(sender.edits) != 1 {
		t.Fatalf("%d edits after the wait, want 1", len(sender.edits))
	}
}
