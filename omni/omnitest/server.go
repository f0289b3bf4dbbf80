package omnitest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIKey is the bearer token a Server accepts unless WithAPIKey says
// otherwise.
const DefaultAPIKey = "omni-test-key"

// DefaultBasePath is the path prefix of Server.URL, like the vendor's
// /api/v1; clients append OrganizationsPath to it.
const DefaultBasePath = "/api/v1"

// OrganizationsPath is the endpoint a client appends to the base URL.
const OrganizationsPath = "/reseller/organizations"

// Errors returned by the Server's mutators for IDs it does not hold. They are
// wrapped with the ID, so match them with errors.Is.
var (
	// ErrNoSuchOrg: no organization has the given ID.
	ErrNoSuchOrg = errors.New("omnitest: no such organization")
	// ErrNoSuchUser: the organization has no user with the given ID.
	ErrNoSuchUser = errors.New("omnitest: no such user")
)

// Option configures a Server at creation.
type Option func(*Server)

// WithAPIKey sets the bearer token the server accepts (default
// DefaultAPIKey). A request with no or another token gets 401
// {"error":"unauthorized","error_description":"Missing or invalid API key"}.
// The empty key turns authentication off, for poking at the demo with curl.
func WithAPIKey(k string) Option {
	return func(s *Server) { s.apiKey = k }
}

// WithForbiddenKey adds a token that authenticates but is not a reseller's,
// answered with 403 {"error":"forbidden","error_description":"Reseller
// access required"}, as the vendor answers a plain organization's key. It
// may be given more than once.
func WithForbiddenKey(k string) Option {
	return func(s *Server) { s.forbidden[k] = true }
}

// WithBasePath sets the path prefix the endpoint lives under (default
// DefaultBasePath), for example "" when the handler is mounted with
// http.StripPrefix or to test a client against another base URL.
func WithBasePath(path string) Option {
	return func(s *Server) { s.basePath = strings.TrimSuffix(path, "/") }
}

// Server is a fake OmniDimension API serving GET
// {URL}/reseller/organizations from a Payload the test controls, and the
// other reseller endpoints (see TransferPath) on the same state. All of its
// methods are safe for concurrent use with requests in flight. The body is
// encoded once per version of the payload and served with Content-Length;
// every mutation makes a new version.
type Server struct {
	// URL is the base URL a client is configured with, such as
	// http://127.0.0.1:1234/api/v1; it is set by Start.
	URL string

	ts       *httptest.Server
	basePath string
	requests atomic.Int64
	closing  chan struct{} // closed by Close, to release hanging handlers
	stop     sync.Once

	mu        sync.Mutex
	p         *Payload
	body      []byte // encoding of p, nil when stale; never modified once set
	encodes   int64  // how many times p was encoded, for tests
	apiKey    string
	forbidden map[string]bool
	faults    []queuedFault
	res       resellerState // balance, rate, pool, credit logs, call counts
}

// NewServer starts a server serving a deep copy of p (Fixture() when p is
// nil). Callers must Close it, typically with t.Cleanup(s.Close).
func NewServer(p *Payload, opts ...Option) *Server {
	s := NewUnstartedServer(p, opts...)
	s.Start()
	return s
}

// NewUnstartedServer is NewServer without Start, so that the test can
// adjust the state, or use StartTLS, before the first request.
func NewUnstartedServer(p *Payload, opts ...Option) *Server {
	if p == nil {
		p = Fixture()
	} else {
		p = p.Clone()
	}
	s := &Server{
		basePath:  DefaultBasePath,
		closing:   make(chan struct{}),
		p:         p,
		apiKey:    DefaultAPIKey,
		forbidden: make(map[string]bool),
		res:       newResellerState(p),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.ts = httptest.NewUnstartedServer(s.Handler())
	return s
}

// Start starts serving plain HTTP and sets URL.
func (s *Server) Start() {
	s.ts.Start()
	s.URL = s.ts.URL + s.basePath
}

// StartTLS starts serving HTTPS with httptest's self-signed certificate and
// sets URL; use Client to get a client that trusts it.
func (s *Server) StartTLS() {
	s.ts.StartTLS()
	s.URL = s.ts.URL + s.basePath
}

// Client returns an *http.Client configured for the server (it trusts the
// TLS certificate after StartTLS).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close releases hanging and delayed handlers (their connections are
// dropped), shuts the server down and waits for outstanding requests. It
// may be called more than once.
func (s *Server) Close() {
	s.stop.Do(func() { close(s.closing) })
	s.ts.Close()
}

// Handler returns the server's HTTP handler, so the fake can be mounted in
// another server (see WithBasePath). It serves each endpoint with its
// method only: other paths get 404 and other methods 405, both as JSON
// errors.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Requests returns how many requests the handler has received, on any path.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Body returns a copy of the encoded body currently served with 200,
// encoding it first if the state changed; benchmarks use its length as the
// size of a poll.
func (s *Server) Body() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.bodyLocked()...)
}

