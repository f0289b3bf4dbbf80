package omni_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// moneyCall is a call that moves money, with what its credit log entry
// looks like.
type moneyCall struct {
	name     string
	endpoint string
	call     func(ctx context.Context, c *omni.Client) error
	logType  string
	credit   float64
}

var moneyCalls = []moneyCall{
	{"a transfer", omnitest.TransferPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.Transfer(ctx, omni.TransferRequest{OrgID: beta, Minutes: 20, CostPerMin: 0.2})
		return err
	}, omni.LogTransfer, 4},
	{"a revert", omnitest.RevertPath, func(ctx context.Context, c *omni.Client) error {
		_, err := c.Revert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 5})
		return err
	}, omni.LogRevert, 1},
}

// findInLogs counts the entries for Beta Co of the call's type and credit,
// as a caller reconciling an unknown outcome would look for them.
func findInLogs(t *testing.T, c *omni.Client, mc moneyCall) int {
	t.Helper()
	page, err := c.CreditLogs(t.Context(), omni.CreditLogsRequest{PageSize: omni.MaxCreditLogPageSize})
	if err != nil {
		t.Fatalf("CreditLogs: %v", err)
	}
	n := 0
	for _, l := range page.Logs {
		if l.Type == mc.logType && (l.To.ID == beta || l.From.ID == beta) && l.Credit == mc.credit {
			n++
		}
	}
	return n
}

func TestMoneyCallsAreNeverSentTwice(t *testing.T) {
	short := []omni.Option{omni.WithTimeout(50 * time.Millisecond)}
	faults := []struct {
		name    string
		fault   omnitest.Fault
		opts    []omni.Option
		kind    error
		applied int
	}{
		{"applied, then answered with a 502, is an unknown outcome found once in the credit logs",
			omnitest.Fault{Status: 502, AfterApply: true}, nil, omni.ErrServer, 1},
		{"applied, then never answered, is an unknown outcome found once in the credit logs",
			omnitest.Fault{Hang: true, AfterApply: true}, short, omni.ErrTimeout, 1},
		{"applied, then answered too late, is an unknown outcome found once in the credit logs",
			omnitest.Fault{Delay: 2 * time.Second, AfterApply: true}, short, omni.ErrTimeout, 1},
		{"applied, then cut off mid-body, is an unknown outcome found once in the credit logs",
			omnitest.Fault{Truncate: 10, AfterApply: true}, nil, omni.ErrMalformed, 1},
		{"applied, then answered with an empty 200, is an unknown outcome found once in the credit logs",
			omnitest.Fault{Body: []byte{}, AfterApply: true}, nil, omni.ErrMalformed, 1},
		{"answered 503 without being applied is still an unknown outcome, absent from the credit logs",
			omnitest.Fault{Status: 503}, nil, omni.ErrServer, 0},
		{"answered 408 without being applied is still an unknown outcome, absent from the credit logs",
			omnitest.Fault{Status: 408}, nil, omni.ErrTimeout, 0},
		{"given up on before being applied is still an unknown outcome, absent from the credit logs",
			omnitest.Fault{Delay: 2 * time.Second}, short, omni.ErrTimeout, 0},
	}
	for _, mc := range moneyCalls {
		for _, f := range faults {
			t.Run(mc.name+" "+f.name, func(t *testing.T) {
				t.Parallel()
				s := startFake(t, omnitest.WithClock(func() time.Time { return clock0 }))
				f.fault.Endpoint = mc.endpoint
				s.Fail(f.fault)
				c := newTestClient(t, s.URL, liveKey, f.opts...)
				err := mc.call(t.Context(), c)
				if !errors.Is(err, omni.ErrOutcomeUnknown) {
					t.Fatalf("error %v is not ErrOutcomeUnknown", err)
				}
				apiErr := checkKind(t, err, f.kind)
				checkNoSecret(t, err, liveKey)
				if apiErr.Temporary() {
					t.Error("an unknown outcome says a retry may help")
				}
				if !strings.Contains(err.Error(), "outcome unknown") || !strings.Contains(err.Error(), "credit logs") {
					t.Errorf("error %q does not say to look in the credit logs", err)
				}
				if n := s.Calls(mc.endpoint); n != 1 {
					t.Errorf("the vendor got %d requests, want exactly 1", n)
				}
				expectLogs(t, s, f.applied)
				s.ClearFaults()
				if n := findInLogs(t, c, mc); n != f.applied {
					t.Errorf("the credit logs show it %d times, want %d", n, f.applied)
				}
			})
		}
	}
}

