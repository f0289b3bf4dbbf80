package delivery_test

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

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// deliverWait bounds every wait in these tests.
const deliverWait = 5 * time.Second

// deliverAt is when the test alerts were polled.
var deliverAt = time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)

// alertEmail is the email of the user the i-th test alert announces; every
// rendering of the alert shows it.
func alertEmail(i int) string { return fmt.Sprintf("user%03d@deliver.example", i) }

// alertBody is the outbox body of a new-user card for user i.
func alertBody(t *testing.T, i int) []byte {
	t.Helper()
	out, err := delivery.Plan([]alerts.Event{{
		Kind:  alerts.NewUser,
		At:    deliverAt,
		Org:   alerts.OrgRef{ID: 4001, Name: "Acme Inc", Currency: "$"},
		User:  &alerts.UserRef{ID: int64(1000 + i), Name: fmt.Sprintf("User %d", i), Email: alertEmail(i)},
		Cause: &alerts.Cause{Text: "alerts.new_user = true"},
	}}, deliverAt)
	if err != nil || len(out) != 1 {
		t.Fatalf("planning alert %d: %d messages, %v", i, len(out), err)
	}
	return out[0].Body
}

// queued is an outbox message a test starts with.
type queued struct {
	// alert is the user number whose alert the message holds; ignored when
	// body is set.
	alert int
	// body, when set, is stored as is (an unreadable message).
	body string
	// replyTo is the index of an earlier queued message this one replies
	// to, or -1.
	replyTo int
	// inFlight marks a delivery a previous process did not finish.
	inFlight bool
}

func card(i int) queued { return queued{alert: i, replyTo: -1} }

// newOutbox opens a store in a temporary directory and queues msgs in one
// commit, returning their outbox IDs.
func newOutbox(t *testing.T, msgs ...queued) (*store.Store, []uint64) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "deliver.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if len(msgs) == 0 {
		return st, nil
	}
	out := make([]store.Outgoing, len(msgs))
	for i, m := range msgs {
		out[i] = store.Outgoing{Body: []byte(m.body), ReplyTo: m.replyTo}
		if m.body == "" {
			out[i].Body = alertBody(t, m.alert)
		}
	}
	res, err := st.Commit(store.Commit{At: deliverAt, Messages: out})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if m.inFlight {
			if err := st.MarkInFlight(res.IDs[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, res.IDs
}

// sendCall is one Send the fake saw.
type sendCall struct {
	msg     render.Message
	replyTo string
	at      time.Time
}

// fakeSender is a scripted Sender: the n-th Send returns script[n]'s error
// when there is one, and succeeds with receipt "ts-N" otherwise.
type fakeSender struct {
	mu     sync.Mutex
	script []error
	// fail, if set, is returned by every Send after the script, until
	// cleared.
	fail  error
	calls []sendCall
	sends chan sendCall
}

func newFakeSender(script ...error) *fakeSender {
	return &fakeSender{script: script, sends: make(chan sendCall, 1000)}
}

func (f *fakeSender) Send(_ context.Context, m render.Message, replyTo string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := sendCall{msg: m, replyTo: replyTo, at: time.Now()}
	f.calls = append(f.calls, c)
	f.sends <- c
	n := len(f.calls)
	if n <= len(f.script) && f.script[n-1] != nil {
		return "", f.script[n-1]
	}
	if n > len(f.script) && f.fail != nil {
		return "", f.fail
	}
	return fmt.Sprintf("ts-%d", n), nil
}

func (f *fakeSender) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeSender) sent() []sendCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sendCall(nil), f.calls...)
}

// waitSends waits until the fake has seen n sends in all.
func (f *fakeSender) waitSends(t *testing.T, n int) []sendCall {
	t.Helper()
	deadline := time.After(deliverWait)
	for {
		if calls := f.sent(); len(calls) >= n {
			return calls
		}
		select {
		case <-f.sends:
		case <-deadline:
			t.Fatalf("%d sends after %v, want %d", len(f.sent()), deliverWait, n)
		}
	}
}

