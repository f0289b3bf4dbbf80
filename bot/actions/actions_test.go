package actions_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/actions"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

var ana = actions.User{ID: "U0ANA", Name: "ana"}

func newActions(t *testing.T) (*actions.Actions, *omnitest.Server, *store.Store) {
	t.Helper()
	srv := omnitest.NewServer(nil)
	t.Cleanup(srv.Close)
	client, err := omni.NewClient(srv.URL, omnitest.DefaultAPIKey, omni.WithRetry(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := actions.New(actions.Config{Vendor: client, Store: st, AllowedUserIDs: []string{ana.ID}, MaxTopupMinutes: 500,
		AuditFile: actions.AuditFile(st.Path()), Logger: slog.New(slog.DiscardHandler)})
	return a, srv, st
}

// text is what a message says, checked against Slack's limits first.
func text(t *testing.T, m render.Message) string {
	t.Helper()
	rendertest.CheckLimits(t, m)
	return m.Plain
}

func TestCommandAnswers(t *testing.T) {
	a, srv, _ := newActions(t)
	ctx := context.Background()
	tests := []struct {
		name, cmd, text string
		want            []string
	}{
		{"a top-up previews what it costs and leaves", "/topup", "beta 100", []string{"Top up Beta Co by 100 minutes", "costs the reseller $9.00", "leaving $52.61", "Type confirm"}},
		{"an org is found by ID too", "/topup", "4002 10", []string{"Top up Beta Co by 10 minutes"}},
		{"an ask over the cap names the cap", "/topup", "beta 501", []string{"The cap is 500 minutes"}},
		{"a revert previews the org's loss and the refund", "/revert", "beta 10", []string{"Revert 10 minutes from Beta Co", "refunds the reseller $0.90"}},
		{"concurrency previews from and to", "/concurrency", "acme 4", []string{"Set Acme Inc's concurrent calls to 4", "→ 4"}},
		{"access finds a flag by label and a user by email", "/access", "beta demo2@example.com Leads on", []string{"Turn Leads on for Demo User 2", "off → on"}},
		{"expiry takes never", "/expiry", "beta 1234 never", []string{"to never"}},
		{"a missing argument shows the usage", "/topup", "beta", []string{"Usage: /topup ORG MINUTES"}},
		{"a word for minutes shows the usage", "/topup", "beta lots", []string{"Usage: /topup ORG MINUTES"}},
		{"an unknown org says so", "/topup", "zeta 10", []string{`No org matches "zeta"`}},
		{"an unknown user says so", "/expiry", "beta nobody never", []string{`Beta Co has no user "nobody"`}},
		{"an unknown flag shows the usage", "/access", "beta 1234 teleport on", []string{"Usage: /access"}},
		{"credits with nothing moved says so", "/credits", "", []string{"Credit logs", "No entries."}},
		{"the audit log lists the previews", "/audit", "", []string{"Audit log", "/topup beta 100  previewed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := text(t, a.Handle(ctx, ana, tt.cmd, tt.text))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s %s: lacks %q in\n%s", tt.cmd, tt.text, w, got)
				}
			}
		})
	}
	if n := srv.Calls(omnitest.TransferPath) + srv.Calls(omnitest.RevertPath) + srv.Calls(omnitest.ConcurrencyPath) +
		srv.Calls(omnitest.AccessControlPath) + srv.Calls(omnitest.ExpiryPath); n != 0 {
		t.Errorf("previews made %d changes", n)
	}
}

func TestConcurrentClicksTransferOnce(t *testing.T) {
	a, srv, _ := newActions(t)
	ctx := context.Background()
	action, id, ok := actions.PendingID(a.Handle(ctx, ana, "/topup", "beta 100"))
	if !ok || action != "topup_confirm" {
		t.Fatalf("no confirm button: %q %q", action, id)
	}
	var wg sync.WaitGroup
	answers := make([]string, 8)
	for i := range answers {
		wg.Go(func() { answers[i] = text(t, a.Click(ctx, ana, action, id)) })
	}
	wg.Wait()
	done, already := 0, 0
	for _, s := range answers {
		switch {
		case strings.Contains(s, "— done"):
			done++
		case strings.Contains(s, "Already"):
			already++
		}
	}
	if done != 1 || already != 7 || srv.Calls(omnitest.TransferPath) != 1 {
		t.Errorf("%d done, %d already, %d transfers; want 1, 7, 1:\n%s", done, already, srv.Calls(omnitest.TransferPath), strings.Join(answers, "\n"))
	}
}

func TestAuditFileMirrorsTheStore(t *testing.T) {
	a, _, st := newActions(t)
	ctx := context.Background()
	_, id, _ := actions.PendingID(a.Handle(ctx, ana, "/topup", "beta 10"))
	a.Click(ctx, ana, "topup_confirm", id)
	a.Handle(ctx, actions.User{ID: "U0EVE", Name: "eve"}, "/topup", "beta 10")
	fromStore, err := st.Audit(0)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := actions.ReadAuditFile(actions.AuditFile(st.Path()), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromStore) != 3 || len(fromFile) != len(fromStore) {
		t.Fatalf("store has %d records, the file %d; want 3 in both", len(fromStore), len(fromFile))
	}
	for i := range fromStore {
		if actions.FormatRecord(fromStore[i]) != actions.FormatRecord(fromFile[i]) {
			t.Errorf("record %d: store %q, file %q", i, actions.FormatRecord(fromStore[i]), actions.FormatRecord(fromFile[i]))
		}
	}
	if !strings.Contains(actions.FormatRecord(fromStore[0]), "refused") {
		t.Errorf("newest record %q; want eve's refusal", actions.FormatRecord(fromStore[0]))
	}
	t.Run("start-up rewrites the file from the store", func(t *testing.T) {
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		again, err := actions.ReadAuditFile(actions.AuditFile(st.Path()), time.Time{})
		if err != nil || len(again) != 3 {
			t.Fatalf("%d records after Start, %v", len(again), err)
		}
	})
}

func TestAuditLogIsKeptForItsRetention(t *testing.T) {
	_, srv, st := newActions(t)
	client, err := omni.NewClient(srv.URL, omnitest.DefaultAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := actions.New(actions.Config{Vendor: client, Store: st, Retention: 24 * time.Hour, Now: clock,
		Logger: slog.New(slog.DiscardHandler)})
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	a.Handle(context.Background(), ana, "/audit", "") // refused: nobody is allowed
	mu.Lock()
	now = now.Add(25 * time.Hour)
	mu.Unlock()
	a.Handle(context.Background(), ana, "/credits", "")
	recs, err := st.Audit(0)
	if err != nil || len(recs) != 1 || !recs[0].At.Equal(clock()) {
		t.Fatalf("records %+v, %v; want only the one within a day", recs, err)
	}
}
