package slacktest

import (
	"math"
	"net/http"
	"net/url"
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
// cleared. channel and ts, when set, narrow it to calls about that channel
// or that message.
type fault struct {
	kind        faultKind
	remaining   int
	retryAfter  time.Duration
	slackError  string
	status      int
	channel, ts string
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
// body, as Slack's webhooks do. "ratelimited" is answered as Slack always
// answers it: as RateLimit does, with a Retry-After of a second.
func (s *Server) FailMethod(method, slackError string, times int) {
	s.addFault(method, slackErrorFault(slackError, times))
}

// slackErrorFault is a fault answering slackError.
func slackErrorFault(slackError string, times int) *fault {
	if slackError == "ratelimited" {
		return &fault{kind: faultRateLimit, remaining: times, retryAfter: time.Second}
	}
	return &fault{kind: faultSlackError, remaining: times, slackError: slackError}
}

// FailHTTP makes the next times calls of method (AnyMethod for all) answer
// with HTTP status (e.g. 500) and a non-JSON body; slack-go returns a
// slack.StatusCodeError. times < 0 means until ClearFaults.
func (s *Server) FailHTTP(method string, status, times int) {
	s.addFault(method, &fault{kind: faultHTTP, remaining: times, status: status})
}

// FailMessage is FailMethod for the calls of method about one message:
// those whose channel (or channel_id) is channel and whose ts — or, for a
// reply or an upload into a thread, thread_ts — is ts. An empty ts matches
// every message in channel. Use it for the refusals Slack gives about one
// message or channel, e.g. cant_update_message or edit_window_closed on
// chat.update, thread_locked or cannot_reply_to_message on a reply,
// restricted_action_read_only_channel on any post in channel.
func (s *Server) FailMessage(method, channel, ts, slackError string, times int) {
	f := slackErrorFault(slackError, times)
	f.channel, f.ts = channel, ts
	s.addFault(method, f)
}

// RateLimitChannel is RateLimit for the calls of method about channel only,
// like Slack's limit of about one message a second per channel.
func (s *Server) RateLimitChannel(method, channel string, times int, retryAfter time.Duration) {
	s.addFault(method, &fault{kind: faultRateLimit, remaining: times, retryAfter: retryAfter, channel: channel})
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
// for AnyMethod) that applies to a call with params p, and returns it, or
// nil. p is nil for the calls that concern no message. s.mu must be held.
func (s *Server) takeFaultLocked(method string, p url.Values) *fault {
	channel, ts := s.targetLocked(p)
	for _, key := range []string{method, AnyMethod} {
		q := s.faults[key]
		for i, f := range q {
			if !f.applies(channel, ts) {
				continue
			}
			if f.remaining > 0 {
				f.remaining--
				if f.remaining == 0 {
					q = append(q[:i:i], q[i+1:]...)
					if len(q) == 0 {
						delete(s.faults, key)
					} else {
						s.faults[key] = q
					}
				}
			}
			return f
		}
	}
	return nil
}

// targetLocked names the channel (by ID) and message a call is about.
// s.mu must be held.
func (s *Server) targetLocked(p url.Values) (channel, ts string) {
	channel = p.Get("channel")
	if channel == "" {
		channel = p.Get("channel_id")
	}
	if ch := s.lookupChannelLocked(channel); ch != nil {
		channel = ch.id
	}
	ts = p.Get("ts")
	if ts == "" {
		ts = p.Get("thread_ts")
	}
	return channel, ts
}

func (f *fault) applies(channel, ts string) bool {
	return (f.channel == "" || f.channel == channel) && (f.ts == "" || f.ts == ts)
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
