package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// clickOnce clicks an element of the message ts and waits for the bot's
// answer to the clicker; again redelivers the same envelope first, as
// Slack does when it missed the ack.
func (h *harness) clickOnce(a slacktest.BlockAction, again bool) slacktest.Response {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := h.slack.BlockAction(ctx, a)
	if err != nil {
		h.t.Fatalf("click %s: %v\nlogs:\n%s", a.ActionID, err, h.logs)
	}
	if !d.AckedInTime() {
		h.t.Errorf("click %s acknowledged after %v", a.ActionID, d.AckAfter)
	}
	if again {
		if _, err := h.slack.Redeliver(ctx, d.EnvelopeID, ""); err != nil {
			h.t.Fatalf("redeliver %s: %v", a.ActionID, err)
		}
	}
	h.waitFor("the answer to the click", func() bool { return len(h.slack.ResponseURLPosts(d.EnvelopeID)) > 0 })
	time.Sleep(3 * h.cfg.Poll.Interval.D()) // room for a second answer, which must not come
	posts := h.slack.ResponseURLPosts(d.EnvelopeID)
	if len(posts) != 1 {
		h.t.Errorf("%d answers to one click, want 1", len(posts))
	}
	return posts[0]
}

func (h *harness) message(ts string) slacktest.Message {
	for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
		if m.TS == ts {
			return m
		}
	}
	h.t.Fatalf("no message %s", ts)
	return slacktest.Message{}
}

func TestButtonsOnAnEpisode(t *testing.T) {
	h := newHarness(t, remindQuickly, func(c *config.Config) { c.Slack.AllowedUserIDs = []string{slacktest.DefaultUserID} })
	h.start()
	parent := h.waitMessages(1)[0]
	h.waitFor("a reminder in the thread", func() bool { return len(h.thread(parent.TS)) >= 1 })

	t.Run("a refused user's click changes nothing and gets a refusal", func(t *testing.T) {
		answer := h.clickOnce(slacktest.BlockAction{ActionID: "ack", MessageTS: parent.TS, UserID: "U0STRANGER"}, false)
		if !strings.Contains(answer.Text, "isn't available to you") {
			t.Errorf("answer %q, want a refusal", answer.Text)
		}
		if m := h.message(parent.TS); strings.Contains(string(m.Blocks), "Acknowledged by") {
			t.Errorf("a refused click acknowledged the alert: %s", m.Blocks)
		}
	})
	t.Run("ack acts once under a redelivered envelope and the message says who", func(t *testing.T) {
		answer := h.clickOnce(slacktest.BlockAction{ActionID: "ack", MessageTS: parent.TS}, true)
		if !strings.Contains(answer.Text, "You have acknowledged Beta Co") {
			t.Errorf("answer %q", answer.Text)
		}
		h.waitFor("the message to say it is acknowledged", func() bool {
			return strings.Contains(string(h.message(parent.TS).Blocks), "Acknowledged by @")
		})
		again := h.clickOnce(slacktest.BlockAction{ActionID: "ack", MessageTS: parent.TS, Blocks: parent.Blocks}, false)
		if !strings.Contains(again.Text, "already acknowledged") {
			t.Errorf("a second ack answered %q", again.Text)
		}
	})
	t.Run("snooze until recovered stops the reminders, once under a redelivered envelope", func(t *testing.T) {
		answer := h.clickOnce(slacktest.BlockAction{ActionID: "snooze", MessageTS: parent.TS, SelectedValue: "recovered"}, true)
		if !strings.Contains(answer.Text, "snoozed until it recovers") {
			t.Errorf("answer %q", answer.Text)
		}
		h.waitFor("the message to say who snoozed it", func() bool {
			return strings.Contains(string(h.message(parent.TS).Blocks), "snoozed by @")
		})
		before := len(h.thread(parent.TS))
		h.settle() // several reminder intervals
		if after := len(h.thread(parent.TS)); after > before+1 {
			t.Errorf("%d reminders after the snooze (one may have been on its way)", after-before)
		}
	})
	t.Run("the recovery still ends the snoozed episode in its thread", func(t *testing.T) {
		h.omni.SetBalance(4002, 900)
		checkEpisode(t, h, parent.TS)
		if m := h.message(parent.TS); !strings.Contains(string(m.Blocks), "Acknowledged by @") || strings.Contains(string(m.Blocks), `"actions"`) {
			t.Errorf("the ended episode's message lost its acknowledgement or kept its buttons: %s", m.Blocks)
		}
	})
}

