package omnitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// response is what a test request got back.
type response struct {
	status  int
	header  http.Header
	body    []byte
	readErr error // error reading the body, as a truncated answer gives
}

// newServer starts a server on the fixture and closes it after the test.
func newServer(t *testing.T, opts ...omnitest.Option) *omnitest.Server {
	t.Helper()
	s := omnitest.NewServer(nil, opts...)
	t.Cleanup(s.Close)
	return s
}

// fetch sends GET url with the given bearer key ("" for none) and reads the
// answer. A transport error fails the test; use fetchErr to expect one.
func fetch(t *testing.T, url, key string) response {
	t.Helper()
	r, err := fetchErr(context.Background(), &http.Client{Timeout: 10 * time.Second}, http.MethodGet, url, key)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return r
}

func fetchErr(ctx context.Context, c *http.Client, method, url, key string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return response{}, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body, readErr: readErr}, nil
}

// endpoint is the URL a client polls.
func endpoint(s *omnitest.Server) string { return s.URL + omnitest.OrganizationsPath }

// poll fetches the endpoint with the default key and decodes the payload.
func poll(t *testing.T, s *omnitest.Server) (*omnitest.Payload, map[string]any) {
	t.Helper()
	r := fetch(t, endpoint(s), omnitest.DefaultAPIKey)
	if r.status != http.StatusOK || r.readErr != nil {
		t.Fatalf("poll: status %d, read error %v, body %s", r.status, r.readErr, clip(r.body))
	}
	var p omnitest.Payload
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("poll: %v", err)
	}
	return &p, decodeAny(t, r.body).(map[string]any)
}

func TestAuthentication(t *testing.T) {
	s := newServer(t, omnitest.WithForbiddenKey("org-key"))
	unauthorized := `{"error":"unauthorized","error_description":"Missing or invalid API key"}`
	forbidden := `{"error":"forbidden","error_description":"Reseller access required"}`
	cases := []struct {
		name       string
		header     string
		wantStatus int
		wantBody   string // "" means the payload
	}{
		{"a request without a key is refused with 401", "", 401, unauthorized},
		{"a wrong key is refused with 401", "Bearer nope", 401, unauthorized},
		{"a key without the Bearer scheme is refused with 401", omnitest.DefaultAPIKey, 401, unauthorized},
		{"a Basic scheme is refused with 401", "Basic " + omnitest.DefaultAPIKey, 401, unauthorized},
		{"an empty bearer token is refused with 401", "Bearer ", 401, unauthorized},
		{"a non-reseller key is refused with 403", "Bearer org-key", 403, forbidden},
		{"the right key gets the payload", "Bearer " + omnitest.DefaultAPIKey, 200, ""},
		{"the scheme is case-insensitive", "bearer " + omnitest.DefaultAPIKey, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, endpoint(s), nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, c.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			want := c.wantBody
			if want == "" {
				want = string(s.Body())
			}
			if string(body) != want {
				t.Errorf("body = %s, want %s", clip(body), clip([]byte(want)))
			}
		})
	}

	t.Run("a custom key replaces the default one", func(t *testing.T) {
		s := newServer(t, omnitest.WithAPIKey("custom"))
		if r := fetch(t, endpoint(s), omnitest.DefaultAPIKey); r.status != 401 {
			t.Errorf("default key: status %d, want 401", r.status)
		}
		if r := fetch(t, endpoint(s), "custom"); r.status != 200 {
			t.Errorf("custom key: status %d, want 200", r.status)
		}
	})
	t.Run("a rotated key locks the old one out", func(t *testing.T) {
		s := newServer(t)
		s.SetAPIKey("rotated")
		if r := fetch(t, endpoint(s), omnitest.DefaultAPIKey); r.status != 401 {
			t.Errorf("old key: status %d, want 401", r.status)
		}
		if r := fetch(t, endpoint(s), "rotated"); r.status != 200 {
			t.Errorf("new key: status %d, want 200", r.status)
		}
	})
	t.Run("an empty key turns authentication off", func(t *testing.T) {
		s := newServer(t, omnitest.WithAPIKey(""))
		if r := fetch(t, endpoint(s), ""); r.status != 200 {
			t.Errorf("status %d, want 200", r.status)
		}
	})
}