// findCall is one Find the fake saw.
type findCall struct {
	key, replyTo string
	since        time.Time
}

// fakeFinder is a fakeSender that can also Find; find answers.
type fakeFinder struct {
	*fakeSender
	find  func(key string) (string, bool, error)
	mu    sync.Mutex
	finds []findCall
}

func (f *fakeFinder) Find(_ context.Context, key string, since time.Time, replyTo string) (string, bool, error) {
	f.mu.Lock()
	f.finds = append(f.finds, findCall{key: key, replyTo: replyTo, since: since})
	f.mu.Unlock()
	return f.find(key)
}

// logBuffer collects a logger's output for the test to read while the
// Deliverer writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// drain runs Drain until the outbox is empty, failing the test on an error
// or after a few rounds.
func drain(t *testing.T, d *delivery.Deliverer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deliverWait)
	defer cancel()
	for range 5 {
		if _, err := d.Drain(ctx); err == nil {
			return
		} else {
			t.Logf("drain: %v (trying again)", err)
		}
	}
	t.Fatal("the outbox did not drain")
}

func outboxLen(t *testing.T, st *store.Store) int {
	t.Helper()
	n, err := st.OutboxLen()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// shows reports whether a sent message announces user i.
func shows(c sendCall, i int) bool {
	return strings.Contains(c.msg.Text+c.msg.Plain, alertEmail(i))
}

func TestDelivererDrains(t *testing.T) {
	notFound := func(string) (string, bool, error) { return "", false, nil }
	tests := []struct {
		name  string
		queue []queued
		// script is the fake's Send results, in order.
		script []error
		// find, when set, makes the sender a Finder answering with it.
		find func(key string) (string, bool, error)
		// wantSends lists the alerts sent, in order (-1: a plain-text
		// fallback of the last alert before it), and wantReplyTo their
		// threads.
		wantSends   []int
		wantReplyTo []string
		// wantReceipts are the stored receipts, by queue index ("" for a
		// message dropped or looked up).
		wantReceipts []string
		wantFinds    int
		wantLog      []string
	}{
		{
			name:         "messages are delivered in order and marked sent",
			queue:        []queued{card(1), card(2), card(3)},
			wantSends:    []int{1, 2, 3},
			wantReplyTo:  []string{"", "", ""},
			wantReceipts: []string{"ts-1", "ts-2", "ts-3"},
			wantLog:      []string{"alert delivered"},
		},
		{
			name:         "a message whose layout is rejected is sent again as plain text",
			queue:        []queued{card(1), card(2)},
			script:       []error{&delivery.SendError{Err: errors.New("invalid_blocks"), Rejected: true}},
			wantSends:    []int{1, -1, 2},
			wantReplyTo:  []string{"", "", ""},
			wantReceipts: []string{"ts-2", "ts-3"},
			wantLog:      []string{"sending it as plain text"},
		},
		{
			name:         "a reply in a thread the receiver refuses is posted at the top level",
			queue:        []queued{card(1), {alert: 2, replyTo: 0}, card(3)},
			script:       []error{nil, &delivery.SendError{Err: errors.New("thread_locked"), ParentGone: true}},
			wantSends:    []int{1, 2, 2, 3},
			wantReplyTo:  []string{"", "ts-1", "", ""},
			wantReceipts: []string{"ts-1", "ts-3", "ts-4"},
			wantLog:      []string{"posting it at the top level"},
		},
		{
			name:  "a plain-text fallback in a refused thread is posted at the top level",
			queue: []queued{card(1), {alert: 2, replyTo: 0}},
			script: []error{nil, &delivery.SendError{Err: errors.New("invalid_blocks"), Rejected: true},
				&delivery.SendError{Err: errors.New("thread_locked"), ParentGone: true}},
			wantSends:    []int{1, 2, -1, -1},
			wantReplyTo:  []string{"", "ts-1", "ts-1", ""},
			wantReceipts: []string{"ts-1", "ts-4"},
		},
		{
			name:         "an unreadable outbox message is dropped with an error and does not block the next",
			queue:        []queued{{body: "{not json", replyTo: -1}, {body: `{"events":[]}`, replyTo: -1}, card(3)},
			wantSends:    []int{3},
			wantReplyTo:  []string{""},
			wantReceipts: []string{"", "", "ts-1"},
			wantLog:      []string{"level=ERROR msg=\"dropping unreadable outbox message\""},
		},
		{
			name:         "a reply is sent in the thread of its parent's receipt",
			queue:        []queued{card(1), {alert: 2, replyTo: 0}, {alert: 3, replyTo: 0}},
			wantSends:    []int{1, 2, 3},
			wantReplyTo:  []string{"", "ts-1", "ts-1"},
			wantReceipts: []string{"ts-1", "ts-2", "ts-3"},
		},
		{
			name:         "a reply whose parent was dropped is posted at the top level",
			queue:        []queued{{body: "garbage", replyTo: -1}, {alert: 2, replyTo: 0}},
			wantSends:    []int{2},
			wantReplyTo:  []string{""},
			wantReceipts: []string{"", "ts-1"},
		},
		{
			name:  "an interrupted message the finder finds is marked sent without a send",
			queue: []queued{{alert: 1, replyTo: -1, inFlight: true}, card(2)},
			find: func(key string) (string, bool, error) {
				return "found-" + key[strings.IndexByte(key, '/')+1:], true, nil
			},
			wantSends:    []int{2},
			wantReplyTo:  []string{""},
			wantReceipts: []string{"found-1", "ts-1"},
			wantFinds:    1,
			wantLog:      []string{"not sending it again"},
		},
		{
			name:         "an interrupted message the finder does not find is sent",
			queue:        []queued{{alert: 1, replyTo: -1, inFlight: true}},
			find:         notFound,
			wantSends:    []int{1},
			wantReplyTo:  []string{""},
			wantReceipts: []string{"ts-1"},
			wantFinds:    1,
		},
		{
			name:         "an interrupted message is sent when the finder fails",
			queue:        []queued{{alert: 1, replyTo: -1, inFlight: true}},
			find:         func(string) (string, bool, error) { return "", false, errors.New("missing_scope") },
			wantSends:    []int{1},
			wantReplyTo:  []string{""},
			wantReceipts: []string{"ts-1"},
			wantFinds:    1,
			wantLog:      []string{"could not check whether an interrupted delivery arrived", "missing_scope"},
		},
		{
			name:         "an interrupted message is sent when the sender cannot find",
			queue:        []queued{{alert: 1, replyTo: -1, inFlight: true}},
			wantSends:    []int{1},
			wantReplyTo:  []string{""},
			wantReceipts: []string{"ts-1"},
		},
		{
			name:         "a message delivered normally is not looked for",
			queue:        []queued{card(1)},
			find:         func(string) (string, bool, error) { return "nope", true, nil },
			wantSends:    []int{1},
			wantReplyTo:  []string{""},
			wantReceipts: []string{"ts-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ids := newOutbox(t, tt.queue...)
			fake := newFakeSender(tt.script...)
			var sender delivery.Sender = fake
			var finder *fakeFinder
			if tt.find != nil {
				finder = &fakeFinder{fakeSender: fake, find: tt.find}
				sender = finder
			}
			var logs logBuffer
			d := delivery.New(delivery.Config{Store: st, Sender: sender, Logger: logs.logger(), Backoff: time.Millisecond})

			drain(t, d)

			calls := fake.sent()
			if len(calls) != len(tt.wantSends) {
				t.Fatalf("%d sends, want %d:\n%s", len(calls), len(tt.wantSends), describeSends(calls))
			}
			for i, want := range tt.wantSends {
				c := calls[i]
				if want >= 0 && (!shows(c, want) || len(c.msg.Blocks) == 0 || c.msg.Key == "") {
					t.Errorf("send %d is %q with %d blocks and key %q, want alert %d's card with a key", i, c.msg.Text, len(c.msg.Blocks), c.msg.Key, want)
				}
				if want < 0 && (!shows(c, lastAlert(tt.wantSends[:i])) || len(c.msg.Blocks) != 0) {
					t.Errorf("send %d is %q with %d blocks, want the previous alert as plain text", i, c.msg.Text, len(c.msg.Blocks))
				}
				if c.replyTo != tt.wantReplyTo[i] {
					t.Errorf("send %d replies to %q, want %q", i, c.replyTo, tt.wantReplyTo[i])
				}
			}
			if n := outboxLen(t, st); n != 0 {
				t.Errorf("%d messages left in the outbox", n)
			}
			for i, want := range tt.wantReceipts {
				if got, err := st.Receipt(ids[i]); err != nil || got != want {
					t.Errorf("message %d's receipt is %q (%v), want %q", i, got, err, want)
				}
			}
			if finder != nil {
				if len(finder.finds) != tt.wantFinds {
					t.Errorf("%d finds, want %d", len(finder.finds), tt.wantFinds)
				}
				for _, f := range finder.finds {
					if want := st.ID() + "/"; !strings.HasPrefix(f.key, want) {
						t.Errorf("looked for key %q, want it to start with the store ID %q", f.key, want)
					}
					if f.since.After(deliverAt) {
						t.Errorf("looked only since %v, after the message was queued (%v)", f.since, deliverAt)
					}
				}
			}
			for _, want := range tt.wantLog {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, logs.String())
				}
			}
		})
	}
}