func TestSnoozesAndUnsnooze(t *testing.T) {
	h := newHarness(t, remindQuickly)
	h.start()
	parent := h.waitMessages(1)[0]
	if resp := h.command(slacktest.DefaultUserID, "/snoozes", ""); !strings.Contains(resp.Text, "No alert is snoozed") {
		t.Errorf("/snoozes before any snooze: %q", resp.Text)
	}
	h.clickOnce(slacktest.BlockAction{ActionID: "snooze", MessageTS: parent.TS, SelectedValue: "24h"}, false)
	resp := h.command(slacktest.DefaultUserID, "/snoozes", "")
	if !strings.Contains(resp.Text, "1 snoozed alert") || !strings.Contains(string(resp.Blocks), "Beta Co (4002)") {
		t.Errorf("/snoozes after a snooze: %q %s", resp.Text, resp.Blocks)
	}
	if resp := h.command(slacktest.DefaultUserID, "/unsnooze", "beta"); !strings.Contains(resp.Text, "Reminders for Beta Co (4002) are back on") {
		t.Errorf("/unsnooze beta: %q", resp.Text)
	}
	if resp := h.command(slacktest.DefaultUserID, "/snoozes", ""); !strings.Contains(resp.Text, "No alert is snoozed") {
		t.Errorf("/snoozes after /unsnooze: %q", resp.Text)
	}
	before := len(h.thread(parent.TS))
	h.waitFor("reminders again after /unsnooze", func() bool { return len(h.thread(parent.TS)) > before })
}

func TestTheDemoShowsAnEpisodeWithItsButtonsAndAnswersThem(t *testing.T) {
	code, out, errOut := cli(t, nil, "snooze 4002 1d\nack 4002\n/snoozes\ndetails beta\n", "demo", "--interval", "40ms", "--duration", "4s")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"[snooze 4002 1d] [ack 4002]",
		"── snooze 4002 1d ", "Reminders for Beta Co (4002) snoozed until",
		"── ack 4002 ", "You have acknowledged Beta Co (4002)",
		"── /snoozes ", "1 snoozed alert",
		"── details beta ", "🏢 Beta Co (4002)",
		"── update of console-1 ", "Acknowledged by @you",
		"continued in the thread of console-1", "✅ Balance recovered",
		"⚠️ Still low balance", // another org's reminder, in its episode's thread
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestAckOnAOneOffAlertActsOnce(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1)
	h.omni.AddUser(4001, omnitest.User{ID: 1111, Name: "New Hire", Email: "new@acme.example", IsActive: true})
	card := h.waitMessages(2)[1]
	if !strings.HasPrefix(card.Text, "New user in Acme Inc") {
		t.Fatalf("second message %q, want the new user", card.Text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := h.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", MessageTS: card.TS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.Redeliver(ctx, d.EnvelopeID, ""); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the card to say who acknowledged it", func() bool {
		return strings.Contains(string(h.message(card.TS).Blocks), "Acknowledged by @")
	})
	m := h.message(card.TS)
	if strings.Contains(string(m.Blocks), `"action_id":"ack"`) || !strings.HasPrefix(m.Text, "New user in Acme Inc") || m.Edits != 1 {
		t.Errorf("after the ack: %d edits, text %q, blocks %s", m.Edits, m.Text, m.Blocks)
	}
	h.waitFor("the answer to the clicker", func() bool {
		for _, p := range h.slack.ResponseURLPosts(d.EnvelopeID) {
			if strings.Contains(p.Text, "You have acknowledged this alert") {
				return true
			}
		}
		return false
	})
	// Someone else, a member of the workspace, on the card as first posted.
	h.slack.SetUser(slacktest.User{ID: "U0SOMEONE", Name: "someone"})
	d2, err := h.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", MessageTS: card.TS, UserID: "U0SOMEONE", Blocks: card.Blocks})
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the second clicker to be told", func() bool {
		for _, p := range h.slack.ResponseURLPosts(d2.EnvelopeID) {
			if strings.Contains(p.Text, "already acknowledged by @") {
				return true
			}
		}
		return false
	})
	if m := h.message(card.TS); m.Edits != 1 {
		t.Errorf("%d edits after a second ack, want 1", m.Edits)
	}
}
