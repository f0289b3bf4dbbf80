package slacktest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

type faultKind int

const (
	faultRateLimit faultKind = iota
	faultSlackError
	faultHTTP
)

// fault is one queued failure for a method; remaining < 0 means until
// cleared.
type fault struct {
	kind       faultKind
	remaining  int
	retryAfter time.Duration
	slackError string
	status     int
}

// RateLimit makes the next times calls of method (AnyMethod for all) fail
// with HTTP 429, a Retry-After header of retryAfter rounded up to whole
// seconds, and {"ok":false,"error":"ratelimited"}. slack-go turns that into
// *slack.RateLimitedError. times < 0 means until ClearFaults.
func (s *Server) RateLimit(method string, times int, retryAfter time.Duration) {
	s.addFault(method, &fault{kind: faultRateLimit, remaining: times, retryAfter: retryAfter})
}

// FailMethod makes the next times calls of method (AnyMethod for all) answer
// HTTP 200 {"ok":false,"error":slackError}, e.g. "invalid_auth" on
// apps.connections.open. times < 0 means until ClearFaults. On
// MethodResponseURL the error is answered as HTTP 400 with slackError as the
// body, as Slack's webhooks do.
func (s *Server) FailMethod(method, slackError string, times int) {
	s.addFault(method, &fault{kind: faultSlackError, remaining: times, slackError: slackError})
}

// FailHTTP makes the next times calls of method (AnyMethod for all) answer
// with HTTP status (e.g. 500) and a non-JSON body; slack-go returns a
// slack.StatusCodeError. times < 0 means until ClearFaults.
func (s *Server) FailHTTP(method string, status, times int) {
	s.addFault(method, &fault{kind: faultHTTP, remaining: times, status: status})
}

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

func (s *Server) addFault(method string, f *fault) {
	if f.remaining == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

// takeFaultLocked consumes one use of the first fault queued for method (or
// for AnyMethod) and returns it, or nil. s.mu must be held.
func (s *Server) takeFaultLocked(method string) *fault {
	for _, key := range []string{method, AnyMethod} {
		q := s.faults[key]
		if len(q) == 0 {
			continue
		}
		f := q[0]
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				q = q[1:]
				if len(q) == 0 {
					delete(s.faults, key)
				} else {
					s.faults[key] = q
				}
			}
		}
		return f
	}
	return nil
}

// retryAfterSeconds renders d as a Retry-After value (whole seconds,
// rounded up).
func retryAfterSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

// result turns the fault into an API answer.
func (f *fault) result() apiResult {
	switch f.kind {
	case faultRateLimit:
		h := http.Header{}
		h.Set("Retry-After", retryAfterSeconds(f.retryAfter))
		return apiResult{status: http.StatusTooManyRequests, header: h, slackError: "ratelimited",
			body: map[string]any{"ok": false, "error": "ratelimited"}}
	case faultHTTP:
		return apiResult{status: f.status, text: http.StatusText(f.status)}
	default:
		return errResult(f.slackError)
	}
}