// lastAlert is the last alert number in sends, skipping fallbacks (-1).
func lastAlert(sends []int) int {
	for i := len(sends) - 1; i >= 0; i-- {
		if sends[i] >= 0 {
			return sends[i]
		}
	}
	return -1
}

func describeSends(calls []sendCall) string {
	var b strings.Builder
	for i, c := range calls {
		fmt.Fprintf(&b, "  %d: %q reply to %q, key %q\n", i, c.msg.Text, c.replyTo, c.msg.Key)
	}
	return b.String()
}

func TestKeysAreUniquePerStoreAndMessage(t *testing.T) {
	st, ids := newOutbox(t, card(1), card(2))
	fake := newFakeSender()
	drain(t, delivery.New(delivery.Config{Store: st, Sender: fake, Logger: slog.New(slog.DiscardHandler)}))
	calls := fake.sent()
	for i, c := range calls {
		if want := fmt.Sprintf("%s/%d", st.ID(), ids[i]); c.msg.Key != want {
			t.Errorf("message %d has key %q, want %q", i, c.msg.Key, want)
		}
	}
}

func TestAnInterruptedReplyIsLookedForInItsParentsThread(t *testing.T) {
	st, _ := newOutbox(t, card(1), queued{alert: 2, replyTo: 0, inFlight: true})
	fake := newFakeSender()
	finder := &fakeFinder{fakeSender: fake, find: func(string) (string, bool, error) { return "reply-ts", true, nil }}
	drain(t, delivery.New(delivery.Config{Store: st, Sender: finder, Logger: slog.New(slog.DiscardHandler)}))
	if len(finder.finds) != 1 || finder.finds[0].replyTo != "ts-1" {
		t.Errorf("finds = %+v, want one in the thread of ts-1", finder.finds)
	}
	if calls := fake.sent(); len(calls) != 1 || !shows(calls[0], 1) {
		t.Errorf("sends:\n%s\nwant only the parent", describeSends(calls))
	}
}

