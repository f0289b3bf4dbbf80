package slacktest

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Messages: chat.postMessage (with threads and reply_broadcast),
// chat.postEphemeral, chat.update (keeping every earlier version),
// chat.delete and chat.scheduleMessage, checked against Slack's limits.

// Message is a message accepted by chat.postMessage or chat.postEphemeral,
// posted through a response_url, or shared with an uploaded file.
type Message struct {
	// Channel is the channel ID the message was posted to.
	Channel string
	// User is BotUserID for chat.postMessage and the recipient for
	// chat.postEphemeral.
	User string
	// Text is the message text (the latest, after chat.update).
	Text string
	// ThreadTS is the parent's timestamp for a threaded reply. A reply
	// posted with a reply's timestamp lands in that reply's thread, as on
	// Slack, so ThreadTS always names the parent.
	ThreadTS string
	// TS is the message timestamp assigned by the fake.
	TS string
	// Blocks is the raw blocks JSON array, nil when none were sent.
	Blocks json.RawMessage
	// Metadata is the message metadata sent with chat.postMessage (or set
	// by chat.update), as JSON {"event_type":…,"event_payload":{…}}; nil
	// when none was sent. conversations.history and conversations.replies
	// return it when asked with include_all_metadata.
	Metadata json.RawMessage
	// Broadcast is set for a thread reply posted with reply_broadcast, which
	// also shows in the channel's history.
	Broadcast bool
	// Ephemeral is true for chat.postEphemeral and ephemeral response_url
	// answers to a click on an ephemeral message.
	Ephemeral bool
	// Edits counts accepted chat.update calls (and response_url
	// replace_original posts) on this message.
	Edits int
	// History holds the message's earlier versions, oldest first, one per
	// edit: History[0] is the message as first posted, and the current
	// version is the message itself.
	History []Revision
	// Files are the IDs of the files shared with this message (see
	// Server.Files).
	Files []string
	// Deleted is set by chat.delete, a delete_original response or
	// Server.DeleteMessage; updates of and replies to the message then fail
	// as on Slack.
	Deleted bool
	// Raw is the request's parameters (without the token).
	Raw url.Values

	files []map[string]any // the shared files as history lists them
}

// Revision is one earlier version of an edited message.
type Revision struct {
	// Text, Blocks and Metadata are the message's as they were.
	Text     string
	Blocks   json.RawMessage
	Metadata json.RawMessage
	// Until is when the edit that replaced this version arrived.
	Until time.Time
}

// Messages returns the accepted messages posted to channel, in order; ""
// returns those of every channel.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(channel)
}

func (s *Server) messagesLocked(channel string) []Message {
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, cloneMessage(m))
		}
	}
	return out
}

// Thread returns the message ts in channel and the replies in its thread,
// oldest first, deleted ones included (see Message.Deleted); ts may name
// the parent or any reply. It returns nil when there is no such message.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.indexLocked(channel, ts)
	if i < 0 {
		return nil
	}
	parent := s.messages[i].TS
	if isReply(&s.messages[i]) {
		parent = s.messages[i].ThreadTS
	}
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && (m.TS == parent || m.ThreadTS == parent) {
			out = append(out, cloneMessage(m))
		}
	}
	return out
}

// WaitMessages blocks until at least n messages were accepted in channel
// ("" = any) and returns them all, or returns ctx's error or
// ErrServerClosed.
func (s *Server) WaitMessages(ctx context.Context, channel string, n int) ([]Message, error) {
	var out []Message
	err := s.waitFor(ctx, func() bool {
		out = s.messagesLocked(channel)
		return len(out) >= n
	})
	return out, err
}

// DeleteMessage deletes the message ts in channel as if a user had, so
// that the bot's later chat.update of it fails with message_not_found and
// replies to it with thread_not_found. It reports whether there was such a
// message to delete.
func (s *Server) DeleteMessage(channel, ts string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findMessageLocked(channel, ts)
	if i < 0 {
		return false
	}
	s.messages[i].Deleted = true
	s.notifyLocked()
	return true
}

