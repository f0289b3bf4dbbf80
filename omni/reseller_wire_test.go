package omni_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// resellerCall is one call of each reseller endpoint, with valid
// arguments.
type resellerCall struct {
	name     string
	endpoint string
	call     func(ctx context.Context, c *omni.Client) error
}

// password is the new user's password in allResellerCalls: a secret like
// the key.
const password = "pw_7Hq2xN9vLr4sT8wK3mZ6pB1c"

var allResellerCalls = []resellerCall{
	{"add user", omnitest.AddUserPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.AddUser(ctx, omni.AddUserRequest{Name: "N", Email: "n@example.com", Phone: "+1", Password: password})
		return err
	}},
	{"access control", omnitest.AccessControlPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.SetAccessControl(ctx, omni.AccessControlRequest{UserID: betaUser, Menus: map[string]bool{"is_leads_access": true}})
		return err
	}},
	{"expiry", omnitest.ExpiryPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser})
		return err
	}},
	{"concurrency", omnitest.ConcurrencyPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 6})
		return err
	}},
	{"transfer preview", omnitest.CalculatePath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.PreviewTransfer(ctx, omni.TransferRequest{Minutes: 20, CostPerMin: 0.2})
		return err
	}},
	{"revert preview", omnitest.CalculatePath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.PreviewRevert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 5})
		return err
	}},
	{"transfer", omnitest.TransferPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.2})
		return err
	}},
	{"revert", omnitest.RevertPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.Revert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 5})
		return err
	}},
	{"credit logs", omnitest.CreditLogsPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.CreditLogs(ctx, omni.CreditLogsRequest{})
		return err
	}},
}

func TestResellerErrorsHoldNoSecret(t *testing.T) {
	pad := strings.Repeat("x", 269) // puts the key across the message's 300-byte cut
	faults := []struct {
		name  string
		fault omnitest.Fault
	}{
		{"a 401 whose body echoes the key", omnitest.Fault{Status: 401, Body: []byte(`{"error":"bad key ` + liveKey + `"}`)}},
		{"a long message ending in the key", omnitest.Fault{Status: 400, Body: []byte(`{"error":"` + pad + " " + liveKey + `"}`)}},
		{"a 502 page that echoes the key", omnitest.Fault{Status: 502, ContentType: "text/html",
			Body: []byte("<html><title>Bad key " + liveKey + "</title></html>")}},
		{"a 500 plain-text body that echoes the key, applied first", omnitest.Fault{Status: 500, AfterApply: true,
			ContentType: "text/plain", Body: []byte("upstream rejected Authorization: Bearer " + liveKey)}},
		{"a success false that echoes the key and the password", omnitest.Fault{
			Body: []byte(`{"success":false,"error":"key ` + liveKey + ` refused","detail":"password ` + password + ` too weak"}`)}},
		{"a field of the wrong type holding the key", omnitest.Fault{
			Body: []byte(`{"success":true,"message":"` + liveKey + `","new_from_balance":"` + liveKey + `","my_cost":"` + liveKey +
				`","child_limit":"` + liveKey + `","user_id":"` + liveKey + `","updated_flags":{"x":"` + liveKey +
				`"},"organization_id":"` + liveKey + `","data":{"logs":[{"id":"` + liveKey + `"}]}}`)}},
		{"a 400 that echoes the password", omnitest.Fault{Status: 400,
			Body: []byte(`{"error":"bad_request","error_description":"password ` + password + ` is too weak"}`)}},
	}
	for _, rc := range allResellerCalls {
		for _, f := range faults {
			t.Run(rc.name+": "+f.name+" has it redacted", func(t *testing.T) {
				t.Parallel()
				s, c := startResellerFake(t)
				f.fault.Endpoint = rc.endpoint
				s.Fail(f.fault)
				err := rc.call(t.Context(), c)
				if err == nil {
					t.Fatal("the call succeeded")
				}
				checkNoSecret(t, err, liveKey)
				if rc.endpoint == omnitest.AddUserPath {
					// Only the call that sends the password knows it.
					checkNoSecret(t, err, password)
				}
				var apiErr *omni.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v is not an *omni.APIError", err)
				}
			})
		}
	}
	t.Run("a new user's request shows no password when printed or logged", func(t *testing.T) {
		req := omni.AddUserRequest{Name: "N", Email: "n@example.com", Phone: "+1", Password: password}
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("adding", "req", req)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("adding", "req", req)
		for what, s := range map[string]string{"%v": fmt.Sprint(req), "%+v": fmt.Sprintf("%+v", req), "slog": logged.String()} {
			if strings.Contains(s, password) || !strings.Contains(s, "n@example.com") {
				t.Errorf("%s shows %s", what, s)
			}
		}
	})
}

