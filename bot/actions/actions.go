package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// PreviewLifetime is how long a preview may be confirmed: long enough to
// read it, short enough that the figures it shows are still true.
const PreviewLifetime = 10 * time.Minute

// DefaultMaxTopupMinutes caps one transfer when Config.MaxTopupMinutes is 0.
const DefaultMaxTopupMinutes = 10000

// Config is what Actions need.
type Config struct {
	// Vendor is the reseller API; Store keeps confirmations and the audit
	// log.
	Vendor *omni.Client
	Store  *store.Store
	// AllowedUserIDs may act; nobody else can, and with none, nobody can.
	AllowedUserIDs []string
	// MaxTopupMinutes caps one transfer; 0 means DefaultMaxTopupMinutes.
	MaxTopupMinutes int
	// AuditChannel is where audit records are posted through the outbox;
	// "" is the sender's own channel.
	AuditChannel string
	// AuditFile, if set, receives every audit record as a JSON line too,
	// so `resellerbot audit` can read the log while this process holds the
	// store's lock.
	AuditFile string
	// Retention is how long audit records and old confirmations are kept;
	// 0 keeps them for ever.
	Retention time.Duration
	// AfterChange is called after a change succeeded (to poll at once).
	AfterChange func()
	// Enqueued is called after audit messages went to the outbox (to
	// deliver them now).
	Enqueued func()
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Actions answers the action commands and their confirm and cancel clicks.
// It is safe for concurrent use.
type Actions struct {
	cfg     Config
	allowed map[string]bool
	// pruned is when the audit log was last pruned (Unix seconds).
	pruned atomic.Int64
}

// User is who asked or clicked, as Slack names them.
type User struct {
	ID, Name string
}

// New returns Actions for cfg.
func New(cfg Config) *Actions {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxTopupMinutes <= 0 {
		cfg.MaxTopupMinutes = DefaultMaxTopupMinutes
	}
	a := &Actions{cfg: cfg, allowed: map[string]bool{}}
	for _, id := range cfg.AllowedUserIDs {
		a.allowed[id] = true
	}
	return a
}

// Commands returns the slash commands Actions answer ("/topup"), in the
// order help lists them.
func Commands() []string {
	names := make([]string, len(usage))
	for i, u := range usage {
		names[i] = u.Label
	}
	return names
}

// usage is each command with its usage line.
var usage = [...]render.Fact{
	{Label: "/topup", Value: "/topup ORG MINUTES — sell minutes to an org"},
	{Label: "/revert", Value: "/revert ORG MINUTES — take unused minutes back"},
	{Label: "/concurrency", Value: "/concurrency ORG LIMIT — set an org's concurrent calls"},
	{Label: "/access", Value: "/access ORG USER FLAG on|off — switch one dashboard menu of a user"},
	{Label: "/expiry", Value: "/expiry ORG USER DATE|never — set or clear a user's expiry"},
	{Label: "/credits", Value: "/credits [ORG] [page N] — the vendor's credit logs, newest first"},
	{Label: "/audit", Value: "/audit [page N] — what was done from Slack, newest first"},
}

// Allowed reports whether a user may act.
func (a *Actions) Allowed(userID string) bool { return a.allowed[userID] }

// Help lists the action commands, marking those u may use.
func (a *Actions) Help(u User) render.Message {
	lines := make([]string, len(usage))
	mark := "  (you may use this)"
	if !a.Allowed(u.ID) {
		mark = "  (not for you: ask an admin to add you to actions.allowed_user_ids)"
	}
	for i, c := range usage {
		lines[i] = c.Value + mark
	}
	return render.ActionList("Actions", lines, "Every change is previewed and happens only when you confirm it.")
}

// plan is what a confirmation will do, as stored with it.
type plan struct {
	Kind    string `json:"kind"`
	Via     string `json:"via"`
	OrgID   int64  `json:"org_id"`
	OrgName string `json:"org_name"`
	// Minutes, CostPerMin and OrgBalance are a credit move's, with the
	// org's rate and balance at the preview: if either moved, confirming
	// previews again.
	Minutes    int     `json:"minutes,omitempty"`
	CostPerMin float64 `json:"cost_per_min,omitempty"`
	OrgBalance float64 `json:"org_balance,omitempty"`
	// Amount is what the org is credited (or debited, reverting).
	Amount   float64 `json:"amount,omitempty"`
	Currency string  `json:"currency,omitempty"`
	// Limit and From are concurrency's new and old limits.
	Limit int `json:"limit,omitempty"`
	From  int `json:"from,omitempty"`
	// UserID and UserName are the vendor's user, for access and expiry.
	UserID   int64  `json:"user_id,omitempty"`
	UserName string `json:"user_name,omitempty"`
	Flag     string `json:"flag,omitempty"`
	On       bool   `json:"on,omitempty"`
	WasOn    bool   `json:"was_on,omitempty"`
	// Expiry and WasExpiry are the new and old expiry; zero is never.
	Expiry    time.Time `json:"expiry,omitzero"`
	WasExpiry time.Time `json:"was_expiry,omitzero"`
	// Preview is the preview's facts as text, for the audit log.
	Preview string `json:"preview"`
	// Thread is the alert the action started from, whose thread gets its
	// record; empty for a command.
	Thread Thread `json:"thread,omitzero"`
}

// Thread is a Slack message whose thread an action's record goes to.
type Thread struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
}

