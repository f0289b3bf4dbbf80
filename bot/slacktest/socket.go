package slacktest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// writeTimeout bounds every write to a socket.
	writeTimeout = 5 * time.Second
	// maxAckRead bounds the size of a frame the server reads from a socket.
	maxAckRead = 1 << 20
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
	// ("too_large", "unknown_envelope" or "already_acked": a second ack of
	// one delivery).
	Dropped bool
	// Reason explains Dropped.
	Reason string
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

// serveWebSocket answers the URL handed out by apps.connections.open.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	if f := s.takeFaultLocked(MethodWebSocket, nil); f != nil {
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

// handleAck records an ack and hands it to whoever waits for its
// envelope. Slack ignores an ack of 20 KiB or more, one for an envelope it
// never sent and one for a delivery already acknowledged.
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
	s.mu.Lock()
	env := s.envelopes[a.EnvelopeID]
	switch {
	case ack.Size >= MaxAckSize:
		ack.Dropped, ack.Reason = true, "too_large"
	case env == nil:
		ack.Dropped, ack.Reason = true, "unknown_envelope"
	case !env.ackedAt.IsZero():
		ack.Dropped, ack.Reason = true, "already_acked"
	default:
		env.ackedAt = ack.At
	}
	var waiters []chan Ack
	if env != nil && ack.Reason != "already_acked" {
		waiters = slices.Clone(env.waiters)
	}
	s.acks = append(s.acks, ack)
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Debug("slacktest: ack", "envelope", ack.EnvelopeID, "size", ack.Size, "dropped", ack.Dropped)
	for _, ch := range waiters {
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