// bodyLocked returns the cached encoding, making it if stale. s.mu is held.
func (s *Server) bodyLocked() []byte {
	if s.body == nil {
		s.body = s.p.AppendJSON(nil)
		s.encodes++
	}
	return s.body
}

// Snapshot returns a deep copy of the current state.
func (s *Server) Snapshot() *Payload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.Clone()
}

// Update runs fn on the live state under the server's lock, for changes the
// other mutators do not cover (renames, vendor-added fields, duplicate IDs).
// fn must not keep p or call the Server's methods.
func (s *Server) Update(fn func(p *Payload)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = nil
	fn(s.p)
}

// SetAPIKey changes the accepted bearer token, to simulate a key being
// rotated or revoked while the bot runs.
func (s *Server) SetAPIKey(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = k
}

// mutate runs fn on the state and invalidates the body if it succeeds.
func (s *Server) mutate(fn func(p *Payload) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := fn(s.p); err != nil {
		return err
	}
	s.body = nil
	return nil
}

// mutateOrg runs fn on the org with the given ID.
func (s *Server) mutateOrg(orgID int64, fn func(o *Org) error) error {
	return s.mutate(func(p *Payload) error {
		o := p.org(orgID)
		if o == nil {
			return fmt.Errorf("%w: id %d", ErrNoSuchOrg, orgID)
		}
		return fn(o)
	})
}

// mutateUser runs fn on a user of an org.
func (s *Server) mutateUser(orgID, userID int64, fn func(u *User)) error {
	return s.mutateOrg(orgID, func(o *Org) error {
		u := o.user(userID)
		if u == nil {
			return fmt.Errorf("%w: id %d in organization %d", ErrNoSuchUser, userID, orgID)
		}
		fn(u)
		return nil
	})
}

// SetBalance sets an org's "org_balance".
func (s *Server) SetBalance(orgID int64, v float64) error {
	return s.mutateOrg(orgID, func(o *Org) error { o.Balance = v; return nil })
}

// SetCostPerMin sets an org's "cost_per_min".
func (s *Server) SetCostPerMin(orgID int64, v float64) error {
	return s.mutateOrg(orgID, func(o *Org) error { o.CostPerMin = v; return nil })
}

// SetConcurrency sets an org's "concurrent_call_limit".
func (s *Server) SetConcurrency(orgID int64, n int) error {
	return s.mutateOrg(orgID, func(o *Org) error { o.ConcurrentCallLimit = n; return nil })
}

// AddOrg adds a deep copy of o at the end of "organizations", or replaces
// the org with the same ID in place. An ID of 0 gets the next free ID (at
// least SyntheticFirstOrgID); read it back with Snapshot.
func (s *Server) AddOrg(o Org) {
	o = o.Clone()
	_ = s.mutate(func(p *Payload) error {
		if o.ID == 0 {
			o.ID = p.nextOrgID()
		}
		if old := p.org(o.ID); old != nil {
			*old = o
			return nil
		}
		p.Orgs = append(p.Orgs, o)
		return nil
	})
}

