package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// writeTimeout bounds every write to a socket.
	writeTimeout = 5 * time.Second
	// maxAckRead bounds the size of a frame the server reads from a socket.
	maxAckRead = 1 << 20
	// MaxResponseURLUses is how many times a response_url accepts a POST;
	// later POSTs get HTTP 404 "used_url".
	MaxResponseURLUses = 5
)

// wsConn is one Socket Mode WebSocket. active and ready are guarded by
// Server.mu; writeMu serialises data frames.
type wsConn struct {
	id      int
	ws      *websocket.Conn
	writeMu sync.Mutex
	done    chan struct{} // closed when the read loop has exited
	ready   bool          // hello sent
	active  bool          // eligible for new envelopes (not told to disconnect)
}

func (c *wsConn) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// SlashCommand is a slash command a user issues; see Server.SlashCommand.
type SlashCommand struct {
	// Command is the command, with its slash, e.g. "/orgs". Required.
	Command string
	// Text is what the user typed after the command.
	Text string
	// UserID is the issuing user (default DefaultUserID).
	UserID string
	// UserName is the issuing user's name (default derived from UserID).
	UserName string
	// ChannelID is where the command was typed (default: the first
	// configured channel). It need not exist on the fake.
	ChannelID string
	// TeamID is the workspace (default TeamID).
	TeamID string
}

// Response is what the user would see in reply to a slash command: the ack
// payload, or — when the ack was empty — the first follow-up sent through
// the response_url or chat.postEphemeral.
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

// Ack is an envelope acknowledgement received on a socket.
type Ack struct {
	// EnvelopeID is the acknowledged envelope.
	EnvelopeID string
	// Payload is the ack's payload field, nil when absent.
	Payload json.RawMessage
	// Size is the size of the whole ack frame in bytes.
	Size int
	// At is when the ack arrived.
	At time.Time
	// Dropped is true when Slack would ignore this ack; Reason says why
	// ("too_large" or "unknown_envelope").
	Dropped bool
	// Reason explains Dropped.
	Reason string
}

// envelopeState tracks a delivered slash command for its follow-ups.
type envelopeState struct {
	channel, user string
	msgMark       int // len(messages) when the command was issued
	uses          int // response_url POSTs accepted
}

type debugInfo struct {
	Host                      string `json:"host"`
	BuildNumber               int    `json:"build_number,omitempty"`
	ApproximateConnectionTime int    `json:"approximate_connection_time,omitempty"`
}

type helloMessage struct {
	Type           string    `json:"type"`
	NumConnections int       `json:"num_connections"`
	DebugInfo      debugInfo `json:"debug_info"`
	ConnectionInfo struct {
		AppID string `json:"app_id"`
	} `json:"connection_info"`
}

type disconnectMessage struct {
	Type      string    `json:"type"`
	Reason    string    `json:"reason"`
	DebugInfo debugInfo `json:"debug_info"`
}

type envelope struct {
	EnvelopeID             string `json:"envelope_id"`
	Payload                any    `json:"payload"`
	Type                   string `json:"type"`
	AcceptsResponsePayload bool   `json:"accepts_response_payload"`
	RetryAttempt           int    `json:"retry_attempt"`
	RetryReason            string `json:"retry_reason"`
}

