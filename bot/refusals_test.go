package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/store"
)

// refusalAt is when the alerts of these tests were polled.
var refusalAt = time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)

// refusalEmail is the email the i-th test alert announces.
func refusalEmail(i int) string { return fmt.Sprintf("user%03d@refusal.example", i) }

// refusalOutbox opens a store holding three alerts in one commit: the
// first at the top level, the second a reply in its thread, the third at
// the top level again.
func refusalOutbox(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "refusals.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var out []store.Outgoing
	for i, replyTo := range []int{-1, 0, -1} {
		planned, err := delivery.Plan([]alerts.Event{{
			Kind:  alerts.NewUser,
			At:    refusalAt,
			Org:   alerts.OrgRef{ID: 4001, Name: "Acme Inc", Currency: "$"},
			User:  &alerts.UserRef{ID: int64(1000 + i), Name: fmt.Sprintf("User %d", i), Email: refusalEmail(i)},
			Cause: &alerts.Cause{Text: "alerts.new_user = true"},
		}}, refusalAt)
		if err != nil || len(planned) != 1 {
			t.Fatalf("planning alert %d: %d messages, %v", i, len(planned), err)
		}
		out = append(out, store.Outgoing{Body: planned[0].Body, ReplyTo: replyTo})
	}
	if _, err := st.Commit(store.Commit{At: refusalAt, Messages: out}); err != nil {
		t.Fatal(err)
	}
	return st
}

// firstSent is the real SlackSender, which calls then with the receipt of
// the first message it delivers: the test's chance to make Slack refuse
// replies in that message's thread.
type firstSent struct {
	*bot.SlackSender
	once sync.Once
	then func(ts string)
}

func (f *firstSent) Send(ctx context.Context, m render.Message, replyTo string) (string, error) {
	ts, err := f.SlackSender.Send(ctx, m, replyTo)
	if err == nil {
		f.once.Do(func() { f.then(ts) })
	}
	return ts, err
}

// syncBuffer is a log sink the test reads while the Deliverer writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// drainFor drains d until the outbox is empty or for a few seconds,
// whichever comes first, and returns the last Drain's error.
func drainFor(t *testing.T, d *delivery.Deliverer, st *store.Store) error {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		_, last = d.Drain(context.Background())
		if n, err := st.OutboxLen(); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			return last
		}
		time.Sleep(time.Millisecond)
	}
	return last
}

// TestOneMessageSlackRefusesDoesNotHoldUpTheOthers runs the Deliverer with
// the real SlackSender against the fake Slack, which refuses the reply in
// the first alert's thread: whatever the refusal, the third alert is
// delivered, and the reply is either posted at the top level or set aside,
// never retried for ever at the head of the queue.
func TestOneMessageSlackRefusesDoesNotHoldUpTheOthers(t *testing.T) {
	tests := []struct {
		name string
		// refuse makes Slack refuse replies in the thread of ts.
		refuse func(s *slacktest.Server, ts string)
		// wantTopLevel: the reply is posted at the top level instead; else
		// it is parked.
		wantTopLevel bool
	}{
		{"a reply in a locked thread is posted at the top level", func(s *slacktest.Server, ts string) {
			s.FailMessage("chat.postMessage", slacktest.DefaultChannel, ts, "restricted_action_thread_locked", -1)
		}, true},
		{"a reply Slack cannot thread is posted at the top level", func(s *slacktest.Server, ts string) {
			s.FailMessage("chat.postMessage", slacktest.DefaultChannel, ts, "cannot_reply_to_message", -1)
		}, true},
		{"a reply to a deleted message is posted at the top level", func(s *slacktest.Server, ts string) {
			s.DeleteMessage(slacktest.DefaultChannel, ts)
		}, true},
		{"a reply refused with a code the bot does not know is parked", func(s *slacktest.Server, ts string) {
			s.FailMessage("chat.postMessage", slacktest.DefaultChannel, ts, "some_future_refusal", -1)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := slacktest.NewServer()
			t.Cleanup(s.Close)
			api := bot.NewSlackClient(bot.SlackConfig{BotToken: s.BotToken(), AppToken: s.AppToken(), APIURL: s.APIURL()})
			sender := &firstSent{SlackSender: bot.NewSlackSender(api, slacktest.DefaultChannel),
				then: func(ts string) { tt.refuse(s, ts) }}
			st := refusalOutbox(t)
			var logs syncBuffer
			d := delivery.New(delivery.Config{Store: st, Sender: sender, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})

			drainFor(t, d, st)

			msgs := s.Messages(slacktest.DefaultChannel)
			var top []string
			for _, m := range msgs {
				if m.ThreadTS == "" {
					top = append(top, m.Text)
				}
			}
			wantTop := 2
			if tt.wantTopLevel {
				wantTop = 3
			}
			if len(top) != wantTop || !strings.Contains(top[len(top)-1], refusalEmail(2)) {
				t.Fatalf("top-level messages %q, want %d ending with alert 2's", top, wantTop)
			}
			if tt.wantTopLevel && !strings.Contains(top[1], refusalEmail(1)) {
				t.Errorf("the refused reply was not posted at the top level: %q", top)
			}
			if n, err := st.OutboxLen(); err != nil || n != 0 {
				t.Errorf("the outbox holds %d messages (%v), want none", n, err)
			}
			parked, err := st.Parked(0)
			if err != nil {
				t.Fatal(err)
			}
			if wantParked := !tt.wantTopLevel; (len(parked) == 1) != wantParked || len(parked) > 1 {
				t.Errorf("parked %+v, want the reply parked: %v", parked, wantParked)
			}
			if !tt.wantTopLevel {
				if !strings.Contains(parked[0].LastError, "some_future_refusal") {
					t.Errorf("the parked message's last error is %q, want Slack's code", parked[0].LastError)
				}
				if got := strings.Count(logs.String(), "some_future_refusal"); got == 0 || !strings.Contains(logs.String(), "parked") {
					t.Errorf("the log does not say the message was parked, with the code:\n%s", logs.String())
				}
				if got := strings.Count(logs.String(), "level=ERROR"); got != 1 {
					t.Errorf("%d error lines, want the parking said once:\n%s", got, logs.String())
				}
			}
		})
	}
}

