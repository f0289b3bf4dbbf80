package delivery_test

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/store"
)

// queuedBefore is one line of testdata/outbox_before_rendering.jsonl: an
// outbox message as the version before this one queued it (the alerts
// themselves, rendered at delivery), and what that version sent for it
// when delivering it at the time of its poll.
type queuedBefore struct {
	Body    json.RawMessage `json:"body"`
	ReplyTo int             `json:"reply_to"`
	Sent    struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
		Plain  string          `json:"plain"`
	} `json:"sent"`
}

func readQueuedBefore(t *testing.T) []queuedBefore {
	t.Helper()
	f, err := os.Open("testdata/outbox_before_rendering.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []queuedBefore
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var q queuedBefore
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAQueueLeftByTheVersionBeforeDeliversAsItDid: a store written by the
// version that queued alerts rather than rendered messages still delivers
// them after an upgrade, each as that version would have sent it, and this
// version plans the same alerts into the same messages.
func TestAQueueLeftByTheVersionBeforeDeliversAsItDid(t *testing.T) {
	before := readQueuedBefore(t)
	// The alerts the file was made from: a reminder card, a digest of four
	// and a digest of 150 in two parts.
	now := rendertest.Now()
	polls := [][]alerts.Event{
		{{Kind: alerts.LowBalance, At: now, Org: rendertest.Org(4002, "Beta Co"), Figures: rendertest.Figures(9.5, 0.2),
			Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleLowBalanceBelow, Number: 50},
				{Rule: alerts.RuleLowBalanceRepeatEvery, Duration: 24 * time.Hour}}}, Reminder: true, Since: now.Add(-26 * time.Hour)}},
		rendertest.Burst(4),
		rendertest.Burst(150),
	}

	check := func(t *testing.T, st *store.Store) {
		t.Helper()
		fake := newFakeSender()
		drain(t, delivery.New(delivery.Config{Store: st, Sender: fake, Now: func() time.Time { return now },
			Logger: slog.New(slog.DiscardHandler)}))
		calls := fake.sent()
		if len(calls) != len(before) {
			t.Fatalf("%d sends, want %d:\n%s", len(calls), len(before), describeSends(calls))
		}
		for i, c := range calls {
			want := before[i].Sent
			if i == 0 {
				want.Blocks, want.Plain = withDetailsButton(t, want.Blocks, want.Plain, "4002")
			}
			if c.msg.Text != want.Text || c.msg.Plain != want.Plain {
				t.Errorf("send %d is %q, want %q", i, c.msg.Text, want.Text)
			}
			if got := rendertest.BlocksJSON(t, c.msg); !sameJSON(t, got, verbatim(t, want.Blocks)) {
				t.Errorf("send %d has the blocks\n%s\nwant\n%s", i, got, want.Blocks)
			}
		}
		if got := calls[3].replyTo; got != "ts-3" {
			t.Errorf("the digest's second part replies to %q, want its first part's ts-3", got)
		}
	}

	t.Run("what the version before queued is sent as it sent it", func(t *testing.T) {
		st, _ := newOutbox(t)
		// One commit a poll, as the version before made them: a digest's
		// ReplyTo counts within its commit.
		next := 0
		for _, n := range []int{1, 1, 2} {
			msgs := make([]store.Outgoing, n)
			for i := range msgs {
				msgs[i] = store.Outgoing{Body: before[next].Body, ReplyTo: before[next].ReplyTo}
				next++
			}
			if _, err := st.Commit(store.Commit{At: now, Messages: msgs}); err != nil {
				t.Fatal(err)
			}
		}
		check(t, st)
	})
	t.Run("the same alerts planned now are sent the same", func(t *testing.T) {
		st, _ := newOutbox(t)
		for _, events := range polls {
			msgs, err := delivery.Plan(events, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Commit(store.Commit{At: now, Messages: msgs}); err != nil {
				t.Fatal(err)
			}
		}
		check(t, st)
	})
}

// withDetailsButton is a card as the version before sent it, with what this
// version adds to every card naming one org: the org_details button after
// everything else, and its hint on the console. All else must stay as it was.
func withDetailsButton(t *testing.T, blocks json.RawMessage, plain, orgID string) (json.RawMessage, string) {
	t.Helper()
	var bs []json.RawMessage
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	bs = append(bs, json.RawMessage(`{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Details","emoji":false},"action_id":"org_details","value":"`+orgID+`"}]}`))
	out, err := json.Marshal(bs)
	if err != nil {
		t.Fatal(err)
	}
	return out, plain + "  [details " + orgID + "]\n"
}

// verbatim is blocks as the version before sent them, with every mrkdwn
// object verbatim, as this version sends them: a URL or @name in API text
// must not become a link or a mention (see render's escaping).
func verbatim(t *testing.T, blocks json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(blocks, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				v["verbatim"] = true
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return v
}

// sameJSON reports whether got decodes to want.
func sameJSON(t *testing.T, got json.RawMessage, want any) bool {
	t.Helper()
	var g any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, want)
}