func TestResellerDecodesTheVendorsQuirks(t *testing.T) {
	ist := time.FixedZone("", 5*3600+1800)
	tests := []struct {
		name     string
		endpoint string
		body     string
		call     func(ctx context.Context, c *omni.Client) (any, error)
		want     any
	}{
		{"money as strings, integers as floats, unknown fields and no success flag",
			omnitest.TransferPath,
			`{"message":"ok","new_from_balance":"59.813","new_to_balance":14.0,"transfer":{"id":9},"warnings":[]}`,
			func(ctx context.Context, c *omni.Client) (any, error) {
				return c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.2})
			},
			&omni.CreditResult{Message: "ok", ResellerBalance: 59.813, OrgBalance: 14}},
		{"a forward preview with only some fields and a null",
			omnitest.CalculatePath, `{"success":true,"my_cost":1.8,"user_credit":"4","profit":null,"currency_symbol":false}`,
			func(ctx context.Context, c *omni.Client) (any, error) {
				return c.PreviewTransfer(ctx, omni.TransferRequest{Minutes: 20, CostPerMin: 0.2})
			},
			&omni.TransferPreview{ResellerCost: 1.8, OrgCredit: 4}},
		{"limits as a float and a string, and a message of false",
			omnitest.ConcurrencyPath, `{"success":true,"message":false,"child_limit":7.0,"reseller_available":"2"}`,
			func(ctx context.Context, c *omni.Client) (any, error) {
				return c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 7})
			},
			&omni.ConcurrencyResult{Limit: 7, PoolAvailable: 2}},
		{"updated flags as 1 and null",
			omnitest.AccessControlPath, `{"success":true,"updated_flags":{"is_leads_access":1,"is_bots_menu_access":null}}`,
			func(ctx context.Context, c *omni.Client) (any, error) {
				return c.SetAccessControl(ctx, omni.AccessControlRequest{UserID: betaUser, Menus: map[string]bool{"is_leads_access": true}})
			},
			&omni.AccessControlResult{Applied: map[string]bool{"is_leads_access": true, "is_bots_menu_access": false}}},
		{"no updated flags at all is an empty set, not nil",
			omnitest.AccessControlPath, `{"success":true}`,
			func(ctx context.Context, c *omni.Client) (any, error) {
				return c.SetAccessControl(ctx, omni.AccessControlRequest{UserID: betaUser, Menus: map[string]bool{"is_leads_access": true}})
			},
			&omni.AccessControlResult{Applied: map[string]bool{}}},
		{"an expiry as a zone-less timestamp and the user ID as a string",
			omnitest.ExpiryPath, `{"success":true,"user_id":"1234","expiry_date":"2026-12-31T00:00:00"}`,
			func(ctx context.Context, c *omni.Client) (any, error) {
				return c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser, Expiry: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)})
			},
			&omni.ExpiryResult{UserID: betaUser, Expiry: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}},
		{"the documented log row, with an offset and falses for empty text",
			omnitest.CreditLogsPath, `{"success":true,"data":{"logs":[{"id":1,"transfer_reference":"CT-20260115110440-5678-4002",
			"reseller_organization":{"id":5678,"name":"Demo Reseller"},"from_organization":{"id":5678,"name":"Demo Reseller"},
			"to_organization":{"id":4002,"name":"Beta Co"},"credit_amount":4,"cost_amount":-1.8,"from_balance_before":61.613,
			"from_balance_after":59.813,"to_balance_before":10,"to_balance_after":14,"transfer_date":"2026-01-15T16:34:40+05:30",
			"performed_by":{"id":7,"name":"Ops","email":false},"status":"success","transaction_type":"credit_transfer",
			"channels_count":0,"previous_channels":0,"new_channels":0,"notes":false,"new_field":{"a":1}}],
			"total_records":"1","page":1,"page_size":20,"total_pages":1}}`,
			func(ctx context.Context, c *omni.Client) (any, error) {
				return c.CreditLogs(ctx, omni.CreditLogsRequest{})
			},
			&omni.CreditLogPage{Total: 1, Page: 1, PageSize: 20, Pages: 1, Logs: []omni.CreditLog{{
				ID: 1, Reference: "CT-20260115110440-5678-4002", Type: omni.LogTransfer, Status: "success",
				Reseller: omni.OrgRef{ID: reseller, Name: "Demo Reseller"}, From: omni.OrgRef{ID: reseller, Name: "Demo Reseller"},
				To: omni.OrgRef{ID: beta, Name: "Beta Co"}, Credit: 4, Cost: -1.8,
				FromBefore: 61.613, FromAfter: 59.813, ToBefore: 10, ToAfter: 14,
				Date: time.Date(2026, 1, 15, 16, 34, 40, 0, ist), PerformedBy: omni.LogUser{ID: 7, Name: "Ops"}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" decodes", func(t *testing.T) {
			t.Parallel()
			s, c := startResellerFake(t)
			s.Fail(omnitest.Fault{Endpoint: tc.endpoint, Body: []byte(tc.body)})
			got, err := tc.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if page, ok := got.(*omni.CreditLogPage); ok {
				// Compare the instant, then drop the *time.Location that
				// DeepEqual would compare by pointer.
				want := tc.want.(*omni.CreditLogPage)
				if !page.Logs[0].Date.Equal(want.Logs[0].Date) {
					t.Errorf("Date = %v, want %v", page.Logs[0].Date, want.Logs[0].Date)
				}
				page.Logs[0].Date = want.Logs[0].Date
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestResellerMalformedAnswers(t *testing.T) {
	logs := func(ctx context.Context, c *omni.Client) error {
		_, err := c.CreditLogs(ctx, omni.CreditLogsRequest{})
		return err
	}
	tests := []struct {
		name     string
		endpoint string
		body     string
		call     func(ctx context.Context, c *omni.Client) error
		inError  string
	}{
		{"credit logs without data are malformed, not an empty history", omnitest.CreditLogsPath, `{"success":true}`, logs, `no "data"`},
		{"credit logs whose logs are null are malformed, not an empty history", omnitest.CreditLogsPath,
			`{"success":true,"data":{"logs":null,"total_records":0}}`, logs, `no "data"`},
		{"credit logs with an entry of the wrong shape are malformed", omnitest.CreditLogsPath,
			`{"success":true,"data":{"logs":[{"credit_amount":{"value":4}}]}}`, logs, "scalar"},
		{"an array where an object belongs is malformed", omnitest.ExpiryPath, `[1,2]`,
			func(ctx context.Context, c *omni.Client) error {
				_, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser})
				return err
			}, "cannot unmarshal"},
		{"an expiry that is no date is malformed", omnitest.ExpiryPath, `{"success":true,"expiry_date":"soon"}`,
			func(ctx context.Context, c *omni.Client) error {
				_, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser})
				return err
			}, "not a date"},
		{"an empty body is malformed", omnitest.ConcurrencyPath, ``,
			func(ctx context.Context, c *omni.Client) error {
				_, err := c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 6})
				return err
			}, "empty body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := startResellerFake(t)
			s.Fail(omnitest.Fault{Endpoint: tc.endpoint, Body: []byte(tc.body)})
			err := tc.call(t.Context(), c)
			if err == nil {
				t.Fatal("the call succeeded")
			}
			checkKind(t, err, omni.ErrMalformed)
			if !strings.Contains(err.Error(), tc.inError) {
				t.Errorf("error %q does not say %q", err, tc.inError)
			}
		})
	}
}

