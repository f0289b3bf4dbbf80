package omni

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// AddUserRequest is the body of POST /reseller/users/add: a new child user
// and, with it, a new child organization. Zero optional fields are left
// out, so the vendor applies its defaults.
type AddUserRequest struct {
	// Name is the user's full name (required).
	Name string
	// Email is the user's address and login (required).
	Email string
	// Phone is the number with its country code, such as +15551234567
	// (required).
	Phone string
	// Password is the new account's password (required). It is a secret:
	// it is redacted from every error, and String and LogValue hide it.
	Password string
	// WelcomeMinutes are call minutes credited at signup (optional). The
	// vendor does not say whether they are taken from the reseller's
	// balance; assume they are, as with Transfer.
	WelcomeMinutes int
	// CostPerMin is the price of a minute to the new org, in its currency
	// (optional; at least the reseller's own rate).
	CostPerMin float64
	// ConcurrentCallLimit is the org's number of simultaneous calls
	// (optional; assume the slots come out of the reseller's pool, as with
	// SetConcurrency).
	ConcurrentCallLimit int
	// Expiry is when the account expires (optional): only its calendar
	// date, in its own location, is sent.
	Expiry time.Time
	// Currency is an ISO 4217 code such as USD (optional; the reseller's
	// currency when empty).
	Currency string
}

// String shows the request without its password.
func (r AddUserRequest) String() string {
	r.Password = redactedMark(r.Password)
	type plain AddUserRequest // without this method, so %+v does not recurse
	return fmt.Sprintf("%+v", plain(r))
}

// LogValue logs the request without its password.
func (r AddUserRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", r.Name), slog.String("email", r.Email),
		slog.Int("welcome_minutes", r.WelcomeMinutes), slog.Float64("cost_per_min", r.CostPerMin))
}