// runDeliverer runs d until the test ends.
func runDeliverer(t *testing.T, d *delivery.Deliverer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(deliverWait):
			t.Error("Run did not return after cancel")
		}
	})
}

// waitOutbox waits until the outbox holds n messages.
func waitOutbox(t *testing.T, st *store.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(deliverWait)
	for outboxLen(t, st) != n {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox holds %d messages, want %d", outboxLen(t, st), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestDelivererRetries(t *testing.T) {
	t.Run("a rate limit is waited out even when kicked, then the message is delivered once", func(t *testing.T) {
		const retryAfter = 200 * time.Millisecond
		st, _ := newOutbox(t, card(1), card(2))
		fake := newFakeSender(&delivery.SendError{Err: errors.New("ratelimited"), RetryAfter: retryAfter})
		var logs logBuffer
		d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: logs.logger(), Backoff: time.Millisecond})
		runDeliverer(t, d)

		first := fake.waitSends(t, 1)[0]
		for time.Since(first.at) < retryAfter-20*time.Millisecond {
			d.Kick()
			time.Sleep(5 * time.Millisecond)
			if n := len(fake.sent()); n > 1 {
				t.Fatalf("sent again %v after a Retry-After of %v", time.Since(first.at), retryAfter)
			}
		}
		calls := fake.waitSends(t, 3)
		if waited := calls[1].at.Sub(first.at); waited < retryAfter {
			t.Errorf("retried after %v, before the Retry-After of %v", waited, retryAfter)
		}
		waitOutbox(t, st, 0)
		if calls := fake.sent(); len(calls) != 3 || !shows(calls[1], 1) || !shows(calls[2], 2) {
			t.Errorf("sends:\n%s\nwant alert 1 refused, then alerts 1 and 2 once each", describeSends(calls))
		}
		if !strings.Contains(logs.String(), "rate limited; waiting as asked") {
			t.Errorf("the log lacks the rate limit:\n%s", logs.String())
		}
	})

	t.Run("transient errors back off, are recorded, and the message is retried until delivered", func(t *testing.T) {
		const backoff = 20 * time.Millisecond
		st, ids := newOutbox(t, card(1))
		transient := errors.New("connection reset by peer")
		fake := newFakeSender(transient, transient, transient)
		var logs logBuffer
		var outcomes []error
		var mu sync.Mutex
		d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: logs.logger(),
			Backoff: backoff, MaxBackoff: 40 * time.Millisecond,
			OnSend: func(err error) { mu.Lock(); outcomes = append(outcomes, err); mu.Unlock() }})

		// One failed attempt is recorded on the message.
		if _, err := d.Drain(context.Background()); !errors.Is(err, transient) {
			t.Fatalf("Drain = %v, want the send error", err)
		}
		pending, err := st.Pending(0)
		// A broken connection leaves it unknown whether Slack has the
		// message: it stays in flight, so the next attempt looks first.
		if err != nil || len(pending) != 1 || pending[0].Attempts != 1 || pending[0].LastError != transient.Error() || !pending[0].InFlight {
			t.Fatalf("after a failure the outbox holds %+v (%v), want the message in flight with 1 attempt and its error", pending, err)
		}

		runDeliverer(t, d)
		calls := fake.waitSends(t, 4)
		waitOutbox(t, st, 0)
		for i := 2; i < 4; i++ {
			// Backoff is jittered between half and all of the doubled wait.
			if gap, least := calls[i].at.Sub(calls[i-1].at), backoff/2; gap < least {
				t.Errorf("attempt %d came %v after the previous one, want at least %v", i+1, gap, least)
			}
		}
		if r, err := st.Receipt(ids[0]); err != nil || r != "ts-4" {
			t.Errorf("receipt %q (%v), want ts-4", r, err)
		}
		if n := len(fake.sent()); n != 4 {
			t.Errorf("%d sends, want 4", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(outcomes) != 4 || outcomes[3] != nil || !errors.Is(outcomes[0], transient) {
			t.Errorf("OnSend saw %v, want three failures then a success", outcomes)
		}
		if got := strings.Count(logs.String(), "delivery failed; will retry"); got != 3 {
			t.Errorf("%d retry warnings, want 3:\n%s", got, logs.String())
		}
	})

	t.Run("a permanent error is logged once with its hint and the messages stay queued", func(t *testing.T) {
		st, _ := newOutbox(t, card(1), card(2), card(3))
		fake := newFakeSender()
		fake.setFail(&delivery.SendError{Err: errors.New("not_in_channel"), Permanent: true, Hint: "invite the bot to the channel"})
		var logs logBuffer
		d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: logs.logger(),
			Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
		runDeliverer(t, d)

		calls := fake.waitSends(t, 8)
		for _, c := range calls {
			if !shows(c, 1) {
				t.Fatalf("a later message was tried before the first:\n%s", describeSends(calls))
			}
		}
		if n := outboxLen(t, st); n != 3 {
			t.Errorf("%d messages queued, want all 3", n)
		}
		log := logs.String()
		if got := strings.Count(log, "cannot deliver alerts"); got != 1 {
			t.Errorf("the problem was logged %d times over %d attempts, want once:\n%s", got, len(calls), log)
		}
		if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "invite the bot to the channel") {
			t.Errorf("the log lacks the error and its hint:\n%s", log)
		}

		fake.setFail(nil)
		waitOutbox(t, st, 0)
		deadline := time.Now().Add(deliverWait)
		for !strings.Contains(logs.String(), "delivery recovered") && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		if !strings.Contains(logs.String(), "delivery recovered") {
			t.Errorf("the recovery was not logged:\n%s", logs.String())
		}
	})

	t.Run("a new permanent problem is logged again", func(t *testing.T) {
		st, _ := newOutbox(t, card(1))
		revoked := &delivery.SendError{Err: errors.New("token_revoked"), Permanent: true, Hint: "check slack.bot_token"}
		fake := newFakeSender(&delivery.SendError{Err: errors.New("not_in_channel"), Permanent: true, Hint: "invite the bot"}, revoked)
		fake.setFail(revoked)
		var logs logBuffer
		d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: logs.logger(),
			Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
		runDeliverer(t, d)
		fake.waitSends(t, 6)
		log := logs.String()
		if strings.Count(log, "cannot deliver alerts") != 2 || !strings.Contains(log, "invite the bot") || !strings.Contains(log, "check slack.bot_token") {
			t.Errorf("want each of the two problems logged once:\n%s", log)
		}
	})

	t.Run("a kick delivers new messages at once", func(t *testing.T) {
		st, _ := newOutbox(t)
		fake := newFakeSender()
		d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: slog.New(slog.DiscardHandler)})
		runDeliverer(t, d)
		time.Sleep(10 * time.Millisecond) // let Run find the outbox empty
		if _, err := st.Commit(store.Commit{At: deliverAt, Messages: []store.Outgoing{{Body: alertBody(t, 7), ReplyTo: -1}}}); err != nil {
			t.Fatal(err)
		}
		d.Kick()
		if c := fake.waitSends(t, 1)[0]; !shows(c, 7) {
			t.Errorf("sent %q", c.msg.Text)
		}
	})
}