func cloneMessage(m Message) Message {
	m.Blocks = slices.Clone(m.Blocks)
	m.Metadata = slices.Clone(m.Metadata)
	m.Raw = cloneValues(m.Raw)
	m.Files = slices.Clone(m.Files)
	m.History = slices.Clone(m.History)
	for i, r := range m.History {
		r.Blocks = slices.Clone(r.Blocks)
		r.Metadata = slices.Clone(r.Metadata)
		m.History[i] = r
	}
	return m
}

// nextTSLocked returns a new message timestamp: the current time in
// Slack's "seconds.microseconds" form, as Slack assigns them, made strictly
// increasing so that timestamps identify messages. Being real times, they
// can be compared with the oldest and latest of conversations.history.
func (s *Server) nextTSLocked() string {
	now := time.Now().UnixMicro()
	if now <= s.lastTS {
		now = s.lastTS + 1
	}
	s.lastTS = now
	return formatTS(now)
}

func withoutToken(p url.Values) url.Values {
	out := cloneValues(p)
	delete(out, "token")
	return out
}

func messageJSON(m Message) map[string]any {
	out := map[string]any{
		"type":   "message",
		"text":   m.Text,
		"user":   m.User,
		"bot_id": BotID,
		"app_id": AppID,
		"team":   TeamID,
		"ts":     m.TS,
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	if len(m.files) > 0 {
		out["files"] = m.files
		out["upload"] = true
	}
	if n := len(m.History); n > 0 {
		out["edited"] = map[string]any{"user": BotUserID, "ts": formatTS(m.History[n-1].Until.UnixMicro())}
	}
	return out
}

// threadParentLocked resolves the thread_ts of a reply to its parent's
// timestamp, or returns a Slack error code: a deleted parent is
// thread_not_found. A parent the fake never saw is accepted as it is, so
// that tests may reply to messages posted before the fake started. s.mu
// must be held.
func (s *Server) threadParentLocked(channel, threadTS string) (string, string) {
	if threadTS == "" {
		return "", ""
	}
	i := s.indexLocked(channel, threadTS)
	switch {
	case i < 0:
		return threadTS, ""
	case s.messages[i].Deleted:
		return "", "thread_not_found"
	case isReply(&s.messages[i]):
		return s.messages[i].ThreadTS, ""
	}
	return threadTS, ""
}

// postLocked implements chat.postMessage and chat.postEphemeral.
func (s *Server) postLocked(p url.Values, ephemeral bool) apiResult {
	ch, code := s.readableChannelLocked(p.Get("channel"))
	if code != "" {
		return errResult(code)
	}
	user := BotUserID
	if ephemeral {
		if user = p.Get("user"); user == "" {
			return errResult("user_not_in_channel")
		}
	}
	text := p.Get("text")
	blocks, code := validateMessage(text, p.Get("blocks"))
	if code != "" {
		return errResult(code)
	}
	if text == "" && blocks == nil && p.Get("attachments") == "" {
		return errResult("no_text")
	}
	metadata, code := parseMetadata(p.Get("metadata"))
	if code != "" {
		return errResult(code)
	}
	thread, code := s.threadParentLocked(ch.id, p.Get("thread_ts"))
	if code != "" {
		return errResult(code)
	}
	m := s.appendMessageLocked(Message{
		Channel:   ch.id,
		User:      user,
		Text:      text,
		ThreadTS:  thread,
		Blocks:    blocks,
		Ephemeral: ephemeral,
		Metadata:  metadata,
		Broadcast: thread != "" && truthy(p.Get("reply_broadcast")),
		Raw:       withoutToken(p),
	})
	if ephemeral {
		return okResult(map[string]any{"message_ts": m.TS})
	}
	return okResult(map[string]any{"channel": m.Channel, "ts": m.TS, "message": messageJSON(m)})
}

// appendMessageLocked gives m a timestamp and records it. Ephemeral
// messages carry no metadata, as on Slack. s.mu must be held.
func (s *Server) appendMessageLocked(m Message) Message {
	m.TS = s.nextTSLocked()
	if m.Ephemeral {
		m.Metadata = nil
	}
	s.messages = append(s.messages, m)
	return m
}

// scheduleLocked accepts a message to post later, checking the channel
// like chat.postMessage does; the message is never posted (tests do not run
// that long), only remembered until deleted.
func (s *Server) scheduleLocked(p url.Values) apiResult {
	ch, code := s.readableChannelLocked(p.Get("channel"))
	if code != "" {
		return errResult(code)
	}
	postAt, err := strconv.ParseInt(p.Get("post_at"), 10, 64)
	if err != nil || postAt <= time.Now().Unix() {
		return errResult("time_in_past")
	}
	if _, code := validateMessage(p.Get("text"), p.Get("blocks")); code != "" {
		return errResult(code)
	}
	id := "Q" + randomID(10)
	s.scheduled[id] = true
	return okResult(map[string]any{"channel": ch.id, "scheduled_message_id": id, "post_at": postAt})
}

func (s *Server) deleteScheduledLocked(p url.Values) apiResult {
	ch := s.lookupChannelLocked(p.Get("channel"))
	switch {
	case ch == nil:
		return errResult("channel_not_found")
	case !s.scheduled[p.Get("scheduled_message_id")]:
		return errResult("invalid_scheduled_message_id")
	}
	delete(s.scheduled, p.Get("scheduled_message_id"))
	return okResult(map[string]any{})
}

// ScheduledMessages counts messages scheduled and not deleted.
func (s *Server) ScheduledMessages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.scheduled)
}