// TestAReadOnlyChannelKeepsAlertsQueuedAndSaysWhatToDo: Slack refuses every
// post to a channel where only some members may post. Parking would only
// move every alert aside: the alerts stay queued, and the log says once
// what to change.
func TestAReadOnlyChannelKeepsAlertsQueuedAndSaysWhatToDo(t *testing.T) {
	s := slacktest.NewServer()
	t.Cleanup(s.Close)
	s.FailMessage("chat.postMessage", slacktest.DefaultChannel, "", "restricted_action_read_only_channel", -1)
	api := bot.NewSlackClient(bot.SlackConfig{BotToken: s.BotToken(), AppToken: s.AppToken(), APIURL: s.APIURL()})
	st := refusalOutbox(t)
	var logs syncBuffer
	d := delivery.New(delivery.Config{Store: st, Sender: bot.NewSlackSender(api, slacktest.DefaultChannel),
		Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 10 {
		d.Drain(context.Background())
	}
	_, err := d.Drain(context.Background())
	var se *delivery.SendError
	if !errors.As(err, &se) || !se.Permanent || se.Reason != delivery.ReasonReadOnlyChannel || se.Hint == "" {
		t.Fatalf("Drain = %#v, want a permanent read-only refusal with a hint", err)
	}
	if n, err := st.OutboxLen(); err != nil || n != 3 {
		t.Errorf("the outbox holds %d messages (%v), want all 3", n, err)
	}
	if got := strings.Count(logs.String(), "cannot deliver alerts"); got != 1 || !strings.Contains(logs.String(), se.Hint) {
		t.Errorf("the problem was logged %d times, want once with its hint %q:\n%s", got, se.Hint, logs.String())
	}
}

// TestSlackSenderRefusalsSayWhatToDoInstead: the refusals that concern one
// message's content, its thread, or the channel, as the real SlackSender
// classifies the fake Slack's answers.
func TestSlackSenderRefusalsSayWhatToDoInstead(t *testing.T) {
	s := slacktest.NewServer()
	t.Cleanup(s.Close)
	api := bot.NewSlackClient(bot.SlackConfig{BotToken: s.BotToken(), AppToken: s.AppToken(), APIURL: s.APIURL()})
	sender := bot.NewSlackSender(api, slacktest.DefaultChannel)
	ctx := context.Background()
	parent, err := sender.Send(ctx, render.Message{Text: "parent"}, "")
	if err != nil {
		t.Fatal(err)
	}

	// Five sections of 2,900 characters each are within every block's
	// limit but over what one message's blocks may hold together.
	var long []slack.Block
	for range 5 {
		long = append(long, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 2900), false, false), nil, nil))
	}
	tests := []struct {
		name    string
		fault   func()
		msg     render.Message
		replyTo string
		check   func(*delivery.SendError) bool
	}{
		{"blocks too long together are a content refusal", func() {}, render.Message{Text: "long", Blocks: long}, "",
			func(se *delivery.SendError) bool { return se.Rejected && !se.Permanent }},
		{"a locked thread is a thread refusal", func() {
			s.FailMessage("chat.postMessage", slacktest.DefaultChannel, parent, "thread_locked", 1)
		}, render.Message{Text: "reply"}, parent,
			func(se *delivery.SendError) bool { return se.ParentGone && !se.Permanent && !se.Rejected }},
		{"a read-only channel is permanent, with a hint", func() {
			s.FailMessage("chat.postMessage", slacktest.DefaultChannel, "", "restricted_action_read_only_channel", 1)
		}, render.Message{Text: "alert"}, "",
			func(se *delivery.SendError) bool {
				return se.Permanent && se.Reason == delivery.ReasonReadOnlyChannel && se.Hint != ""
			}},
		{"a code the sender does not know is marked unknown", func() {
			s.FailMethod("chat.postMessage", "some_future_refusal", 1)
		}, render.Message{Text: "alert"}, "",
			func(se *delivery.SendError) bool { return se.Unknown && !se.Permanent && !se.Rejected }},
		{"a known transient code is not unknown", func() {
			s.FailMethod("chat.postMessage", "internal_error", 1)
		}, render.Message{Text: "alert"}, "",
			func(se *delivery.SendError) bool {
				return !se.Unknown && !se.Permanent && !se.Rejected && !se.ParentGone
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fault()
			_, err := sender.Send(ctx, tt.msg, tt.replyTo)
			var se *delivery.SendError
			if !errors.As(err, &se) || !tt.check(se) {
				t.Errorf("Send = %#v", err)
			}
		})
	}
}
