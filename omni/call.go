package omni

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/resellerbot/resellerbot/internal/redact"
)

// ErrOutcomeUnknown marks the failure of a call that changes something
// and cannot be repeated safely (Transfer, Revert, AddUser) when the
// request may have reached the vendor: a timeout, a 5xx, a connection lost
// after sending, an unreadable 2xx, or the caller's ctx ending in flight.
// The change may or may not have been made. The vendor has no idempotency
// key, so the client never resends such a request; look the change up
// (CreditLogs for money, Organizations for a new user) before trying
// again. The error also matches the *APIError's kind with errors.Is and
// yields the *APIError with errors.As, unless ctx was cancelled.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// The reseller endpoints, relative to the base URL. NewClient appends the
// list's path; the others are its siblings.
const (
	resellerPrefix    = "/reseller"
	organizationsPath = resellerPrefix + "/organizations"
	addUserPath       = resellerPrefix + "/users/add"
	accessControlPath = resellerPrefix + "/users/access-control"
	expiryPath        = resellerPrefix + "/users/expiry"
	concurrencyPath   = resellerPrefix + "/concurrency"
	calculatePath     = resellerPrefix + "/credits/calculate"
	transferPath      = resellerPrefix + "/credits/transfer"
	revertPath        = resellerPrefix + "/credits/revert"
	creditLogsPath    = resellerPrefix + "/credits/logs"
)

// call is one request to a reseller endpoint.
type call struct {
	// op names the call in errors: "transfer", "credit logs".
	op     string
	method string
	// path is relative to the base URL, such as "/reseller/credits/transfer".
	path  string
	query url.Values
	// in is JSON-encoded as the body when non-nil.
	in any
	// out receives the decoded 2xx body.
	out any
	// once is set for calls that must not reach the vendor twice: after
	// the first attempt that may have sent bytes, there is no retry, and a
	// failure that is not a clear refusal is ErrOutcomeUnknown.
	once bool
	// lookup says where to find out whether a once call took effect.
	lookup string
	// secrets are redacted from errors besides the API key (a password).
	secrets []string
}

// do sends call with the retry policy call.once asks for, and decodes the
// answer into call.out.
func (c *Client) do(ctx context.Context, call call) error {
	var body []byte
	if call.in != nil {
		var err error
		if body, err = json.Marshal(call.in); err != nil {
			return fmt.Errorf("omnidim: %s: encoding the request: %w", call.op, err)
		}
	}
	var sent bool
	err := c.retry(ctx, func(ctx context.Context) *APIError {
		e, maybeSent := c.attempt(ctx, &call, body)
		sent = sent || maybeSent
		if e != nil && call.once && sent {
			e.retryable = false
		}
		return e
	})
	if err == nil {
		return nil
	}
	if call.once && sent && !refused(err) {
		return &outcomeError{op: call.op, lookup: call.lookup, err: err}
	}
	return err
}

// refused reports whether err is the vendor's clear "no": a 4xx other than
// 408, or a 2xx saying "success": false. Only then has a change that was
// sent certainly not been made.
func refused(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	return e.Kind == ErrVendor || (e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout)
}

// attempt makes one request. maybeSent is false only when the transport
// reported that it looked for a connection and wrote nothing to one: a
// transport that reports nothing (a custom RoundTripper) counts as having
// sent, so that doubt always falls on the side of "may have happened".
func (c *Client) attempt(parent context.Context, call *call, body []byte) (e *APIError, maybeSent bool) {
	if err := parent.Err(); err != nil {
		// The transport would fail before looking for a connection, and
		// so before reporting that it sent nothing.
		return &APIError{Kind: ErrNetwork, Err: err}, false
	}
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	var gotConn, wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:          func(string) { gotConn.Store(true) },
		WroteHeaderField: func(string, []string) { wrote.Store(true) },
	})
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, call.method, c.url(call.path, call.query), rd)
	if err != nil {
		return &APIError{Kind: ErrNetwork, Err: err}, false
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return c.redactCall(c.transportError(ctx, err), call), !gotConn.Load() || wrote.Load()
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.redactCall(c.statusError(resp), call), true
	}
	raw, e := c.readBody(ctx, resp)
	if e == nil {
		e = c.decodeBody(raw, call)
	}
	if e != nil {
		e.Status = resp.StatusCode
		return c.redactCall(e, call), true
	}
	return nil, true
}