// redactedMark is what String shows in place of a set secret.
func redactedMark(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// AddUserResult is the vendor's answer to AddUser.
type AddUserResult struct {
	// Message is the vendor's text, such as "User and organization created
	// successfully".
	Message string
	// UserID identifies the new user, for SetAccessControl and SetExpiry.
	UserID int64
	// OrgID identifies the new organization, for SetConcurrency, Transfer
	// and Revert.
	OrgID int64
	// OrgName is the new organization's name, such as "Demo User's
	// Organization".
	OrgName string
	// OrgBalance is the new org's starting balance, in its currency
	// (welcome minutes × cost per minute).
	OrgBalance float64
	// CostPerMin is the rate the vendor applied.
	CostPerMin float64
}

// AddUser creates a child user and its organization. The vendor has no
// idempotency key and a second request would create a second account (or
// fail on the email), so once the request may have reached the vendor it
// is never resent: an uncertain failure is ErrOutcomeUnknown, and the
// caller looks for the email in Organizations before trying again.
func (c *Client) AddUser(ctx context.Context, req AddUserRequest) (*AddUserResult, error) {
	for _, f := range []struct{ name, v string }{{"name", req.Name}, {"email", req.Email}, {"phone", req.Phone}, {"password", req.Password}} {
		if f.v == "" {
			return nil, fmt.Errorf("omnidim: add user: %s is required", f.name)
		}
	}
	if req.WelcomeMinutes < 0 || req.CostPerMin < 0 || req.ConcurrentCallLimit < 0 {
		return nil, errors.New("omnidim: add user: welcome minutes, cost per minute and concurrent call limit must not be negative")
	}
	in := struct {
		Name                string  `json:"name"`
		Email               string  `json:"email"`
		Phone               string  `json:"phone"`
		Password            string  `json:"password"`
		WelcomeMinutes      int     `json:"welcome_minutes_to_credit,omitempty"`
		CostPerMin          float64 `json:"cost_per_min,omitempty"`
		ConcurrentCallLimit int     `json:"concurrent_call_limit,omitempty"`
		Expiry              string  `json:"expiry_date,omitempty"`
		Currency            string  `json:"user_currency,omitempty"`
	}{req.Name, req.Email, req.Phone, req.Password, req.WelcomeMinutes, req.CostPerMin,
		req.ConcurrentCallLimit, dateOrEmpty(req.Expiry), req.Currency}
	var out struct {
		Message    wireText  `json:"message"`
		UserID     wireInt   `json:"user_id"`
		OrgID      wireInt   `json:"organization_id"`
		OrgName    wireText  `json:"organization_name"`
		OrgBalance wireFloat `json:"organization_balance"`
		CostPerMin wireFloat `json:"cost_per_min"`
	}
	err := c.do(ctx, call{op: "add user", method: http.MethodPost, path: addUserPath, in: in, out: &out,
		once: true, lookup: "the organizations (by email)", secrets: []string{req.Password}})
	if err != nil {
		return nil, err
	}
	return &AddUserResult{Message: string(out.Message), UserID: int64(out.UserID), OrgID: int64(out.OrgID),
		OrgName: string(out.OrgName), OrgBalance: float64(out.OrgBalance), CostPerMin: float64(out.CostPerMin)}, nil
}

// AccessControlRequest is the body of POST /reseller/users/access-control:
// a partial update of one user's dashboard menus.
type AccessControlRequest struct {
	// UserID is the child user (not the org).
	UserID int64
	// Menus maps flag keys (see KnownFlags) to on or off. Only these flags
	// change; the vendor silently drops those outside the reseller's own
	// access control.
	Menus map[string]bool
}

// AccessControlResult is the vendor's answer to SetAccessControl.
type AccessControlResult struct {
	// Message is the vendor's text, such as "User access control updated
	// successfully".
	Message string
	// Applied is "updated_flags": the flags the vendor actually set, after
	// dropping those outside the reseller's scope.
	Applied map[string]bool
}

// Dropped lists the flags of req that the vendor did not apply as asked,
// sorted: those outside the reseller's access control.
func (r *AccessControlResult) Dropped(req AccessControlRequest) []string {
	var keys []string
	for k, on := range req.Menus {
		if got, ok := r.Applied[k]; !ok || got != on {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareFlagKeys)
	return keys
}

// SetAccessControl switches a user's dashboard menus on or off. Setting
// absolute values is idempotent, so it is retried like Organizations.
func (c *Client) SetAccessControl(ctx context.Context, req AccessControlRequest) (*AccessControlResult, error) {
	if req.UserID <= 0 || len(req.Menus) == 0 {
		return nil, errors.New("omnidim: access control: a user ID and at least one flag are required")
	}
	in := struct {
		UserID int64           `json:"user_id"`
		Menus  map[string]bool `json:"dashboard_menu_access"`
	}{req.UserID, req.Menus}
	var out struct {
		Message wireText  `json:"message"`
		Applied wireFlags `json:"updated_flags"`
	}
	err := c.do(ctx, call{op: "access control", method: http.MethodPost, path: accessControlPath, in: in, out: &out})
	if err != nil {
		return nil, err
	}
	return &AccessControlResult{Message: string(out.Message), Applied: nonNil(map[string]bool(out.Applied))}, nil
}

// nonNil returns m, or an empty map when m is nil, so that a result is
// never nil where the vendor sent nothing.
func nonNil(m map[string]bool) map[string]bool {
	if m == nil {
		return map[string]bool{}
	}
	return m
}

// ExpiryRequest is the body of POST /reseller/users/expiry.
type ExpiryRequest struct {
	// UserID is the child user (not the org).
	UserID int64
	// Expiry is the new expiry date; only its calendar date, in its own
	// location, is sent. The zero time removes the expiry (sent as null,
	// as the Python SDK does).
	Expiry time.Time
}

// ExpiryResult is the vendor's answer to SetExpiry.
type ExpiryResult struct {
	// Message is the vendor's text, such as "User expiry date updated
	// successfully".
	Message string
	// UserID is the user the vendor changed.
	UserID int64
	// Expiry is the expiry the vendor recorded, at midnight UTC of its
	// date; the zero time when there is none.
	Expiry time.Time
}

// SetExpiry sets or clears a user's expiry date. An absolute value is
// idempotent, so it is retried like Organizations.
func (c *Client) SetExpiry(ctx context.Context, req ExpiryRequest) (*ExpiryResult, error) {
	if req.UserID <= 0 {
		return nil, errors.New("omnidim: expiry: a user ID is required")
	}
	in := struct {
		UserID int64   `json:"user_id"`
		Expiry *string `json:"expiry_date"`
	}{UserID: req.UserID}
	if d := dateOrEmpty(req.Expiry); d != "" {
		in.Expiry = &d
	}
	var out struct {
		Message wireText `json:"message"`
		UserID  wireInt  `json:"user_id"`
		Expiry  wireTime `json:"expiry_date"`
	}
	err := c.do(ctx, call{op: "expiry", method: http.MethodPost, path: expiryPath, in: in, out: &out})
	if err != nil {
		return nil, err
	}
	return &ExpiryResult{Message: string(out.Message), UserID: int64(out.UserID), Expiry: time.Time(out.Expiry).UTC()}, nil
}

// dateOrEmpty is t's calendar date as the vendor writes it, or "" for the
// zero time.
func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// ConcurrencyRequest is the body of POST /reseller/concurrency.
type ConcurrencyRequest struct {
	// OrgID is the child organization.
	OrgID int64
	// Limit is the org's new number of simultaneous calls: the absolute
	// target, not a change. Raising it takes slots from the reseller's
	// pool, and fails when the pool has too few; lowering it returns them.
	Limit int
}

// ConcurrencyResult is the vendor's answer to SetConcurrency.
type ConcurrencyResult struct {
	// Message is the vendor's text, such as "Concurrency limit updated
	// successfully."
	Message string
	// Limit is "child_limit", the org's limit now.
	Limit int
	// PoolAvailable is "reseller_available", the slots left in the
	// reseller's pool.
	PoolAvailable int
}

// SetConcurrency sets an org's concurrent call limit. The limit is
// absolute, so a repeat changes nothing, and it is retried like
// Organizations.
func (c *Client) SetConcurrency(ctx context.Context, req ConcurrencyRequest) (*ConcurrencyResult, error) {
	if req.OrgID <= 0 || req.Limit < 0 {
		return nil, fmt.Errorf("omnidim: concurrency: an org ID and a limit of at least 0 are required, got org %d, limit %d", req.OrgID, req.Limit)
	}
	in := struct {
		OrgID int64 `json:"child_organization_id"`
		Limit int   `json:"new_limit"`
	}{req.OrgID, req.Limit}
	var out struct {
		Message       wireText `json:"message"`
		Limit         wireInt  `json:"child_limit"`
		PoolAvailable wireInt  `json:"reseller_available"`
	}
	err := c.do(ctx, call{op: "concurrency", method: http.MethodPost, path: concurrencyPath, in: in, out: &out})
	if err != nil {
		return nil, err
	}
	return &ConcurrencyResult{Message: string(out.Message), Limit: int(out.Limit), PoolAvailable: int(out.PoolAvailable)}, nil
}
