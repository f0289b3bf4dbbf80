package omni_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// IDs in the fixture: Beta Co, with $13 at 0.20 a minute and a limit of 5,
// and its user; the reseller, with 10 slots of which the fixture's orgs
// hold 6.
const (
	beta     = 4002
	betaUser = 1234
	reseller = 5678
)

// startResellerFake is startFake with the client's fixed clock, so that
// credit logs are dated clock0 (in IST, as the vendor's examples are).
func startResellerFake(t *testing.T, opts ...omnitest.Option) (*omnitest.Server, *omni.Client) {
	t.Helper()
	s := startFake(t, append([]omnitest.Option{omnitest.WithClock(func() time.Time { return clock0 })}, opts...)...)
	return s, newTestClient(t, s.URL, liveKey)
}

// poll lists the orgs through the client, to see what a change did.
func poll(t *testing.T, c *omni.Client) *omni.Snapshot {
	t.Helper()
	snap, err := c.Organizations(t.Context())
	if err != nil {
		t.Fatalf("Organizations: %v", err)
	}
	return snap
}

func TestResellerCallsChangeTheVendorsState(t *testing.T) {
	date := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		call func(ctx context.Context, c *omni.Client) (any, error)
		want any
		// check looks at the fake and at the list call after the change.
		check func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot)
	}{
		{
			name: "a transfer credits the org at its rate and debits the reseller at the wholesale rate",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.2})
			},
			want: &omni.CreditResult{Message: "Credits allocated successfully", ResellerBalance: 59.813, OrgBalance: 17},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				expectMoney(t, s, snap, 59.813, 17)
				logs := s.CreditLogs()
				if len(logs) != 1 {
					t.Fatalf("%d credit logs, want 1", len(logs))
				}
				l := logs[0]
				if l.TransactionType != omnitest.LogTransfer || l.FromOrganization.ID != reseller || l.ToOrganization.ID != beta ||
					l.CreditAmount != 4 || l.CostAmount != -1.8 || l.FromBalanceBefore != 61.613 || l.FromBalanceAfter != 59.813 ||
					l.ToBalanceBefore != 13 || l.ToBalanceAfter != 17 || l.TransferReference != "CT-20260314095653-5678-4002" {
					t.Errorf("credit log = %+v", l)
				}
			},
		},
		{
			name: "a transfer preview prices the minutes and moves nothing",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.PreviewTransfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.2})
			},
			want: &omni.TransferPreview{ResellerCost: 1.8, OrgCredit: 4, Profit: 2.2, Margin: 0.11, ResellerBalance: 61.613,
				ResellerAvailableMinutes: 684, NewResellerBalance: 59.813, ResellerRate: 0.09, Currency: "$"},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				expectMoney(t, s, snap, 61.613, 13)
				expectLogs(t, s, 0)
			},
		},
		{
			name: "a revert preview prices the minutes at the org's and the wholesale rate and moves nothing",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.PreviewRevert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 5})
			},
			want: &omni.RevertPreview{Refund: 0.45, Deduction: 1, OrgBalance: 13, OrgAvailableMinutes: 65, NewOrgBalance: 12,
				ResellerRate: 0.09, Currency: "$"},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				expectMoney(t, s, snap, 61.613, 13)
				expectLogs(t, s, 0)
			},
		},
		{
			name: "a revert debits the org at its current rate and refunds the reseller at the wholesale rate",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.Revert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 5})
			},
			want: &omni.CreditResult{Message: "Credits reverted successfully", ResellerBalance: 62.063, OrgBalance: 12},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				expectMoney(t, s, snap, 62.063, 12)
				logs := s.CreditLogs()
				if len(logs) != 1 {
					t.Fatalf("%d credit logs, want 1", len(logs))
				}
				l := logs[0]
				if l.TransactionType != omnitest.LogRevert || l.FromOrganization.ID != beta || l.ToOrganization.ID != reseller ||
					l.CreditAmount != 1 || l.CostAmount != 0.45 || l.FromBalanceBefore != 13 || l.FromBalanceAfter != 12 ||
					l.ToBalanceBefore != 61.613 || l.ToBalanceAfter != 62.063 {
					t.Errorf("credit log = %+v", l)
				}
			},
		},
		{
			name: "raising a concurrency limit sets it absolutely and draws the difference from the pool",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 7})
			},
			want: &omni.ConcurrencyResult{Message: "Concurrency limit updated successfully.", Limit: 7, PoolAvailable: 2},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				if got := snap.Org(beta).ConcurrentCallLimit; got != 7 {
					t.Errorf("the list shows a limit of %d, want 7", got)
				}
				if got := s.ConcurrencyPool(); got != 2 {
					t.Errorf("pool = %d, want 2", got)
				}
				if logs := s.CreditLogs(); len(logs) != 1 || logs[0].TransactionType != omnitest.LogChannels ||
					logs[0].PreviousChannels != 5 || logs[0].NewChannels != 7 {
					t.Errorf("credit logs = %+v, want one channel allocation from 5 to 7", logs)
				}
			},
		},
		{
			name: "lowering a concurrency limit returns the slots to the pool at once",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 0})
			},
			want: &omni.ConcurrencyResult{Message: "Concurrency limit updated successfully.", Limit: 0, PoolAvailable: 9},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				if got := snap.Org(beta).ConcurrentCallLimit; got != 0 {
					t.Errorf("the list shows a limit of %d, want 0", got)
				}
			},
		},
		{
			name: "access control applies the flags in the reseller's scope and reports the one it dropped",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				req := omni.AccessControlRequest{UserID: betaUser, Menus: map[string]bool{
					"is_leads_access": true, "is_omni_crm_access": true, "is_bots_menu_access": false}}
				res, err := c.SetAccessControl(ctx, req)
				if err != nil {
					return nil, err
				}
				if got := res.Dropped(req); !slices.Equal(got, []string{"is_omni_crm_access"}) {
					t.Errorf("Dropped = %q, want the out-of-scope Omni CRM flag", got)
				}
				return res, nil
			},
			want: &omni.AccessControlResult{Message: "User access control updated successfully",
				Applied: map[string]bool{"is_leads_access": true, "is_bots_menu_access": false}},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				menus := snap.Org(beta).User(betaUser).Menus
				if !menus.Has("is_leads_access") || menus.Has("is_omni_crm_access") || menus.Has("is_bots_menu_access") {
					t.Errorf("the list shows menus %q", menus.Keys())
				}
			},
		},
		{
			name: "an expiry date is set and the list shows it",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser, Expiry: time.Date(2026, 12, 31, 23, 0, 0, 0, time.Local)})
			},
			want: &omni.ExpiryResult{Message: "User expiry date updated successfully", UserID: betaUser, Expiry: date},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				if got := snap.Org(beta).User(betaUser).Expiry; !got.Equal(date) {
					t.Errorf("the list shows expiry %v, want %v", got, date)
				}
			},
		},
		{
			name: "an expiry date is cleared with the zero time",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				if _, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser, Expiry: date}); err != nil {
					return nil, err
				}
				return c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser})
			},
			want: &omni.ExpiryResult{Message: "User expiry date updated successfully", UserID: betaUser},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				if got := snap.Org(beta).User(betaUser).Expiry; !got.IsZero() {
					t.Errorf("the list shows expiry %v, want none", got)
				}
			},
		},
		{
			name: "a new user gets an org funded with its welcome minutes, paid from the reseller's balance and pool",
			call: func(ctx context.Context, c *omni.Client) (any, error) {
				return c.AddUser(ctx, omni.AddUserRequest{Name: "Dana Demo", Email: "dana@example.com", Phone: "+15550001111",
					Password: "correct horse battery staple", WelcomeMinutes: 50, CostPerMin: 0.2, ConcurrentCallLimit: 2})
			},
			want: &omni.AddUserResult{Message: "User and organization created successfully", UserID: 1235, OrgID: 4003,
				OrgName: "Dana Demo's Organization", OrgBalance: 10, CostPerMin: 0.2},
			check: func(t *testing.T, s *omnitest.Server, snap *omni.Snapshot) {
				o := snap.Org(4003)
				if o == nil || o.Balance != 10 || o.ConcurrentCallLimit != 2 || len(o.Users) != 1 || o.Users[0].Email != "dana@example.com" {
					t.Fatalf("the list shows the new org as %+v", o)
				}
				if got := s.ResellerBalance(); got != 57.113 {
					t.Errorf("reseller balance = %v, want 61.613 - 50 × 0.09 = 57.113", got)
				}
				if got := s.ConcurrencyPool(); got != 2 {
					t.Errorf("pool = %d, want 2", got)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := startResellerFake(t)
			got, err := tc.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			tc.check(t, s, poll(t, c))
		})
	}
}