func TestRouting(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		name       string
		method     string
		url        string
		wantStatus int
		wantError  string
	}{
		{"another path is answered with a JSON 404", http.MethodGet, s.URL + "/reseller/organisations", 404, "not_found"},
		{"the endpoint without the base path is a 404", http.MethodGet, strings.TrimSuffix(s.URL, omnitest.DefaultBasePath) + omnitest.OrganizationsPath, 404, "not_found"},
		{"POST is answered with a JSON 405", http.MethodPost, endpoint(s), 405, "method_not_allowed"},
		{"DELETE is answered with a JSON 405", http.MethodDelete, endpoint(s), 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := fetchErr(context.Background(), http.DefaultClient, c.method, c.url, omnitest.DefaultAPIKey)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != c.wantStatus {
				t.Errorf("status = %d, want %d", r.status, c.wantStatus)
			}
			var e struct{ Error, ErrorDescription string }
			if err := json.Unmarshal(r.body, &e); err != nil || e.Error != c.wantError {
				t.Errorf("body = %s, want error %q", r.body, c.wantError)
			}
			if c.wantStatus == 405 && r.header.Get("Allow") != http.MethodGet {
				t.Errorf("Allow = %q", r.header.Get("Allow"))
			}
		})
	}

	t.Run("the handler can be mounted under another prefix", func(t *testing.T) {
		s := omnitest.NewUnstartedServer(nil, omnitest.WithBasePath("/"))
		defer s.Close()
		mux := http.NewServeMux()
		mux.Handle("/omni/", http.StripPrefix("/omni", s.Handler()))
		hs := httptest.NewServer(mux)
		defer hs.Close()
		r := fetch(t, hs.URL+"/omni"+omnitest.OrganizationsPath, omnitest.DefaultAPIKey)
		if r.status != 200 || !bytes.Equal(r.body, s.Body()) {
			t.Errorf("status %d, body %s", r.status, clip(r.body))
		}
	})
	t.Run("the server can serve TLS", func(t *testing.T) {
		s := omnitest.NewUnstartedServer(nil)
		s.StartTLS()
		defer s.Close()
		if !strings.HasPrefix(s.URL, "https://") {
			t.Fatalf("URL = %s", s.URL)
		}
		r, err := fetchErr(context.Background(), s.Client(), http.MethodGet, endpoint(s), omnitest.DefaultAPIKey)
		if err != nil || r.status != 200 {
			t.Errorf("status %d, err %v", r.status, err)
		}
	})
	t.Run("every request is counted, on any path", func(t *testing.T) {
		s := newServer(t)
		fetch(t, endpoint(s), omnitest.DefaultAPIKey)
		fetch(t, endpoint(s), "")
		fetch(t, s.URL+"/nope", "")
		if n := s.Requests(); n != 3 {
			t.Errorf("Requests() = %d, want 3", n)
		}
	})
	t.Run("Close may be called twice", func(t *testing.T) {
		s := omnitest.NewServer(nil)
		s.Close()
		s.Close()
	})
}

