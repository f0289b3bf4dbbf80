package slacktest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Reading messages back: conversations.history and conversations.replies,
// as Slack documents them. Both page with limit and an opaque cursor
// (has_more and response_metadata.next_cursor), bound the messages by
// oldest and latest (exclusive unless inclusive is set), return message
// metadata only with include_all_metadata, and leave out ephemeral and
// deleted messages.

const (
	// DefaultHistoryLimit and MaxHistoryLimit are conversations.history's
	// default and largest page size.
	DefaultHistoryLimit = 100
	MaxHistoryLimit     = 999
	// DefaultRepliesLimit and MaxRepliesLimit are conversations.replies'.
	DefaultRepliesLimit = 1000
	MaxRepliesLimit     = 1000
)

// parseTS reads a Slack timestamp ("1700000000.000100", or whole seconds
// "1700000000") as microseconds since the epoch.
func parseTS(s string) (int64, bool) {
	secs, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 || len(frac) > 6 {
		return 0, false
	}
	var micro int64
	if frac != "" {
		f, err := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
		micro = f
	}
	return sec*1_000_000 + micro, true
}

// formatTS writes microseconds since the epoch as a Slack timestamp.
func formatTS(micros int64) string {
	return fmt.Sprintf("%d.%06d", micros/1_000_000, micros%1_000_000)
}

func truthy(v string) bool { return v == "1" || v == "true" }

