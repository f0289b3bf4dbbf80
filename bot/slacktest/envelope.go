package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Envelopes: what Slack sends over a Socket Mode socket (slash commands,
// interactions, events), each delivered at least once and acknowledged by
// envelope_id. The fake keeps every envelope so tests can redeliver one and
// see which were never acknowledged.

// Envelope types, as in an envelope's "type" field.
const (
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
	EnvelopeEventsAPI     = "events_api"
)

// Envelope is a Socket Mode envelope the fake has sent.
type Envelope struct {
	// ID is the envelope_id.
	ID string
	// Type is EnvelopeSlashCommands, EnvelopeInteractive or
	// EnvelopeEventsAPI.
	Type string
	// Payload is the envelope's payload as sent.
	Payload json.RawMessage
	// Deliveries counts the times the envelope was sent, redeliveries
	// included; the latest carried retry_attempt Deliveries-1.
	Deliveries int
	// SentAt is when the latest delivery was sent.
	SentAt time.Time
	// AckedAt is when the latest delivery was acknowledged, zero while it
	// is not (an ack Slack would ignore does not count).
	AckedAt time.Time
}

// Delivery is what came of an envelope the fake sent: the bot's ack, and
// the handles the payload gave the bot for its follow-ups.
type Delivery struct {
	// EnvelopeID is the envelope's envelope_id.
	EnvelopeID string
	// RetryAttempt is the retry_attempt of the delivery that was acked.
	RetryAttempt int
	// TriggerID is the payload's trigger_id, which views.open accepts for a
	// short while (TriggerLifetime); empty for events.
	TriggerID string
	// ResponseURL is the payload's response_url, empty when it has none;
	// what the bot posts there is in ResponseURLPosts(EnvelopeID).
	ResponseURL string
	// Ack is the acknowledgement.
	Ack Ack
	// AckAfter is how long the ack took from the delivery's first send.
	AckAfter time.Duration
	// Deadline is the ack timeout in force (WithAckTimeout), zero when off.
	Deadline time.Duration
	// ResponseAction is the response_action of a view_submission's ack
	// ("errors", "update", "push" or "clear"); empty when the ack closed
	// the view, and for other envelopes.
	ResponseAction string
}

// AckedInTime reports whether the ack came within Slack's deadline, after
// which Slack shows the user an error (and retries an event).
func (d Delivery) AckedInTime() bool {
	return d.Deadline <= 0 || d.AckAfter <= d.Deadline
}

// envelope is an envelope on the wire.
type envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Payload                json.RawMessage `json:"payload"`
	Type                   string          `json:"type"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason"`
}

// envelopeState is the fake's record of an envelope. It is guarded by
// Server.mu.
type envelopeState struct {
	id, typ string
	kind    string // the payload's type: "slash", "block_actions", "view_submission", an event type
	payload json.RawMessage
	accepts bool // accepts_response_payload

	deliveries      int
	sentAt, ackedAt time.Time
	waiters         []chan Ack

	trigger     string
	responseURL string

	// Follow-ups.
	channel, user string  // where and by whom: for ephemeral answers
	msgMark       int     // len(messages) when the envelope was made
	uses          int     // response_url POSTs accepted
	origin        *origin // the message clicked, for replace_original and delete_original
	viewID        string  // the view submitted
}

// origin is the message a block_actions click came from.
type origin struct {
	channel, ts string
	ephemeral   bool
}

func (e *envelopeState) public() Envelope {
	return Envelope{
		ID:         e.id,
		Type:       e.typ,
		Payload:    slices.Clone(e.payload),
		Deliveries: e.deliveries,
		SentAt:     e.sentAt,
		AckedAt:    e.ackedAt,
	}
}

// newEnvelopeLocked registers an envelope whose payload is set later with
// setPayload. s.mu must be held.
func (s *Server) newEnvelopeLocked(typ, kind string, accepts bool) *envelopeState {
	env := &envelopeState{id: newUUID(), typ: typ, kind: kind, accepts: accepts, msgMark: len(s.messages)}
	s.envelopes[env.id] = env
	s.envelopeOrder = append(s.envelopeOrder, env.id)
	return env
}

// prepare runs build with s.mu held, unless the server is closed: build
// makes an envelope out of what the fake holds (the message clicked, the
// view submitted), which must not change under it.
func (s *Server) prepare(build func() (*envelopeState, error)) (*envelopeState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrServerClosed
	}
	return build()
}

// dropEnvelopeLocked forgets an envelope that was never sent. s.mu must be
// held.
func (s *Server) dropEnvelopeLocked(env *envelopeState) {
	delete(s.envelopes, env.id)
	s.envelopeOrder = slices.DeleteFunc(s.envelopeOrder, func(id string) bool { return id == env.id })
}

// setPayload marshals the payload once, so every delivery carries the
// same bytes.
func (e *envelopeState) setPayload(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("slacktest: marshalling the %s payload: %w", e.kind, err)
	}
	e.payload = b
	return nil
}

// Envelopes returns every envelope sent, in the order they were made.
func (s *Server) Envelopes() []Envelope {
	return s.envelopesWhere(func(*envelopeState) bool { return true })
}

// Unacked returns the envelopes whose latest delivery has not been
// acknowledged (or only with an ack Slack ignores), in the order they were
// made.
func (s *Server) Unacked() []Envelope {
	return s.envelopesWhere(func(e *envelopeState) bool { return e.deliveries > 0 && e.ackedAt.IsZero() })
}

