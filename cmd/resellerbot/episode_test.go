package main

import (
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
)

// waitFor polls cond until it holds, with patience for a loaded machine.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("waiting for %s; messages:\n%s\nlogs:\n%.20000s", what, texts(h.slack.Messages(slacktest.DefaultChannel)), h.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// topLevel returns the channel's messages that are not thread replies.
func topLevel(msgs []slacktest.Message) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range msgs {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			out = append(out, m)
		}
	}
	return out
}

// thread returns the replies to ts, oldest first.
func (h *harness) thread(ts string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range h.slack.Thread(slacktest.DefaultChannel, ts) {
		if m.TS != ts {
			out = append(out, m)
		}
	}
	return out
}

func remindQuickly(c *config.Config) {
	c.Alerts.LowBalance.RepeatEvery = config.Duration(400 * time.Millisecond)
}

// checkEpisode checks that Beta Co's episode is the one parent message plus
// replies: at least one broadcast reminder, then the recovery; and that the
// parent's final text says it recovered.
func checkEpisode(t *testing.T, h *harness, parentTS string) {
	t.Helper()
	h.waitFor("the parent to say it recovered", func() bool {
		for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
			if m.TS == parentTS {
				return strings.HasPrefix(m.Text, "Low balance: Beta Co") && strings.Contains(m.Text, "→ Balance recovered: Beta Co")
			}
		}
		return false
	})
	replies := h.thread(parentTS)
	if len(replies) < 2 {
		t.Fatalf("%d replies in the episode's thread, want reminders and the recovery:\n%s", len(replies), texts(replies))
	}
	for _, r := range replies[:len(replies)-1] {
		if !strings.HasPrefix(r.Text, "Still low balance: Beta Co") || !r.Broadcast {
			t.Errorf("reply %q (broadcast %v), want a broadcast reminder", r.Text, r.Broadcast)
		}
	}
	if end := replies[len(replies)-1]; !strings.HasPrefix(end.Text, "Balance recovered: Beta Co") || end.Broadcast {
		t.Errorf("last reply %q (broadcast %v), want the recovery, in the thread only", end.Text, end.Broadcast)
	}
	if top := topLevel(h.settle()); len(top) != 1 {
		t.Errorf("%d top-level messages, want the episode's one:\n%s", len(top), texts(top))
	}
}

func TestAnEpisodeIsOneMessageWithItsNewsInItsThread(t *testing.T) {
	t.Run("low, reminded, recovered", func(t *testing.T) {
		h := newHarness(t, remindQuickly)
		h.start()
		parent := h.waitMessages(1)[0]
		h.waitFor("a reminder in the thread", func() bool { return len(h.thread(parent.TS)) >= 1 })
		h.omni.SetBalance(4002, 900)
		checkEpisode(t, h, parent.TS)
	})
	t.Run("the same across a restart in the middle", func(t *testing.T) {
		h := newHarness(t, remindQuickly)
		h.start()
		parent := h.waitMessages(1)[0]
		h.stop()
		h.start()
		h.waitFor("a reminder in the thread after the restart", func() bool { return len(h.thread(parent.TS)) >= 1 })
		h.omni.SetBalance(4002, 900)
		checkEpisode(t, h, parent.TS)
	})
	t.Run("a deleted parent's update arrives as a new message", func(t *testing.T) {
		h := newHarness(t, remindQuickly)
		h.start()
		parent := h.waitMessages(1)[0]
		h.waitFor("a reminder in the thread", func() bool { return len(h.thread(parent.TS)) >= 1 })
		h.stop()
		h.slack.DeleteMessage(slacktest.DefaultChannel, parent.TS)
		mark := len(h.slack.Messages(slacktest.DefaultChannel))
		h.omni.SetBalance(4002, 900)
		h.start()
		h.waitFor("the recovery as a new message that says it recovered", func() bool {
			for _, m := range h.slack.Messages(slacktest.DefaultChannel)[mark:] {
				if m.ThreadTS == "" && !m.Deleted && strings.Contains(m.Text, "Balance recovered: Beta Co") {
					return true
				}
			}
			return false
		})
	})
}