// expectMoney checks the reseller's balance in the fake and Beta Co's in
// the list.
func expectMoney(t *testing.T, s *omnitest.Server, snap *omni.Snapshot, resellerBalance, betaBalance float64) {
	t.Helper()
	if got := s.ResellerBalance(); got != resellerBalance {
		t.Errorf("reseller balance = %v, want %v", got, resellerBalance)
	}
	if got := snap.Org(beta).Balance; got != betaBalance {
		t.Errorf("the list shows Beta Co at %v, want %v", got, betaBalance)
	}
}

func expectLogs(t *testing.T, s *omnitest.Server, n int) {
	t.Helper()
	if logs := s.CreditLogs(); len(logs) != n {
		t.Errorf("%d credit logs, want %d: %+v", len(logs), n, logs)
	}
}

func TestCreditLogsArePagedNewestFirst(t *testing.T) {
	_, c := startResellerFake(t)
	for _, m := range []int{1, 2, 3} {
		if _, err := c.Transfer(t.Context(), omni.TransferRequest{OrgID: beta, Minutes: m, CostPerMin: 0.2}); err != nil {
			t.Fatalf("Transfer: %v", err)
		}
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	tests := []struct {
		name    string
		req     omni.CreditLogsRequest
		credits []float64
		total   int
		pages   int
	}{
		{"the first page of two holds the two newest", omni.CreditLogsRequest{PageSize: 2}, []float64{0.6, 0.4}, 3, 2},
		{"the second page of two holds the oldest", omni.CreditLogsRequest{Page: 2, PageSize: 2}, []float64{0.2}, 3, 2},
		{"a page past the end is empty", omni.CreditLogsRequest{Page: 3, PageSize: 2}, []float64{}, 3, 2},
		{"the default page holds all three", omni.CreditLogsRequest{}, []float64{0.6, 0.4, 0.2}, 3, 1},
		{"a date range around the day holds all three",
			omni.CreditLogsRequest{From: day("2026-03-14"), To: day("2026-03-14")}, []float64{0.6, 0.4, 0.2}, 3, 1},
		{"a date range after the day is empty", omni.CreditLogsRequest{From: day("2026-03-15")}, []float64{}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := c.CreditLogs(t.Context(), tc.req)
			if err != nil {
				t.Fatalf("CreditLogs: %v", err)
			}
			credits := []float64{}
			for _, l := range page.Logs {
				credits = append(credits, l.Credit)
				if l.Type != omni.LogTransfer || l.To.ID != beta || l.From.ID != reseller || !l.Date.Equal(clock0) {
					t.Errorf("log = %+v", l)
				}
			}
			if !slices.Equal(credits, tc.credits) || page.Total != tc.total || page.Pages != tc.pages {
				t.Errorf("credits %v, total %d, pages %d; want %v, %d, %d", credits, page.Total, page.Pages, tc.credits, tc.total, tc.pages)
			}
		})
	}
	t.Run("an entry carries the vendor's offset and every field", func(t *testing.T) {
		page, err := c.CreditLogs(t.Context(), omni.CreditLogsRequest{Page: 3, PageSize: 1})
		if err != nil {
			t.Fatalf("CreditLogs: %v", err)
		}
		want := omni.CreditLog{ID: 1, Reference: "CT-20260314095653-5678-4002", Type: omni.LogTransfer, Status: "success",
			Reseller: omni.OrgRef{ID: reseller, Name: "Demo Reseller"}, From: omni.OrgRef{ID: reseller, Name: "Demo Reseller"},
			To: omni.OrgRef{ID: beta, Name: "Beta Co"}, Credit: 0.2, Cost: -0.09,
			FromBefore: 61.613, FromAfter: 61.523, ToBefore: 13, ToAfter: 13.2, Date: page.Logs[0].Date,
			PerformedBy: omni.LogUser{ID: 1, Name: "Reseller Admin", Email: "admin@reseller.example"},
			Notes:       "Transfer of 1 minutes at 0.20/min"}
		if !reflect.DeepEqual(page.Logs[0], want) {
			t.Errorf("got  %+v\nwant %+v", page.Logs[0], want)
		}
		if _, off := page.Logs[0].Date.Zone(); off != 5*3600+1800 {
			t.Errorf("the date's offset is %ds, want +05:30 as sent", off)
		}
	})
}