func TestBodyCaching(t *testing.T) {
	s := newServer(t)

	t.Run("the body is encoded once per version and served with its length", func(t *testing.T) {
		for range 3 {
			r := fetch(t, endpoint(s), omnitest.DefaultAPIKey)
			if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
				t.Errorf("Content-Length = %s, body is %d bytes", cl, len(r.body))
			}
		}
		if n := omnitest.Encodes(s); n != 1 {
			t.Errorf("encoded %d times, want 1", n)
		}
	})
	t.Run("a mutation makes a new version", func(t *testing.T) {
		before := s.Body()
		if err := s.SetBalance(4001, 1); err != nil {
			t.Fatal(err)
		}
		after := s.Body()
		fetch(t, endpoint(s), omnitest.DefaultAPIKey)
		if bytes.Equal(before, after) || omnitest.Encodes(s) != 2 {
			t.Errorf("body changed: %v, encodes = %d, want 2", !bytes.Equal(before, after), omnitest.Encodes(s))
		}
	})
	t.Run("a failed mutation keeps the version", func(t *testing.T) {
		n := omnitest.Encodes(s)
		_ = s.SetBalance(1, 1)
		s.Body()
		if omnitest.Encodes(s) != n {
			t.Error("a failed mutation invalidated the body")
		}
	})
	t.Run("Body returns a copy the caller may scribble on", func(t *testing.T) {
		b := s.Body()
		b[0] = 'X'
		if s.Body()[0] != '{' {
			t.Error("Body() shares the served buffer")
		}
	})
	t.Run("the server serves a copy of the payload it was given", func(t *testing.T) {
		p := omnitest.Fixture()
		s := omnitest.NewServer(p)
		defer s.Close()
		p.Orgs[0].Balance = -99
		if got, _ := poll(t, s); got.Orgs[0].Balance != 24442.6 {
			t.Errorf("balance = %v; the server aliases the caller's payload", got.Orgs[0].Balance)
		}
	})
}