// indexLocked returns the index of the non-ephemeral message with ts in
// channel, deleted or not, or -1. s.mu must be held.
func (s *Server) indexLocked(channel, ts string) int {
	for i, m := range s.messages {
		if m.Channel == channel && m.TS == ts && !m.Ephemeral {
			return i
		}
	}
	return -1
}

// findMessageLocked returns the index of the live, non-ephemeral message
// with ts in channel, or -1.
func (s *Server) findMessageLocked(channel, ts string) int {
	if i := s.indexLocked(channel, ts); i >= 0 && !s.messages[i].Deleted {
		return i
	}
	return -1
}

// editLocked replaces message i's text, blocks and metadata, keeping the
// version it replaces in its history. s.mu must be held.
func (s *Server) editLocked(i int, text string, blocks, metadata json.RawMessage) Message {
	m := &s.messages[i]
	m.History = append(m.History, Revision{Text: m.Text, Blocks: m.Blocks, Metadata: m.Metadata, Until: time.Now()})
	m.Text, m.Blocks, m.Metadata = text, blocks, metadata
	m.Edits++
	return *m
}

// updateLocked implements chat.update: text and blocks are replaced when
// present, kept otherwise (an empty blocks array removes them).
func (s *Server) updateLocked(p url.Values) apiResult {
	i, code := s.targetMessageLocked(p)
	if code != "" {
		return errResult(code)
	}
	m := s.messages[i]
	if p.Has("text") {
		m.Text = p.Get("text")
	}
	if p.Has("blocks") {
		blocks, code := validateMessage(m.Text, p.Get("blocks"))
		if code != "" {
			return errResult(code)
		}
		m.Blocks = blocks
	} else if _, code := validateMessage(m.Text, ""); code != "" {
		return errResult(code)
	}
	if m.Text == "" && m.Blocks == nil && p.Get("attachments") == "" {
		return errResult("no_text")
	}
	if p.Has("metadata") {
		metadata, code := parseMetadata(p.Get("metadata"))
		if code != "" {
			return errResult(code)
		}
		m.Metadata = metadata
	}
	m = s.editLocked(i, m.Text, m.Blocks, m.Metadata)
	return okResult(map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": messageJSON(m)})
}

// deleteLocked implements chat.delete.
func (s *Server) deleteLocked(p url.Values) apiResult {
	i, code := s.targetMessageLocked(p)
	if code != "" {
		return errResult(code)
	}
	s.messages[i].Deleted = true
	return okResult(map[string]any{"channel": s.messages[i].Channel, "ts": s.messages[i].TS})
}

// targetMessageLocked finds the live message a call names by channel and
// ts, or returns a Slack error code. s.mu must be held.
func (s *Server) targetMessageLocked(p url.Values) (int, string) {
	ch := s.lookupChannelLocked(p.Get("channel"))
	if ch == nil {
		return -1, "channel_not_found"
	}
	i := s.findMessageLocked(ch.id, p.Get("ts"))
	if i < 0 {
		return -1, "message_not_found"
	}
	return i, ""
}
