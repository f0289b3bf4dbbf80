package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/resellerbot/resellerbot/internal/config"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// TestAdviceNamesTheKeyToCheck drives the real client and store into each
// failure an operator can fix and checks that the advised error names the
// configuration key, keeps the library's text and identity, and that
// failures no setting explains get no advice. (These assertions stood in
// omni's tests while omni spelled the keys.)
func TestAdviceNamesTheKeyToCheck(t *testing.T) {
	const resellerless = "omni-NOT-A-RESELLER-key-7d1e"
	api := omnitest.NewServer(nil, omnitest.WithAPIKey(testAPIKey), omnitest.WithForbiddenKey(resellerless))
	t.Cleanup(api.Close)
	fetch := func(baseURL, key string, opts ...omni.Option) error {
		c, err := omni.NewClient(baseURL, key, append([]omni.Option{omni.WithRetry(1, time.Millisecond, time.Millisecond)}, opts...)...)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = c.Organizations(ctx)
		return err
	}
	locked := func() error {
		path := filepath.Join(t.TempDir(), "bot.db")
		first, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		_, err = store.Open(path, store.Options{LockTimeout: 50 * time.Millisecond})
		return err
	}
	tests := []struct {
		name string
		err  error
		is   error    // what the advised error still is
		says []string // what its text says, the library's part and the advice
	}{
		{"an empty API key names omnidim.api_key", fetch(api.URL, ""), omni.ErrNoAPIKey,
			[]string{"the API key is empty; set omnidim.api_key (or OMNIDIM_API_KEY)"}},
		{"a base URL that is not http(s) names omnidim.base_url", fetch("ftp://example.com/api/v1", testAPIKey), omni.ErrBadBaseURL,
			[]string{`"ftp://example.com/api/v1"; check omnidim.base_url`}},
		{"a wrong key is unauthorized and names omnidim.api_key", fetch(api.URL, "omni-WRONG-key-0b1c2d"), omni.ErrUnauthorized,
			[]string{"HTTP 401", "Missing or invalid API key", "; check omnidim.api_key"}},
		{"a key without reseller access must belong to a reseller account", fetch(api.URL, resellerless), omni.ErrForbidden,
			[]string{"HTTP 403", "; omnidim.api_key must belong to a reseller account"}},
		{"a 404 names omnidim.base_url", fetch(api.URL+"/v2", testAPIKey), omni.ErrStatus,
			[]string{"HTTP 404", "; check omnidim.base_url"}},
		{"a body over the limit names omnidim.max_body", fetch(api.URL, testAPIKey, omni.WithMaxBody(1024)), omni.ErrTooLarge,
			[]string{"bytes announced, limit 1024; raise omnidim.max_body if the payload is genuine"}},
		{"a locked store names store.path", locked(), store.ErrLocked,
			[]string{"store is locked by another process; only one resellerbot may use a store at a time: is another one running with this store.path?"}},
		{"a store path that may not be opened names store.path",
			fmt.Errorf("store: /var/lib/bot.db: %w", &fs.PathError{Op: "open", Path: "/var/lib/bot.db", Err: syscall.EACCES}), fs.ErrPermission,
			[]string{"permission denied; check store.path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to advise")
			}
			advised := withAdvice(tt.err)
			if !errors.Is(advised, tt.is) {
				t.Errorf("%v is no longer %v", advised, tt.is)
			}
			if !strings.HasPrefix(advised.Error(), tt.err.Error()+"; ") {
				t.Errorf("%q does not start with the error %q", advised, tt.err)
			}
			for _, s := range tt.says {
				if !strings.Contains(advised.Error(), s) {
					t.Errorf("%q does not say %q", advised, s)
				}
			}
		})
	}

	api.Fail(omnitest.Fault{Status: 500})
	nothing := []struct {
		name string
		err  error
	}{
		{"a server error gets no advice", fetch(api.URL, testAPIKey)},
		{"a network error that is a permission error is no fault of store.path", &omni.APIError{Kind: omni.ErrNetwork,
			Err: &fs.PathError{Op: "dial", Path: "/run/proxy.sock", Err: syscall.EACCES}}},
		{"no error stays no error", nil},
	}
	for _, tt := range nothing {
		t.Run(tt.name, func(t *testing.T) {
			if got := withAdvice(tt.err); got != tt.err {
				t.Errorf("withAdvice(%v) = %v, want the error as it was", tt.err, got)
			}
		})
	}
}

// TestAdvisedClientAdvisesEveryFailure: the client the commands use adds
// the advice to what Organizations returns, and keeps *omni.APIError
// reachable for the poller (Retry-After, the problem's kind).
func TestAdvisedClientAdvisesEveryFailure(t *testing.T) {
	api := omnitest.NewServer(nil, omnitest.WithAPIKey(testAPIKey))
	t.Cleanup(api.Close)
	cfg := new(config.Default())
	cfg.Omnidim.BaseURL, cfg.Omnidim.APIKey = api.URL, "omni-WRONG-key-0b1c2d"
	cfg.Store.Path = filepath.Join(t.TempDir(), "advice.db")
	client, st, err := openBackends(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	_, err = client.Organizations(t.Context())
	var apiErr *omni.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("error %v: want an *omni.APIError for HTTP 401", err)
	}
	if !strings.HasSuffix(err.Error(), "; check omnidim.api_key") {
		t.Errorf("error %q does not end with the advice", err)
	}

	cfg.Omnidim.APIKey = ""
	if _, _, err := openBackends(cfg); !errors.Is(err, omni.ErrNoAPIKey) || !strings.Contains(err.Error(), "omnidim.api_key") {
		t.Errorf("openBackends without a key: %v", err)
	}
}
