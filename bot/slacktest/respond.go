package slacktest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Response URLs: every slash command and every click on a message carries
// a response_url the bot may POST a message to, up to five times. As on
// Slack, replace_original edits the message clicked, delete_original
// deletes it, response_type "in_channel" posts a new message for everyone
// (into a thread with thread_ts), and anything else answers the user alone.

// MaxResponseURLUses is how many times a response_url accepts a POST;
// later POSTs get HTTP 404 "used_url".
const MaxResponseURLUses = 5

// Response is what the user would see in reply to a slash command or a
// click: the ack payload, or a message POSTed to the response_url, or —
// when the ack was empty — the first follow-up sent through the
// response_url or chat.postEphemeral.
type Response struct {
	// EnvelopeID identifies the Socket Mode envelope.
	EnvelopeID string
	// Text is the response text.
	Text string
	// ResponseType is "ephemeral", "in_channel" or "" (Slack treats "" as
	// ephemeral).
	ResponseType string
	// Blocks is the raw blocks array, nil when none.
	Blocks json.RawMessage
	// ThreadTS is the thread_ts a response_url POST asked for.
	ThreadTS string
	// MessageTS is the timestamp of the message a response_url POST
	// became: the one it posted in the channel, or replaced, or deleted;
	// empty when it only answered the user.
	MessageTS string
	// Raw is the ack payload or the response_url body as sent; nil for a
	// chat.postEphemeral follow-up (see Messages for it).
	Raw json.RawMessage
	// AckAfter is how long the bot took to ack the envelope.
	AckAfter time.Duration
	// ViaResponseURL is true when the response was POSTed to response_url.
	ViaResponseURL bool
	// ViaEphemeral is true when the response was a chat.postEphemeral.
	ViaEphemeral bool
	// ReplaceOriginal and DeleteOriginal echo the response_url flags.
	ReplaceOriginal, DeleteOriginal bool
}