func TestMutations(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(s *omnitest.Server) error
		check  func(p *omnitest.Payload, raw map[string]any) string // "" when fine, else what is wrong
	}{
		{"a new balance is served", func(s *omnitest.Server) error { return s.SetBalance(4002, 7.5) },
			func(p *omnitest.Payload, _ map[string]any) string {
				return expect("balance", p.Orgs[1].Balance, 7.5)
			}},
		{"a new cost per minute is served", func(s *omnitest.Server) error { return s.SetCostPerMin(4001, 0) },
			func(p *omnitest.Payload, _ map[string]any) string {
				return expect("cost_per_min", p.Orgs[0].CostPerMin, 0.0)
			}},
		{"a new concurrency limit is served", func(s *omnitest.Server) error { return s.SetConcurrency(4001, 3) },
			func(p *omnitest.Payload, _ map[string]any) string {
				return expect("concurrent_call_limit", p.Orgs[0].ConcurrentCallLimit, 3)
			}},
		{"an added org is served and counted", func(s *omnitest.Server) error {
			s.AddOrg(omnitest.Org{ID: 4010, Name: "Gamma", Users: []omnitest.User{{ID: 9}}})
			return nil
		}, func(p *omnitest.Payload, raw map[string]any) string {
			return expect("orgs", len(p.Orgs), 3) + expect("name", p.Orgs[2].Name, "Gamma") +
				expect("total_organizations", raw["total_organizations"], 3.0) +
				expect("total_users_across_orgs", raw["total_users_across_orgs"], 3.0)
		}},
		{"an added org without an ID gets the next one", func(s *omnitest.Server) error {
			s.AddOrg(omnitest.Org{Name: "Auto"})
			return nil
		}, func(p *omnitest.Payload, _ map[string]any) string {
			return expect("id", p.Orgs[2].ID, int64(4003))
		}},
		{"an added org with a known ID replaces it in place", func(s *omnitest.Server) error {
			s.AddOrg(omnitest.Org{ID: 4001, Name: "Acme Renamed"})
			return nil
		}, func(p *omnitest.Payload, _ map[string]any) string {
			return expect("orgs", len(p.Orgs), 2) + expect("name", p.Orgs[0].Name, "Acme Renamed")
		}},
		{"a removed org disappears and the totals drop", func(s *omnitest.Server) error { return s.RemoveOrg(4001) },
			func(p *omnitest.Payload, raw map[string]any) string {
				return expect("orgs", len(p.Orgs), 1) + expect("remaining", p.Orgs[0].ID, int64(4002)) +
					expect("total_organizations", raw["total_organizations"], 1.0) +
					expect("total_users_across_orgs", raw["total_users_across_orgs"], 1.0)
			}},
		{"an added user is served and counted", func(s *omnitest.Server) error {
			return s.AddUser(4001, omnitest.User{ID: 2000, Name: "New", Phone: "+1"})
		}, func(p *omnitest.Payload, raw map[string]any) string {
			return expect("users", len(p.Orgs[0].Users), 2) + expect("phone", p.Orgs[0].Users[1].Phone, "+1") +
				expect("total_users", org(raw, 0)["total_users"], 2.0) +
				expect("total_users_across_orgs", raw["total_users_across_orgs"], 3.0)
		}},
		{"an added user without an ID gets the next free one", func(s *omnitest.Server) error {
			return s.AddUser(4001, omnitest.User{Name: "Auto"})
		}, func(p *omnitest.Payload, _ map[string]any) string {
			return expect("id", p.Orgs[0].Users[1].ID, int64(1235))
		}},
		{"a removed user disappears", func(s *omnitest.Server) error { return s.RemoveUser(4002, 1234) },
			func(p *omnitest.Payload, raw map[string]any) string {
				return expect("users", len(p.Orgs[1].Users), 0) + expect("total_users", org(raw, 1)["total_users"], 0.0)
			}},
		{"a switched flag is served", func(s *omnitest.Server) error {
			return s.SetFlag(4001, 1110, omnitest.FlagLeads, true)
		}, func(p *omnitest.Payload, _ map[string]any) string {
			return expect("leads", p.Orgs[0].Users[0].Menus[omnitest.FlagLeads], true)
		}},
		{"a new flag is served", func(s *omnitest.Server) error {
			return s.SetFlag(4002, 1234, omnitest.FlagOmniCRM, true)
		}, func(p *omnitest.Payload, _ map[string]any) string {
			m := p.Orgs[1].Users[0].Menus
			return expect("crm", m[omnitest.FlagOmniCRM], true) + expect("flags", len(m), 17)
		}},
		{"a deactivated user is served", func(s *omnitest.Server) error { return s.SetUserActive(4001, 1110, false) },
			func(p *omnitest.Payload, _ map[string]any) string {
				return expect("is_active", p.Orgs[0].Users[0].IsActive, false)
			}},
		{"a reseller flag is served", func(s *omnitest.Server) error {
			s.SetResellerFlag(omnitest.FlagBilling, false)
			return nil
		}, func(p *omnitest.Payload, _ map[string]any) string {
			return expect("billing", p.ResellerMenus[omnitest.FlagBilling], false)
		}},
		{"an arbitrary update is served", func(s *omnitest.Server) error {
			s.Update(func(p *omnitest.Payload) {
				p.Orgs[1].Name = "Beta & Co"
				p.Extra = map[string]any{"maintenance": true}
			})
			return nil
		}, func(p *omnitest.Payload, raw map[string]any) string {
			return expect("name", p.Orgs[1].Name, "Beta & Co") + expect("maintenance", raw["maintenance"], true)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			poll(t, s) // cache the first version
			if err := c.mutate(s); err != nil {
				t.Fatal(err)
			}
			p, raw := poll(t, s)
			if msg := c.check(p, raw); msg != "" {
				t.Error(msg)
			}
			if snap := s.Snapshot(); !bytes.Equal(snap.AppendJSON(nil), s.Body()) {
				t.Error("Snapshot does not match the served body")
			}
		})
	}
}

// expect describes a mismatch, or returns "".
func expect(what string, got, want any) string {
	if got == want {
		return ""
	}
	return what + ": got " + stringOf(got) + ", want " + stringOf(want) + "; "
}

func stringOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUnknownIDs(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		name   string
		call   func() error
		want   error
		wantID string
	}{
		{"SetBalance on an unknown org says no such org", func() error { return s.SetBalance(9, 1) }, omnitest.ErrNoSuchOrg, "9"},
		{"SetCostPerMin on an unknown org says no such org", func() error { return s.SetCostPerMin(9, 1) }, omnitest.ErrNoSuchOrg, "9"},
		{"SetConcurrency on an unknown org says no such org", func() error { return s.SetConcurrency(9, 1) }, omnitest.ErrNoSuchOrg, "9"},
		{"RemoveOrg on an unknown org says no such org", func() error { return s.RemoveOrg(9) }, omnitest.ErrNoSuchOrg, "9"},
		{"AddUser to an unknown org says no such org", func() error { return s.AddUser(9, omnitest.User{}) }, omnitest.ErrNoSuchOrg, "9"},
		{"RemoveUser from an unknown org says no such org", func() error { return s.RemoveUser(9, 1110) }, omnitest.ErrNoSuchOrg, "9"},
		{"RemoveUser of an unknown user says no such user", func() error { return s.RemoveUser(4001, 77) }, omnitest.ErrNoSuchUser, "77"},
		{"SetFlag on an unknown user says no such user", func() error { return s.SetFlag(4001, 1234, omnitest.FlagBots, true) }, omnitest.ErrNoSuchUser, "1234"},
		{"SetFlag in an unknown org says no such org", func() error { return s.SetFlag(9, 1110, omnitest.FlagBots, true) }, omnitest.ErrNoSuchOrg, "9"},
		{"SetUserActive on an unknown user says no such user", func() error { return s.SetUserActive(4002, 1110, true) }, omnitest.ErrNoSuchUser, "1110"},
	}
	before := s.Body()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.wantID) {
				t.Errorf("error %q does not name id %s", err, c.wantID)
			}
		})
	}
	t.Run("failed mutations change nothing", func(t *testing.T) {
		if !bytes.Equal(before, s.Body()) {
			t.Error("body changed")
		}
	})
}

func TestFaults(t *testing.T) {
	html := []byte("<html><body><h1>502 Bad Gateway</h1></body></html>")
	vendorFailure := []byte(`{"success": false, "error": "Reseller account suspended"}`)
	cases := []struct {
		name       string
		fault      omnitest.Fault
		key        string
		wantStatus int
		wantBody   []byte // nil means the normal payload
		wantHeader map[string]string
	}{
		{"a server error is answered with a vendor-style body",
			omnitest.Fault{Status: 500}, omnitest.DefaultAPIKey, 500,
			[]byte(`{"error":"internal_server_error","error_description":"Internal Server Error"}`), nil},
		{"a rate limit carries Retry-After",
			omnitest.Fault{Status: 429, RetryAfter: "7"}, omnitest.DefaultAPIKey, 429,
			omnitest.ErrorBody(429), map[string]string{"Retry-After": "7"}},
		{"a status fault answers even a request without a key",
			omnitest.Fault{Status: 503}, "", 503, omnitest.ErrorBody(503), nil},
		{"a custom body replaces the payload with status 200",
			omnitest.Fault{Body: vendorFailure}, omnitest.DefaultAPIKey, 200, vendorFailure,
			map[string]string{"Content-Type": "application/json"}},
		{"a proxy's HTML page keeps its content type",
			omnitest.Fault{Status: 502, Body: html, ContentType: "text/html"}, omnitest.DefaultAPIKey, 502, html,
			map[string]string{"Content-Type": "text/html"}},
		{"garbage is served verbatim",
			omnitest.Fault{Body: []byte("\x00\xffnot json")}, omnitest.DefaultAPIKey, 200, []byte("\x00\xffnot json"), nil},
		{"an empty body is served as such",
			omnitest.Fault{Body: []byte{}}, omnitest.DefaultAPIKey, 200, []byte{}, nil},
		{"Retry-After alone decorates the normal answer",
			omnitest.Fault{RetryAfter: "3"}, omnitest.DefaultAPIKey, 200, nil, map[string]string{"Retry-After": "3"}},
		{"a fault without a status keeps the key check",
			omnitest.Fault{RetryAfter: "3"}, "wrong", 401, omnitest.ErrorBody(401), map[string]string{"Retry-After": "3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			c.fault.Times = 1
			s.Fail(c.fault)
			r := fetch(t, endpoint(s), c.key)
			want := c.wantBody
			if want == nil {
				want = s.Body()
			}
			if r.status != c.wantStatus || !bytes.Equal(r.body, want) {
				t.Errorf("got %d %q, want %d %q", r.status, clip(r.body), c.wantStatus, clip(want))
			}
			for k, v := range c.wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if next := fetch(t, endpoint(s), omnitest.DefaultAPIKey); next.status != 200 || next.header.Get("Retry-After") != "" {
				t.Errorf("the next request still faulted: %d", next.status)
			}
		})
	}
}