// url is the address of a reseller endpoint.
func (c *Client) url(path string, query url.Values) string {
	base := strings.TrimSuffix(c.endpoint, organizationsPath)
	if len(query) == 0 {
		return base + path
	}
	return base + path + "?" + query.Encode()
}

// readBody reads a whole 2xx body, which for these endpoints is small,
// within the client's size limit.
func (c *Client) readBody(ctx context.Context, resp *http.Response) ([]byte, *APIError) {
	if resp.ContentLength > c.maxBody {
		return nil, &APIError{Kind: ErrTooLarge, Message: fmt.Sprintf("%d bytes announced, limit %d", resp.ContentLength, c.maxBody)}
	}
	body := &limitedReader{r: resp.Body, left: c.maxBody}
	raw, err := io.ReadAll(body)
	switch {
	case body.overLimit:
		return nil, &APIError{Kind: ErrTooLarge, Message: fmt.Sprintf("more than %d bytes", c.maxBody)}
	case err != nil:
		return nil, c.transportError(ctx, err)
	}
	return raw, nil
}

// decodeBody checks the vendor's "success" flag, then decodes raw into
// call.out with encoding/json, which skips fields it does not know.
func (c *Client) decodeBody(raw []byte, call *call) *APIError {
	var envelope struct {
		Success json.RawMessage `json:"success"`
	}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		if len(bytes.TrimSpace(raw)) == 0 {
			return &APIError{Kind: ErrMalformed, Message: "empty body"}
		}
		return &APIError{Kind: ErrMalformed, Err: err}
	}
	if string(envelope.Success) == "false" {
		// Redacted once decoded: a secret echoed JSON-escaped is whole only
		// then.
		msg := c.redactor(call).String(vendorMessage(raw))
		return &APIError{Kind: ErrVendor, Message: cmp.Or(msg, `the answer says "success": false`)}
	}
	if err := json.Unmarshal(raw, call.out); err != nil {
		return &APIError{Kind: ErrMalformed, Err: err}
	}
	if v, ok := call.out.(interface{ check() error }); ok {
		if err := v.check(); err != nil {
			return &APIError{Kind: ErrMalformed, Err: err}
		}
	}
	return nil
}

// redactor removes what must never appear in an error of call: the API key
// and the call's own secrets.
func (c *Client) redactor(call *call) *redact.Redactor {
	if len(call.secrets) == 0 {
		return c.redact
	}
	return redact.New(append([]string{c.apiKey}, call.secrets...)...)
}

// redactCall removes the call's secrets from e's texts and trims its
// message, redacting first so that no cut leaves part of a secret.
func (c *Client) redactCall(e *APIError, call *call) *APIError {
	r := c.redactor(call)
	e.Message = trim(r.String(e.Message), maxMessage)
	e.Excerpt = r.String(e.Excerpt)
	if e.Err != nil {
		e.Err = &redactedError{err: e.Err, msg: r.String(e.Err.Error())}
	}
	return e
}

// outcomeError is ErrOutcomeUnknown for one call.
type outcomeError struct {
	op, lookup string
	err        error
}

func (e *outcomeError) Error() string {
	return fmt.Sprintf("omnidim: %s: %s: %s; it may have been applied, so it was not sent again: look for it in %s before trying again",
		e.op, ErrOutcomeUnknown, strings.TrimPrefix(e.err.Error(), "omnidim: "), e.lookup)
}

// Unwrap lets errors.Is match ErrOutcomeUnknown and the failure's kind.
func (e *outcomeError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.err} }
