package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/resellerbot/resellerbot/bot/actions"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/store"
)

// cmdAudit prints the audit log of actions taken from Slack, newest first.
// The store is the log's home, but a running bot holds its lock; so audit
// tries the store briefly and, when it is locked, reads the JSON-lines
// mirror the running bot keeps beside it (actions.AuditFile), which that
// bot rewrote from the store when it started and appends to since.
func cmdAudit(_ context.Context, args []string, e env) error {
	fs := newFlagSet("audit", e)
	path := configFlag(fs)
	asJSON := fs.Bool("json", false, "one JSON object a line instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, config.NeedStore, e)
	if err != nil {
		return err
	}
	recs, err := readAudit(cfg)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	for _, r := range recs {
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(e.stdout, actions.FormatRecord(r))
	}
	return nil
}

// readAudit reads the audit log within store.audit_retention, from the
// store or, while a bot holds it, from the mirror.
func readAudit(cfg *config.Config) ([]store.AuditRecord, error) {
	since := time.Now().Add(-cfg.Store.AuditRetention.D())
	st, err := store.Open(cfg.Store.Path, store.Options{LockTimeout: 300 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		return actions.ReadAuditFile(actions.AuditFile(cfg.Store.Path), since)
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	recs, err := st.Audit(0)
	for i, r := range recs {
		if r.At.Before(since) {
			return recs[:i], err
		}
	}
	return recs, err
}
