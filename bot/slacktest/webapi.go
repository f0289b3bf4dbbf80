package slacktest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBodySize bounds how much of a request body the fake reads.
const maxBodySize = 8 << 20

// apiResult is an HTTP answer: a JSON body, or text when body is nil.
type apiResult struct {
	status     int
	header     http.Header
	body       any
	text       string
	slackError string
}

func okResult(fields map[string]any) apiResult {
	body := map[string]any{"ok": true}
	for k, v := range fields {
		body[k] = v
	}
	return apiResult{status: http.StatusOK, body: body}
}

func errResult(code string) apiResult {
	return apiResult{status: http.StatusOK, slackError: code, body: map[string]any{"ok": false, "error": code}}
}

// errorText is what Call.Error records for the result.
func (r apiResult) errorText() string {
	if r.slackError != "" {
		return r.slackError
	}
	if r.status != http.StatusOK {
		return r.text
	}
	return ""
}

func (r apiResult) write(w http.ResponseWriter) {
	for k, vs := range r.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := r.status
	if status == 0 {
		status = http.StatusOK
	}
	if r.body == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, r.text)
		return
	}
	b, err := json.Marshal(r.body)
	if err != nil {
		http.Error(w, "slacktest: cannot marshal response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serveAPI answers /api/<method>.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodySize))
	params, parseErr := parseParams(r, body)
	call := Call{
		Method: method,
		Token:  requestToken(r, params),
		Params: params,
		Body:   body,
		At:     time.Now(),
	}

	s.mu.Lock()
	before := len(s.messages)
	res, custom := s.apiLocked(method, call, parseErr)
	if custom != nil {
		s.mu.Unlock()
		res = runCustom(custom, cloneCall(call))
		s.mu.Lock()
	}
	call.Status = res.status
	call.Error = res.errorText()
	s.calls = append(s.calls, call)
	s.notifyLocked()
	var accepted []Message
	hook := s.onMessage
	if hook != nil && custom == nil {
		for _, m := range s.messages[before:] {
			accepted = append(accepted, cloneMessage(m))
		}
	}
	s.mu.Unlock()
	for _, m := range accepted {
		hook(m)
	}

	s.log.Debug("slacktest: api call", "method", method, "status", call.Status, "error", call.Error)
	res.write(w)
}

func runCustom(fn func(Call) any, c Call) apiResult {
	v := fn(c)
	if v == nil {
		return okResult(nil)
	}
	res := apiResult{status: http.StatusOK, body: v}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["error"].(string); ok && m["ok"] == false {
			res.slackError = e
		}
	}
	return res
}

// apiLocked applies faults, method lookup and the token check, then runs a
// built-in method. It returns a custom handler instead when one is installed
// (to be run without s.mu). s.mu must be held.
func (s *Server) apiLocked(method string, c Call, parseErr string) (apiResult, func(Call) any) {
	if f := s.takeFaultLocked(method); f != nil {
		return f.result(), nil
	}
	custom := s.handlers[method]
	if custom == nil && !builtinMethod(method) {
		res := errResult("unknown_method")
		res.body.(map[string]any)["req_method"] = method
		return res, nil
	}
	if parseErr != "" {
		return errResult(parseErr), nil
	}
	if code := s.authError(method, c.Token); code != "" {
		return errResult(code), nil
	}
	if custom != nil {
		return apiResult{}, custom
	}
	return s.builtinLocked(method, c.Params), nil
}

// builtinLocked runs a built-in method. s.mu must be held.
func (s *Server) builtinLocked(method string, p url.Values) apiResult {
	switch method {
	case "auth.test":
		return okResult(map[string]any{
			"url":     "https://" + TeamDomain + ".slack.com/",
			"team":    TeamDomain,
			"user":    BotUserName,
			"team_id": TeamID,
			"user_id": BotUserID,
			"bot_id":  BotID,
		})
	case "apps.connections.open":
		ticket := randomID(16)
		s.tickets[ticket] = true
		wsURL := "ws://" + strings.TrimPrefix(s.hs.URL, "http://") + "/link/?ticket=" + ticket + "&app_id=" + AppID
		return okResult(map[string]any{"url": wsURL})
	case "chat.postMessage":
		return s.postLocked(p, false)
	case "chat.postEphemeral":
		return s.postLocked(p, true)
	case "chat.update":
		return s.updateLocked(p)
	case "chat.delete":
		return s.deleteLocked(p)
	case "conversations.info":
		ch := s.lookupChannelLocked(p.Get("channel"))
		if ch == nil {
			return errResult("channel_not_found")
		}
		return okResult(map[string]any{"channel": channelJSON(ch)})
	case "chat.scheduleMessage":
		return s.scheduleLocked(p)
	case "chat.deleteScheduledMessage":
		ch := s.lookupChannelLocked(p.Get("channel"))
		switch {
		case ch == nil:
			return errResult("channel_not_found")
		case !s.scheduled[p.Get("scheduled_message_id")]:
			return errResult("invalid_scheduled_message_id")
		}
		delete(s.scheduled, p.Get("scheduled_message_id"))
		return okResult(map[string]any{})
	case "conversations.history":
		return s.historyLocked(p)
	case "conversations.replies":
		return s.repliesLocked(p)
	case "conversations.join":
		ch := s.lookupChannelLocked(p.Get("channel"))
		if ch == nil {
			return errResult("channel_not_found")
		}
		fields := map[string]any{}
		if ch.member {
			fields["warning"] = "already_in_channel"
		}
		ch.member = true
		fields["channel"] = channelJSON(ch)
		return okResult(fields)
	}
	return errResult("unknown_method")
}