func TestAPlainTextFallbackKeepsTheAlertsKey(t *testing.T) {
	st, _ := newOutbox(t, card(1))
	fake := newFakeSender(&delivery.SendError{Err: errors.New("invalid_blocks"), Rejected: true})
	drain(t, delivery.New(delivery.Config{Store: st, Sender: fake, Logger: slog.New(slog.DiscardHandler)}))
	calls := fake.sent()
	if len(calls) != 2 {
		t.Fatalf("sends:\n%s", describeSends(calls))
	}
	if calls[1].msg.Key != calls[0].msg.Key {
		t.Errorf("the plain-text fallback lost the alert's key %q: a crash right after it lands would post it twice", calls[0].msg.Key)
	}
}

func TestAShutdownDuringALookupDoesNotSendAgain(t *testing.T) {
	st, _ := newOutbox(t, queued{alert: 1, replyTo: -1, inFlight: true})
	fake := newFakeSender()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The shutdown comes while Find asks Slack: Find fails because of it,
	// which says nothing about whether the message arrived.
	finder := &fakeFinder{fakeSender: fake, find: func(string) (string, bool, error) {
		cancel()
		return "", false, context.Canceled
	}}
	d := delivery.New(delivery.Config{Store: st, Sender: finder, Logger: slog.New(slog.DiscardHandler)})

	_, err := d.Drain(ctx)

	if calls := fake.sent(); len(calls) > 0 {
		t.Errorf("a lookup cut short by shutdown sent the message again:\n%s", describeSends(calls))
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Drain = %v, want context.Canceled", err)
	}
	if pending, err := st.Pending(0); err != nil || len(pending) != 1 || !pending[0].InFlight {
		t.Errorf("outbox %+v (%v), want the message still queued and in flight", pending, err)
	}
}