func TestMoneyCallsAfterTheCallerGivesUp(t *testing.T) {
	for _, mc := range moneyCalls {
		t.Run(mc.name+" cancelled in flight after being applied is an unknown outcome wrapping context.Canceled", func(t *testing.T) {
			t.Parallel()
			s := startFake(t)
			s.Fail(omnitest.Fault{Endpoint: mc.endpoint, Hang: true, AfterApply: true})
			c := newTestClient(t, s.URL, liveKey, omni.WithTimeout(time.Minute))
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			err := mc.call(ctx, c)
			if !errors.Is(err, omni.ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v is not ErrOutcomeUnknown wrapping context.Canceled", err)
			}
			if n := s.Calls(mc.endpoint); n != 1 {
				t.Errorf("the vendor got %d requests, want 1", n)
			}
			expectLogs(t, s, 1)
		})
		t.Run(mc.name+" past the caller's deadline in flight is an unknown outcome wrapping context.DeadlineExceeded", func(t *testing.T) {
			t.Parallel()
			s := startFake(t)
			s.Fail(omnitest.Fault{Endpoint: mc.endpoint, Hang: true, AfterApply: true})
			c := newTestClient(t, s.URL, liveKey, omni.WithTimeout(time.Minute))
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			err := mc.call(ctx, c)
			if !errors.Is(err, omni.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v is not ErrOutcomeUnknown wrapping context.DeadlineExceeded", err)
			}
			checkKind(t, err, omni.ErrTimeout)
			expectLogs(t, s, 1)
		})
		t.Run(mc.name+" with a context cancelled before sending is not sent and is no unknown outcome", func(t *testing.T) {
			t.Parallel()
			s := startFake(t)
			c := newTestClient(t, s.URL, liveKey)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			err := mc.call(ctx, c)
			checkCancelled(t, err, 0)
			if errors.Is(err, omni.ErrOutcomeUnknown) {
				t.Errorf("a request never sent is reported as an unknown outcome: %v", err)
			}
			if n := s.Calls(mc.endpoint); n != 0 {
				t.Errorf("the vendor got %d requests, want none", n)
			}
		})
	}
}

// failingTransport fails every request without saying what it sent, as a
// custom RoundTripper may.
type failingTransport struct{ calls atomic.Int64 }

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.calls.Add(1)
	return nil, errors.New("proxy said no")
}

