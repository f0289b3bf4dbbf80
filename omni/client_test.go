package omni_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// liveKey is the key the fake server accepts. It is long and distinctive,
// like a real OmniDimension key, so that a leak of it, or of a large part of
// it, is unmistakable in an error message.
const liveKey = "omni_sk_live_9f3c2a7e4b1d8c6f0a5e3b7d2c9f1a4e57d"

// Other keys a client may send.
const (
	wrongKey     = "omni_sk_live_WRONG_0b1c2d3e4f5a6b7c8d9e0f1a2b3c"
	resellerless = "omni_sk_org_NOT_A_RESELLER_5e6f7a8b9c0d1e2f3a4b"
	// slashKey has the characters a JSON or HTML encoder may escape when
	// the vendor echoes it: "/" as \/ or &#x2F;, "+" as \u002b or &#43;.
	slashKey = "omni/sk+live_7Hq2/Zp9+Xc4Vb8Nm1Kd3Wq5Ty6"
)

// slashKeyJSON is slashKey as a JSON encoder that escapes slashes and
// pluses writes it inside a string.
var slashKeyJSON = strings.NewReplacer("/", `\/`, "+", `\u002b`).Replace(slashKey)

// clock0 is the fixed time the test clients read; its zone is not UTC, so
// that a test can tell that PolledAt is converted. It has no fraction of a
// second, which retryAfterSoon relies on.
var clock0 = time.Date(2026, 3, 14, 15, 26, 53, 0, time.FixedZone("IST", 5*3600+1800))

func clockAt(t time.Time) omni.Option { return omni.WithClock(func() time.Time { return t }) }

// retryAfterSoon makes a Retry-After in HTTP-date form that lies 10ms after
// the client's clock: the header's whole-second resolution would otherwise
// make every honoured Retry-After sleep a second or more. It returns the
// header and the clock option that goes with it.
func retryAfterSoon() (header string, clock omni.Option) {
	at := clock0.Add(time.Second)
	return at.UTC().Format(http.TimeFormat), clockAt(at.Add(-10 * time.Millisecond))
}