func builtinMethod(method string) bool {
	switch method {
	case "auth.test", "apps.connections.open", "chat.postMessage", "chat.postEphemeral",
		"chat.update", "chat.delete", "conversations.info", "conversations.join",
		"chat.scheduleMessage", "chat.deleteScheduledMessage",
		"conversations.history", "conversations.replies":
		return true
	}
	return false
}

// authError checks the token like Slack: apps.connections.open wants the
// app-level token, everything else the bot token.
func (s *Server) authError(method, token string) string {
	switch {
	case token == "":
		return "not_authed"
	case method == "apps.connections.open":
		if token != s.cfg.appToken {
			return "invalid_auth"
		}
	case token == s.cfg.appToken:
		return "not_allowed_token_type"
	case token != s.cfg.botToken:
		return "invalid_auth"
	}
	return ""
}

// requestToken returns the bearer token, else the "token" parameter.
func requestToken(r *http.Request, p url.Values) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	return p.Get("token")
}

// parseParams merges query parameters with a form or JSON body. JSON
// top-level fields are flattened: strings as is, other values as raw JSON.
// It returns a Slack error code when the body cannot be parsed.
func parseParams(r *http.Request, body []byte) (url.Values, string) {
	v := r.URL.Query()
	if len(bytes.TrimSpace(body)) == 0 {
		return v, ""
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return v, "invalid_json"
		}
		for k, raw := range m {
			var str string
			switch {
			case bytes.Equal(bytes.TrimSpace(raw), []byte("null")):
			case json.Unmarshal(raw, &str) == nil:
				v.Set(k, str)
			default:
				v.Set(k, string(raw))
			}
		}
		return v, ""
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return v, "invalid_form_data"
	}
	for k, vs := range form {
		v[k] = append(v[k], vs...)
	}
	return v, ""
}

// lookupChannelLocked finds a channel by ID, or by name when given as
// "#name". s.mu must be held.
func (s *Server) lookupChannelLocked(idOrName string) *channelState {
	if name, ok := strings.CutPrefix(idOrName, "#"); ok {
		for _, ch := range s.channels {
			if ch.name == name {
				return ch
			}
		}
		return nil
	}
	return s.channels[idOrName]
}

func channelJSON(ch *channelState) map[string]any {
	return map[string]any{
		"id":              ch.id,
		"name":            ch.name,
		"name_normalized": ch.name,
		"is_channel":      true,
		"is_group":        false,
		"is_im":           false,
		"is_private":      false,
		"is_archived":     false,
		"is_member":       ch.member,
		"created":         1700000000,
	}
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
	return out
}

// postLocked implements chat.postMessage and chat.postEphemeral.
func (s *Server) postLocked(p url.Values, ephemeral bool) apiResult {
	ch := s.lookupChannelLocked(p.Get("channel"))
	switch {
	case ch == nil:
		return errResult("channel_not_found")
	case !ch.member:
		return errResult("not_in_channel")
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
	m := Message{
		Channel:   ch.id,
		User:      user,
		Text:      text,
		ThreadTS:  p.Get("thread_ts"),
		TS:        s.nextTSLocked(),
		Blocks:    blocks,
		Ephemeral: ephemeral,
		Metadata:  metadata,
		Broadcast: p.Get("thread_ts") != "" && truthy(p.Get("reply_broadcast")),
		Raw:       withoutToken(p),
	}
	if ephemeral {
		m.Metadata = nil
	}
	s.messages = append(s.messages, m)
	if ephemeral {
		return okResult(map[string]any{"message_ts": m.TS})
	}
	return okResult(map[string]any{"channel": m.Channel, "ts": m.TS, "message": messageJSON(m)})
}

// scheduleLocked accepts a message to post later, checking the channel
// like chat.postMessage does; the message is never posted (tests do not run
// that long), only remembered until deleted.
func (s *Server) scheduleLocked(p url.Values) apiResult {
	ch := s.lookupChannelLocked(p.Get("channel"))
	switch {
	case ch == nil:
		return errResult("channel_not_found")
	case !ch.member:
		return errResult("not_in_channel")
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

// ScheduledMessages counts messages scheduled and not deleted.
func (s *Server) ScheduledMessages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.scheduled)
}

// findMessageLocked returns the index of the live, non-ephemeral message
// with ts in channel, or -1.
func (s *Server) findMessageLocked(channel, ts string) int {
	for i, m := range s.messages {
		if m.Channel == channel && m.TS == ts && !m.Ephemeral && !m.Deleted {
			return i
		}
	}
	return -1
}

// updateLocked implements chat.update: text and blocks are replaced when
// present, kept otherwise (an empty blocks array removes them).
func (s *Server) updateLocked(p url.Values) apiResult {
	ch := s.lookupChannelLocked(p.Get("channel"))
	if ch == nil {
		return errResult("channel_not_found")
	}
	i := s.findMessageLocked(ch.id, p.Get("ts"))
	if i < 0 {
		return errResult("message_not_found")
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
	m.Edits++
	s.messages[i] = m
	return okResult(map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": messageJSON(m)})
}

// deleteLocked implements chat.delete.
func (s *Server) deleteLocked(p url.Values) apiResult {
	ch := s.lookupChannelLocked(p.Get("channel"))
	if ch == nil {
		return errResult("channel_not_found")
	}
	i := s.findMessageLocked(ch.id, p.Get("ts"))
	if i < 0 {
		return errResult("message_not_found")
	}
	s.messages[i].Deleted = true
	return okResult(map[string]any{"channel": ch.id, "ts": s.messages[i].TS})
}
