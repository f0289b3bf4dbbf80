package omnitest

import (
	"bytes"
	"time"
)

// Fault is a misbehaviour queued with Server.Fail: it replaces, delays or
// damages the answer to the next Times requests to the endpoint, so a
// client's error handling can be tested against a real HTTP peer. Fields
// combine: Delay then the answer; Status/Body replace the answer, Truncate
// cuts whatever answer is sent, RetryAfter and ContentType apply to it.
type Fault struct {
	// Status, when non-zero, answers this status with Body instead of the
	// normal answer (authentication is not checked). With Body nil the body
	// is a vendor-style JSON error for the status, such as
	// {"error":"unauthorized","error_description":"Missing or invalid API key"}.
	Status int
	// Body, when non-nil, is sent instead of the normal body (with status 200
	// if Status is 0): garbage, an HTML error page from a proxy, or
	// {"success":false,"error":"…"} with HTTP 200.
	Body []byte
	// ContentType overrides the Content-Type header (default
	// application/json), for example text/html for a proxy's error page.
	ContentType string
	// RetryAfter, when set, is sent as the Retry-After header (seconds or an
	// HTTP date, verbatim, so malformed values can be tested too).
	RetryAfter string
	// Delay sleeps before answering. If the client gives up first, nothing
	// is sent; Close cuts the wait short.
	Delay time.Duration
	// Hang never answers: the handler waits until the client gives up
	// (its request context is done) or the server closes, which drops the
	// connection.
	Hang bool
	// Truncate, when positive, sends only the first Truncate bytes of the
	// answer (with the full Content-Length) and then drops the connection;
	// negative sends the headers alone. A value at or beyond the body's
	// length sends it whole.
	Truncate int
	// Times is how many requests get this fault; 0 (or negative) means every
	// request until ClearFaults, which also holds back faults queued after
	// it.
	Times int
}

// queuedFault is a Fault with the number of requests it still applies to.
type queuedFault struct {
	f    Fault
	left int
}

// Fail queues a fault after those already queued.
func (s *Server) Fail(f Fault) {
	f.Body = bytes.Clone(f.Body) // nil stays nil: "no custom body"
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, queuedFault{f: f, left: f.Times})
}

// ClearFaults drops every queued fault; requests are answered normally
// again.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults returns how many faults are still queued (a fault with
// Times 0 stays queued until ClearFaults).
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// takeFault pops the fault for this request, if any.
func (s *Server) takeFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	q := &s.faults[0]
	f := q.f
	if q.left > 0 {
		q.left--
		if q.left == 0 {
			s.faults = s.faults[1:]
		}
	}
	return f, true
}

