package omni

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// The kinds of failure a caller may want to act on differently. Every error
// the Client returns for a failed request is an *APIError whose Kind is one of
// these, so errors.Is(err, omni.ErrUnauthorized) works on any of them.
var (
	// ErrUnauthorized: HTTP 401, the API key is missing or wrong.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: HTTP 403, the key is valid but not a reseller key.
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: HTTP 429; APIError.RetryAfter says how long to wait.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: HTTP 5xx.
	ErrServer = errors.New("server error")
	// ErrStatus: any other unexpected HTTP status, such as 404.
	ErrStatus = errors.New("unexpected status")
	// ErrTimeout: no complete answer within the configured timeout.
	ErrTimeout = errors.New("timeout")
	// ErrNetwork: the request could not be sent or the connection broke.
	ErrNetwork = errors.New("network error")
	// ErrMalformed: the body is not the JSON the endpoint documents.
	ErrMalformed = errors.New("malformed response")
	// ErrTooLarge: the body exceeds the configured size limit.
	ErrTooLarge = errors.New("response too large")
	// ErrVendor: HTTP 2xx with "success": false.
	ErrVendor = errors.New("vendor reported failure")
)

// The reasons NewClient refuses its arguments, so that a caller can say
// which setting to fix.
var (
	// ErrNoAPIKey: the API key is empty or blank.
	ErrNoAPIKey = errors.New("omni: the API key is empty")
	// ErrBadBaseURL: the base URL is not an absolute http(s) URL.
	ErrBadBaseURL = errors.New("omni: the base URL is not an http(s) URL")
)

// APIError describes a failed call to the OmniDimension API. It never holds
// the API key: the body excerpt is redacted before it is stored.
type APIError struct {
	// Kind is one of the Err* sentinels above.
	Kind error
	// Status is the HTTP status, or 0 when no response arrived.
	Status int
	// Message is the vendor's explanation, read from error_description,
	// error, message or detail, in that order.
	Message string
	// Excerpt is the start of the response body, trimmed and redacted, for
	// bodies that are not the vendor's JSON error (an HTML page, garbage).
	Excerpt string
	// RetryAfter is the vendor's Retry-After on a 429, or 0.
	RetryAfter time.Duration
	// Attempts is how many requests were made before giving up.
	Attempts int
	// Err is the underlying error, if any (a network or decoding error).
	Err error

	retryable bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("omnidim: ")
	b.WriteString(e.Kind.Error())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, "; body: %q", e.Excerpt)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap lets errors.Is match both the kind and the underlying error.
func (e *APIError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Temporary reports whether trying again later may succeed.
func (e *APIError) Temporary() bool { return e.retryable }

// kindForStatus maps an HTTP status to an error kind, and whether a retry
// may help.
func kindForStatus(status int) (kind error, retryable bool) {
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized, false
	case status == http.StatusForbidden:
		return ErrForbidden, false
	case status == http.StatusTooManyRequests:
		return ErrRateLimited, true
	case status >= 500:
		return ErrServer, true
	case status == http.StatusRequestTimeout:
		return ErrTimeout, true
	}
	return ErrStatus, false
}

// vendorMessage reads the vendor's explanation from a JSON error body:
// error_description first, then error, message and detail, its strings
// decoded. The result may be up to maxRawMessage long: redact it, then trim
// it to maxMessage.
func vendorMessage(body []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return ""
	}
	var msgs []string
	for _, k := range []string{"error_description", "error", "message", "detail"} {
		raw, ok := fields[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			// detail may be a list of validation errors; show it compactly.
			if raw[0] == '[' || raw[0] == '{' {
				s = string(raw)
			}
		}
		if s = strings.TrimSpace(s); s != "" {
			msgs = append(msgs, s)
		}
	}
	switch len(msgs) {
	case 0:
		return ""
	case 1:
		return trim(msgs[0], maxRawMessage)
	}
	// "unauthorized" adds nothing to "Missing or invalid API key" but a code
	// beside a description often does; keep the first and name the second.
	if strings.EqualFold(msgs[1], msgs[0]) {
		return trim(msgs[0], maxRawMessage)
	}
	return trim(msgs[0]+" ("+msgs[1]+")", maxRawMessage)
}

const (
	maxMessage = 300
	maxExcerpt = 200
	// maxRawMessage bounds a message before redaction. It is far longer
	// than any key, so redaction sees whole keys; the final trim to
	// maxMessage happens after it.
	maxRawMessage = 4096
)

// bodyText is a body that is not the vendor's JSON as one printable line,
// for an excerpt: invalid UTF-8 replaced, spaces collapsed.
func bodyText(body []byte) string {
	s := string(body)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "�")
	}
	return strings.Join(strings.Fields(s), " ")
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
