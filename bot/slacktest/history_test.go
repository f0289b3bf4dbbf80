package slacktest_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// alertMeta is metadata like the bot's.
func alertMeta(key string) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "resellerbot_alert", EventPayload: map[string]any{"key": key}})
}

// post posts text with opts and returns its ts.
func post(t *testing.T, api *slack.Client, text string, opts ...slack.MsgOption) string {
	t.Helper()
	_, ts, err := api.PostMessage(slacktest.DefaultChannel, append([]slack.MsgOption{slack.MsgOptionText(text, false)}, opts...)...)
	if err != nil {
		t.Fatalf("posting %q: %v", text, err)
	}
	return ts
}

func msgTexts(msgs []slack.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// history reads the whole history with params, page by page, and returns
// the pages' texts.
func history(t *testing.T, api *slack.Client, params slack.GetConversationHistoryParameters) [][]string {
	t.Helper()
	params.ChannelID = slacktest.DefaultChannel
	var pages [][]string
	for range 20 {
		resp, err := api.GetConversationHistoryContext(timeoutCtx(t), &params)
		if err != nil {
			t.Fatalf("conversations.history: %v", err)
		}
		pages = append(pages, msgTexts(resp.Messages))
		if resp.HasMore != (resp.ResponseMetaData.NextCursor != "") {
			t.Errorf("has_more %v with next_cursor %q", resp.HasMore, resp.ResponseMetaData.NextCursor)
		}
		if !resp.HasMore {
			return pages
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	t.Fatal("conversations.history never ran out of pages")
	return nil
}

// replies is history for conversations.replies.
func replies(t *testing.T, api *slack.Client, params slack.GetConversationRepliesParameters) [][]string {
	t.Helper()
	params.ChannelID = slacktest.DefaultChannel
	var pages [][]string
	for range 20 {
		msgs, more, next, err := api.GetConversationRepliesContext(timeoutCtx(t), &params)
		if err != nil {
			t.Fatalf("conversations.replies: %v", err)
		}
		pages = append(pages, msgTexts(msgs))
		if more != (next != "") {
			t.Errorf("has_more %v with next_cursor %q", more, next)
		}
		if !more {
			return pages
		}
		params.Cursor = next
	}
	t.Fatal("conversations.replies never ran out of pages")
	return nil
}

func TestPostedMetadataIsRecorded(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	post(t, api, "with", alertMeta("store/1"))
	post(t, api, "without")

	msgs := s.Messages(slacktest.DefaultChannel)
	var got struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	if err := json.Unmarshal(msgs[0].Metadata, &got); err != nil || got.EventType != "resellerbot_alert" || got.EventPayload["key"] != "store/1" {
		t.Errorf("metadata = %s (%v), want the event type and key posted", msgs[0].Metadata, err)
	}
	if msgs[1].Metadata != nil {
		t.Errorf("a message posted without metadata has %s", msgs[1].Metadata)
	}
}

func TestMalformedMetadataIsRefused(t *testing.T) {
	tests := []struct {
		name, metadata, want string
	}{
		{"metadata that is not JSON is invalid_metadata_format", `{"event_type":`, "invalid_metadata_format"},
		{"metadata without an event type is invalid_metadata_schema", `{"event_payload":{"k":"v"}}`, "invalid_metadata_schema"},
		{"metadata whose payload is not an object is invalid_metadata_schema", `{"event_type":"x","event_payload":"v"}`, "invalid_metadata_schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			_, _, err := newAPI(s).PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("x", false),
				rawParam(s, "metadata", tt.metadata))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
			if msgs := s.Messages(""); len(msgs) != 0 {
				t.Errorf("the message was recorded: %+v", msgs)
			}
		})
	}
}

// rawParam sets a form parameter of chat.postMessage verbatim.
func rawParam(s *slacktest.Server, key, value string) slack.MsgOption {
	return slack.UnsafeMsgOptionEndpoint(s.APIURL()+"chat.postMessage", func(v url.Values) { v.Set(key, value) })
}

func TestTimestampsAreCurrentTimes(t *testing.T) {
	s := newServer(t)
	before := time.Now().Add(-time.Second)
	ts := post(t, newAPI(s), "now")
	after := time.Now().Add(time.Second)
	secs, err := strconv.ParseFloat(ts, 64)
	if err != nil {
		t.Fatal(err)
	}
	if at := time.Unix(int64(secs), 0); at.Before(before) || at.After(after) {
		t.Errorf("ts %s is %v, not the time it was posted", ts, at)
	}
}

func TestConversationsHistory(t *testing.T) {
	s := newServer(t, slacktest.WithNonMemberChannels("C0OTHER"))
	api := newAPI(s)
	first := post(t, api, "m1", alertMeta("k1"))
	post(t, api, "r1", slack.MsgOptionTS(first))
	post(t, api, "r2", slack.MsgOptionTS(first), slack.MsgOptionBroadcast())
	second := post(t, api, "m2")
	gone := post(t, api, "deleted")
	if _, _, err := api.DeleteMessage(slacktest.DefaultChannel, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeral(slacktest.DefaultChannel, "U1", slack.MsgOptionText("ephemeral", false)); err != nil {
		t.Fatal(err)
	}
	third := post(t, api, "m3")

	t.Run("lists top-level and broadcast messages newest first", func(t *testing.T) {
		got := history(t, api, slack.GetConversationHistoryParameters{})
		if want := [][]string{{"m3", "m2", "r2", "m1"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("pages by limit and cursor without losing or repeating a message", func(t *testing.T) {
		got := history(t, api, slack.GetConversationHistoryParameters{Limit: 3})
		if want := [][]string{{"m3", "m2", "r2"}, {"m1"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
		got = history(t, api, slack.GetConversationHistoryParameters{Limit: 1})
		if want := [][]string{{"m3"}, {"m2"}, {"r2"}, {"m1"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("oldest and latest are exclusive bounds", func(t *testing.T) {
		got := history(t, api, slack.GetConversationHistoryParameters{Oldest: first, Latest: third})
		if want := [][]string{{"m2", "r2"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("inclusive takes in the bounds", func(t *testing.T) {
		got := history(t, api, slack.GetConversationHistoryParameters{Oldest: first, Latest: second, Inclusive: true})
		if want := [][]string{{"m2", "r2", "m1"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("oldest in whole seconds works", func(t *testing.T) {
		got := history(t, api, slack.GetConversationHistoryParameters{Oldest: strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)})
		if want := [][]string{{}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want none", got)
		}
	})
	t.Run("metadata is returned only with include_all_metadata", func(t *testing.T) {
		params := &slack.GetConversationHistoryParameters{ChannelID: slacktest.DefaultChannel, Oldest: first, Inclusive: true, Latest: first}
		resp, err := api.GetConversationHistoryContext(timeoutCtx(t), params)
		if err != nil || len(resp.Messages) != 1 {
			t.Fatalf("history = %+v, %v", resp, err)
		}
		if m := resp.Messages[0].Metadata; m.EventType != "" {
			t.Errorf("metadata without include_all_metadata: %+v", m)
		}
		params.IncludeAllMetadata = true
		resp, err = api.GetConversationHistoryContext(timeoutCtx(t), params)
		if err != nil || len(resp.Messages) != 1 {
			t.Fatalf("history = %+v, %v", resp, err)
		}
		if m := resp.Messages[0].Metadata; m.EventType != "resellerbot_alert" || m.EventPayload["key"] != "k1" {
			t.Errorf("metadata = %+v, want the posted one", m)
		}
	})
	t.Run("a thread's parent tells its replies", func(t *testing.T) {
		resp, err := api.GetConversationHistoryContext(timeoutCtx(t), &slack.GetConversationHistoryParameters{ChannelID: slacktest.DefaultChannel})
		if err != nil {
			t.Fatal(err)
		}
		parent, broadcast := resp.Messages[3], resp.Messages[2]
		if parent.ThreadTimestamp != first || parent.ReplyCount != 2 || parent.LatestReply == "" {
			t.Errorf("parent = %+v", parent.Msg)
		}
		if broadcast.ThreadTimestamp != first || broadcast.SubType != "thread_broadcast" {
			t.Errorf("broadcast reply = %+v", broadcast.Msg)
		}
	})

	errs := []struct {
		name   string
		params slack.GetConversationHistoryParameters
		want   string
	}{
		{"an unknown channel is channel_not_found", slack.GetConversationHistoryParameters{ChannelID: "C0NOPE"}, "channel_not_found"},
		{"a channel the bot is not in is not_in_channel", slack.GetConversationHistoryParameters{ChannelID: "C0OTHER"}, "not_in_channel"},
		{"a made-up cursor is invalid_cursor", slack.GetConversationHistoryParameters{ChannelID: slacktest.DefaultChannel, Cursor: "bm9wZQ=="}, "invalid_cursor"},
		{"a malformed oldest is invalid_ts_oldest", slack.GetConversationHistoryParameters{ChannelID: slacktest.DefaultChannel, Oldest: "yesterday"}, "invalid_ts_oldest"},
		{"a malformed latest is invalid_ts_latest", slack.GetConversationHistoryParameters{ChannelID: slacktest.DefaultChannel, Latest: "1.2.3"}, "invalid_ts_latest"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := api.GetConversationHistoryContext(timeoutCtx(t), &tt.params); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
	t.Run("a token without the history scope is missing_scope", func(t *testing.T) {
		s.FailMethod("conversations.history", "missing_scope", -1)
		defer s.ClearFaults()
		for range 2 {
			_, err := api.GetConversationHistoryContext(timeoutCtx(t), &slack.GetConversationHistoryParameters{ChannelID: slacktest.DefaultChannel})
			if err == nil || err.Error() != "missing_scope" {
				t.Errorf("error = %v, want missing_scope", err)
			}
		}
	})
}

func TestConversationsReplies(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	parent := post(t, api, "parent", alertMeta("p"))
	post(t, api, "elsewhere")
	var rs []string
	for i := range 5 {
		rs = append(rs, post(t, api, fmt.Sprintf("r%d", i+1), slack.MsgOptionTS(parent), alertMeta(fmt.Sprintf("r%d", i+1))))
	}
	lone := post(t, api, "lone")

	t.Run("lists the parent then its replies in order", func(t *testing.T) {
		got := replies(t, api, slack.GetConversationRepliesParameters{Timestamp: parent})
		if want := [][]string{{"parent", "r1", "r2", "r3", "r4", "r5"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("the ts of a reply lists its whole thread", func(t *testing.T) {
		got := replies(t, api, slack.GetConversationRepliesParameters{Timestamp: rs[2]})
		if want := [][]string{{"parent", "r1", "r2", "r3", "r4", "r5"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("pages by limit and cursor, the parent only on the first page", func(t *testing.T) {
		got := replies(t, api, slack.GetConversationRepliesParameters{Timestamp: parent, Limit: 2})
		if want := [][]string{{"parent", "r1"}, {"r2", "r3"}, {"r4", "r5"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("oldest and latest bound the replies but not the parent", func(t *testing.T) {
		got := replies(t, api, slack.GetConversationRepliesParameters{Timestamp: parent, Oldest: rs[1], Latest: rs[4]})
		if want := [][]string{{"parent", "r3", "r4"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
		got = replies(t, api, slack.GetConversationRepliesParameters{Timestamp: parent, Oldest: rs[1], Latest: rs[4], Inclusive: true})
		if want := [][]string{{"parent", "r2", "r3", "r4", "r5"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("inclusive pages = %q, want %q", got, want)
		}
	})
	t.Run("a message without replies is a thread of one", func(t *testing.T) {
		got := replies(t, api, slack.GetConversationRepliesParameters{Timestamp: lone})
		if want := [][]string{{"lone"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("metadata is returned only with include_all_metadata", func(t *testing.T) {
		msgs, _, _, err := api.GetConversationRepliesContext(timeoutCtx(t), &slack.GetConversationRepliesParameters{ChannelID: slacktest.DefaultChannel, Timestamp: parent})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Metadata.EventType != "" {
				t.Errorf("%s has metadata without include_all_metadata", m.Text)
			}
		}
		msgs, _, _, err = api.GetConversationRepliesContext(timeoutCtx(t), &slack.GetConversationRepliesParameters{ChannelID: slacktest.DefaultChannel, Timestamp: parent, IncludeAllMetadata: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			key := m.Text
			if key == "parent" {
				key = "p"
			}
			if m.Metadata.EventType != "resellerbot_alert" || m.Metadata.EventPayload["key"] != key {
				t.Errorf("%s has metadata %+v, want key %q", m.Text, m.Metadata, key)
			}
		}
		if msgs[1].ThreadTimestamp != parent || msgs[1].ParentUserId != slacktest.BotUserID {
			t.Errorf("a reply lacks its thread: %+v", msgs[1].Msg)
		}
	})
	t.Run("an unknown ts is thread_not_found", func(t *testing.T) {
		_, _, _, err := api.GetConversationRepliesContext(timeoutCtx(t), &slack.GetConversationRepliesParameters{ChannelID: slacktest.DefaultChannel, Timestamp: "1.000001"})
		if err == nil || err.Error() != "thread_not_found" {
			t.Errorf("error = %v, want thread_not_found", err)
		}
	})
	t.Run("a token without the history scope is missing_scope", func(t *testing.T) {
		s.FailMethod("conversations.replies", "missing_scope", 1)
		_, _, _, err := api.GetConversationRepliesContext(timeoutCtx(t), &slack.GetConversationRepliesParameters{ChannelID: slacktest.DefaultChannel, Timestamp: parent})
		if err == nil || err.Error() != "missing_scope" {
			t.Errorf("error = %v, want missing_scope", err)
		}
	})
}

func TestOnMessageRunsBeforeTheSenderHearsBack(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	hooked, release := make(chan slacktest.Message, 1), make(chan struct{})
	s.OnMessage(func(m slacktest.Message) {
		hooked <- m
		<-release
	})
	posted := make(chan string, 1)
	go func() {
		_, ts, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("hooked", false), alertMeta("k"))
		if err != nil {
			t.Error(err)
		}
		posted <- ts
	}()
	m := <-hooked
	if m.Text != "hooked" || m.Metadata == nil {
		t.Errorf("hook saw %+v", m)
	}
	if got := s.Messages(slacktest.DefaultChannel); len(got) != 1 {
		t.Errorf("the message is not recorded when the hook runs: %+v", got)
	}
	select {
	case ts := <-posted:
		t.Fatalf("the sender heard back (ts %s) while the hook was running", ts)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if ts := <-posted; ts != m.TS {
		t.Errorf("sender got ts %s, hook saw %s", ts, m.TS)
	}

	s.OnMessage(nil)
	post(t, api, "unhooked")
	select {
	case m := <-hooked:
		t.Errorf("a removed hook saw %+v", m)
	default:
	}
}