// Handle answers an action command from u; text is what followed it.
func (a *Actions) Handle(ctx context.Context, u User, command, text string) render.Message {
	return a.handle(ctx, u, command, text, Thread{})
}

func (a *Actions) handle(ctx context.Context, u User, command, text string, thread Thread) render.Message {
	cmd := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(command)), "/")
	via := strings.TrimSpace("/" + cmd + " " + strings.TrimSpace(text))
	if !a.Allowed(u.ID) {
		a.refused(store.AuditRecord{UserID: u.ID, UserName: u.Name, Via: via, Action: cmd})
		return render.ActionNotice("You may not use "+"/"+cmd, nil,
			"Changes from Slack are limited to the users in actions.allowed_user_ids. Nothing was changed.")
	}
	args := strings.Fields(text)
	switch cmd {
	case "credits":
		return a.credits(ctx, args)
	case "audit":
		return a.auditLog(args)
	}
	p, msg := a.plan(ctx, cmd, args)
	if msg != nil {
		return *msg
	}
	p.Via, p.Thread = via, thread
	return a.preview(u, p, "")
}

// plan parses and prices a change, or returns the answer that refuses it.
func (a *Actions) plan(ctx context.Context, cmd string, args []string) (plan, *render.Message) {
	usage := func() (plan, *render.Message) {
		for _, c := range usage {
			if c.Label == "/"+cmd {
				m := render.ActionNotice("Usage: "+c.Value, nil, "")
				return plan{}, &m
			}
		}
		m := render.ActionNotice("Unknown command /"+cmd, nil, "")
		return plan{}, &m
	}
	want := map[string]int{"topup": 2, "revert": 2, "concurrency": 2, "access": 4, "expiry": 3}[cmd]
	if want == 0 || len(args) < want {
		return usage()
	}
	// The org's name may have spaces: the fixed arguments are the last ones.
	orgQuery := strings.Join(args[:len(args)-want+1], " ")
	rest := args[len(args)-want+1:]
	snap, err := a.cfg.Vendor.Organizations(ctx)
	if err != nil {
		return failed("Could not read the orgs from the vendor", err)
	}
	org, why := findOrg(snap, orgQuery)
	if org == nil {
		m := render.ActionNotice(why, nil, "Nothing was changed.")
		return plan{}, &m
	}
	p := plan{Kind: cmd, OrgID: org.ID, OrgName: org.Name, Currency: org.Currency}
	switch cmd {
	case "topup", "revert":
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 1 {
			return usage()
		}
		if cmd == "topup" && n > a.cfg.MaxTopupMinutes {
			m := render.ActionNotice(fmt.Sprintf("%d minutes is more than one top-up may move", n), nil,
				fmt.Sprintf("The cap is %d minutes (actions.max_topup_minutes). Nothing was changed.", a.cfg.MaxTopupMinutes))
			return plan{}, &m
		}
		p.Minutes, p.CostPerMin, p.OrgBalance = n, org.CostPerMin, org.Balance
		return a.priceMove(ctx, p)
	case "concurrency":
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 0 {
			return usage()
		}
		p.Limit, p.From = n, org.ConcurrentCallLimit
		p.Preview = fmt.Sprintf("concurrent calls of %s: %d → %d", org.Name, p.From, p.Limit)
		return p, nil
	}
	user, why := findUser(org, rest[0])
	if user == nil {
		m := render.ActionNotice(why, nil, "Nothing was changed.")
		return plan{}, &m
	}
	p.UserID, p.UserName = user.ID, user.Name
	if cmd == "access" {
		key, ok := findFlag(rest[1])
		on, onOK := map[string]bool{"on": true, "off": false}[strings.ToLower(rest[2])]
		if !ok || !onOK {
			return usage()
		}
		p.Flag, p.On, p.WasOn = key, on, user.Menus.Has(key)
		p.Preview = fmt.Sprintf("%s of %s at %s: %s → %s", omni.FlagLabel(key), user.Name, org.Name, onOff(p.WasOn), onOff(p.On))
		if snap.HasScope && !snap.Scope.Has(key) && on {
			p.Preview += " (outside the reseller's own access: the vendor will likely drop it)"
		}
		return p, nil
	}
	if !strings.EqualFold(rest[1], "never") {
		d, err := time.Parse(time.DateOnly, rest[1])
		if err != nil {
			return usage()
		}
		p.Expiry = d
	}
	p.WasExpiry = user.Expiry
	p.Preview = fmt.Sprintf("expiry of %s at %s: %s → %s", user.Name, org.Name, day(p.WasExpiry), day(p.Expiry))
	return p, nil
}