func TestResellerRefusalsCarryTheVendorsMessageAndChangeNothing(t *testing.T) {
	transfer := func(ctx context.Context, c *omni.Client) error {
		_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.2})
		return err
	}
	tests := []struct {
		name     string
		setup    func(s *omnitest.Server)
		endpoint string
		call     func(ctx context.Context, c *omni.Client) error
		kind     error
		status   int
		message  string
	}{
		{"a transfer beyond the reseller's balance is refused with the vendor's message",
			func(s *omnitest.Server) { s.SetResellerBalance(1) }, omnitest.TransferPath, transfer,
			omni.ErrStatus, 400, "Insufficient reseller balance: 20 minutes cost 1.800 and the balance is 1.000"},
		{"a transfer below the reseller's own rate is refused",
			nil, omnitest.TransferPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.05})
				return err
			}, omni.ErrStatus, 400, "below your own rate"},
		{"a transfer to an org that is not the reseller's is refused",
			nil, omnitest.TransferPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: 9999, Minutes: 20, CostPerMin: 0.2})
				return err
			}, omni.ErrStatus, 400, "Organization 9999 is not a child organization"},
		{"a revert of more than the org holds is refused",
			nil, omnitest.RevertPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.Revert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 66})
				return err
			}, omni.ErrStatus, 400, "Insufficient balance in Beta Co"},
		{"a concurrency limit beyond the pool is refused",
			nil, omnitest.ConcurrencyPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 10})
				return err
			}, omni.ErrStatus, 400, "Insufficient concurrency slots"},
		{"access control for a user who is not the reseller's is refused",
			nil, omnitest.AccessControlPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.SetAccessControl(ctx, omni.AccessControlRequest{UserID: 42, Menus: map[string]bool{"is_leads_access": true}})
				return err
			}, omni.ErrStatus, 400, "User 42 does not belong"},
		{"an expiry for a user who is not the reseller's is refused",
			nil, omnitest.ExpiryPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: 42})
				return err
			}, omni.ErrStatus, 400, "User 42 does not belong"},
		{"a new user with an email in use is refused",
			nil, omnitest.AddUserPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.AddUser(ctx, omni.AddUserRequest{Name: "Again", Email: "DEMO2@example.com", Phone: "+1", Password: "pw"})
				return err
			}, omni.ErrStatus, 400, "already exists"},
		{"a new user whose welcome minutes the reseller cannot pay for is refused",
			nil, omnitest.AddUserPath, func(ctx context.Context, c *omni.Client) error {
				_, err := c.AddUser(ctx, omni.AddUserRequest{Name: "Rich", Email: "rich@example.com", Phone: "+1", Password: "pw", WelcomeMinutes: 1000})
				return err
			}, omni.ErrStatus, 400, "Insufficient reseller balance"},
		{"a transfer answered 200 with success false is the vendor's refusal",
			func(s *omnitest.Server) {
				s.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Body: []byte(`{"success": false, "plan_expire": true, "error": "Reseller plan expired"}`)})
			}, omnitest.TransferPath, transfer, omni.ErrVendor, 200, "Reseller plan expired"},
		{"a rate-limited transfer is refused and not retried",
			func(s *omnitest.Server) {
				s.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Status: 429, RetryAfter: "0"})
			}, omnitest.TransferPath, transfer, omni.ErrRateLimited, 429, "Too many requests"},
		{"a transfer with a wrong key is unauthorized",
			func(s *omnitest.Server) { s.SetAPIKey(wrongKey) }, omnitest.TransferPath, transfer,
			omni.ErrUnauthorized, 401, "Missing or invalid API key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := startResellerFake(t)
			if tc.setup != nil {
				tc.setup(s)
			}
			before, balance, pool := s.Snapshot(), s.ResellerBalance(), s.ConcurrencyPool()
			err := tc.call(t.Context(), c)
			if err == nil {
				t.Fatal("the call succeeded")
			}
			apiErr := checkKind(t, err, tc.kind)
			checkNoSecret(t, err, liveKey)
			if errors.Is(err, omni.ErrOutcomeUnknown) {
				t.Errorf("a clear refusal is reported as an unknown outcome: %v", err)
			}
			if apiErr.Status != tc.status || !strings.Contains(apiErr.Message, tc.message) {
				t.Errorf("status %d, message %q; want %d and the vendor's %q", apiErr.Status, apiErr.Message, tc.status, tc.message)
			}
			if n := s.Calls(tc.endpoint); n != 1 {
				t.Errorf("%d calls to %s, want 1", n, tc.endpoint)
			}
			if !reflect.DeepEqual(s.Snapshot(), before) || s.ResellerBalance() != balance || s.ConcurrencyPool() != pool {
				t.Error("a refused call changed the vendor's state")
			}
			expectLogs(t, s, 0)
		})
	}
}
