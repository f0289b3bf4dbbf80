package actions

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// The audit log lives in the store; a running bot holds the store's lock,
// so `resellerbot audit` could not read it then. The bot therefore also
// appends each record to a JSON-lines file beside the store (the mirror),
// rewritten from the store at start-up so that a line a crash lost comes
// back. Appending one short line with O_APPEND is atomic enough for a
// reader: it sees whole lines, and skips a torn last one.

// AuditFile is the mirror's path for a store at storePath.
func AuditFile(storePath string) string { return storePath + ".audit.jsonl" }

// auditPage is how many records /audit shows at a time.
const auditPage = 20

func (a *Actions) auditLog(args []string) render.Message {
	page, _ := pageArg(args)
	recs, err := a.cfg.Store.Audit(page * auditPage)
	if err != nil {
		return render.ActionNotice("Could not read the audit log", nil, err.Error())
	}
	recs = recs[min(len(recs), (page-1)*auditPage):]
	lines := make([]string, len(recs))
	for i, r := range recs {
		lines[i] = FormatRecord(r)
	}
	if len(lines) == 0 {
		lines = []string{"Nothing yet."}
	}
	return render.ActionList("Audit log", lines, fmt.Sprintf("Newest first. /audit page %d for older ones.", page+1))
}

// FormatRecord writes an audit record on one line.
func FormatRecord(r store.AuditRecord) string {
	s := fmt.Sprintf("%s  @%s (%s)  %s  %s", r.At.UTC().Format("2006-01-02 15:04:05"), r.UserName, r.UserID, r.Via, r.Result)
	if r.Preview != "" {
		s += "  [" + r.Preview + "]"
	}
	if r.VendorMessage != "" {
		s += "  vendor: " + r.VendorMessage
	}
	return s
}

// mirror appends rec to the audit file, if there is one.
func (a *Actions) mirror(rec store.AuditRecord) {
	if a.cfg.AuditFile == "" {
		return
	}
	line, err := json.Marshal(rec)
	if err == nil {
		var f *os.File
		if f, err = os.OpenFile(a.cfg.AuditFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			_, err = f.Write(append(line, '\n'))
			err = errors.Join(err, f.Close())
		}
	}
	if err != nil {
		a.cfg.Logger.Error("appending to the audit file", "error", err, "path", a.cfg.AuditFile)
	}
}

// Start prunes the audit log to Config.Retention and rewrites the audit
// file from the store. Call it once, before Resolve.
func (a *Actions) Start() error {
	if err := a.prune(); err != nil {
		return err
	}
	if a.cfg.AuditFile == "" {
		return nil
	}
	recs, err := a.cfg.Store.Audit(0)
	if err != nil {
		return err
	}
	slices.Reverse(recs)
	tmp, err := os.CreateTemp(filepath.Dir(a.cfg.AuditFile), ".audit-*")
	if err != nil {
		return fmt.Errorf("actions: audit file: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			tmp.Close()
			return fmt.Errorf("actions: audit file: %w", err)
		}
	}
	if err := errors.Join(w.Flush(), tmp.Close()); err != nil {
		return fmt.Errorf("actions: audit file: %w", err)
	}
	return os.Rename(tmp.Name(), a.cfg.AuditFile)
}

// ReadAuditFile reads the audit file, newest first, from since on. A
// missing file is an empty log; a line that does not decode (torn by a
// crash mid-write) is skipped.
func ReadAuditFile(path string, since time.Time) ([]store.AuditRecord, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("actions: audit file: %w", err)
	}
	defer f.Close()
	var out []store.AuditRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r store.AuditRecord
		if json.Unmarshal(sc.Bytes(), &r) == nil && !r.At.Before(since) {
			out = append(out, r)
		}
	}
	slices.Reverse(out)
	return out, sc.Err()
}
