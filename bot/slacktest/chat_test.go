package slacktest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

func TestChatUpdateKeepsEveryEarlierVersion(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	ts := post(t, api, "low: $13.00", slack.MsgOptionBlocks(section("low: $13.00")), alertMeta("low/4002"))

	ch, gotTS, text, err := api.UpdateMessage(slacktest.DefaultChannel, ts,
		slack.MsgOptionText("low: $9.00", false), slack.MsgOptionBlocks(section("low: $9.00")))
	if err != nil {
		t.Fatal(err)
	}
	if ch != slacktest.DefaultChannel || gotTS != ts || text != "low: $9.00" {
		t.Errorf("chat.update answered %q %q %q", ch, gotTS, text)
	}
	if _, _, _, err := api.UpdateMessage(slacktest.DefaultChannel, ts,
		slack.MsgOptionText("recovered: $120.00", false), alertMeta("low/4002/recovered")); err != nil {
		t.Fatal(err)
	}

	m := s.Messages(slacktest.DefaultChannel)[0]
	if m.Text != "recovered: $120.00" || m.Edits != 2 || len(m.History) != 2 || !strings.Contains(string(m.Metadata), "recovered") {
		t.Fatalf("message = %+v", m)
	}
	for i, want := range []string{"low: $13.00", "low: $9.00"} {
		r := m.History[i]
		if r.Text != want || !strings.Contains(string(r.Blocks), want) || r.Until.IsZero() {
			t.Errorf("History[%d] = %+v, want text and blocks %q", i, r, want)
		}
	}
	if !strings.Contains(string(m.History[1].Metadata), `"low/4002"`) {
		t.Errorf("History[1].Metadata = %s, want the metadata before the last edit", m.History[1].Metadata)
	}
	if !m.History[0].Until.Before(m.History[1].Until) && !m.History[0].Until.Equal(m.History[1].Until) {
		t.Errorf("revisions out of order: %v then %v", m.History[0].Until, m.History[1].Until)
	}
}

func TestThreadReplies(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	parent := post(t, api, "episode: low")
	reminder := post(t, api, "reminder", slack.MsgOptionTS(parent), slack.MsgOptionBroadcast())
	quiet := post(t, api, "snoozed by @alice", slack.MsgOptionTS(parent))
	onReply := post(t, api, "recovered", slack.MsgOptionTS(quiet))

	t.Run("a reply posted with a reply's ts lands in the parent's thread", func(t *testing.T) {
		thread := s.Thread(slacktest.DefaultChannel, onReply)
		if got := texts(thread); got != "episode: low|reminder|snoozed by @alice|recovered" {
			t.Errorf("Thread = %s", got)
		}
		for _, m := range thread[1:] {
			if m.ThreadTS != parent {
				t.Errorf("reply %q has thread_ts %s, want %s", m.Text, m.ThreadTS, parent)
			}
		}
	})
	t.Run("a broadcast reply also shows in the channel", func(t *testing.T) {
		resp, err := api.GetConversationHistoryContext(timeoutCtx(t), &slack.GetConversationHistoryParameters{ChannelID: slacktest.DefaultChannel})
		if err != nil {
			t.Fatal(err)
		}
		if got := texts(fromSlack(resp.Messages)); got != "reminder|episode: low" {
			t.Errorf("history = %s", got)
		}
		if m := s.Messages(slacktest.DefaultChannel)[1]; m.TS != reminder || !m.Broadcast {
			t.Errorf("reminder = %+v", m)
		}
	})
	t.Run("conversations.replies lists the thread", func(t *testing.T) {
		msgs, _, _, err := api.GetConversationRepliesContext(timeoutCtx(t), &slack.GetConversationRepliesParameters{ChannelID: slacktest.DefaultChannel, Timestamp: parent})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 4 || msgs[0].ReplyCount != 3 {
			t.Errorf("replies = %d messages, parent reply_count %d", len(msgs), msgs[0].ReplyCount)
		}
	})
}

