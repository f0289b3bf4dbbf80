package slacktest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
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

// readCall reads a request to the fake as the Call it records, and the
// Slack error code of a body it cannot parse.
func readCall(method string, r *http.Request) (Call, string) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodySize))
	params, parseErr := parseParams(r, body)
	return Call{
		Method: method,
		Token:  requestToken(r, params),
		Params: params,
		Body:   body,
		At:     time.Now(),
	}, parseErr
}

// recordLocked records call with the answer it got. s.mu must be held.
func (s *Server) recordLocked(call *Call, res apiResult) {
	call.Status = res.status
	call.Error = res.errorText()
	s.calls = append(s.calls, *call)
	s.notifyLocked()
}

// serveAPI answers /api/<method>.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	call, parseErr := readCall(method, r)

	s.mu.Lock()
	before := len(s.messages)
	res, custom := s.apiLocked(method, call, parseErr)
	if custom != nil {
		s.mu.Unlock()
		res = runCustom(custom, cloneCall(call))
		s.mu.Lock()
	}
	s.recordLocked(&call, res)
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
	if f := s.takeFaultLocked(method, c.Params); f != nil {
		return f.result(), nil
	}
	custom, run := s.handlers[method], builtin(method)
	if custom == nil && run == nil {
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
	return run(s, c.Params), nil
}

// builtin returns the built-in implementation of method, or nil. Each
// runs with s.mu held.
func builtin(method string) func(*Server, url.Values) apiResult {
	switch method {
	case "auth.test":
		return (*Server).authTestLocked
	case "apps.connections.open":
		return (*Server).connectionsOpenLocked
	case "chat.postMessage":
		return func(s *Server, p url.Values) apiResult { return s.postLocked(p, false) }
	case "chat.postEphemeral":
		return func(s *Server, p url.Values) apiResult { return s.postLocked(p, true) }
	case "chat.update":
		return (*Server).updateLocked
	case "chat.delete":
		return (*Server).deleteLocked
	case "chat.scheduleMessage":
		return (*Server).scheduleLocked
	case "chat.deleteScheduledMessage":
		return (*Server).deleteScheduledLocked
	case "conversations.info":
		return (*Server).conversationInfoLocked
	case "conversations.join":
		return (*Server).joinLocked
	case "conversations.history":
		return (*Server).historyLocked
	case "conversations.replies":
		return (*Server).repliesLocked
	case "users.info":
		return (*Server).userInfoLocked
	case "views.open":
		return (*Server).openViewLocked
	case "views.update":
		return (*Server).updateViewLocked
	case "views.publish":
		return (*Server).publishViewLocked
	case "files.getUploadURLExternal":
		return (*Server).uploadURLLocked
	case "files.completeUploadExternal":
		return (*Server).completeUploadLocked
	}
	return nil
}

func (s *Server) authTestLocked(url.Values) apiResult {
	return okResult(map[string]any{
		"url":     "https://" + TeamDomain + ".slack.com/",
		"team":    TeamDomain,
		"user":    BotUserName,
		"team_id": TeamID,
		"user_id": BotUserID,
		"bot_id":  BotID,
	})
}

func (s *Server) connectionsOpenLocked(url.Values) apiResult {
	ticket := randomID(16)
	s.tickets[ticket] = true
	wsURL := "ws://" + strings.TrimPrefix(s.hs.URL, "http://") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return okResult(map[string]any{"url": wsURL})
}

func (s *Server) conversationInfoLocked(p url.Values) apiResult {
	ch := s.lookupChannelLocked(p.Get("channel"))
	if ch == nil {
		return errResult("channel_not_found")
	}
	return okResult(map[string]any{"channel": channelJSON(ch)})
}

func (s *Server) joinLocked(p url.Values) apiResult {
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