// slashPayload mirrors what Slack sends; note is_enterprise_install is a
// string, as Slack sends it in Socket Mode.
type slashPayload struct {
	Token               string `json:"token"`
	TeamID              string `json:"team_id"`
	TeamDomain          string `json:"team_domain"`
	ChannelID           string `json:"channel_id"`
	ChannelName         string `json:"channel_name"`
	UserID              string `json:"user_id"`
	UserName            string `json:"user_name"`
	Command             string `json:"command"`
	Text                string `json:"text"`
	APIAppID            string `json:"api_app_id"`
	IsEnterpriseInstall string `json:"is_enterprise_install"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
}

// responseMessage is the part of an ack payload or response_url body the
// fake understands.
type responseMessage struct {
	Text            string          `json:"text"`
	ResponseType    string          `json:"response_type"`
	Blocks          json.RawMessage `json:"blocks"`
	Attachments     json.RawMessage `json:"attachments"`
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
		ReplaceOriginal: m.ReplaceOriginal,
		DeleteOriginal:  m.DeleteOriginal,
	}
}

// serveWebSocket answers the URL handed out by apps.connections.open.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	if f := s.takeFaultLocked(MethodWebSocket); f != nil {
		s.mu.Unlock()
		res := f.result()
		if f.kind == faultSlackError {
			res = apiResult{status: http.StatusBadRequest, text: f.slackError}
		}
		res.write(w)
		return
	}
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("slacktest: websocket upgrade failed", "err", err)
		return
	}
	ws.SetReadLimit(maxAckRead)
	c := &wsConn{ws: ws, done: make(chan struct{}), active: true}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.wg.Add(1) // under s.mu with !closed, so it cannot race Close's Wait
	defer s.wg.Done()
	s.connSeq++
	c.id = s.connSeq
	s.conns[c] = true
	num := s.readyCountLocked() + 1
	s.mu.Unlock()

	defer func() {
		_ = ws.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.notifyLocked()
		s.mu.Unlock()
		close(c.done)
		s.log.Debug("slacktest: socket closed", "conn", c.id)
	}()

	hello := helloMessage{
		Type:           "hello",
		NumConnections: num,
		DebugInfo: debugInfo{
			Host:                      "applink-slacktest-" + strconv.Itoa(c.id),
			BuildNumber:               1,
			ApproximateConnectionTime: 18060,
		},
	}
	hello.ConnectionInfo.AppID = AppID
	if err := c.writeJSON(hello); err != nil {
		return
	}

	s.mu.Lock()
	if !s.conns[c] || !c.active { // dropped while saying hello
		s.mu.Unlock()
		return
	}
	c.ready = true
	s.opened++
	s.goLocked(func() { s.pingLoop(c) })
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Debug("slacktest: socket connected", "conn", c.id, "num_connections", num)

	s.readLoop(c)
}

func (s *Server) readyCountLocked() int {
	n := 0
	for c := range s.conns {
		if c.ready && c.active {
			n++
		}
	}
	return n
}

// pingLoop sends a WebSocket PING every ping interval until the socket ends.
func (s *Server) pingLoop(c *wsConn) {
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte(strconv.Itoa(n)), time.Now().Add(writeTimeout)); err != nil {
				return
			}
		}
	}
}

// readLoop reads acks until the socket fails.
func (s *Server) readLoop(c *wsConn) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			s.log.Debug("slacktest: socket read ended", "conn", c.id, "err", err)
			return
		}
		s.handleAck(data)
	}
}

func (s *Server) handleAck(data []byte) {
	var a struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &a); err != nil || a.EnvelopeID == "" {
		s.log.Debug("slacktest: ignoring socket message", "msg", string(data))
		return
	}
	ack := Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload, Size: len(data), At: time.Now()}
	if ack.Size >= MaxAckSize {
		ack.Dropped, ack.Reason = true, "too_large"
	}
	s.mu.Lock()
	ch := s.pending[a.EnvelopeID]
	if ch == nil && !ack.Dropped {
		ack.Dropped, ack.Reason = true, "unknown_envelope"
	}
	s.acks = append(s.acks, ack)
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Debug("slacktest: ack", "envelope", ack.EnvelopeID, "size", ack.Size, "dropped", ack.Dropped)
	if ch != nil {
		select {
		case ch <- ack:
		default:
		}
	}
}

// Acks returns every ack received, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ack, len(s.acks))
	for i, a := range s.acks {
		a.Payload = slices.Clone(a.Payload)
		out[i] = a
	}
	return out
}

// Connections returns how many sockets are open, greeted with hello and not
// told to disconnect.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyCountLocked()
}

// ConnectionsOpened returns how many sockets have been greeted since the
// server started, which lets tests assert that a client reconnected.
func (s *Server) ConnectionsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// WaitConnectionsOpened blocks until at least n sockets have been greeted
// since the server started (see ConnectionsOpened), or returns ctx's error or
// ErrServerClosed.
func (s *Server) WaitConnectionsOpened(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.opened >= n })
}

// WaitConnected blocks until at least one socket is open and has been sent
// hello, or returns ctx's error or ErrServerClosed.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return s.readyCountLocked() > 0 })
}

// DropConnections closes every open socket abruptly (no close frame), like a
// network failure. Clients must reconnect; after it returns, Connections is 0
// until they do.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		c.active = false
		conns = append(conns, c)
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
}

// Disconnect sends Slack's {"type":"disconnect","reason":reason} message
// followed by a close frame on every open socket, as Slack does before
// rotating connections ("refresh_requested", "warning", ...). slack-go
// reconnects on it. It returns how many sockets were told.
func (s *Server) Disconnect(reason string) int {
	s.mu.Lock()
	var conns []*wsConn
	for c := range s.conns {
		if c.ready && c.active {
			c.active = false
			conns = append(conns, c)
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		msg := disconnectMessage{Type: "disconnect", Reason: reason,
			DebugInfo: debugInfo{Host: "applink-slacktest-" + strconv.Itoa(c.id)}}
		if err := c.writeJSON(msg); err != nil {
			continue
		}
		_ = c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, reason), time.Now().Add(writeTimeout))
	}
	return len(conns)
}

// pickConn waits for a ready socket and picks one round-robin.
func (s *Server) pickConn(ctx context.Context) (*wsConn, error) {
	var c *wsConn
	err := s.waitFor(ctx, func() bool {
		var ready []*wsConn
		for cc := range s.conns {
			if cc.ready && cc.active {
				ready = append(ready, cc)
			}
		}
		if len(ready) == 0 {
			return false
		}
		slices.SortFunc(ready, func(a, b *wsConn) int { return a.id - b.id })
		c = ready[s.rr%len(ready)]
		s.rr++
		return true
	})
	return c, err
}

// SlashCommand delivers a slash_commands envelope on an open socket
// (waiting for one if none is open) and waits for the bot's ack; ctx bounds
// the whole call. If the socket dies before the ack, the envelope is
// redelivered on the next socket with retry_attempt incremented.
//
// It returns the acked payload as a Response. If the ack's payload is empty,
// it keeps waiting for the bot's first follow-up — a POST to the envelope's
// response_url or a chat.postEphemeral to the user in that channel — and
// returns that instead (ErrNoResponse if none arrives before ctx ends).
//
// Errors: ErrAckTooLarge (ack ≥ 20 KiB, which Slack drops), ErrAckTimeout
// (ack later than the ack timeout), ErrInvalidResponse (payload breaks
// Slack's limits); the Response is still filled in for these.
func (s *Server) SlashCommand(ctx context.Context, cmd SlashCommand) (Response, error) {
	if !strings.HasPrefix(cmd.Command, "/") {
		return Response{}, fmt.Errorf("slacktest: slash command %q must start with /", cmd.Command)
	}
	if cmd.UserID == "" {
		cmd.UserID = DefaultUserID
	}
	if cmd.UserName == "" {
		cmd.UserName = strings.ToLower(cmd.UserID)
	}
	if cmd.TeamID == "" {
		cmd.TeamID = TeamID
	}
	envID := newUUID()
	ackCh := make(chan Ack, 1)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Response{}, ErrServerClosed
	}
	if cmd.ChannelID == "" && len(s.cfg.channels) > 0 {
		cmd.ChannelID = s.cfg.channels[0].id
	}
	channelName := strings.ToLower(cmd.ChannelID)
	if ch := s.channels[cmd.ChannelID]; ch != nil {
		channelName = ch.name
	}
	env := &envelopeState{channel: cmd.ChannelID, user: cmd.UserID, msgMark: len(s.messages)}
	s.envelopes[envID] = env
	s.pending[envID] = ackCh
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, envID)
		s.mu.Unlock()
	}()

	payload := slashPayload{
		Token:               "slacktest-verification-token",
		TeamID:              cmd.TeamID,
		TeamDomain:          TeamDomain,
		ChannelID:           cmd.ChannelID,
		ChannelName:         channelName,
		UserID:              cmd.UserID,
		UserName:            cmd.UserName,
		Command:             cmd.Command,
		Text:                cmd.Text,
		APIAppID:            AppID,
		IsEnterpriseInstall: "false",
		ResponseURL:         s.hs.URL + "/respond/" + envID,
		TriggerID:           "1700000000.1." + randomID(8),
	}

	var first time.Time
	var reason string
	for attempt := 0; ; attempt++ {
		c, err := s.pickConn(ctx)
		if err != nil {
			return Response{EnvelopeID: envID}, fmt.Errorf("slacktest: no socket for %s: %w", cmd.Command, err)
		}
		if first.IsZero() {
			first = time.Now()
		}
		msg := envelope{
			EnvelopeID:             envID,
			Payload:                payload,
			Type:                   "slash_commands",
			AcceptsResponsePayload: true,
			RetryAttempt:           attempt,
			RetryReason:            reason,
		}
		if err := c.writeJSON(msg); err != nil {
			s.log.Debug("slacktest: envelope write failed", "conn", c.id, "err", err)
			s.mu.Lock()
			c.active = false
			s.mu.Unlock()
			_ = c.ws.Close()
			reason = "timeout"
			continue
		}
		s.log.Debug("slacktest: envelope sent", "envelope", envID, "conn", c.id, "attempt", attempt)
		select {
		case a := <-ackCh:
			return s.finishSlash(ctx, envID, env, first, a)
		case <-c.done:
			select {
			case a := <-ackCh:
				return s.finishSlash(ctx, envID, env, first, a)
			default:
			}
			reason = "timeout"
		case <-ctx.Done():
			return Response{EnvelopeID: envID}, fmt.Errorf("slacktest: waiting for ack of %s: %w", cmd.Command, ctx.Err())
		case <-s.done:
			return Response{EnvelopeID: envID}, ErrServerClosed
		}
	}
}

func (s *Server) finishSlash(ctx context.Context, envID string, env *envelopeState, first time.Time, a Ack) (Response, error) {
	resp := Response{EnvelopeID: envID, Raw: a.Payload, AckAfter: a.At.Sub(first)}
	if a.Dropped {
		return resp, fmt.Errorf("%w: %d bytes, limit %d", ErrAckTooLarge, a.Size, MaxAckSize)
	}
	m, empty, code := parseResponseMessage(a.Payload)
	r := m.response(envID)
	r.Raw, r.AckAfter = resp.Raw, resp.AckAfter
	if code != "" {
		return r, fmt.Errorf("%w: %s", ErrInvalidResponse, code)
	}
	s.mu.Lock()
	timeout := s.ackTimeout
	s.mu.Unlock()
	if timeout > 0 && r.AckAfter > timeout {
		return r, fmt.Errorf("%w: acked after %v, deadline %v", ErrAckTimeout, r.AckAfter, timeout)
	}
	if !empty {
		return r, nil
	}

	var follow Response
	err := s.waitFor(ctx, func() bool {
		for _, rr := range s.responses {
			if rr.EnvelopeID == envID {
				follow = cloneResponse(rr)
				return true
			}
		}
		for _, msg := range s.messages[env.msgMark:] {
			if msg.Ephemeral && msg.Channel == env.channel && msg.User == env.user {
				follow = Response{
					EnvelopeID:   envID,
					Text:         msg.Text,
					ResponseType: "ephemeral",
					Blocks:       slices.Clone(msg.Blocks),
					ViaEphemeral: true,
				}
				return true
			}
		}
		return false
	})
	if err != nil {
		return r, fmt.Errorf("%w: %w", ErrNoResponse, err)
	}
	follow.AckAfter = r.AckAfter
	return follow, nil
}

func cloneResponse(r Response) Response {
	r.Blocks = slices.Clone(r.Blocks)
	r.Raw = slices.Clone(r.Raw)
	return r
}

// ResponseURLPosts returns the messages POSTed to response_urls and
// accepted, in order, for envelopeID ("" = all envelopes).
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
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodySize))
	params, _ := parseParams(r, body)
	call := Call{
		Method: MethodResponseURL,
		Token:  requestToken(r, params),
		Params: params,
		Body:   body,
		At:     time.Now(),
	}
	s.mu.Lock()
	res := s.responseURLLocked(r.Method, envID, body)
	call.Status = res.status
	call.Error = res.errorText()
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Debug("slacktest: response_url post", "envelope", envID, "status", res.status, "error", call.Error)
	res.write(w)
}

func textResult(status int, text string) apiResult {
	return apiResult{status: status, text: text}
}

func (s *Server) responseURLLocked(httpMethod, envID string, body []byte) apiResult {
	if f := s.takeFaultLocked(MethodResponseURL); f != nil {
		if f.kind == faultSlackError {
			return textResult(http.StatusBadRequest, f.slackError)
		}
		return f.result()
	}
	if httpMethod != http.MethodPost {
		return textResult(http.StatusMethodNotAllowed, "method_not_allowed")
	}
	env := s.envelopes[envID]
	if env == nil {
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
	env.uses++
	resp := m.response(envID)
	resp.Raw = json.RawMessage(slices.Clone(body))
	resp.ViaResponseURL = true
	s.responses = append(s.responses, resp)
	return okResult(nil)
}