func texts(msgs []slacktest.Message) string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return strings.Join(out, "|")
}

func fromSlack(msgs []slack.Message) []slacktest.Message {
	out := make([]slacktest.Message, len(msgs))
	for i, m := range msgs {
		out[i] = slacktest.Message{Text: m.Text}
	}
	return out
}

func TestADeletedMessageCanBeNeitherUpdatedNorRepliedTo(t *testing.T) {
	deleters := []struct {
		name   string
		delete func(t *testing.T, s *slacktest.Server, api *slack.Client, ts string)
	}{
		{
			name: "by chat.delete",
			delete: func(t *testing.T, _ *slacktest.Server, api *slack.Client, ts string) {
				if _, _, err := api.DeleteMessage(slacktest.DefaultChannel, ts); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "by a user",
			delete: func(t *testing.T, s *slacktest.Server, _ *slack.Client, ts string) {
				if !s.DeleteMessage(slacktest.DefaultChannel, ts) {
					t.Fatal("DeleteMessage found no message")
				}
			},
		},
	}
	for _, d := range deleters {
		t.Run("deleted "+d.name, func(t *testing.T) {
			s := newServer(t)
			api := newAPI(s)
			ts := post(t, api, "episode")
			d.delete(t, s, api, ts)

			_, _, _, updateErr := api.UpdateMessage(slacktest.DefaultChannel, ts, slack.MsgOptionText("recovered", false))
			_, _, replyErr := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("reminder", false), slack.MsgOptionTS(ts))
			_, _, deleteErr := api.DeleteMessage(slacktest.DefaultChannel, ts)

			if updateErr == nil || updateErr.Error() != "message_not_found" {
				t.Errorf("chat.update error = %v, want message_not_found", updateErr)
			}
			if replyErr == nil || replyErr.Error() != "thread_not_found" {
				t.Errorf("reply error = %v, want thread_not_found", replyErr)
			}
			if deleteErr == nil || deleteErr.Error() != "message_not_found" {
				t.Errorf("second chat.delete error = %v, want message_not_found", deleteErr)
			}
			if msgs := s.Messages(slacktest.DefaultChannel); len(msgs) != 1 || !msgs[0].Deleted {
				t.Errorf("messages = %+v", msgs)
			}
		})
	}
	t.Run("deleting a message the fake does not hold reports false", func(t *testing.T) {
		if newServer(t).DeleteMessage(slacktest.DefaultChannel, "1.000001") {
			t.Error("DeleteMessage = true")
		}
	})
}

func TestMessageErrorsOnDemand(t *testing.T) {
	update := func(api *slack.Client, ts string) error {
		_, _, _, err := api.UpdateMessage(slacktest.DefaultChannel, ts, slack.MsgOptionText("edited", false))
		return err
	}
	reply := func(api *slack.Client, ts string) error {
		_, _, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts))
		return err
	}
	postTo := func(api *slack.Client, _ string) error {
		_, _, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("new", false))
		return err
	}
	tests := []struct {
		method   string
		code     string
		anyTS    bool // the fault names the channel only
		call     func(api *slack.Client, ts string) error
		otherHit bool // whether the other message is refused too
	}{
		{method: "chat.update", code: "message_not_found", call: update},
		{method: "chat.update", code: "cant_update_message", call: update},
		{method: "chat.update", code: "edit_window_closed", call: update},
		{method: "chat.update", code: "msg_blocks_too_long", call: update},
		{method: "chat.postMessage", code: "thread_locked", call: reply},
		{method: "chat.postMessage", code: "cannot_reply_to_message", call: reply},
		{method: "chat.postMessage", code: "restricted_action_thread_locked", call: reply},
		{method: "chat.postMessage", code: "msg_blocks_too_long", call: reply},
		{method: "chat.postMessage", code: "restricted_action_read_only_channel", anyTS: true, call: postTo, otherHit: true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" answers "+tt.code+" for the message it names and no other", func(t *testing.T) {
			s := newServer(t, slacktest.WithChannels(slacktest.DefaultChannel, "C0OTHER"))
			api := newAPI(s)
			target := post(t, api, "target")
			other := post(t, api, "other")
			ts := target
			if tt.anyTS {
				ts = ""
			}
			s.FailMessage(tt.method, slacktest.DefaultChannel, ts, tt.code, 2)

			err := tt.call(api, target)
			otherErr := tt.call(api, other)
			_, _, elsewhere := api.PostMessage("C0OTHER", slack.MsgOptionText("fine", false), slack.MsgOptionTS(target))

			if _, ok := errors.AsType[slack.SlackErrorResponse](err); !ok || err.Error() != tt.code {
				t.Errorf("error = %#v, want %s", err, tt.code)
			}
			if tt.otherHit != (otherErr != nil) {
				t.Errorf("the other message's call: %v, want refused %v", otherErr, tt.otherHit)
			}
			if elsewhere != nil {
				t.Errorf("a call in another channel failed: %v", elsewhere)
			}
		})
	}
}