func TestResellerRequestsOnTheWire(t *testing.T) {
	type sent struct {
		method, path, query, contentType, auth string
		body                                   []byte
	}
	var mu sync.Mutex
	var got []sent
	record := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			got = append(got, sent{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body})
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}
	_, url := mountFake(t, record)
	c := newTestClient(t, url, liveKey)
	jan := func(d int) time.Time { return time.Date(2026, 1, d, 23, 30, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		call   func(ctx context.Context) error
		method string
		path   string
		query  string
		body   string // JSON, compared as values; "" for none
	}{
		{"a transfer sends the org, the minutes and the rate", func(ctx context.Context) error {
			_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.2})
			return err
		}, "POST", "/reseller/credits/transfer", "", `{"to_organization_id":4002,"minutes":20,"cost_per_min":0.2}`},
		{"a transfer preview sends the forward shape without the org", func(ctx context.Context) error {
			_, err := c.PreviewTransfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 500, CostPerMin: 0.2})
			return err
		}, "POST", "/reseller/credits/calculate", "", `{"minutes":500,"cost_per_min":0.2,"is_revert":false}`},
		{"a revert preview sends the revert shape with the org", func(ctx context.Context) error {
			_, err := c.PreviewRevert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 10})
			return err
		}, "POST", "/reseller/credits/calculate", "", `{"minutes":10,"is_revert":true,"child_organization_id":4002}`},
		{"a revert sends the org and the minutes, and no rate", func(ctx context.Context) error {
			_, err := c.Revert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 5})
			return err
		}, "POST", "/reseller/credits/revert", "", `{"from_organization_id":4002,"minutes":5}`},
		{"a concurrency change sends the absolute limit", func(ctx context.Context) error {
			_, err := c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 5})
			return err
		}, "POST", "/reseller/concurrency", "", `{"child_organization_id":4002,"new_limit":5}`},
		{"access control sends only the flags to change", func(ctx context.Context) error {
			_, err := c.SetAccessControl(ctx, omni.AccessControlRequest{UserID: betaUser, Menus: map[string]bool{"is_leads_access": false}})
			return err
		}, "POST", "/reseller/users/access-control", "", `{"user_id":1234,"dashboard_menu_access":{"is_leads_access":false}}`},
		{"an expiry sends the date alone", func(ctx context.Context) error {
			_, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser, Expiry: jan(31)})
			return err
		}, "POST", "/reseller/users/expiry", "", `{"user_id":1234,"expiry_date":"2026-01-31"}`},
		{"clearing an expiry sends null", func(ctx context.Context) error {
			_, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser})
			return err
		}, "POST", "/reseller/users/expiry", "", `{"user_id":1234,"expiry_date":null}`},
		{"a new user without options sends the required fields alone", func(ctx context.Context) error {
			_, err := c.AddUser(ctx, omni.AddUserRequest{Name: "N", Email: "n@example.com", Phone: "+1", Password: "pw"})
			return err
		}, "POST", "/reseller/users/add", "", `{"name":"N","email":"n@example.com","phone":"+1","password":"pw"}`},
		{"a new user with options sends them under the spec's names", func(ctx context.Context) error {
			_, err := c.AddUser(ctx, omni.AddUserRequest{Name: "M", Email: "m@example.com", Phone: "+1", Password: "pw",
				WelcomeMinutes: 50, CostPerMin: 0.2, ConcurrentCallLimit: 1, Expiry: jan(31), Currency: "USD"})
			return err
		}, "POST", "/reseller/users/add", "", `{"name":"M","email":"m@example.com","phone":"+1","password":"pw",
			"welcome_minutes_to_credit":50,"cost_per_min":0.2,"concurrent_call_limit":1,"expiry_date":"2026-01-31","user_currency":"USD"}`},
		{"credit logs send the spec's query names, not the Python SDK's", func(ctx context.Context) error {
			_, err := c.CreditLogs(ctx, omni.CreditLogsRequest{Page: 2, PageSize: 50, From: jan(1), To: jan(31)})
			return err
		}, "GET", "/reseller/credits/logs", "date_from=2026-01-01&date_to=2026-01-31&page=2&page_size=50", ""},
		{"credit logs with defaults send no query", func(ctx context.Context) error {
			_, err := c.CreditLogs(ctx, omni.CreditLogsRequest{})
			return err
		}, "GET", "/reseller/credits/logs", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			if err := tc.call(t.Context()); err != nil {
				t.Fatalf("call: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("%d requests, want 1", len(got))
			}
			r := got[0]
			if r.method != tc.method || r.path != omnitest.DefaultBasePath+tc.path || r.query != tc.query {
				t.Errorf("sent %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tc.method, tc.path, tc.query)
			}
			if r.auth != "Bearer "+liveKey {
				t.Errorf("Authorization = %q", r.auth)
			}
			if tc.body == "" {
				if len(r.body) != 0 || r.contentType != "" {
					t.Errorf("sent a body %q (%s), want none", r.body, r.contentType)
				}
				return
			}
			if r.contentType != "application/json" {
				t.Errorf("Content-Type = %q", r.contentType)
			}
			var gotBody, wantBody any
			if err := json.Unmarshal(r.body, &gotBody); err != nil {
				t.Fatalf("body %q: %v", r.body, err)
			}
			if err := json.Unmarshal([]byte(tc.body), &wantBody); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotBody, wantBody) {
				t.Errorf("body %s, want %s", r.body, tc.body)
			}
		})
	}
}