// TestASendThatTimesOutAfterArrivingIsNotPostedTwice: Slack took the
// message but the answer never came back (a timeout). The retry finds it by
// its key instead of posting it again.
func TestASendThatTimesOutAfterArrivingIsNotPostedTwice(t *testing.T) {
	st, _ := newOutbox(t, card(1))
	fake := newFakeSender(context.DeadlineExceeded)
	var delivered string
	finder := &fakeFinder{fakeSender: fake, find: func(key string) (string, bool, error) {
		delivered = key
		return "ts-1", true, nil
	}}
	d := delivery.New(delivery.Config{Store: st, Sender: finder, Logger: slog.New(slog.DiscardHandler)})
	if _, err := d.Drain(context.Background()); err == nil {
		t.Fatal("the first attempt did not fail")
	}
	if _, err := d.Drain(context.Background()); err != nil {
		t.Fatalf("second Drain: %v", err)
	}
	if calls := fake.sent(); len(calls) != 1 || delivered != calls[0].msg.Key {
		t.Errorf("sends:\n%s\nfound %q", describeSends(calls), delivered)
	}
	if n, _ := st.OutboxLen(); n != 0 {
		t.Errorf("%d messages left in the outbox", n)
	}
}

// TestASlackRefusalIsNotLookedFor: an ok:false answer means the message was
// not posted, so the retry sends without asking the Finder.
func TestASlackRefusalIsNotLookedFor(t *testing.T) {
	st, _ := newOutbox(t, card(1))
	fake := newFakeSender(&delivery.SendError{Err: errors.New("internal_error")})
	finder := &fakeFinder{fakeSender: fake, find: func(string) (string, bool, error) { return "", false, nil }}
	d := delivery.New(delivery.Config{Store: st, Sender: finder, Logger: slog.New(slog.DiscardHandler)})
	d.Drain(context.Background())
	if _, err := d.Drain(context.Background()); err != nil {
		t.Fatalf("second Drain: %v", err)
	}
	if len(finder.finds) != 0 || len(fake.sent()) != 2 {
		t.Errorf("%d finds, %d sends; want 0 and 2", len(finder.finds), len(fake.sent()))
	}
}

