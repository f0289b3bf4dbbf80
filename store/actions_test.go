package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openActions(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "a.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestClaimLetsOnlyTheFirstClickAct(t *testing.T) {
	s := openActions(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.AddConfirmation(Confirmation{ID: "c1", Created: t0, Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	c, won, err := s.Claim("c1", Confirmed, "U1", "ana", t0.Add(time.Minute))
	if err != nil || !won || c.State != Confirmed {
		t.Fatalf("first claim: %+v won=%v err=%v", c, won, err)
	}
	c, won, err = s.Claim("c1", Confirmed, "U2", "bo", t0.Add(2*time.Minute))
	if err != nil || won || c.By != "U1" || !c.At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("second claim: %+v won=%v err=%v", c, won, err)
	}
	if _, _, err := s.Claim("nope", Confirmed, "U1", "ana", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim of an unknown confirmation: %v", err)
	}
	un, err := s.Unsettled()
	if err != nil || len(un) != 1 || un[0].ID != "c1" {
		t.Fatalf("unsettled before settling: %+v %v", un, err)
	}
	rec := AuditRecord{At: t0.Add(3 * time.Minute), UserID: "U1", Action: "topup", Result: "done"}
	if err := s.Settle("c1", "done", rec, Outgoing{Body: []byte("m"), ReplyTo: -1}); err != nil {
		t.Fatal(err)
	}
	if un, _ := s.Unsettled(); len(un) != 0 {
		t.Fatalf("unsettled after settling: %+v", un)
	}
	if n, _ := s.OutboxLen(); n != 1 {
		t.Fatalf("outbox holds %d messages, want the audit's one", n)
	}
	c, _ = s.GetConfirmation("c1")
	if c.State != Settled || c.Outcome != "done" {
		t.Fatalf("settled confirmation: %+v", c)
	}
}

func TestAuditReadsNewestFirstAndPrunes(t *testing.T) {
	s := openActions(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := s.AppendAudit(AuditRecord{At: t0.Add(time.Duration(i) * time.Hour), Result: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddConfirmation(Confirmation{ID: "old", Created: t0}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		limit int
		want  string
	}{
		{"all records come newest first", 0, "cba"},
		{"a limit keeps the newest", 2, "cb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.Audit(tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, r := range recs {
				got += r.Result
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("pruning drops what is older than the cut", func(t *testing.T) {
		if err := s.PruneActions(t0.Add(90 * time.Minute)); err != nil {
			t.Fatal(err)
		}
		recs, _ := s.Audit(0)
		if len(recs) != 1 || recs[0].Result != "c" {
			t.Fatalf("after pruning: %+v", recs)
		}
		if _, err := s.GetConfirmation("old"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("old pending confirmation kept: %v", err)
		}
	})
}