func TestFaultsOnDemandRunOut(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	ts := post(t, api, "episode")
	s.FailMessage("chat.update", slacktest.DefaultChannel, ts, "cant_update_message", 1)

	first := updateText(api, ts, "one")
	second := updateText(api, ts, "two")

	if first == nil || first.Error() != "cant_update_message" || second != nil {
		t.Errorf("updates = %v, %v; want one refusal, then success", first, second)
	}
}

func updateText(api *slack.Client, ts, text string) error {
	_, _, _, err := api.UpdateMessage(slacktest.DefaultChannel, ts, slack.MsgOptionText(text, false))
	return err
}

func TestAChannelCanBeRateLimitedAlone(t *testing.T) {
	s := newServer(t, slacktest.WithChannels(slacktest.DefaultChannel, "C0OTHER"))
	api := newAPI(s)
	s.RateLimitChannel("chat.postMessage", slacktest.DefaultChannel, 1, 2*time.Second)

	_, _, limited := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("x", false))
	_, _, other := api.PostMessage("C0OTHER", slack.MsgOptionText("x", false))
	_, _, again := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("x", false))

	rl, ok := errors.AsType[*slack.RateLimitedError](limited)
	if !ok || rl.RetryAfter != 2*time.Second {
		t.Errorf("error = %#v, want RateLimitedError after 2s", limited)
	}
	if c := s.Calls("chat.postMessage")[0]; c.Status != http.StatusTooManyRequests || c.Error != "ratelimited" {
		t.Errorf("recorded call = %+v", c)
	}
	if other != nil || again != nil {
		t.Errorf("other channel: %v; after the limit: %v", other, again)
	}
}

func TestARatelimitedErrorOnDemandIsARealRateLimit(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	ts := post(t, api, "episode")
	s.FailMessage("chat.update", slacktest.DefaultChannel, ts, "ratelimited", 1)

	err := updateText(api, ts, "edited")

	if rl, ok := errors.AsType[*slack.RateLimitedError](err); !ok || rl.RetryAfter != time.Second {
		t.Errorf("error = %#v, want RateLimitedError after 1s", err)
	}
	if c := s.Calls("chat.update")[0]; c.Status != http.StatusTooManyRequests {
		t.Errorf("status = %d, want 429", c.Status)
	}
}

func TestAnUpdateOverSlacksTextLimitIsMsgBlocksTooLong(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	ts := post(t, api, "short")
	var blocks []slack.Block
	for range 5 {
		blocks = append(blocks, section(strings.Repeat("x", 2900)))
	}

	_, _, _, err := api.UpdateMessage(slacktest.DefaultChannel, ts, slack.MsgOptionBlocks(blocks...))

	if err == nil || err.Error() != "msg_blocks_too_long" {
		t.Errorf("error = %v, want msg_blocks_too_long", err)
	}
	if m := s.Messages(slacktest.DefaultChannel)[0]; m.Edits != 0 || len(m.History) != 0 {
		t.Errorf("a refused update changed the message: %+v", m)
	}
}