// TestAnAlertRefusedInEveryFormDoesNotBlockTheOthers: when Slack rejects a
// message's blocks and then its plain text too, the message is dropped with
// an error log, and the next alert goes out.
func TestAnAlertRefusedInEveryFormDoesNotBlockTheOthers(t *testing.T) {
	st, _ := newOutbox(t, card(1), card(2))
	rejected := &delivery.SendError{Err: errors.New("invalid_arguments"), Rejected: true}
	fake := newFakeSender(rejected, rejected)
	var logs logBuffer
	d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: logs.logger()})
	if _, err := d.Drain(context.Background()); err != nil {
		t.Fatalf("Drain = %v", err)
	}
	if calls := fake.sent(); len(calls) != 3 {
		t.Errorf("sends:\n%s\nwant blocks, plain text, then the next alert", describeSends(calls))
	}
	if n, _ := st.OutboxLen(); n != 0 {
		t.Errorf("%d messages left in the outbox", n)
	}
	if !strings.Contains(logs.String(), "dropping it") {
		t.Errorf("the drop is not logged:\n%s", logs.String())
	}
	if parked, err := st.Parked(0); err != nil || len(parked) != 1 || !strings.Contains(parked[0].LastError, "invalid_arguments") {
		t.Errorf("parked %+v (%v), want the refused alert kept with its error", parked, err)
	}
}

