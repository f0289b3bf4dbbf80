package omnitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// post sends a JSON body to an endpoint with the default key and decodes
// the answer.
func post(t *testing.T, s *omnitest.Server, endpoint, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// get fetches an endpoint with a query and decodes the answer.
func get(t *testing.T, s *omnitest.Server, endpoint, query string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+endpoint+"?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, v
}

const transfer20 = `{"to_organization_id":4002,"minutes":20,"cost_per_min":0.2}`

func TestResellerEndpointRouting(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		name       string
		method     string
		endpoint   string
		wantStatus int
		wantAllow  string
	}{
		{"a GET of a POST endpoint is a 405 that allows POST", http.MethodGet, omnitest.TransferPath, 405, http.MethodPost},
		{"a POST of the credit logs is a 405 that allows GET", http.MethodPost, omnitest.CreditLogsPath, 405, http.MethodGet},
		{"a reseller path the vendor does not have is a 404", http.MethodPost, "/reseller/credits/refund", 404, ""},
		{"a GET of the credit logs is served", http.MethodGet, omnitest.CreditLogsPath, 200, ""},
		{"a POST of a calculation is served", http.MethodPost, omnitest.CalculatePath, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, s.URL+c.endpoint, strings.NewReader(`{"minutes":1,"cost_per_min":0.2}`))
			req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.wantStatus || resp.Header.Get("Allow") != c.wantAllow {
				t.Errorf("status %d, Allow %q; want %d, %q", resp.StatusCode, resp.Header.Get("Allow"), c.wantStatus, c.wantAllow)
			}
		})
	}
	t.Run("calls are counted per endpoint, whatever their key", func(t *testing.T) {
		s := newServer(t)
		post(t, s, omnitest.TransferPath, transfer20)
		req, _ := http.NewRequest(http.MethodPost, s.URL+omnitest.TransferPath, strings.NewReader(transfer20))
		if status, _ := do(t, req); status != 401 {
			t.Errorf("a transfer without a key got %d, want 401", status)
		}
		get(t, s, omnitest.CreditLogsPath, "")
		want := map[string]int64{omnitest.TransferPath: 2, omnitest.CreditLogsPath: 1, omnitest.OrganizationsPath: 0}
		for endpoint, n := range want {
			if got := s.Calls(endpoint); got != n {
				t.Errorf("Calls(%s) = %d, want %d", endpoint, got, n)
			}
		}
		if got := s.ResellerBalance(); got != 59.813 {
			t.Errorf("reseller balance %v: the unauthenticated transfer was applied too", got)
		}
	})
}

func TestResellerRequestsTheVendorWouldReject(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		body     string
		want     map[string]any
	}{
		{"a transfer without its fields names every missing one", omnitest.TransferPath, `{}`,
			map[string]any{"error": "bad_request", "error_description": "Missing required fields: to_organization_id, minutes, cost_per_min"}},
		{"a revert preview without its org names it", omnitest.CalculatePath, `{"minutes":5,"is_revert":true}`,
			map[string]any{"error": "bad_request", "error_description": "Missing required fields: child_organization_id"}},
		{"a forward preview without a rate names it", omnitest.CalculatePath, `{"minutes":5}`,
			map[string]any{"error": "bad_request", "error_description": "Missing required fields: cost_per_min"}},
		{"a new user with an empty password names it", omnitest.AddUserPath, `{"name":"N","email":"e@x","phone":"+1","password":""}`,
			map[string]any{"error": "bad_request", "error_description": "Missing required fields: password"}},
		{"fractional minutes are malformed, as the spec has integers", omnitest.TransferPath,
			`{"to_organization_id":4002,"minutes":2.5,"cost_per_min":0.2}`, nil},
		{"a body that is not JSON is malformed", omnitest.ConcurrencyPath, `child=4002`, nil},
		{"a flag that is not a boolean is malformed", omnitest.AccessControlPath,
			`{"user_id":1234,"dashboard_menu_access":{"is_leads_access":"yes"}}`, nil},
		{"an expiry that is not a date is refused", omnitest.ExpiryPath, `{"user_id":1234,"expiry_date":"31/12/2026"}`,
			map[string]any{"error": "bad_request", "error_description": "expiry_date must be a date, YYYY-MM-DD"}},
		{"a transfer of no minutes is refused in the business shape", omnitest.TransferPath,
			`{"to_organization_id":4002,"minutes":0,"cost_per_min":0.2}`,
			map[string]any{"success": false, "error": "minutes must be 1 or more"}},
		{"a transfer the reseller cannot pay is refused with plan_expire", omnitest.TransferPath,
			`{"to_organization_id":4002,"minutes":100000,"cost_per_min":0.2}`,
			map[string]any{"success": false, "plan_expire": true,
				"error": "Insufficient reseller balance: 100000 minutes cost 9000.000 and the balance is 61.613"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			before := s.Body()
			status, got := post(t, s, c.endpoint, c.body)
			if status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", status)
			}
			if c.want == nil {
				if got["error"] != "bad_request" || !strings.HasPrefix(got["error_description"].(string), "Malformed JSON body") {
					t.Errorf("answer %v, want a malformed-body error", got)
				}
			} else if !reflect.DeepEqual(got, c.want) {
				t.Errorf("answer %v, want %v", got, c.want)
			}
			if !bytes.Equal(s.Body(), before) || s.ResellerBalance() != omnitest.DefaultResellerBalance || len(s.CreditLogs()) != 0 {
				t.Error("a rejected request changed the state")
			}
		})
	}
}