func failed(what string, err error) (plan, *render.Message) {
	m := render.ActionNotice(what, nil, err.Error()+" Nothing was changed.")
	return plan{}, &m
}

// preview stores p pending and shows it with its buttons.
func (a *Actions) preview(u User, p plan, note string) render.Message {
	body, err := json.Marshal(p)
	if err != nil {
		return render.ActionNotice("Could not prepare the change", nil, err.Error())
	}
	id := newID()
	if err := a.cfg.Store.AddConfirmation(store.Confirmation{ID: id, Created: a.cfg.Now(), Body: body}); err != nil {
		return render.ActionNotice("Could not prepare the change", nil, err.Error())
	}
	a.record(store.AuditRecord{UserID: u.ID, UserName: u.Name, Via: p.Via, Action: p.Kind, Org: p.OrgName,
		Preview: p.Preview, Result: "previewed", Confirmation: id})
	return render.ActionPreview(title(p), facts(p), note, p.Kind+"_confirm", id)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// record appends an audit record that settles nothing, logging a failure:
// the attempt it records was refused or not yet made, so there is nothing
// to undo.
func (a *Actions) record(rec store.AuditRecord, announce ...render.Message) {
	if rec.At.IsZero() {
		rec.At = a.cfg.Now()
	}
	if err := a.cfg.Store.AppendAudit(rec, a.outgoing(Thread{}, announce)...); err != nil {
		a.cfg.Logger.Error("recording an action in the audit log", "error", err, "action", rec.Action)
		return
	}
	a.mirror(rec)
	a.enqueued(len(announce))
}

// refused records, and announces, an attempt by a user not allowed: who
// tries to move money without the right is worth knowing about.
func (a *Actions) refused(rec store.AuditRecord) {
	rec.Result = "refused: not in actions.allowed_user_ids"
	a.record(rec, render.ActionNotice(fmt.Sprintf("Refused: @%s (%s) tried %s", rec.UserName, rec.UserID, rec.Via), nil,
		"Only the users in actions.allowed_user_ids may act. Nothing was changed."))
}

func (a *Actions) outgoing(thread Thread, msgs []render.Message) []store.Outgoing {
	var out []store.Outgoing
	for _, m := range msgs {
		m.Channel = a.cfg.AuditChannel
		if thread.TS != "" {
			m.Channel, m.ThreadTS = thread.Channel, thread.TS
		}
		o, err := delivery.Encode(m)
		if err != nil {
			a.cfg.Logger.Error("encoding an audit message", "error", err)
			continue
		}
		out = append(out, o)
	}
	return out
}

// findOrg finds an org by ID, name, or a unique prefix or part of its
// name, case aside.
func findOrg(snap *omni.Snapshot, q string) (*omni.Org, string) {
	lq := strings.ToLower(strings.TrimSpace(q))
	id, idErr := strconv.ParseInt(lq, 10, 64)
	var part []*omni.Org
	for i := range snap.Orgs {
		o := &snap.Orgs[i]
		name := strings.ToLower(o.Name)
		switch {
		case idErr == nil && o.ID == id, name == lq:
			return o, ""
		case strings.Contains(name, lq):
			part = append(part, o)
		}
	}
	switch len(part) {
	case 1:
		return part[0], ""
	case 0:
		return nil, fmt.Sprintf("No org matches %q", q)
	}
	names := make([]string, 0, 3)
	for _, o := range part[:min(3, len(part))] {
		names = append(names, o.Name)
	}
	return nil, fmt.Sprintf("%q matches %d orgs (%s…): say which", q, len(part), strings.Join(names, ", "))
}

// findUser finds a user of org by ID, email, the part of the email before
// the @, or name.
func findUser(org *omni.Org, q string) (*omni.User, string) {
	lq := strings.ToLower(q)
	for i := range org.Users {
		u := &org.Users[i]
		email := strings.ToLower(u.Email)
		local, _, _ := strings.Cut(email, "@")
		if strconv.FormatInt(u.ID, 10) == lq || email == lq || local == lq || strings.EqualFold(u.Name, q) {
			return u, ""
		}
	}
	return nil, fmt.Sprintf("%s has no user %q (give an ID, an email or a name)", org.Name, q)
}

// findFlag finds a menu flag by key or label, or by the label's first
// word ("leads").
func findFlag(q string) (string, bool) {
	lq := strings.ToLower(q)
	for _, f := range omni.KnownFlags() {
		label := strings.ToLower(f.Label)
		first, _, _ := strings.Cut(label, " ")
		if f.Key == lq || label == lq || first == lq || strings.ReplaceAll(label, " ", "_") == lq {
			return f.Key, true
		}
	}
	return "", false
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func day(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.DateOnly)
}

// errText is an error for people: the vendor's message where it gave one.
func errText(err error) string {
	var ae *omni.APIError
	if errors.As(err, &ae) && ae.Message != "" {
		return ae.Message
	}
	return err.Error()
}

// pruneEvery is how often the audit log is pruned while the bot runs.
const pruneEvery = time.Hour

// prune drops what is past retention, at most once every pruneEvery.
func (a *Actions) prune() error {
	now := a.cfg.Now()
	last := a.pruned.Load()
	if a.cfg.Retention <= 0 || now.Unix()-last < int64(pruneEvery/time.Second) || !a.pruned.CompareAndSwap(last, now.Unix()) {
		return nil
	}
	return a.cfg.Store.PruneActions(now.Add(-a.cfg.Retention))
}

func (a *Actions) enqueued(n int) {
	if err := a.prune(); err != nil {
		a.cfg.Logger.Error("pruning the audit log", "error", err)
	}
	if n > 0 && a.cfg.Enqueued != nil {
		a.cfg.Enqueued()
	}
}