func TestFaultQueue(t *testing.T) {
	statuses := func(s *omnitest.Server, n int) []int {
		t.Helper()
		var got []int
		for range n {
			got = append(got, fetch(t, endpoint(s), omnitest.DefaultAPIKey).status)
		}
		return got
	}
	cases := []struct {
		name   string
		faults []omnitest.Fault
		want   []int
	}{
		{"Times counts requests, then the next fault applies, then normal answers",
			[]omnitest.Fault{{Status: 500, Times: 2}, {Status: 429, Times: 1}}, []int{500, 500, 429, 200, 200}},
		{"a fault without Times lasts until cleared and holds back the queue",
			[]omnitest.Fault{{Status: 503}, {Status: 429, Times: 1}}, []int{503, 503, 503, 503}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			for _, f := range c.faults {
				s.Fail(f)
			}
			if got := statuses(s, len(c.want)); !equalInts(got, c.want) {
				t.Errorf("statuses = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("ClearFaults restores normal answers", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Status: 503})
		s.Fail(omnitest.Fault{Status: 500, Times: 3})
		fetch(t, endpoint(s), omnitest.DefaultAPIKey)
		s.ClearFaults()
		if s.PendingFaults() != 0 {
			t.Errorf("PendingFaults() = %d after ClearFaults", s.PendingFaults())
		}
		if got := statuses(s, 2); !equalInts(got, []int{200, 200}) {
			t.Errorf("statuses = %v", got)
		}
	})
	t.Run("requests to other paths do not use up faults", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Status: 500, Times: 1})
		fetch(t, s.URL+"/elsewhere", omnitest.DefaultAPIKey)
		if got := statuses(s, 1); got[0] != 500 {
			t.Errorf("status = %d, want 500", got[0])
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDelayAndHang(t *testing.T) {
	t.Run("a delay holds the answer back", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Delay: 60 * time.Millisecond, Times: 1})
		start := time.Now()
		r := fetch(t, endpoint(s), omnitest.DefaultAPIKey)
		if el := time.Since(start); el < 60*time.Millisecond || r.status != 200 {
			t.Errorf("answered %d after %v, want 200 after ≥60ms", r.status, el)
		}
	})
	t.Run("a delay is cut short when the client gives up", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Delay: time.Minute, Times: 1})
		start := time.Now()
		_, err := fetchErr(context.Background(), &http.Client{Timeout: 50 * time.Millisecond}, http.MethodGet, endpoint(s), omnitest.DefaultAPIKey)
		if err == nil {
			t.Fatal("no error from a delayed answer past the client timeout")
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("gave up after %v", el)
		}
		if r := fetch(t, endpoint(s), omnitest.DefaultAPIKey); r.status != 200 {
			t.Errorf("next status = %d", r.status)
		}
	})
	t.Run("a hang lasts until the client times out", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Hang: true})
		start := time.Now()
		_, err := fetchErr(context.Background(), &http.Client{Timeout: 100 * time.Millisecond}, http.MethodGet, endpoint(s), omnitest.DefaultAPIKey)
		var netErr interface{ Timeout() bool }
		if !errors.As(err, &netErr) || !netErr.Timeout() {
			t.Errorf("err = %v, want a timeout", err)
		}
		if el := time.Since(start); el < 100*time.Millisecond {
			t.Errorf("answered after %v", el)
		}
		closeWithin(t, s, 5*time.Second)
	})
	t.Run("a hang lasts until the request context is cancelled", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
		defer cancel()
		if _, err := fetchErr(ctx, http.DefaultClient, http.MethodGet, endpoint(s), omnitest.DefaultAPIKey); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		closeWithin(t, s, 5*time.Second)
	})
	for _, f := range []struct {
		name  string
		fault omnitest.Fault
	}{
		{"Close unblocks a hanging request", omnitest.Fault{Hang: true}},
		{"Close unblocks a delayed request", omnitest.Fault{Delay: time.Hour}},
	} {
		t.Run(f.name, func(t *testing.T) {
			s := omnitest.NewServer(nil)
			s.Fail(f.fault)
			errc := make(chan error, 1)
			go func() {
				_, err := fetchErr(context.Background(), &http.Client{}, http.MethodGet, endpoint(s), omnitest.DefaultAPIKey)
				errc <- err
			}()
			deadline := time.Now().Add(5 * time.Second)
			for s.Requests() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			closeWithin(t, s, 5*time.Second)
			select {
			case err := <-errc:
				if err == nil {
					t.Error("the client got an answer from a hanging server")
				}
			case <-time.After(5 * time.Second):
				t.Error("the client is still waiting after Close")
			}
		})
	}
}