func TestResellerFaults(t *testing.T) {
	t.Run("a fault for one endpoint leaves the others alone", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Status: 500})
		s.Fail(omnitest.Fault{Status: 503, Times: 1})
		if r := fetch(t, endpoint(s), omnitest.DefaultAPIKey); r.status != 503 {
			t.Errorf("the list got %d, want its own 503", r.status)
		}
		if r := fetch(t, endpoint(s), omnitest.DefaultAPIKey); r.status != 200 {
			t.Errorf("the list got %d after its fault, want 200", r.status)
		}
		if status, _ := post(t, s, omnitest.CalculatePath, `{"minutes":1,"cost_per_min":0.2}`); status != 200 {
			t.Errorf("a calculation got %d, want 200", status)
		}
		for range 2 {
			if status, _ := post(t, s, omnitest.TransferPath, transfer20); status != 500 {
				t.Errorf("a transfer got %d, want the standing 500", status)
			}
		}
		if s.ResellerBalance() != omnitest.DefaultResellerBalance || s.PendingFaults() != 1 {
			t.Errorf("balance %v, %d faults pending; want nothing applied and the standing fault", s.ResellerBalance(), s.PendingFaults())
		}
	})
	t.Run("a fault after applying changes the state and answers the fault", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Status: 502, AfterApply: true, Times: 1})
		status, body := post(t, s, omnitest.TransferPath, transfer20)
		if status != 502 || body["error"] != "bad_gateway" {
			t.Errorf("answer %d %v, want the 502", status, body)
		}
		p, _ := poll(t, s)
		if s.ResellerBalance() != 59.813 || p.Orgs[1].Balance != 17 || len(s.CreditLogs()) != 1 {
			t.Errorf("reseller %v, Beta Co %v, %d logs; want the transfer applied once", s.ResellerBalance(), p.Orgs[1].Balance, len(s.CreditLogs()))
		}
	})
	t.Run("a hang after applying changes the state and never answers", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Endpoint: omnitest.RevertPath, Hang: true, AfterApply: true, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+omnitest.RevertPath, strings.NewReader(`{"from_organization_id":4002,"minutes":5}`))
		req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("got an answer, %d", resp.StatusCode)
		}
		if s.ResellerBalance() != 62.063 || len(s.CreditLogs()) != 1 {
			t.Errorf("reseller %v, %d logs; want the revert applied once", s.ResellerBalance(), len(s.CreditLogs()))
		}
	})
	t.Run("a duplicate applies the request twice and answers the first", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Duplicate: true, Times: 1})
		status, body := post(t, s, omnitest.TransferPath, transfer20)
		if status != 200 || body["new_from_balance"] != 59.813 {
			t.Errorf("answer %d %v, want the first transfer's", status, body)
		}
		if s.ResellerBalance() != 58.013 || len(s.CreditLogs()) != 2 || s.Calls(omnitest.TransferPath) != 1 {
			t.Errorf("reseller %v, %d logs, %d calls; want two transfers from one call",
				s.ResellerBalance(), len(s.CreditLogs()), s.Calls(omnitest.TransferPath))
		}
	})
	t.Run("a duplicate the balance cannot pay for twice applies once", func(t *testing.T) {
		s := newServer(t)
		s.SetResellerBalance(2)
		s.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Duplicate: true, Times: 1})
		if status, _ := post(t, s, omnitest.TransferPath, transfer20); status != 200 {
			t.Errorf("status %d, want the first transfer's 200", status)
		}
		if s.ResellerBalance() != 0.2 || len(s.CreditLogs()) != 1 {
			t.Errorf("reseller %v, %d logs; want one transfer", s.ResellerBalance(), len(s.CreditLogs()))
		}
	})
	t.Run("a status fault without AfterApply changes nothing", func(t *testing.T) {
		s := newServer(t)
		s.Fail(omnitest.Fault{Endpoint: omnitest.ConcurrencyPath, Status: 503, Times: 1})
		post(t, s, omnitest.ConcurrencyPath, `{"child_organization_id":4002,"new_limit":7}`)
		if p, _ := poll(t, s); p.Orgs[1].ConcurrentCallLimit != 5 || s.ConcurrencyPool() != 4 {
			t.Errorf("limit %d, pool %d; want 5 and 4 as before", p.Orgs[1].ConcurrentCallLimit, s.ConcurrencyPool())
		}
	})
}

