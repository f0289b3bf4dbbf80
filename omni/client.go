package omni

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/internal/redact"
)

// DefaultBaseURL is OmniDimension's production API.
const DefaultBaseURL = "https://backend.omnidim.io/api/v1"

// Defaults for a Client; see the With* options.
const (
	DefaultTimeout     = 20 * time.Second
	DefaultMaxAttempts = 4
	DefaultMaxBody     = 256 << 20
	defaultBackoff     = time.Second
	defaultMaxBackoff  = 30 * time.Second
	// maxErrorBody bounds how much of an error response is read: enough
	// for the vendor's JSON or the title of a proxy's HTML page.
	maxErrorBody = 64 << 10
)

// Client fetches the reseller's organizations. It is safe for concurrent use.
type Client struct {
	endpoint string
	apiKey   string
	// redact removes the key from any text made of a response: the
	// vendor may echo what it was sent.
	redact      *redact.Redactor
	http        *http.Client
	userAgent   string
	timeout     time.Duration
	maxAttempts int
	backoff     time.Duration
	maxBackoff  time.Duration
	maxBody     int64
	now         func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (for proxies or custom transports). Its
// own Timeout should be zero: the Client applies WithTimeout per attempt.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout bounds each attempt, from sending the request to decoding the
// last byte of the body.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetry sets how many attempts a transient failure (network error,
// timeout, 429, 5xx) gets, and the backoff before the second attempt, which
// doubles each time up to max, with jitter.
func WithRetry(attempts int, backoff, max time.Duration) Option {
	return func(c *Client) { c.maxAttempts, c.backoff, c.maxBackoff = attempts, backoff, max }
}

// WithMaxBody refuses bodies larger than n bytes with ErrTooLarge, so a
// misbehaving proxy cannot exhaust the bot's memory.
func WithMaxBody(n int64) Option { return func(c *Client) { c.maxBody = n } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithClock sets the clock that stamps Snapshot.PolledAt.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// NewClient returns a client for the API at baseURL (DefaultBaseURL when
// empty) that authenticates with apiKey. It fails with ErrBadBaseURL or
// ErrNoAPIKey.
func NewClient(baseURL, apiKey string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q", ErrBadBaseURL, baseURL)
	}
	if strings.TrimSpace(apiKey) == "" {
		return nil, ErrNoAPIKey
	}
	c := &Client{
		endpoint:    strings.TrimRight(baseURL, "/") + "/reseller/organizations",
		apiKey:      apiKey,
		redact:      redact.New(apiKey),
		http:        http.DefaultClient,
		userAgent:   "resellerbot",
		timeout:     DefaultTimeout,
		maxAttempts: DefaultMaxAttempts,
		backoff:     defaultBackoff,
		maxBackoff:  defaultMaxBackoff,
		maxBody:     DefaultMaxBody,
		now:         time.Now,
	}
	for _, opt := range opts {
		opt(c)
	}
	c.maxAttempts = max(c.maxAttempts, 1)
	return c, nil
}

// Endpoint is the URL the client polls. It holds no credentials.
func (c *Client) Endpoint() string { return c.endpoint }

// Organizations fetches and decodes every child organization. Transient
// failures are retried with backoff while ctx allows; a 429's Retry-After is
// honoured, and when it reaches past ctx's deadline the call gives up at once
// rather than sleep in vain. Every failure is an *APIError, ctx's deadline
// passing included (ErrTimeout, wrapping context.DeadlineExceeded); only a
// cancelled ctx gives a plain error wrapping context.Canceled.
func (c *Client) Organizations(ctx context.Context) (*Snapshot, error) {
	var snap *Snapshot
	err := c.retry(ctx, func(ctx context.Context) (err *APIError) {
		snap, err = c.fetch(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// retry runs attempt until it succeeds, fails for good (an error that is
// not Temporary), runs out of attempts, or ctx ends, backing off between
// attempts as Organizations documents. Callers that must not repeat a
// request clear the error's retryable flag before returning it.
func (c *Client) retry(ctx context.Context, attempt func(context.Context) *APIError) error {
	var last *APIError
	for n := 1; ; n++ {
		err := attempt(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.callerGaveUp(ctx, err, last, n)
		}
		last = err
		last.Attempts = n
		if !err.retryable || n >= c.maxAttempts {
			return last
		}
		wait := c.backoffFor(n)
		if err.RetryAfter > wait {
			wait = err.RetryAfter
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return last
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.callerGaveUp(ctx, nil, last, n)
		case <-t.C:
		}
	}
}

// callerGaveUp is the error when ctx ends before the API answered. A
// cancellation (shutdown) is the caller's doing and no API error. A
// deadline (the poll's time budget) reports what went wrong: the failure of
// the attempt it ended, or of the one before that made the client retry
// until time ran out; when every attempt simply ran out of time, an
// ErrTimeout wrapping context.DeadlineExceeded.
func (c *Client) callerGaveUp(ctx context.Context, current, last *APIError, attempts int) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("omnidim: %w", context.Cause(ctx))
	}
	for _, e := range []*APIError{current, last} {
		if e != nil && e.Kind != ErrTimeout {
			e.Attempts = attempts
			return e
		}
	}
	return &APIError{Kind: ErrTimeout, Message: "no complete answer before the poll's deadline", Attempts: attempts,
		Err: context.DeadlineExceeded, retryable: true}
}

// backoffFor returns the wait after the given failed attempt: exponential,
// capped, with full jitter over its upper half so that many bots restarted
// together do not retry in step.
func (c *Client) backoffFor(attempt int) time.Duration {
	d := c.backoff << (attempt - 1)
	if d <= 0 || d > c.maxBackoff {
		d = c.maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// fetch makes one attempt.
func (c *Client) fetch(parent context.Context) (*Snapshot, *APIError) {
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint, nil)
	if err != nil {
		return nil, &APIError{Kind: ErrNetwork, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.statusError(resp)
	}
	if resp.ContentLength > c.maxBody {
		return nil, &APIError{Kind: ErrTooLarge, Status: resp.StatusCode,
			Message: fmt.Sprintf("%d bytes announced, limit %d", resp.ContentLength, c.maxBody)}
	}
	body := &limitedReader{r: resp.Body, left: c.maxBody}
	snap, err := Decode(body)
	if err != nil {
		switch {
		case body.overLimit:
			return nil, &APIError{Kind: ErrTooLarge, Status: resp.StatusCode,
				Message: fmt.Sprintf("more than %d bytes", c.maxBody)}
		case body.err != nil:
			// The body broke off mid-stream: the connection, not the
			// vendor's JSON, is at fault, so this is worth a retry.
			e := c.transportError(ctx, body.err)
			e.Status = resp.StatusCode
			return nil, e
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			apiErr.Status = resp.StatusCode
			apiErr.Message = trim(c.redact.String(apiErr.Message), maxMessage)
			if apiErr.Err != nil {
				apiErr.Err = &redactedError{err: apiErr.Err, msg: c.redact.String(apiErr.Err.Error())}
			}
			return nil, apiErr
		}
		return nil, &APIError{Kind: ErrMalformed, Status: resp.StatusCode, Err: err}
	}
	snap.PolledAt = c.now().UTC()
	return snap, nil
}

// transportError classifies a failure below HTTP: a timeout of this attempt,
// or a network error. Neither message can hold the API key: it travels only
// in a header, and Go's errors quote URLs, not headers.
func (c *Client) transportError(attemptCtx context.Context, err error) *APIError {
	if errors.Is(attemptCtx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &APIError{Kind: ErrTimeout, Message: fmt.Sprintf("no complete answer within %s", c.timeout), retryable: true}
	}
	var netErr interface{ Timeout() bool }
	if errors.As(err, &netErr) && netErr.Timeout() {
		return &APIError{Kind: ErrTimeout, Err: err, retryable: true}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &APIError{Kind: ErrMalformed, Message: "response body truncated", Err: err, retryable: true}
	}
	return &APIError{Kind: ErrNetwork, Err: err, retryable: true}
}

// statusError builds the error for a non-2xx answer from its status, the
// vendor's message and Retry-After.
func (c *Client) statusError(resp *http.Response) *APIError {
	kind, retryable := kindForStatus(resp.StatusCode)
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{Kind: kind, Status: resp.StatusCode, retryable: retryable}
	// Each text is redacted as it will be read, once decoded: the key may
	// come back escaped ("omni\/sk…") and only decoding makes it whole.
	// And before it is trimmed, which could cut a key in two.
	if msg := vendorMessage(body); msg != "" {
		e.Message = trim(c.redact.String(msg), maxMessage)
	} else if title := htmlTitle(body); title != "" {
		e.Message = trim(c.redact.String(title), maxMessage)
	} else if len(body) > 0 {
		e.Excerpt = trim(c.redact.String(bodyText(body)), maxExcerpt)
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if kind == ErrRateLimited {
		var ok bool
		if e.RetryAfter, ok = parseRetryAfter(resp.Header.Get("Retry-After"), c.now()); !ok {
			// The vendor asks clients to back off about a minute.
			e.RetryAfter = time.Minute
		}
	}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP date; ok is false when
// the header is missing or unreadable. Zero (or a date past) means now.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// htmlTitle returns the text of the <title> of an HTML error page, which
// says more than the page's first bytes (a gateway's "502 Bad Gateway"),
// character references decoded and spaces collapsed.
func htmlTitle(body []byte) string {
	s := string(body)
	lower := strings.ToLower(s)
	start := strings.Index(lower, "<title>")
	if start < 0 {
		return ""
	}
	start += len("<title>")
	end := strings.Index(lower[start:], "</title>")
	if end < 0 {
		return ""
	}
	return strings.Join(strings.Fields(html.UnescapeString(s[start:start+end])), " ")
}

// redactedError shows an error's text with the key removed, and still
// unwraps to the error, so errors.Is sees through it.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// limitedReader reads at most left bytes, remembering why it stopped: a
// read error (the connection) or the limit (the payload's size).
type limitedReader struct {
	r         io.Reader
	left      int64
	overLimit bool
	err       error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// At the limit: the body is fine if it ends here.
		var probe [1]byte
		n, err := l.r.Read(probe[:])
		if n > 0 {
			l.overLimit = true
			return 0, ErrTooLarge
		}
		return 0, l.note(err)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, l.note(err)
}

func (l *limitedReader) note(err error) error {
	if err != nil && err != io.EOF {
		l.err = err
	}
	return err
}