// closeWithin closes s and fails the test if that takes longer than d.
func closeWithin(t *testing.T, s *omnitest.Server, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close did not return within %v", d)
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		name     string
		truncate int
		status   int
		wantLen  func(full int) int
		wantErr  bool
	}{
		{"a truncated payload stops mid-body", 100, 0, func(int) int { return 100 }, true},
		{"a negative cut sends the headers alone", -1, 0, func(int) int { return 0 }, true},
		{"a cut beyond the body sends it whole", 1 << 30, 0, func(full int) int { return full }, false},
		{"an error answer can be truncated too", 10, 500, func(int) int { return 10 }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			s.Fail(omnitest.Fault{Truncate: c.truncate, Status: c.status, Times: 1})
			full := s.Body()
			if c.status != 0 {
				full = omnitest.ErrorBody(c.status)
			}
			r := fetch(t, endpoint(s), omnitest.DefaultAPIKey)
			if (r.readErr != nil) != c.wantErr {
				t.Errorf("read error = %v, want error: %v", r.readErr, c.wantErr)
			}
			if c.wantErr && !errors.Is(r.readErr, io.ErrUnexpectedEOF) {
				t.Errorf("read error = %v, want unexpected EOF", r.readErr)
			}
			if n := c.wantLen(len(full)); len(r.body) != n || !bytes.Equal(r.body, full[:n]) {
				t.Errorf("got %d bytes, want the first %d of the body", len(r.body), n)
			}
			if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(full)) {
				t.Errorf("Content-Length = %s, want the full %d", cl, len(full))
			}
			if next := fetch(t, endpoint(s), omnitest.DefaultAPIKey); next.readErr != nil || next.status != 200 {
				t.Errorf("the next request failed: %d %v", next.status, next.readErr)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	s := omnitest.NewServer(omnitest.Synthetic(40, 3, 1))
	t.Cleanup(s.Close)
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for range 15 {
				r, err := fetchErr(context.Background(), http.DefaultClient, http.MethodGet, endpoint(s), omnitest.DefaultAPIKey)
				if err != nil || r.status != 200 || r.readErr != nil || !json.Valid(r.body) {
					t.Errorf("goroutine %d: status %d, err %v, read %v", g, r.status, err, r.readErr)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 60 {
			id := omnitest.SyntheticFirstOrgID + int64(i%40)
			if err := s.SetBalance(id, float64(i)); err != nil {
				t.Error(err)
			}
			_ = s.SetFlag(id, 0, omnitest.FlagBots, true) // unknown user: error, no change
			s.Update(func(p *omnitest.Payload) { p.Orgs[i%40].Name = "renamed " + strconv.Itoa(i) })
			_ = s.Snapshot()
			_ = s.Body()
		}
	})
	wg.Go(func() {
		for range 20 {
			s.Fail(omnitest.Fault{RetryAfter: "1", Times: 1})
			_ = s.PendingFaults()
		}
	})
	wg.Wait()
}