func TestResellerState(t *testing.T) {
	t.Run("the pool starts with what the reseller's limit leaves", func(t *testing.T) {
		if got := newServer(t).ConcurrencyPool(); got != 4 {
			t.Errorf("pool %d, want 10 - 1 - 5 = 4", got)
		}
	})
	t.Run("setting the same concurrency limit again moves nothing and logs nothing", func(t *testing.T) {
		s := newServer(t)
		for range 2 {
			status, body := post(t, s, omnitest.ConcurrencyPath, `{"child_organization_id":4002,"new_limit":6}`)
			if status != 200 || body["child_limit"] != 6.0 || body["reseller_available"] != 3.0 {
				t.Errorf("answer %d %v", status, body)
			}
		}
		if logs := s.CreditLogs(); len(logs) != 1 || logs[0].ChannelsCount != 1 || logs[0].TransferReference[:3] != "CH-" {
			t.Errorf("logs %+v, want one allocation of one channel", logs)
		}
	})
	t.Run("access control drops the flags outside the reseller's scope", func(t *testing.T) {
		s := newServer(t)
		s.SetResellerFlag("is_sms_access", true)
		status, body := post(t, s, omnitest.AccessControlPath,
			`{"user_id":1110,"dashboard_menu_access":{"is_leads_access":true,"is_omni_crm_access":true,"is_sms_access":true,"is_made_up":true}}`)
		want := map[string]any{"is_leads_access": true, "is_sms_access": true}
		if status != 200 || !reflect.DeepEqual(body["updated_flags"], want) {
			t.Errorf("answer %d %v, want updated_flags %v", status, body, want)
		}
		p, _ := poll(t, s)
		menus := p.Orgs[0].Users[0].Menus
		if !menus["is_leads_access"] || !menus["is_sms_access"] || menus["is_omni_crm_access"] || menus["is_made_up"] {
			t.Errorf("menus %v", menus)
		}
	})
	t.Run("credit logs are dated by the clock with its offset and paged newest first", func(t *testing.T) {
		ist := time.FixedZone("IST", 5*3600+1800)
		now := time.Date(2026, 1, 15, 16, 34, 40, 500, ist)
		s := newServer(t, omnitest.WithClock(func() time.Time { return now }))
		post(t, s, omnitest.TransferPath, transfer20)
		post(t, s, omnitest.RevertPath, `{"from_organization_id":4002,"minutes":5}`)
		status, body := get(t, s, omnitest.CreditLogsPath, "page=1&page_size=1&date_from=2026-01-15&date_to=2026-01-15")
		data, _ := body["data"].(map[string]any)
		if status != 200 || data["total_records"] != 2.0 || data["total_pages"] != 2.0 || data["page_size"] != 1.0 {
			t.Fatalf("answer %d %v", status, body)
		}
		logs := data["logs"].([]any)
		entry := logs[0].(map[string]any)
		if len(logs) != 1 || entry["transaction_type"] != omnitest.LogRevert || entry["transfer_date"] != "2026-01-15T16:34:40+05:30" ||
			entry["transfer_reference"] != "CR-20260115110440-5678-4002" {
			t.Errorf("first page %v, want the revert dated with +05:30", logs)
		}
		var keys []string
		for k := range entry {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		documented := []string{"channels_count", "cost_amount", "credit_amount", "from_balance_after", "from_balance_before",
			"from_organization", "id", "new_channels", "notes", "performed_by", "previous_channels", "reseller_organization",
			"status", "to_balance_after", "to_balance_before", "to_organization", "transaction_type", "transfer_date", "transfer_reference"}
		if !slices.Equal(keys, documented) {
			t.Errorf("an entry has fields %q, want the documented %q", keys, documented)
		}
		if _, body := get(t, s, omnitest.CreditLogsPath, "date_to=2026-01-14"); body["data"].(map[string]any)["total_records"] != 0.0 {
			t.Errorf("a range before the day holds %v", body)
		}
	})
	t.Run("bad paging is refused", func(t *testing.T) {
		s := newServer(t)
		for _, q := range []string{"page=0", "page_size=-1", "page=two", "date_from=15-01-2026"} {
			if status, _ := get(t, s, omnitest.CreditLogsPath, q); status != 400 {
				t.Errorf("%s got %d, want 400", q, status)
			}
		}
	})
	t.Run("a new user is refused when the pool cannot hold its limit", func(t *testing.T) {
		s := newServer(t)
		status, body := post(t, s, omnitest.AddUserPath, `{"name":"N","email":"n@x","phone":"+1","password":"p","concurrent_call_limit":5}`)
		if status != 400 || !strings.Contains(body["error"].(string), "Insufficient concurrency slots") {
			t.Errorf("answer %d %v", status, body)
		}
		if p, _ := poll(t, s); len(p.Orgs) != 2 {
			t.Errorf("%d orgs, want the 2 of the fixture", len(p.Orgs))
		}
	})
}