// responseMessage is the part of an ack payload or response_url body the
// fake understands.
type responseMessage struct {
	Text            string          `json:"text"`
	ResponseType    string          `json:"response_type"`
	Blocks          json.RawMessage `json:"blocks"`
	Attachments     json.RawMessage `json:"attachments"`
	ThreadTS        string          `json:"thread_ts"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
}

// parseResponseMessage decodes and validates a response message. empty
// reports that it carries nothing to show; code is a Slack error code.
func parseResponseMessage(raw json.RawMessage) (m responseMessage, empty bool, code string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return m, true, ""
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, false, "invalid_payload"
	}
	blocks, code := validateMessage(m.Text, string(m.Blocks))
	if code != "" {
		return m, false, code
	}
	m.Blocks = blocks
	att := bytes.TrimSpace(m.Attachments)
	hasAtt := len(att) > 0 && !bytes.Equal(att, []byte("null")) && !bytes.Equal(att, []byte("[]"))
	return m, m.Text == "" && m.Blocks == nil && !hasAtt, ""
}

func (m responseMessage) response(envID string) Response {
	return Response{
		EnvelopeID:      envID,
		Text:            m.Text,
		ResponseType:    m.ResponseType,
		Blocks:          m.Blocks,
		ThreadTS:        m.ThreadTS,
		ReplaceOriginal: m.ReplaceOriginal,
		DeleteOriginal:  m.DeleteOriginal,
	}
}

func cloneResponse(r Response) Response {
	r.Blocks = slices.Clone(r.Blocks)
	r.Raw = slices.Clone(r.Raw)
	return r
}

// responseURLFor is the response_url of envelope id.
func (s *Server) responseURLFor(id string) string {
	return s.hs.URL + "/respond/" + id
}

// ResponseURLPosts returns the messages POSTed to response_urls and
// accepted, in order, for envelopeID ("" = all envelopes). Each envelope
// has its own response_url (Delivery.ResponseURL).
func (s *Server) ResponseURLPosts(envelopeID string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Response
	for _, r := range s.responses {
		if envelopeID == "" || r.EnvelopeID == envelopeID {
			out = append(out, cloneResponse(r))
		}
	}
	return out
}

// serveResponseURL accepts POSTed JSON messages on /respond/<envelope id>.
// Like Slack's webhooks it answers errors with a non-200 status and the
// error code as the body, and success with {"ok":true}.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	envID := strings.TrimPrefix(r.URL.Path, "/respond/")
	call, _ := readCall(MethodResponseURL, r)
	s.mu.Lock()
	res := s.responseURLLocked(r.Method, envID, call.Body)
	s.recordLocked(&call, res)
	s.mu.Unlock()
	s.log.Debug("slacktest: response_url post", "envelope", envID, "status", res.status, "error", call.Error)
	res.write(w)
}

func textResult(status int, text string) apiResult {
	return apiResult{status: status, text: text}
}

func (s *Server) responseURLLocked(httpMethod, envID string, body []byte) apiResult {
	if f := s.takeFaultLocked(MethodResponseURL, nil); f != nil {
		if f.kind == faultSlackError {
			return textResult(http.StatusBadRequest, f.slackError)
		}
		return f.result()
	}
	if httpMethod != http.MethodPost {
		return textResult(http.StatusMethodNotAllowed, "method_not_allowed")
	}
	env := s.envelopes[envID]
	if env == nil || env.responseURL == "" {
		return textResult(http.StatusNotFound, "expired_url")
	}
	if env.uses >= MaxResponseURLUses {
		return textResult(http.StatusNotFound, "used_url")
	}
	m, empty, code := parseResponseMessage(body)
	switch {
	case code != "":
		return textResult(http.StatusBadRequest, code)
	case empty && !m.DeleteOriginal:
		return textResult(http.StatusBadRequest, "no_text")
	}
	resp := m.response(envID)
	resp.Raw = json.RawMessage(slices.Clone(body))
	resp.ViaResponseURL = true
	ts, res := s.actOnResponseLocked(env, m)
	if res.status != 0 {
		return res
	}
	env.uses++
	resp.MessageTS = ts
	s.responses = append(s.responses, resp)
	return okResult(nil)
}

// actOnResponseLocked does to the conversation what a response_url POST
// asks: it returns the timestamp of the message it posted, replaced or
// deleted (empty when it only answered the user), or an error answer.
// s.mu must be held.
func (s *Server) actOnResponseLocked(env *envelopeState, m responseMessage) (string, apiResult) {
	if m.DeleteOriginal || m.ReplaceOriginal {
		if env.origin == nil {
			return "", apiResult{} // a slash command has no original: Slack shows the answer
		}
		i := s.originLocked(env.origin)
		if i < 0 {
			return "", textResult(http.StatusNotFound, "message_not_found")
		}
		if m.DeleteOriginal {
			s.messages[i].Deleted = true
		} else {
			s.editLocked(i, m.Text, m.Blocks, s.messages[i].Metadata)
		}
		return s.messages[i].TS, apiResult{}
	}
	if m.ResponseType != "in_channel" {
		return "", apiResult{}
	}
	thread, code := s.threadParentLocked(env.channel, m.ThreadTS)
	if code != "" {
		return "", textResult(http.StatusNotFound, code)
	}
	posted := s.appendMessageLocked(Message{
		Channel:  env.channel,
		User:     BotUserID,
		Text:     m.Text,
		ThreadTS: thread,
		Blocks:   m.Blocks,
	})
	return posted.TS, apiResult{}
}

// originLocked returns the index of the live message a click came from,
// or -1. s.mu must be held.
func (s *Server) originLocked(o *origin) int {
	for i, m := range s.messages {
		if m.Channel == o.channel && m.TS == o.ts && m.Ephemeral == o.ephemeral && !m.Deleted {
			return i
		}
	}
	return -1
}
