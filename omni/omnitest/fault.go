package omnitest

import (
	"bytes"
	"cmp"
	"slices"
	"time"
)

// Fault is a misbehaviour queued with Server.Fail: it replaces, delays or
// damages the answer to the next Times requests to one endpoint, so a
// client's error handling can be tested against a real HTTP peer. Fields
// combine: Delay then the answer; Status/Body replace the answer, Truncate
// cuts whatever answer is sent, RetryAfter and ContentType apply to it.
//
// A request that changes the state (a transfer, say) is applied only if it
// is answered normally, unless AfterApply says the change happens first.
type Fault struct {
	// Endpoint is the path, relative to the base URL, whose requests get
	// the fault, such as TransferPath; "" means OrganizationsPath. Each
	// endpoint's faults queue separately.
	Endpoint string
	// AfterApply applies the request to the state before misbehaving, as
	// a vendor that commits a transfer and then loses the answer: with
	// Hang or a long Delay the client times out, with Status it gets an
	// error (a 502, say), with Truncate a broken body; the change stands.
	AfterApply bool
	// Duplicate applies the request twice, as a proxy that resends it
	// would; the client gets the answer to the first. The vendor has no
	// idempotency key, so both copies take effect if they can.
	Duplicate bool
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
	// it for the same endpoint.
	Times int
}

// queuedFault is a Fault with the number of requests it still applies to.
type queuedFault struct {
	f    Fault
	left int
}

// Fail queues a fault after those already queued for its endpoint.
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

// takeFault pops the fault for a request to endpoint, if any.
func (s *Server) takeFault(endpoint string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		q := &s.faults[i]
		if cmp.Or(q.f.Endpoint, OrganizationsPath) != endpoint {
			continue
		}
		f := q.f
		if q.left > 0 {
			q.left--
			if q.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return f, true
	}
	return Fault{}, false
}
