package main

import (
	"context"
	"errors"
	"io/fs"
	"net/http"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// adviceFor says what an operator can do about an error of the omni client
// or of opening the store, naming the configuration key to look at, or ""
// when there is nothing to add. omni and store report typed reasons and
// know no key names; the keys are named here, where the configuration is
// known.
func adviceFor(err error) string {
	var apiErr *omni.APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.Kind == omni.ErrUnauthorized:
			return "check omnidim.api_key"
		case apiErr.Kind == omni.ErrForbidden:
			return "omnidim.api_key must belong to a reseller account"
		case apiErr.Kind == omni.ErrStatus && apiErr.Status == http.StatusNotFound:
			return "check omnidim.base_url"
		case apiErr.Kind == omni.ErrTooLarge:
			return "raise omnidim.max_body if the payload is genuine"
		}
		// A failed request names no setting: a network error that wraps
		// a permission error is no fault of store.path.
		return ""
	}
	switch {
	case errors.Is(err, omni.ErrNoAPIKey):
		return "set omnidim.api_key (or OMNIDIM_API_KEY)"
	case errors.Is(err, omni.ErrBadBaseURL):
		return "check omnidim.base_url"
	case errors.Is(err, store.ErrLocked):
		return "only one resellerbot may use a store at a time: is another one running with this store.path?"
	case errors.Is(err, fs.ErrPermission):
		return "check store.path"
	}
	return ""
}

// withAdvice returns err with adviceFor's advice after it, as
// "err; advice", or err itself when there is none (nil included).
func withAdvice(err error) error {
	if advice := adviceFor(err); advice != "" {
		return &advisedError{err: err, advice: advice}
	}
	return err
}

// advisedError is an error followed by what to do about it. It unwraps to
// the error, so errors.Is and errors.As see through it.
type advisedError struct {
	err    error
	advice string
}

func (e *advisedError) Error() string { return e.err.Error() + "; " + e.advice }
func (e *advisedError) Unwrap() error { return e.err }

// advisedClient is the omni client whose failures carry their advice, so
// that everything showing a failed poll (the outage notice, /readyz, the
// log, the poll and check commands) says which setting to check.
type advisedClient struct{ *omni.Client }

// Organizations is omni.Client.Organizations with withAdvice's advice.
func (c advisedClient) Organizations(ctx context.Context) (*omni.Snapshot, error) {
	snap, err := c.Client.Organizations(ctx)
	return snap, withAdvice(err)
}