func (s *Server) envelopesWhere(keep func(*envelopeState) bool) []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Envelope
	for _, id := range s.envelopeOrder {
		if e := s.envelopes[id]; keep(e) {
			out = append(out, e.public())
		}
	}
	return out
}

// deliver sends env on an open socket (waiting for one if none is open)
// and waits for its ack; ctx bounds the whole call. A delivery whose socket
// dies before the ack is sent again on the next socket with retry_attempt
// one higher and retry_reason "timeout", as Slack redelivers. reason is the
// first send's retry_reason. It returns the ack and how long it took from
// the first send.
func (s *Server) deliver(ctx context.Context, env *envelopeState, reason string) (Ack, time.Duration, error) {
	ackCh := make(chan Ack, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Ack{}, 0, ErrServerClosed
	}
	env.waiters = append(env.waiters, ackCh)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		env.waiters = slices.DeleteFunc(env.waiters, func(c chan Ack) bool { return c == ackCh })
		s.mu.Unlock()
	}()

	var first time.Time
	for {
		c, err := s.pickConn(ctx)
		if err != nil {
			return Ack{}, 0, fmt.Errorf("slacktest: no socket for the %s envelope: %w", env.kind, err)
		}
		s.mu.Lock()
		msg := envelope{
			EnvelopeID:             env.id,
			Payload:                env.payload,
			Type:                   env.typ,
			AcceptsResponsePayload: env.accepts,
			RetryAttempt:           env.deliveries,
			RetryReason:            reason,
		}
		env.deliveries++
		env.sentAt, env.ackedAt = time.Now(), time.Time{}
		if first.IsZero() {
			first = env.sentAt
		}
		s.notifyLocked()
		s.mu.Unlock()
		if err := c.writeJSON(msg); err != nil {
			s.log.Debug("slacktest: envelope write failed", "conn", c.id, "err", err)
			s.mu.Lock()
			c.active = false
			s.mu.Unlock()
			_ = c.ws.Close()
			reason = "timeout"
			continue
		}
		s.log.Debug("slacktest: envelope sent", "envelope", env.id, "kind", env.kind, "conn", c.id, "attempt", msg.RetryAttempt)
		select {
		case a := <-ackCh:
			return a, a.At.Sub(first), nil
		case <-c.done:
			select {
			case a := <-ackCh:
				return a, a.At.Sub(first), nil
			default:
			}
			reason = "timeout"
		case <-ctx.Done():
			return Ack{}, 0, fmt.Errorf("slacktest: waiting for the ack of the %s envelope: %w", env.kind, ctx.Err())
		case <-s.done:
			return Ack{}, 0, ErrServerClosed
		}
	}
}

// send delivers an interactive or events envelope and checks its ack.
func (s *Server) send(ctx context.Context, env *envelopeState) (Delivery, error) {
	a, after, err := s.deliver(ctx, env, "")
	if err != nil {
		return s.delivery(env, Ack{}, 0), err
	}
	return s.finishDelivery(env, a, after)
}

// Redeliver sends the envelope envelopeID again — the same envelope_id and
// payload, retry_attempt one more than its last delivery's, retry_reason
// reason ("timeout" when empty) — and waits for the ack like the first
// delivery. Slack does this when it heard no ack in time, and delivers at
// least once, so a bot must act once however often an envelope arrives.
// A slash command's ack is checked as SlashCommand checks it, but its
// follow-ups are not waited for.
func (s *Server) Redeliver(ctx context.Context, envelopeID, reason string) (Delivery, error) {
	if reason == "" {
		reason = "timeout"
	}
	s.mu.Lock()
	env := s.envelopes[envelopeID]
	s.mu.Unlock()
	if env == nil {
		return Delivery{}, fmt.Errorf("slacktest: no envelope %q to redeliver", envelopeID)
	}
	a, after, err := s.deliver(ctx, env, reason)
	if err != nil {
		return s.delivery(env, Ack{}, 0), err
	}
	return s.finishDelivery(env, a, after)
}

func (s *Server) delivery(env *envelopeState, a Ack, after time.Duration) Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Delivery{
		EnvelopeID:   env.id,
		RetryAttempt: max(env.deliveries-1, 0),
		TriggerID:    env.trigger,
		ResponseURL:  env.responseURL,
		Ack:          a,
		AckAfter:     after,
		Deadline:     s.ackTimeout,
	}
}

// finishDelivery checks an ack the way Slack would take it: too large is
// dropped, late is an error for the user, and a view_submission's ack
// acts on the modal.
func (s *Server) finishDelivery(env *envelopeState, a Ack, after time.Duration) (Delivery, error) {
	d := s.delivery(env, a, after)
	if a.Dropped {
		return d, fmt.Errorf("%w: %d bytes, limit %d", ErrAckTooLarge, a.Size, MaxAckSize)
	}
	switch env.kind {
	case "view_submission":
		s.mu.Lock()
		action, err := s.applyViewAckLocked(env, a.Payload)
		s.notifyLocked()
		s.mu.Unlock()
		d.ResponseAction = action
		if err != nil {
			return d, err
		}
	case "slash":
		if _, _, code := parseResponseMessage(a.Payload); code != "" {
			return d, fmt.Errorf("%w: %s", ErrInvalidResponse, code)
		}
	}
	if !d.AckedInTime() {
		return d, fmt.Errorf("%w: acked after %v, deadline %v", ErrAckTimeout, d.AckAfter, d.Deadline)
	}
	return d, nil
}