func TestMoneyCallsAreRetriedOnlyWhenNothingLeft(t *testing.T) {
	for _, mc := range moneyCalls {
		t.Run(mc.name+" to a port where nothing listens is retried, as it cannot have arrived", func(t *testing.T) {
			t.Parallel()
			s := omnitest.NewServer(nil, omnitest.WithAPIKey(liveKey))
			url := s.URL
			s.Close()
			err := mc.call(t.Context(), newTestClient(t, url, liveKey))
			apiErr := checkKind(t, err, omni.ErrNetwork)
			if errors.Is(err, omni.ErrOutcomeUnknown) {
				t.Errorf("a request that never left is reported as an unknown outcome: %v", err)
			}
			if apiErr.Attempts != 3 {
				t.Errorf("%d attempts, want 3", apiErr.Attempts)
			}
		})
		t.Run(mc.name+" through a transport that does not say what it sent is assumed to have arrived", func(t *testing.T) {
			t.Parallel()
			tr := &failingTransport{}
			c := newTestClient(t, "http://127.0.0.1:9/api/v1", liveKey, omni.WithHTTPClient(&http.Client{Transport: tr}))
			err := mc.call(t.Context(), c)
			if !errors.Is(err, omni.ErrOutcomeUnknown) {
				t.Errorf("error %v is not ErrOutcomeUnknown", err)
			}
			checkKind(t, err, omni.ErrNetwork)
			if n := tr.calls.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
		t.Run(mc.name+" that the network delivers twice shows twice in the credit logs", func(t *testing.T) {
			t.Parallel()
			s, c := startResellerFake(t)
			s.Fail(omnitest.Fault{Endpoint: mc.endpoint, Duplicate: true, Times: 1})
			if err := mc.call(t.Context(), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if n := s.Calls(mc.endpoint); n != 1 {
				t.Errorf("the client sent %d requests, want 1", n)
			}
			if n := findInLogs(t, c, mc); n != 2 {
				t.Errorf("the credit logs show it %d times, want the duplicate's 2", n)
			}
		})
	}
	t.Run("a new user answered with a 503 is an unknown outcome, sent once", func(t *testing.T) {
		t.Parallel()
		s, c := startResellerFake(t)
		s.Fail(omnitest.Fault{Endpoint: omnitest.AddUserPath, Status: 503})
		_, err := c.AddUser(t.Context(), omni.AddUserRequest{Name: "N", Email: "n@example.com", Phone: "+1", Password: "pw"})
		if !errors.Is(err, omni.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "organizations") {
			t.Errorf("error %v is not ErrOutcomeUnknown pointing at the organizations", err)
		}
		checkKind(t, err, omni.ErrServer)
		if n := s.Calls(omnitest.AddUserPath); n != 1 {
			t.Errorf("the vendor got %d requests, want 1", n)
		}
	})
	t.Run("the same transport's failures are retried for a read", func(t *testing.T) {
		t.Parallel()
		tr := &failingTransport{}
		c := newTestClient(t, "http://127.0.0.1:9/api/v1", liveKey, omni.WithHTTPClient(&http.Client{Transport: tr}))
		_, err := c.CreditLogs(t.Context(), omni.CreditLogsRequest{})
		checkKind(t, err, omni.ErrNetwork)
		if n := tr.calls.Load(); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
}

func TestResellerReadsAndAbsoluteSetsAreRetried(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		call     func(ctx context.Context, c *omni.Client) error
	}{
		{"a transfer preview", omnitest.CalculatePath, func(ctx context.Context, c *omni.Client) error {
			_, err := c.PreviewTransfer(ctx, omni.TransferRequest{Minutes: 20, CostPerMin: 0.2})
			return err
		}},
		{"a revert preview", omnitest.CalculatePath, func(ctx context.Context, c *omni.Client) error {
			_, err := c.PreviewRevert(ctx, omni.RevertRequest{OrgID: beta, Minutes: 5})
			return err
		}},
		{"a page of credit logs", omnitest.CreditLogsPath, func(ctx context.Context, c *omni.Client) error {
			_, err := c.CreditLogs(ctx, omni.CreditLogsRequest{})
			return err
		}},
		{"a concurrency limit", omnitest.ConcurrencyPath, func(ctx context.Context, c *omni.Client) error {
			_, err := c.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: beta, Limit: 6})
			return err
		}},
		{"an access control change", omnitest.AccessControlPath, func(ctx context.Context, c *omni.Client) error {
			_, err := c.SetAccessControl(ctx, omni.AccessControlRequest{UserID: betaUser, Menus: map[string]bool{"is_leads_access": true}})
			return err
		}},
		{"an expiry date", omnitest.ExpiryPath, func(ctx context.Context, c *omni.Client) error {
			_, err := c.SetExpiry(ctx, omni.ExpiryRequest{UserID: betaUser})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" survives two 503s, applied or not, on the third attempt", func(t *testing.T) {
			t.Parallel()
			s, c := startResellerFake(t)
			s.Fail(omnitest.Fault{Endpoint: tc.endpoint, Status: 503, AfterApply: true, Times: 1})
			s.Fail(omnitest.Fault{Endpoint: tc.endpoint, Status: 503, Times: 1})
			if err := tc.call(t.Context(), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if n := s.Calls(tc.endpoint); n != 3 {
				t.Errorf("%d requests, want 3", n)
			}
		})
	}
	t.Run("a concurrency limit applied twice by retries moves the slots once", func(t *testing.T) {
		s, c := startResellerFake(t)
		s.Fail(omnitest.Fault{Endpoint: omnitest.ConcurrencyPath, Status: 502, AfterApply: true, Times: 1})
		res, err := c.SetConcurrency(t.Context(), omni.ConcurrencyRequest{OrgID: beta, Limit: 7})
		if err != nil {
			t.Fatalf("SetConcurrency: %v", err)
		}
		if res.Limit != 7 || res.PoolAvailable != 2 || s.ConcurrencyPool() != 2 {
			t.Errorf("result %+v, pool %d; want limit 7 and 2 slots left", res, s.ConcurrencyPool())
		}
	})
}