// startFake starts an omnitest server that accepts liveKey and closes it
// when the test ends.
func startFake(t *testing.T, opts ...omnitest.Option) *omnitest.Server {
	t.Helper()
	s := omnitest.NewServer(nil, append([]omnitest.Option{omnitest.WithAPIKey(liveKey)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// mountFake serves an omnitest server's handler behind middleware from a
// server of the test's own, returning the fake and the base URL to use. The
// fake's faults, state and Requests work as usual.
func mountFake(t *testing.T, mw func(http.Handler) http.Handler, opts ...omnitest.Option) (*omnitest.Server, string) {
	t.Helper()
	s := omnitest.NewUnstartedServer(nil, append([]omnitest.Option{omnitest.WithAPIKey(liveKey)}, opts...)...)
	ts := httptest.NewServer(mw(s.Handler()))
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // runs first: releases hanging handlers
	return s, ts.URL + omnitest.DefaultBasePath
}

// withoutLength strips Content-Length and flushes the headers at once, so
// the body goes out chunked and the client cannot know its size up front.
func withoutLength(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(noLengthWriter{w}, r)
	})
}

type noLengthWriter struct{ http.ResponseWriter }

func (w noLengthWriter) WriteHeader(code int) {
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(code)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w noLengthWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newTestClient returns a client tuned for tests: 3 attempts, millisecond
// backoff, 200ms per attempt and the fixed clock; opts override these.
func newTestClient(t *testing.T, baseURL, key string, opts ...omni.Option) *omni.Client {
	t.Helper()
	base := []omni.Option{
		omni.WithTimeout(200 * time.Millisecond),
		omni.WithRetry(3, time.Millisecond, 5*time.Millisecond),
		clockAt(clock0),
	}
	c, err := omni.NewClient(baseURL, key, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// allKinds are the sentinels an *APIError's Kind can be.
var allKinds = []error{
	omni.ErrUnauthorized, omni.ErrForbidden, omni.ErrRateLimited, omni.ErrServer, omni.ErrStatus,
	omni.ErrTimeout, omni.ErrNetwork, omni.ErrMalformed, omni.ErrTooLarge, omni.ErrVendor,
}

// checkKind asserts that err is an *APIError of the given kind, that
// errors.Is matches that kind and no other, and returns the *APIError.
func checkKind(t *testing.T, err, kind error) *omni.APIError {
	t.Helper()
	var apiErr *omni.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not an *omni.APIError", err, err)
	}
	if apiErr.Kind != kind {
		t.Errorf("Kind = %v, want %v (error: %v)", apiErr.Kind, kind, err)
	}
	for _, k := range allKinds {
		if got, want := errors.Is(err, k), k == kind; got != want {
			t.Errorf("errors.Is(err, %q) = %v, want %v", k, got, want)
		}
	}
	return apiErr
}

// checkNoSecret asserts that no text of an error holds the key, in full or
// in part: no 16-byte stretch of it may appear (a message cut short must not
// leave the first part of the key behind).
func checkNoSecret(t *testing.T, err error, key string) {
	t.Helper()
	texts := map[string]string{"Error()": err.Error()}
	var apiErr *omni.APIError
	if errors.As(err, &apiErr) {
		texts["Message"], texts["Excerpt"] = apiErr.Message, apiErr.Excerpt
		if apiErr.Err != nil {
			texts["Err"] = apiErr.Err.Error()
		}
	}
	for what, s := range texts {
		if i := leakAt(s, key); i >= 0 {
			t.Errorf("%s leaks the API key (%q of it): %s", what, key[i:i+16], s)
		}
	}
}

// leakAt returns where in key the first 16-byte stretch that s contains
// starts, or -1.
func leakAt(s, key string) int {
	for i := 0; i+16 <= len(key); i++ {
		if strings.Contains(s, key[i:i+16]) {
			return i
		}
	}
	return -1
}

func TestClientDecodesTheFixture(t *testing.T) {
	s := startFake(t)
	c := newTestClient(t, s.URL, liveKey)
	snap, err := c.Organizations(t.Context())
	if err != nil {
		t.Fatalf("Organizations: %v", err)
	}
	want, err := omni.Decode(bytes.NewReader(omnitest.FixtureJSON()))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !snap.PolledAt.Equal(clock0) || snap.PolledAt.Location() != time.UTC {
		t.Errorf("PolledAt = %v, want %v in UTC", snap.PolledAt, clock0.UTC())
	}
	want.PolledAt = snap.PolledAt
	if !reflect.DeepEqual(snap, want) {
		t.Errorf("the client's snapshot differs from Decode of the fixture:\n got %+v\nwant %+v", snap, want)
	}
	if len(snap.Orgs) != 2 || snap.Org(4001) == nil || snap.Org(4002) == nil {
		t.Errorf("orgs = %+v", snap.Orgs)
	}
	if n := s.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestClientSendsItsHeaders(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	record := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = r.Header.Clone()
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}
	_, url := mountFake(t, record)
	c := newTestClient(t, url, liveKey, omni.WithUserAgent("resellerbot-test/1.0"))
	if _, err := c.Organizations(t.Context()); err != nil {
		t.Fatalf("Organizations: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for name, want := range map[string]string{
		"Authorization": "Bearer " + liveKey,
		"Accept":        "application/json",
		"User-Agent":    "resellerbot-test/1.0",
	} {
		if v := got.Get(name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
}

func TestClientOverTLSWithItsOwnHTTPClient(t *testing.T) {
	s := omnitest.NewUnstartedServer(nil, omnitest.WithAPIKey(liveKey))
	s.StartTLS()
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL %q is not https", s.URL)
	}
	c := newTestClient(t, s.URL, liveKey, omni.WithHTTPClient(s.Client()))
	snap, err := c.Organizations(t.Context())
	if err != nil {
		t.Fatalf("Organizations over TLS: %v", err)
	}
	if len(snap.Orgs) != 2 {
		t.Errorf("%d orgs, want 2", len(snap.Orgs))
	}
}

// failCase is one way for a poll to fail, as the client must report it.
type failCase struct {
	name       string
	serverOpts []omnitest.Option
	faults     []omnitest.Fault
	key        string        // the key the client sends; liveKey when ""
	opts       []omni.Option // on top of newTestClient's
	ctxTimeout time.Duration // the caller's deadline; 5s when 0

	kind       error
	status     int
	requests   int64    // what the server saw; also APIError.Attempts
	message    string   // what APIError.Message must say
	inError    []string // substrings of err.Error()
	retryAfter time.Duration
	temporary  bool
}

func TestClientFailures(t *testing.T) {
	soon, soonClock := retryAfterSoon()
	const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>502   Bad
  Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>`
	tests := []failCase{
		{
			name: "a wrong key is unauthorized with the vendor's message and is not retried",
			key:  wrongKey,
			kind: omni.ErrUnauthorized, status: 401, requests: 1,
			message: "Missing or invalid API key", inError: []string{"HTTP 401"},
		},
		{
			name:       "a key without reseller access is forbidden and is not retried",
			serverOpts: []omnitest.Option{omnitest.WithForbiddenKey(resellerless)},
			key:        resellerless,
			kind:       omni.ErrForbidden, status: 403, requests: 1,
			message: "Reseller access required", inError: []string{"HTTP 403"},
		},
		{
			name:   "an injected 401 is unauthorized and is not retried",
			faults: []omnitest.Fault{{Status: 401}},
			kind:   omni.ErrUnauthorized, status: 401, requests: 1, message: "Missing or invalid API key",
		},
		{
			name:   "an injected 403 is forbidden and is not retried",
			faults: []omnitest.Fault{{Status: 403}},
			kind:   omni.ErrForbidden, status: 403, requests: 1, message: "Reseller access required",
		},
		{
			name:   "a 404 is an unexpected status and is not retried",
			faults: []omnitest.Fault{{Status: 404}},
			kind:   omni.ErrStatus, status: 404, requests: 1,
			message: "The requested URL was not found on the server", inError: []string{"HTTP 404"},
		},
		{
			name:   "a 429 whose Retry-After outlasts the caller's deadline gives up at once",
			faults: []omnitest.Fault{{Status: 429, RetryAfter: "120"}}, ctxTimeout: 30 * time.Second,
			kind: omni.ErrRateLimited, status: 429, requests: 1, retryAfter: 2 * time.Minute, temporary: true,
			message: "Too many requests, retry later", inError: []string{"retry after 2m0s"},
		},
		{
			name:   "a 429 without Retry-After assumes a minute, which outlasts the caller's deadline",
			faults: []omnitest.Fault{{Status: 429}}, ctxTimeout: 30 * time.Second,
			kind: omni.ErrRateLimited, status: 429, requests: 1, retryAfter: time.Minute, temporary: true,
		},
		{
			name:   "a 429 whose Retry-After date fits the deadline is retried until the attempts run out",
			faults: []omnitest.Fault{{Status: 429, RetryAfter: soon}}, opts: []omni.Option{soonClock},
			kind: omni.ErrRateLimited, status: 429, requests: 3, retryAfter: 10 * time.Millisecond, temporary: true,
			inError: []string{"(after 3 attempts)"},
		},
		{
			name:   "a 500 is a server error retried up to the attempt limit",
			faults: []omnitest.Fault{{Status: 500}},
			kind:   omni.ErrServer, status: 500, requests: 3, message: "Internal Server Error", temporary: true,
			inError: []string{"HTTP 500", "(after 3 attempts)"},
		},
		{
			name:   "a 502 is a server error retried up to the attempt limit",
			faults: []omnitest.Fault{{Status: 502}},
			kind:   omni.ErrServer, status: 502, requests: 3, message: "Bad Gateway", temporary: true,
		},
		{
			name:   "a 503 is a server error retried up to a larger attempt limit",
			faults: []omnitest.Fault{{Status: 503}}, opts: []omni.Option{omni.WithRetry(5, time.Millisecond, 2*time.Millisecond)},
			kind: omni.ErrServer, status: 503, requests: 5, message: "Service Unavailable", temporary: true,
			inError: []string{"(after 5 attempts)"},
		},
		{
			name:   "a single attempt is made when WithRetry allows one",
			faults: []omnitest.Fault{{Status: 503}}, opts: []omni.Option{omni.WithRetry(1, time.Millisecond, time.Millisecond)},
			kind: omni.ErrServer, status: 503, requests: 1, temporary: true,
		},
		{
			name:   "a proxy's HTML error page is reported by its title",
			faults: []omnitest.Fault{{Status: 502, Body: []byte(html), ContentType: "text/html"}},
			kind:   omni.ErrServer, status: 502, requests: 3, message: "502 Bad Gateway", temporary: true,
		},
		{
			name:   "a non-JSON error body without a title is shown as an excerpt",
			faults: []omnitest.Fault{{Status: 500, Body: []byte("upstream  connect error\n or disconnect"), ContentType: "text/plain"}},
			kind:   omni.ErrServer, status: 500, requests: 3, temporary: true,
			inError: []string{`body: "upstream connect error or disconnect"`},
		},
		{
			name:   "a 408 is a timeout and is retried",
			faults: []omnitest.Fault{{Status: 408}},
			kind:   omni.ErrTimeout, status: 408, requests: 3, temporary: true,
		},
		{
			name:   "an answer slower than WithTimeout is a timeout and is retried",
			faults: []omnitest.Fault{{Delay: 2 * time.Second}}, opts: []omni.Option{omni.WithTimeout(50 * time.Millisecond)},
			kind: omni.ErrTimeout, requests: 3, temporary: true, inError: []string{"within 50ms"},
		},
		{
			name:   "a server that never answers is a timeout once WithTimeout passes",
			faults: []omnitest.Fault{{Hang: true}}, opts: []omni.Option{omni.WithTimeout(50 * time.Millisecond)},
			kind: omni.ErrTimeout, requests: 3, temporary: true,
		},
		{
			name:   "a truncated body is retried and ends as malformed, saying it was truncated",
			faults: []omnitest.Fault{{Truncate: 100}},
			kind:   omni.ErrMalformed, status: 200, requests: 3, temporary: true, inError: []string{"truncated"},
		},
		{
			name:   "a body cut off after the headers is retried as truncated",
			faults: []omnitest.Fault{{Truncate: -1}},
			kind:   omni.ErrMalformed, status: 200, requests: 3, temporary: true, inError: []string{"truncated"},
		},
		{
			name:   "a garbage 200 body is malformed and is not retried",
			faults: []omnitest.Fault{{Body: []byte("<<< this is not JSON >>>"), ContentType: "text/plain"}},
			kind:   omni.ErrMalformed, status: 200, requests: 1,
		},
		{
			name:   "an empty 200 body is malformed and is not retried",
			faults: []omnitest.Fault{{Body: []byte{}}},
			kind:   omni.ErrMalformed, status: 200, requests: 1, inError: []string{"empty"},
		},
		{
			name:   "a 200 without organizations is malformed and is not retried",
			faults: []omnitest.Fault{{Body: []byte(`{"success": true}`)}},
			kind:   omni.ErrMalformed, status: 200, requests: 1, inError: []string{`no "organizations"`},
		},
		{
			name:   "a 200 saying success false is a vendor failure with its message and is not retried",
			faults: []omnitest.Fault{{Body: []byte(`{"success": false, "error": "Reseller account suspended"}`)}},
			kind:   omni.ErrVendor, status: 200, requests: 1, message: "Reseller account suspended",
		},
		{
			name: "a body over WithMaxBody with a Content-Length is too large and is not retried",
			opts: []omni.Option{omni.WithMaxBody(1024)},
			kind: omni.ErrTooLarge, status: 200, requests: 1,
			inError: []string{"bytes announced, limit 1024"},
		},
		{
			name:   "a 401 whose body echoes the key has it redacted",
			faults: []omnitest.Fault{{Status: 401, Body: []byte(`{"error":"bad key ` + liveKey + `"}`)}},
			kind:   omni.ErrUnauthorized, status: 401, requests: 1, message: "bad key [redacted]",
		},
		{
			name:   "a 500 whose plain-text body echoes the key has it redacted from the excerpt",
			faults: []omnitest.Fault{{Status: 500, Body: []byte("upstream rejected Authorization: Bearer " + liveKey), ContentType: "text/plain"}},
			kind:   omni.ErrServer, status: 500, requests: 3, temporary: true, inError: []string{"Bearer [redacted]"},
		},
		{
			name: "an HTML page whose title echoes the key has it redacted",
			faults: []omnitest.Fault{{Status: 502, ContentType: "text/html",
				Body: []byte("<html><title>Bad key " + liveKey + "</title></html>")}},
			kind: omni.ErrServer, status: 502, requests: 3, temporary: true, message: "Bad key [redacted]",
		},
		{
			name:   "a success false that echoes the key has it redacted",
			faults: []omnitest.Fault{{Body: []byte(`{"success":false,"error":"key ` + liveKey + ` suspended","detail":"see ` + liveKey + `"}`)}},
			kind:   omni.ErrVendor, status: 200, requests: 1, message: "key [redacted] suspended (see [redacted])",
		},
		{
			name:   "a 401 whose JSON escapes the slashes of the echoed key has it redacted",
			key:    slashKey,
			faults: []omnitest.Fault{{Status: 401, Body: []byte(`{"error":"bad key ` + strings.ReplaceAll(slashKey, "/", `\/`) + `"}`)}},
			kind:   omni.ErrUnauthorized, status: 401, requests: 1, message: "bad key [redacted]",
		},
		{
			name:   "a 403 whose JSON escapes the slashes and pluses of the echoed key has it redacted",
			key:    slashKey,
			faults: []omnitest.Fault{{Status: 403, Body: []byte(`{"error":"forbidden","error_description":"key ` + slashKeyJSON + ` is no reseller's"}`)}},
			kind:   omni.ErrForbidden, status: 403, requests: 1, message: "key [redacted] is no reseller's (forbidden)",
		},
		{
			name:   "a validation list that echoes the escaped key has it redacted from the message",
			key:    slashKey,
			faults: []omnitest.Fault{{Status: 400, Body: []byte(`{"detail":[{"loc":["header"],"msg":"bad key ` + slashKeyJSON + `"}]}`)}},
			kind:   omni.ErrStatus, status: 400, requests: 1, message: `"msg":"bad key [redacted]"`,
		},
		{
			name: "an HTML title that echoes the key as character references has it redacted",
			key:  slashKey,
			faults: []omnitest.Fault{{Status: 502, ContentType: "text/html",
				Body: []byte("<html><title>Bad key " + strings.NewReplacer("/", "&#x2F;", "+", "&#43;").Replace(slashKey) + "</title></html>")}},
			kind: omni.ErrServer, status: 502, requests: 3, temporary: true, message: "Bad key [redacted]",
		},
		{
			name:   "a plain-text body that echoes the escaped key has it redacted from the excerpt",
			key:    slashKey,
			faults: []omnitest.Fault{{Status: 500, Body: []byte(`upstream said {"token":"` + slashKeyJSON + `"}`), ContentType: "text/plain"}},
			kind:   omni.ErrServer, status: 500, requests: 3, temporary: true, inError: []string{`{\"token\":\"[redacted]\"}`},
		},
		{
			name:   "a success false that echoes the escaped key has it redacted",
			key:    slashKey,
			faults: []omnitest.Fault{{Body: []byte(`{"success":false,"error":"key ` + slashKeyJSON + ` suspended"}`)}},
			kind:   omni.ErrVendor, status: 200, requests: 1, message: "key [redacted] suspended",
		},
		{
			name:   "a malformed body that echoes the key has it redacted",
			faults: []omnitest.Fault{{Body: []byte(`{"success":true,"organizations":[{"id":1,"users":[{"id":2,"dashboard_menu_access":{"` + liveKey + `":"maybe"}}]}]}`)}},
			kind:   omni.ErrMalformed, status: 200, requests: 1,
		},
		{
			name:   "a first failure of another kind does not mask the last one",
			faults: []omnitest.Fault{{Status: 503, Times: 1}, {Truncate: 10, Times: 1}, {Status: 500}},
			kind:   omni.ErrServer, status: 500, requests: 3, temporary: true,
		},
		{
			name:   "a permanent failure after transient ones stops the retries",
			faults: []omnitest.Fault{{Status: 503, Times: 1}, {Status: 401}},
			opts:   []omni.Option{omni.WithRetry(5, time.Millisecond, time.Millisecond)},
			kind:   omni.ErrUnauthorized, status: 401, requests: 2, inError: []string{"(after 2 attempts)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startFake(t, tc.serverOpts...)
			for _, f := range tc.faults {
				s.Fail(f)
			}
			runFailCase(t, s.URL, s.Requests, tc)
		})
	}
}

// runFailCase polls once and checks the failure against tc.
func runFailCase(t *testing.T, url string, requests func() int64, tc failCase) {
	t.Helper()
	key := tc.key
	if key == "" {
		key = liveKey
	}
	c := newTestClient(t, url, key, tc.opts...)
	ctxTimeout := tc.ctxTimeout
	if ctxTimeout == 0 {
		ctxTimeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(t.Context(), ctxTimeout)
	defer cancel()

	start := time.Now()
	snap, err := c.Organizations(ctx)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("Organizations succeeded with %d orgs; want a %v error", len(snap.Orgs), tc.kind)
	}
	if snap != nil {
		t.Errorf("a snapshot came with the error: %+v", snap)
	}
	if elapsed > 5*time.Second {
		t.Errorf("took %v; every failure here should be reported well under 5s", elapsed)
	}
	apiErr := checkKind(t, err, tc.kind)
	checkNoSecret(t, err, key)
	if apiErr.Status != tc.status {
		t.Errorf("Status = %d, want %d", apiErr.Status, tc.status)
	}
	if n := requests(); n != tc.requests {
		t.Errorf("the server saw %d requests, want %d", n, tc.requests)
	}
	if apiErr.Attempts != int(tc.requests) {
		t.Errorf("Attempts = %d, want %d", apiErr.Attempts, tc.requests)
	}
	if !strings.Contains(apiErr.Message, tc.message) {
		t.Errorf("Message = %q, want it to say %q", apiErr.Message, tc.message)
	}
	for _, sub := range tc.inError {
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("error %q does not say %q", err, sub)
		}
	}
	if apiErr.RetryAfter != tc.retryAfter {
		t.Errorf("RetryAfter = %v, want %v", apiErr.RetryAfter, tc.retryAfter)
	}
	if apiErr.Temporary() != tc.temporary {
		t.Errorf("Temporary() = %v, want %v", apiErr.Temporary(), tc.temporary)
	}
	if !strings.HasPrefix(err.Error(), "omnidim: "+tc.kind.Error()) {
		t.Errorf("error %q does not start with its kind", err)
	}
	checkNoConfigKey(t, err)
}

// checkNoConfigKey asserts that an error names no configuration key: the
// client does not know how it was configured, and its caller adds the
// advice (cmd/resellerbot's adviceFor).
func checkNoConfigKey(t *testing.T, err error) {
	t.Helper()
	for _, key := range []string{"omnidim.api_key", "omnidim.base_url", "omnidim.max_body", "omnidim.timeout"} {
		if strings.Contains(err.Error(), key) {
			t.Errorf("error %q names the configuration key %s", err, key)
		}
	}
}

func TestClientWrongBaseURLIsA404(t *testing.T) {
	s := startFake(t)
	runFailCase(t, s.URL+"/v2", s.Requests, failCase{
		kind: omni.ErrStatus, status: 404, requests: 1, inError: []string{"HTTP 404"},
	})
}

// TestClientBodySizeLimit checks WithMaxBody at the boundary, both when the
// server announces the size and when it streams the body chunked.
func TestClientBodySizeLimit(t *testing.T) {
	size := int64(len(omnitest.NewUnstartedServer(nil).Body())) // what the fake serves
	tests := []struct {
		name    string
		chunked bool
		limit   int64
		ok      bool
		inError string
	}{
		{"an announced body exactly at the limit is read", false, size, true, ""},
		{"an announced body one byte over the limit is refused unread", false, size - 1, false, "bytes announced"},
		{"a chunked body exactly at the limit is read", true, size, true, ""},
		{"a chunked body one byte over the limit is refused", true, size - 1, false, "more than"},
		{"a chunked body far over the limit is refused", true, 256, false, "more than 256 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s *omnitest.Server
			var url string
			if tc.chunked {
				s, url = mountFake(t, withoutLength)
			} else {
				s = startFake(t)
				url = s.URL
			}
			c := newTestClient(t, url, liveKey, omni.WithMaxBody(tc.limit))
			snap, err := c.Organizations(t.Context())
			if tc.ok {
				if err != nil {
					t.Fatalf("Organizations: %v", err)
				}
				if len(snap.Orgs) != 2 {
					t.Errorf("%d orgs, want 2", len(snap.Orgs))
				}
				return
			}
			if err == nil {
				t.Fatal("Organizations succeeded; want ErrTooLarge")
			}
			apiErr := checkKind(t, err, omni.ErrTooLarge)
			checkNoSecret(t, err, liveKey)
			if apiErr.Status != 200 || apiErr.Temporary() {
				t.Errorf("Status = %d, Temporary = %v; want 200, false", apiErr.Status, apiErr.Temporary())
			}
			if !strings.Contains(err.Error(), tc.inError) {
				t.Errorf("error %q does not say %q", err, tc.inError)
			}
			if n := s.Requests(); n != 1 {
				t.Errorf("%d requests, want 1: a body too large is not retried", n)
			}
		})
	}
}

// TestClientChunkedFailures runs failures whose handling depends on the
// body's size being unknown.
func TestClientChunkedFailures(t *testing.T) {
	tests := []failCase{
		{
			name:   "a chunked body that breaks off is retried as truncated",
			faults: []omnitest.Fault{{Truncate: 500}},
			kind:   omni.ErrMalformed, status: 200, requests: 3, temporary: true, inError: []string{"truncated"},
		},
		{
			name:   "a chunked error page is still summarised",
			faults: []omnitest.Fault{{Status: 503, Body: []byte("<title>Maintenance</title>"), ContentType: "text/html"}},
			kind:   omni.ErrServer, status: 503, requests: 3, temporary: true, message: "Maintenance",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, url := mountFake(t, withoutLength)
			for _, f := range tc.faults {
				s.Fail(f)
			}
			runFailCase(t, url, s.Requests, tc)
		})
	}
}

func TestClientRecoversFromTransientFaults(t *testing.T) {
	soon, soonClock := retryAfterSoon()
	tests := []struct {
		name     string
		faults   []omnitest.Fault
		opts     []omni.Option
		requests int64
	}{
		{"two 503s then success succeeds on attempt 3", []omnitest.Fault{{Status: 503, Times: 2}}, nil, 3},
		{"two 429s with a near Retry-After then success succeeds on attempt 3",
			[]omnitest.Fault{{Status: 429, RetryAfter: soon, Times: 2}}, []omni.Option{soonClock}, 3},
		{"two truncated bodies then success succeeds on attempt 3", []omnitest.Fault{{Truncate: 200, Times: 2}}, nil, 3},
		{"two slow answers then success succeeds on attempt 3",
			[]omnitest.Fault{{Delay: 2 * time.Second, Times: 2}}, []omni.Option{omni.WithTimeout(50 * time.Millisecond)}, 3},
		{"two hangs then success succeeds on attempt 3",
			[]omnitest.Fault{{Hang: true, Times: 2}}, []omni.Option{omni.WithTimeout(50 * time.Millisecond)}, 3},
		{"a proxy page then a timeout then success succeeds on attempt 3",
			[]omnitest.Fault{{Status: 502, Body: []byte("<title>502</title>"), ContentType: "text/html", Times: 1}, {Status: 408, Times: 1}}, nil, 3},
		{"a short delay within WithTimeout is not a failure at all",
			[]omnitest.Fault{{Delay: 10 * time.Millisecond, Times: 1}}, []omni.Option{omni.WithRetry(1, time.Millisecond, time.Millisecond)}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startFake(t)
			for _, f := range tc.faults {
				s.Fail(f)
			}
			c := newTestClient(t, s.URL, liveKey, tc.opts...)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			snap, err := c.Organizations(ctx)
			if err != nil {
				t.Fatalf("Organizations: %v", err)
			}
			if len(snap.Orgs) != 2 || snap.PolledAt.IsZero() {
				t.Errorf("snapshot: %d orgs, polled at %v", len(snap.Orgs), snap.PolledAt)
			}
			if n := s.Requests(); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestClientCancellation(t *testing.T) {
	t.Run("cancelling a request in flight returns context.Canceled promptly, not a vendor error", func(t *testing.T) {
		t.Parallel()
		s := startFake(t)
		s.Fail(omnitest.Fault{Hang: true})
		c := newTestClient(t, s.URL, liveKey, omni.WithTimeout(time.Minute))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Organizations(ctx)
		checkCancelled(t, err, time.Since(start))
	})
	t.Run("an already cancelled context returns context.Canceled at once", func(t *testing.T) {
		t.Parallel()
		s := startFake(t)
		c := newTestClient(t, s.URL, liveKey)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		start := time.Now()
		_, err := c.Organizations(ctx)
		checkCancelled(t, err, time.Since(start))
		if n := s.Requests(); n > 1 {
			t.Errorf("%d requests after cancellation", n)
		}
	})
	t.Run("cancelling during the backoff between attempts returns context.Canceled promptly", func(t *testing.T) {
		t.Parallel()
		s := startFake(t)
		s.Fail(omnitest.Fault{Status: 503})
		c := newTestClient(t, s.URL, liveKey, omni.WithRetry(3, time.Minute, time.Minute))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Organizations(ctx)
		elapsed := time.Since(start)
		if elapsed > 5*time.Second {
			t.Fatalf("took %v to notice the cancellation", elapsed)
		}
		if n := s.Requests(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancellation during the backoff sleep returned %q, want context.Canceled", err)
		}
		checkCancelled(t, err, elapsed)
	})
	t.Run("the caller's deadline passing mid-request returns context.DeadlineExceeded promptly", func(t *testing.T) {
		t.Parallel()
		s := startFake(t)
		s.Fail(omnitest.Fault{Hang: true})
		c := newTestClient(t, s.URL, liveKey, omni.WithTimeout(time.Minute))
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Organizations(ctx)
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("took %v", elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
		}
		checkNoSecret(t, err, liveKey)
	})
}

func checkCancelled(t *testing.T, err error, elapsed time.Duration) {
	t.Helper()
	if elapsed > 5*time.Second {
		t.Errorf("took %v to notice the cancellation", elapsed)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v does not wrap context.Canceled", err)
	}
	var apiErr *omni.APIError
	if errors.As(err, &apiErr) {
		t.Errorf("a cancellation is reported as a vendor failure: %v", err)
	}
	for _, k := range allKinds {
		if errors.Is(err, k) {
			t.Errorf("a cancellation matches %q", k)
		}
	}
}

func TestClientIsSafeForConcurrentUse(t *testing.T) {
	s := startFake(t)
	s.Fail(omnitest.Fault{Status: 503, Times: 4})
	c := newTestClient(t, s.URL, liveKey, omni.WithRetry(6, time.Millisecond, 2*time.Millisecond))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			snap, err := c.Organizations(t.Context())
			if err == nil && len(snap.Orgs) != 2 {
				err = errors.New("wrong number of orgs")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		name     string
		baseURL  string
		key      string
		endpoint string
		wantErr  error
	}{
		{"an empty base URL means production", "", liveKey, omni.DefaultBaseURL + "/reseller/organizations", nil},
		{"a trailing slash on the base URL is dropped", "http://127.0.0.1:9/api/v1/", liveKey, "http://127.0.0.1:9/api/v1/reseller/organizations", nil},
		{"an empty key is refused", "https://example.com/api/v1", "", "", omni.ErrNoAPIKey},
		{"a blank key is refused", "https://example.com/api/v1", " \t ", "", omni.ErrNoAPIKey},
		{"an ftp base URL is refused", "ftp://example.com/api/v1", liveKey, "", omni.ErrBadBaseURL},
		{"a base URL without a scheme is refused", "backend.omnidim.io/api/v1", liveKey, "", omni.ErrBadBaseURL},
		{"a base URL without a host is refused", "https:///api/v1", liveKey, "", omni.ErrBadBaseURL},
		{"an unparsable base URL is refused", "http://[::1", liveKey, "", omni.ErrBadBaseURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := omni.NewClient(tc.baseURL, tc.key)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				if got := c.Endpoint(); got != tc.endpoint {
					t.Errorf("Endpoint() = %q, want %q", got, tc.endpoint)
				}
				if strings.Contains(c.Endpoint(), tc.key) {
					t.Errorf("Endpoint() holds the key: %q", c.Endpoint())
				}
				return
			}
			if err == nil {
				t.Fatalf("NewClient(%q, key) succeeded; want %v", tc.baseURL, tc.wantErr)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q is not %v", err, tc.wantErr)
			}
			if tc.wantErr == omni.ErrBadBaseURL && !strings.Contains(err.Error(), strconv.Quote(tc.baseURL)) {
				t.Errorf("error %q does not show the base URL %q", err, tc.baseURL)
			}
			checkNoConfigKey(t, err)
			if strings.TrimSpace(tc.key) != "" && strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q holds the key", err)
			}
		})
	}
}

// TestClientRetryAfterZeroRetriesPromptly: "Retry-After: 0" (or a date in
// the past) means "retry now". The client should fall back to its own
// backoff, not to its one-minute default for a 429 without the header.
func TestClientRetryAfterZeroRetriesPromptly(t *testing.T) {
	for _, v := range []string{"0", clock0.Add(-time.Hour).UTC().Format(http.TimeFormat)} {
		t.Run("Retry-After "+v+" is retried at once", func(t *testing.T) {
			t.Parallel()
			s := startFake(t)
			s.Fail(omnitest.Fault{Status: 429, RetryAfter: v, Times: 1})
			c := newTestClient(t, s.URL, liveKey)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err := c.Organizations(ctx)
			if err != nil {
				var apiErr *omni.APIError
				if errors.As(err, &apiErr) && apiErr.RetryAfter == time.Minute && s.Requests() == 1 {
					t.Fatalf("Retry-After %q was read as absent, so the client assumed a minute and gave up: %v", v, err)
				}
				t.Fatalf("Organizations: %v", err)
			}
			if n := s.Requests(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

// TestClientRedactsKeyCutByTrimming: messages are trimmed to a maximum
// length; the key must be redacted before the cut, or a message that ends
// in the middle of the key leaks its first part.
func TestClientRedactsKeyCutByTrimming(t *testing.T) {
	// 269 bytes, a space and the key make a message that the 300-byte limit
	// cuts after the key's first 30 bytes.
	pad := strings.Repeat("x", 269)
	tests := []struct {
		name  string
		fault omnitest.Fault
		kind  error
	}{
		{"a long vendor message ending in the key",
			omnitest.Fault{Status: 401, Body: []byte(`{"error":"` + pad + " " + liveKey + `"}`)}, omni.ErrUnauthorized},
		{"a long HTML title ending in the key",
			omnitest.Fault{Status: 403, ContentType: "text/html", Body: []byte("<title>" + pad + " " + liveKey + "</title>")}, omni.ErrForbidden},
		{"a long success-false message ending in the key",
			omnitest.Fault{Body: []byte(`{"success":false,"error":"` + pad + " " + liveKey + `"}`)}, omni.ErrVendor},
		{"a field of the wrong type holding the key",
			omnitest.Fault{Body: []byte(`{"success":true,"organizations":[{"id":1,"org_balance":"` + liveKey + `"}]}`)}, omni.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name+" does not leak a part of the key", func(t *testing.T) {
			t.Parallel()
			s := startFake(t)
			s.Fail(tc.fault)
			c := newTestClient(t, s.URL, liveKey)
			_, err := c.Organizations(t.Context())
			if err == nil {
				t.Fatal("Organizations succeeded")
			}
			checkKind(t, err, tc.kind)
			if i := leakAt(err.Error(), liveKey); i >= 0 {
				t.Fatalf("%q of the key leaks: %v", liveKey[i:i+16], err)
			}
			checkNoSecret(t, err, liveKey)
		})
	}
}