// RemoveOrg removes an org and its users.
func (s *Server) RemoveOrg(id int64) error {
	return s.mutate(func(p *Payload) error {
		for i := range p.Orgs {
			if p.Orgs[i].ID == id {
				p.Orgs = append(p.Orgs[:i:i], p.Orgs[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("%w: id %d", ErrNoSuchOrg, id)
	})
}

// AddUser adds a deep copy of u at the end of an org's users, or replaces
// the org's user with the same ID in place. An ID of 0 gets the next ID
// free across all orgs.
func (s *Server) AddUser(orgID int64, u User) error {
	u = u.Clone()
	return s.mutate(func(p *Payload) error {
		o := p.org(orgID)
		if o == nil {
			return fmt.Errorf("%w: id %d", ErrNoSuchOrg, orgID)
		}
		if u.ID == 0 {
			u.ID = p.nextUserID()
		}
		if old := o.user(u.ID); old != nil {
			*old = u
			return nil
		}
		o.Users = append(o.Users, u)
		return nil
	})
}

// RemoveUser removes a user from an org.
func (s *Server) RemoveUser(orgID, userID int64) error {
	return s.mutateOrg(orgID, func(o *Org) error {
		for i := range o.Users {
			if o.Users[i].ID == userID {
				o.Users = append(o.Users[:i:i], o.Users[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("%w: id %d in organization %d", ErrNoSuchUser, userID, orgID)
	})
}

// SetFlag switches a user's dashboard menu flag on or off. Unknown flag
// names are accepted, as the vendor adds flags without notice; they are
// emitted after the known ones.
func (s *Server) SetFlag(orgID, userID int64, flag string, on bool) error {
	return s.mutateUser(orgID, userID, func(u *User) {
		if u.Menus == nil {
			u.Menus = make(map[string]bool)
		}
		u.Menus[flag] = on
	})
}

// SetUserActive sets a user's "is_active".
func (s *Server) SetUserActive(orgID, userID int64, active bool) error {
	return s.mutateUser(orgID, userID, func(u *User) { u.IsActive = active })
}

// SetResellerFlag switches a flag of the reseller's own access control.
func (s *Server) SetResellerFlag(flag string, on bool) {
	_ = s.mutate(func(p *Payload) error {
		if p.ResellerMenus == nil {
			p.ResellerMenus = make(map[string]bool)
		}
		p.ResellerMenus[flag] = on
		return nil
	})
}

// serve is the HTTP handler behind Handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	endpoint, underBase := strings.CutPrefix(r.URL.Path, s.basePath)
	method := endpointMethod(endpoint)
	if !underBase || method == "" {
		writeAnswer(w, http.StatusNotFound, "", ErrorBody(http.StatusNotFound), 0)
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeAnswer(w, http.StatusMethodNotAllowed, "", ErrorBody(http.StatusMethodNotAllowed), 0)
		return
	}
	s.countCall(endpoint)
	f, faulty := s.takeFault(endpoint)
	var status int
	var body []byte
	applied := faulty && f.AfterApply
	if applied {
		status, body = s.answer(r, endpoint, f.Duplicate)
	}
	if faulty {
		if f.Hang {
			s.wait(r.Context(), -1)
			return
		}
		if f.Delay > 0 && !s.wait(r.Context(), f.Delay) {
			return
		}
	}
	switch {
	case faulty && f.Status != 0 && f.Body == nil:
		status, body = f.Status, ErrorBody(f.Status)
	case faulty && (f.Status != 0 || f.Body != nil):
		status, body = cmp.Or(f.Status, http.StatusOK), f.Body
	case !applied:
		status, body = s.answer(r, endpoint, faulty && f.Duplicate)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	if faulty && f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	writeAnswer(w, status, f.ContentType, body, f.Truncate)
}

// answer is the normal answer: the key check, then the cached body of the
// list or the outcome of a reseller call (applied twice for a duplicate).
func (s *Server) answer(r *http.Request, endpoint string, duplicate bool) (int, []byte) {
	in := readRequest(r)
	token, ok := bearerToken(r.Header.Get("Authorization"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apiKey != "" {
		if ok && s.forbidden[token] {
			return http.StatusForbidden, ErrorBody(http.StatusForbidden)
		}
		if !ok || token != s.apiKey {
			return http.StatusUnauthorized, ErrorBody(http.StatusUnauthorized)
		}
	}
	if endpoint == OrganizationsPath {
		return http.StatusOK, s.bodyLocked()
	}
	return s.resellerLocked(endpoint, r.URL.Query(), in, duplicate)
}

// wait sleeps for d (forever when d < 0) and reports whether to go on
// answering: false when the client gave up. When the server closes, the
// connection is dropped instead, so that Close does not wait for the sleep.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		panic(http.ErrAbortHandler) // net/http drops the connection silently
	}
}

// writeAnswer sends status and body, cut to truncate bytes when asked.
func writeAnswer(w http.ResponseWriter, status int, contentType string, body []byte, truncate int) {
	h := w.Header()
	h.Set("Content-Type", cmp.Or(contentType, "application/json"))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if truncate == 0 || truncate >= len(body) {
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body[:max(truncate, 0)])
	_ = http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler) // drop the connection mid-body
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive, as RFC 6750 allows.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// ErrorBody returns the vendor-style JSON error body the server sends for
// an HTTP status, such as {"error":"unauthorized","error_description":
// "Missing or invalid API key"} for 401, so tests can assert on it.
func ErrorBody(status int) []byte {
	var code, desc string
	switch status {
	case http.StatusUnauthorized:
		code, desc = "unauthorized", "Missing or invalid API key"
	case http.StatusForbidden:
		code, desc = "forbidden", "Reseller access required"
	case http.StatusNotFound:
		code, desc = "not_found", "The requested URL was not found on the server"
	case http.StatusMethodNotAllowed:
		code, desc = "method_not_allowed", "The method is not allowed for the requested URL"
	case http.StatusTooManyRequests:
		code, desc = "rate_limited", "Too many requests, retry later"
	default:
		desc = http.StatusText(status)
		if desc == "" {
			desc = "HTTP " + strconv.Itoa(status)
		}
		code = strings.ToLower(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(desc))
	}
	b := append([]byte(nil), `{"error":`...)
	b = appendString(b, code)
	b = append(b, `,"error_description":`...)
	b = appendString(b, desc)
	return append(b, '}')
}