// parseMetadata checks chat.postMessage's metadata parameter: a JSON object
// with a non-empty event_type and an event_payload object. It returns the
// metadata (nil when absent) or a Slack error code.
func parseMetadata(raw string) (json.RawMessage, string) {
	b := bytes.TrimSpace([]byte(raw))
	if len(b) == 0 {
		return nil, ""
	}
	var m struct {
		EventType    *string         `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, "invalid_metadata_format"
	}
	var payload map[string]json.RawMessage
	if m.EventType == nil || *m.EventType == "" || json.Unmarshal(m.EventPayload, &payload) != nil || payload == nil {
		return nil, "invalid_metadata_schema"
	}
	return json.RawMessage(bytes.Clone(b)), ""
}

// window is the paging and bounds of a history or replies request.
type window struct {
	oldest, latest int64 // microseconds; latest 0 means no bound
	inclusive      bool
	limit          int
	cursor         int64 // microseconds; 0 when no cursor
	metadata       bool
}

const cursorPrefix = "next_ts:"

// encodeCursor makes an opaque cursor that resumes at the message with
// timestamp ts, the way Slack's cursors look (base64 of "next_ts:…").
func encodeCursor(ts int64) string {
	return base64.StdEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(ts, 10)))
}

func decodeCursor(c string) (int64, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, false
	}
	ts, err := strconv.ParseInt(rest, 10, 64)
	return ts, err == nil && ts > 0
}

// parseWindow reads oldest, latest, inclusive, limit, cursor and
// include_all_metadata, or returns a Slack error code.
func parseWindow(p url.Values, defLimit, maxLimit int) (window, string) {
	w := window{inclusive: truthy(p.Get("inclusive")), metadata: truthy(p.Get("include_all_metadata")), limit: defLimit}
	if v := p.Get("oldest"); v != "" {
		ts, ok := parseTS(v)
		if !ok {
			return w, "invalid_ts_oldest"
		}
		w.oldest = ts
	}
	if v := p.Get("latest"); v != "" {
		ts, ok := parseTS(v)
		if !ok {
			return w, "invalid_ts_latest"
		}
		w.latest = ts
	}
	if v := p.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return w, "invalid_limit"
		}
		if n > 0 {
			w.limit = min(n, maxLimit)
		}
	}
	if v := p.Get("cursor"); v != "" {
		ts, ok := decodeCursor(v)
		if !ok {
			return w, "invalid_cursor"
		}
		w.cursor = ts
	}
	return w, ""
}

// contains reports whether a message with timestamp ts falls between
// oldest and latest.
func (w window) contains(ts int64) bool {
	if w.inclusive {
		return ts >= w.oldest && (w.latest == 0 || ts <= w.latest)
	}
	return ts > w.oldest && (w.latest == 0 || ts < w.latest)
}

// readableChannelLocked finds a channel the bot is a member of, so may
// read the history of and post in. s.mu must be held.
func (s *Server) readableChannelLocked(id string) (*channelState, string) {
	ch := s.lookupChannelLocked(id)
	switch {
	case ch == nil:
		return nil, "channel_not_found"
	case !ch.member:
		return nil, "not_in_channel"
	}
	return ch, ""
}

// visible reports whether m shows in a conversation: not ephemeral, not
// deleted.
func visible(m *Message, channel string) bool {
	return m.Channel == channel && !m.Ephemeral && !m.Deleted
}

// isReply reports whether m is a thread reply (not a thread's parent).
func isReply(m *Message) bool { return m.ThreadTS != "" && m.ThreadTS != m.TS }

// threadInfo is what a parent message says of its thread.
type threadInfo struct {
	count  int
	latest string
}

// threadsLocked sums up the threads of channel by parent timestamp. s.mu
// must be held.
func (s *Server) threadsLocked(channel string) map[string]*threadInfo {
	threads := map[string]*threadInfo{}
	for i := range s.messages {
		m := &s.messages[i]
		if !visible(m, channel) || !isReply(m) {
			continue
		}
		t := threads[m.ThreadTS]
		if t == nil {
			t = &threadInfo{}
			threads[m.ThreadTS] = t
		}
		t.count++
		t.latest = m.TS
	}
	return threads
}

// listedJSON is a message as history and replies list it: with its thread's
// fields, and with metadata only when asked for.
func listedJSON(m *Message, threads map[string]*threadInfo, metadata bool) map[string]any {
	out := messageJSON(*m)
	if !metadata {
		delete(out, "metadata")
	}
	if isReply(m) {
		out["parent_user_id"] = BotUserID
		if m.Broadcast {
			out["subtype"] = "thread_broadcast"
		}
	} else if t := threads[m.TS]; t != nil {
		out["thread_ts"] = m.TS
		out["reply_count"] = t.count
		out["reply_users_count"] = 1
		out["reply_users"] = []string{BotUserID}
		out["latest_reply"] = t.latest
	}
	return out
}

func pageJSON(fields map[string]any, msgs []map[string]any, next int64) apiResult {
	if msgs == nil {
		msgs = []map[string]any{}
	}
	fields["messages"] = msgs
	fields["has_more"] = next != 0
	cursor := ""
	if next != 0 {
		cursor = encodeCursor(next)
	}
	fields["response_metadata"] = map[string]any{"next_cursor": cursor}
	return okResult(fields)
}

// historyLocked implements conversations.history: the channel's messages,
// newest first, top-level ones only (thread replies show only when
// broadcast). s.mu must be held.
func (s *Server) historyLocked(p url.Values) apiResult {
	ch, code := s.readableChannelLocked(p.Get("channel"))
	if code != "" {
		return errResult(code)
	}
	w, code := parseWindow(p, DefaultHistoryLimit, MaxHistoryLimit)
	if code != "" {
		return errResult(code)
	}
	threads := s.threadsLocked(ch.id)
	var out []map[string]any
	var next int64
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := &s.messages[i]
		if !visible(m, ch.id) || (isReply(m) && !m.Broadcast) {
			continue
		}
		ts, _ := parseTS(m.TS)
		if !w.contains(ts) || (w.cursor != 0 && ts > w.cursor) {
			continue
		}
		if len(out) == w.limit {
			next = ts
			break
		}
		out = append(out, listedJSON(m, threads, w.metadata))
	}
	fields := map[string]any{"pin_count": 0}
	if v := p.Get("latest"); v != "" {
		fields["latest"] = v
	}
	return pageJSON(fields, out, next)
}

// repliesLocked implements conversations.replies: a thread's parent, then
// its replies oldest first. The parent leads the first page whatever the
// bounds; oldest and latest bound the replies. ts may name the parent or
// any reply. s.mu must be held.
func (s *Server) repliesLocked(p url.Values) apiResult {
	ch, code := s.readableChannelLocked(p.Get("channel"))
	if code != "" {
		return errResult(code)
	}
	w, code := parseWindow(p, DefaultRepliesLimit, MaxRepliesLimit)
	if code != "" {
		return errResult(code)
	}
	i := s.findMessageLocked(ch.id, p.Get("ts"))
	if i < 0 {
		return errResult("thread_not_found")
	}
	parentTS := s.messages[i].TS
	if isReply(&s.messages[i]) {
		parentTS = s.messages[i].ThreadTS
	}
	threads := s.threadsLocked(ch.id)
	var out []map[string]any
	if w.cursor == 0 {
		if j := s.findMessageLocked(ch.id, parentTS); j >= 0 {
			out = append(out, listedJSON(&s.messages[j], threads, w.metadata))
		}
	}
	var next int64
	for j := range s.messages {
		m := &s.messages[j]
		if !visible(m, ch.id) || !isReply(m) || m.ThreadTS != parentTS {
			continue
		}
		ts, _ := parseTS(m.TS)
		if !w.contains(ts) || ts < w.cursor {
			continue
		}
		if len(out) == w.limit {
			next = ts
			break
		}
		out = append(out, listedJSON(m, threads, w.metadata))
	}
	return pageJSON(map[string]any{}, out, next)
}