// TestAMessageRefusedForAnUnknownReasonIsParked: a refusal the Sender does
// not know is retried RefusalLimit times, then the message is parked, said
// once with the code, and the next one goes out; a restart puts it back.
func TestAMessageRefusedForAnUnknownReasonIsParked(t *testing.T) {
	st, ids := newOutbox(t, card(1), card(2))
	unknown := &delivery.SendError{Err: errors.New("some_future_refusal"), Unknown: true}
	fake := newFakeSender(unknown, unknown, unknown)
	var logs logBuffer
	d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: logs.logger(), RefusalLimit: 3})
	for i := range 2 {
		if _, err := d.Drain(context.Background()); !errors.Is(err, unknown) {
			t.Fatalf("Drain %d = %v, want the refusal", i+1, err)
		}
	}
	if _, err := d.Drain(context.Background()); err != nil {
		t.Fatalf("third Drain = %v, want the message parked and the next delivered", err)
	}
	calls := fake.sent()
	if len(calls) != 4 || !shows(calls[2], 1) || !shows(calls[3], 2) {
		t.Fatalf("sends:\n%s\nwant alert 1 three times, then alert 2", describeSends(calls))
	}
	if n := outboxLen(t, st); n != 0 {
		t.Errorf("%d messages left in the outbox", n)
	}
	parked, err := st.Parked(0)
	if err != nil || len(parked) != 1 || parked[0].ID != ids[0] || !strings.Contains(parked[0].LastError, "some_future_refusal") {
		t.Fatalf("parked %+v (%v), want alert 1 with its code", parked, err)
	}
	log := logs.String()
	if strings.Count(log, "level=ERROR") != 1 || !strings.Contains(log, "code=some_future_refusal") || !strings.Contains(log, "parked") {
		t.Errorf("want the parking logged once as an error with the code:\n%s", log)
	}

	runDeliverer(t, d)
	if c := fake.waitSends(t, 5)[4]; !shows(c, 1) {
		t.Errorf("after a restart sent %q, want the parked alert 1", c.msg.Text)
	}
	waitOutbox(t, st, 0)
	if n, err := st.ParkedLen(); err != nil || n != 0 {
		t.Errorf("%d messages still parked (%v)", n, err)
	}
}

// TestRefusalsAreCountedPerMessage: an unknown refusal, then a transient
// failure, starts the count again, so only refusals in a row park.
func TestRefusalsAreCountedPerMessage(t *testing.T) {
	st, _ := newOutbox(t, card(1))
	unknown := &delivery.SendError{Err: errors.New("some_future_refusal"), Unknown: true}
	fake := newFakeSender(unknown, &delivery.SendError{Err: errors.New("internal_error")}, unknown)
	d := delivery.New(delivery.Config{Store: st, Sender: fake, Logger: slog.New(slog.DiscardHandler), RefusalLimit: 2})
	for range 3 {
		d.Drain(context.Background())
	}
	if n, err := st.ParkedLen(); err != nil || n != 0 {
		t.Errorf("%d parked (%v): refusals not in a row parked the message", n, err)
	}
	drain(t, d)
	if calls := fake.sent(); len(calls) != 4 {
		t.Errorf("sends:\n%s\nwant three failures, then the delivery", describeSends(calls))
	}
}