func TestResellerRefusesRequestsItCannotMean(t *testing.T) {
	tests := []struct {
		name    string
		call    func(ctx context.Context, c *omni.Client) error
		inError string
	}{
		{"a transfer of no minutes", func(ctx context.Context, c *omni.Client) error {
			_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: beta, CostPerMin: 0.2})
			return err
		}, "minutes must be at least 1"},
		{"a transfer without an org", func(ctx context.Context, c *omni.Client) error {
			_, err := c.Transfer(ctx, omni.TransferRequest{Minutes: 20, CostPerMin: 0.2})
			return err
		}, "an org ID is required"},
		{"a transfer without a rate", func(ctx context.Context, c *omni.Client) error {
			_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20})
			return err
		}, "cost per minute must be positive"},
		{"a transfer preview of negative minutes", func(ctx context.Context, c *omni.Client) error {
			_, err := c.PreviewTransfer(ctx, omni.TransferRequest{Minutes: -5, CostPerMin: 0.2})
			return err
		}, "minutes must be at least 1"},
		{"a revert without an org", func(ctx context.Context, c *omni.Client) error {
			_, err := c.Revert(ctx, omni.RevertRequest{Minutes: 5})
			return err
		}, "an org ID is required"},
		{"a revert preview of no minutes", func(ctx context.Context, c *omni.Client) error {
			_, err := c.PreviewRevert(ctx, omni.RevertRequest{OrgID: beta})
			return err
		}, "minutes must be at least 1"},
		{"a negative concurrency limit", func(ctx context.Context, c *omni.Client) error {
			_, err := c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: -1})
			return err
		}, "a limit of at least 0"},
		{"access control without flags", func(ctx context.Context, c *omni.Client) error {
			_, err := c.SetAccessControl(ctx, omni.AccessControlRequest{UserID: betaUser})
			return err
		}, "at least one flag"},
		{"an expiry without a user", func(ctx context.Context, c *omni.Client) error {
			_, err := c.SetExpiry(ctx, omni.ExpiryRequest{})
			return err
		}, "a user ID is required"},
		{"a new user without a password", func(ctx context.Context, c *omni.Client) error {
			_, err := c.AddUser(ctx, omni.AddUserRequest{Name: "N", Email: "n@example.com", Phone: "+1"})
			return err
		}, "password is required"},
		{"a page of credit logs larger than the vendor serves", func(ctx context.Context, c *omni.Client) error {
			_, err := c.CreditLogs(ctx, omni.CreditLogsRequest{PageSize: 101})
			return err
		}, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused before anything is sent", func(t *testing.T) {
			t.Parallel()
			s, c := startResellerFake(t)
			err := tc.call(t.Context(), c)
			if err == nil || !strings.Contains(err.Error(), tc.inError) {
				t.Fatalf("error %v, want one saying %q", err, tc.inError)
			}
			var apiErr *omni.APIError
			if errors.As(err, &apiErr) || errors.Is(err, omni.ErrOutcomeUnknown) {
				t.Errorf("a request never sent is reported as a vendor failure: %v", err)
			}
			if n := s.Requests(); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}
