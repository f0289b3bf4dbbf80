package actions

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// ConfirmActionIDs returns the action_ids of the confirm buttons, one a
// kind of change; the Cancel button's is render.CancelActionID.
func ConfirmActionIDs() []string {
	return []string{"topup_confirm", "revert_confirm", "concurrency_confirm", "access_confirm", "expiry_confirm"}
}

// Click answers a press of a confirm or cancel button (actionID) on the
// preview whose confirmation is id. Only the first press of a preview
// acts; any later one, and a redelivered one, answers who acted and when.
func (a *Actions) Click(ctx context.Context, u User, actionID, id string) render.Message {
	rec := store.AuditRecord{UserID: u.ID, UserName: u.Name, Via: actionID, Confirmation: id}
	if !a.Allowed(u.ID) {
		a.refused(rec)
		return render.ActionNotice("You may not confirm changes", nil, "Nothing was changed.")
	}
	to := store.Confirmed
	if actionID == render.CancelActionID {
		to = store.Cancelled
	}
	now := a.cfg.Now()
	c, won, err := a.cfg.Store.Claim(id, to, u.ID, u.Name, now)
	if errors.Is(err, store.ErrNotFound) {
		return render.ActionNotice("This preview is no longer known", nil, "Run the command again for a new one.")
	}
	if err != nil {
		return render.ActionNotice("Could not record your click", nil, err.Error()+" Nothing was changed.")
	}
	if !won {
		return already(c)
	}
	var p plan
	if err := json.Unmarshal(c.Body, &p); err != nil {
		return a.settle(c.ID, rec, p, "failed: unreadable confirmation", nil)
	}
	rec.Action, rec.Org, rec.Preview = p.Kind, p.OrgName, p.Preview
	switch {
	case to == store.Cancelled:
		return a.settle(c.ID, rec, p, "cancelled", nil)
	case actionID != p.Kind+"_confirm":
		return a.settle(c.ID, rec, p, "refused: the button does not match the preview", nil)
	case now.Sub(c.Created) > PreviewLifetime:
		a.settle(c.ID, rec, p, "expired", nil)
		return render.ActionNotice("This preview expired", nil, fmt.Sprintf("Previews last %v. Nothing was changed: run %s again.", PreviewLifetime, p.Via))
	}
	// Prices and limits are read again: the preview must still be true.
	fresh, msg := a.plan(ctx, p.Kind, p.args())
	if msg != nil {
		a.settle(c.ID, rec, p, "not done: "+msg.Plain, nil)
		return *msg
	}
	if moved(p, fresh) {
		a.settle(c.ID, rec, p, "previewed again: the org changed since the preview", nil)
		fresh.Via, fresh.Thread = p.Via, p.Thread
		return a.preview(u, fresh, "The org's rate or balance changed since the last preview: check the figures again.")
	}
	return a.execute(ctx, c.ID, rec, p)
}

// args are the command arguments that plan p again.
func (p plan) args() []string {
	org := fmt.Sprint(p.OrgID)
	switch p.Kind {
	case "topup", "revert":
		return []string{org, fmt.Sprint(p.Minutes)}
	case "concurrency":
		return []string{org, fmt.Sprint(p.Limit)}
	case "access":
		return []string{org, fmt.Sprint(p.UserID), p.Flag, onOff(p.On)}
	}
	return []string{org, fmt.Sprint(p.UserID), day(p.Expiry)}
}

// moved reports whether what a preview showed is no longer so, in a way
// that matters to the decision. An org on calls burns its balance all the
// time; that alone changes no top-up, or no support lead could ever confirm
// one for the orgs that need it most. A new rate does, and so does a
// balance that rose: someone else may have topped it up meanwhile. A
// revert also needs the balance to still hold what it takes back.
func moved(was, now plan) bool {
	switch was.Kind {
	case "topup":
		return was.CostPerMin != now.CostPerMin || now.OrgBalance > was.OrgBalance
	case "revert":
		return was.CostPerMin != now.CostPerMin || now.OrgBalance > was.OrgBalance || now.OrgBalance < was.Amount
	case "concurrency":
		return was.From != now.From
	case "access":
		return was.WasOn != now.WasOn
	}
	return !was.WasExpiry.Equal(now.WasExpiry)
}

// already answers a click on a preview someone acted on.
func already(c store.Confirmation) render.Message {
	when := c.At.UTC().Format("15:04 UTC on 2 Jan")
	switch c.State {
	case store.Cancelled:
		return render.ActionNotice(fmt.Sprintf("Already cancelled by @%s at %s", c.ByName, when), nil, "")
	case store.Confirmed:
		return render.ActionNotice(fmt.Sprintf("Already confirmed by @%s at %s", c.ByName, when), nil, "It is under way; see /audit for its result.")
	}
	return render.ActionNotice(fmt.Sprintf("Already done by @%s at %s", c.ByName, when), nil, "Result: "+c.Outcome)
}

// settle records a confirmation's outcome and its audit record, announces
// it to the audit channel when it changed or may have changed something,
// and returns the answer for the clicker.
func (a *Actions) settle(id string, rec store.AuditRecord, p plan, outcome string, facts []render.Fact) render.Message {
	rec.At, rec.Result = a.cfg.Now(), outcome
	note := outcome
	if rec.VendorMessage != "" {
		note += ". The vendor said: " + rec.VendorMessage
	}
	answer := render.ActionNotice(resultTitle(p, outcome), facts, note+". By @"+rec.UserName+".")
	var announce []render.Message
	if rec.Via != render.CancelActionID && !strings.HasPrefix(outcome, "refused") && !strings.HasPrefix(outcome, "previewed") && outcome != "expired" {
		announce = append(announce, render.ActionNotice("@"+rec.UserName+": "+resultTitle(p, outcome), facts, p.Preview+". "+note+"."))
	}
	if err := a.cfg.Store.Settle(id, outcome, rec, a.outgoing(p.Thread, announce)...); err != nil {
		a.cfg.Logger.Error("settling an action", "error", err, "confirmation", id, "outcome", outcome)
	} else {
		a.mirror(rec)
		a.enqueued(len(announce))
	}
	return answer
}

func resultTitle(p plan, outcome string) string {
	head, _, _ := strings.Cut(outcome, ":")
	return fmt.Sprintf("%s — %s", title(p), head)
}

// execute makes the change at the vendor and settles it.
func (a *Actions) execute(ctx context.Context, id string, rec store.AuditRecord, p plan) render.Message {
	var facts []render.Fact
	var err error
	outcome := "done"
	switch p.Kind {
	case "topup", "revert":
		a.markLogs(ctx, id)
		var r *omni.CreditResult
		if p.Kind == "topup" {
			r, err = a.cfg.Vendor.Transfer(ctx, omni.TransferRequest{OrgID: p.OrgID, Minutes: p.Minutes, CostPerMin: p.CostPerMin})
		} else {
			r, err = a.cfg.Vendor.Revert(ctx, omni.RevertRequest{OrgID: p.OrgID, Minutes: p.Minutes})
		}
		if err == nil {
			rec.VendorMessage = r.Message
			facts = balances(p, r.OrgBalance, r.ResellerBalance)
		}
	case "concurrency":
		var r *omni.ConcurrencyResult
		r, err = a.cfg.Vendor.SetConcurrency(ctx, omni.ConcurrencyRequest{OrgID: p.OrgID, Limit: p.Limit})
		if err == nil {
			rec.VendorMessage = r.Message
			facts = []render.Fact{{Label: "Concurrent calls", Value: fmt.Sprintf("%d → %d", p.From, r.Limit)},
				{Label: "Reseller slots free", Value: fmt.Sprint(r.PoolAvailable)}}
		}
	case "access":
		req := omni.AccessControlRequest{UserID: p.UserID, Menus: map[string]bool{p.Flag: p.On}}
		var r *omni.AccessControlResult
		r, err = a.cfg.Vendor.SetAccessControl(ctx, req)
		if err == nil {
			rec.VendorMessage = r.Message
			applied, dropped := "none", r.Dropped(req)
			for k, on := range r.Applied {
				applied = fmt.Sprintf("%s %s", omni.FlagLabel(k), onOff(on))
			}
			facts = []render.Fact{{Label: "Applied by the vendor", Value: applied}}
			if len(dropped) > 0 {
				outcome = "not done: the vendor dropped " + labels(dropped) + " as outside the reseller's access"
				facts = append(facts, render.Fact{Label: "Dropped (out of scope)", Value: labels(dropped)})
			}
		}
	case "expiry":
		var r *omni.ExpiryResult
		r, err = a.cfg.Vendor.SetExpiry(ctx, omni.ExpiryRequest{UserID: p.UserID, Expiry: p.Expiry})
		if err == nil {
			rec.VendorMessage = r.Message
			facts = []render.Fact{{Label: "Expiry of " + p.UserName, Value: day(p.WasExpiry) + " → " + day(r.Expiry)}}
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, omni.ErrOutcomeUnknown) && (p.Kind == "topup" || p.Kind == "revert"):
		rec.VendorMessage = errText(err)
		outcome, facts = a.reconcile(ctx, p, a.claimed(id))
	case errors.Is(err, omni.ErrOutcomeUnknown):
		rec.VendorMessage = errText(err)
		outcome = "unknown: the vendor's answer was lost; check the org with /org"
	default:
		rec.VendorMessage = errText(err)
		outcome = "not done: " + errText(err)
	}
	m := a.settle(id, rec, p, outcome, facts)
	if strings.HasPrefix(outcome, "done") {
		if p.Kind == "topup" {
			a.noteTopUp(p, rec)
		}
		if a.cfg.AfterChange != nil {
			a.cfg.AfterChange()
		}
	}
	return m
}

// claimed is confirmation id as stored, or, should it not read back, one
// claimed an hour ago: a wide window to look for its credit move in.
func (a *Actions) claimed(id string) store.Confirmation {
	c, err := a.cfg.Store.GetConfirmation(id)
	if err != nil || c.At.IsZero() {
		return store.Confirmation{ID: id, At: a.cfg.Now().Add(-time.Hour)}
	}
	return c
}

// markLogs notes the newest credit log's ID on a claimed confirmation
// before its credit move, so that a lost answer is looked for only among
// later entries, never mistaken for an earlier move of the same amount.
// Without it (the logs could not be read) the time window alone decides.
func (a *Actions) markLogs(ctx context.Context, id string) {
	page, err := a.cfg.Vendor.CreditLogs(ctx, omni.CreditLogsRequest{Page: 1, PageSize: 1})
	if err != nil || len(page.Logs) == 0 {
		return
	}
	if err := a.cfg.Store.SetMark(id, page.Logs[0].ID); err != nil {
		a.cfg.Logger.Warn("noting the newest credit log", "error", err)
	}
}

func labels(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = omni.FlagLabel(k)
	}
	return strings.Join(out, ", ")
}

// Resolve settles the confirmations a crash left claimed but unanswered:
// a credit move is looked up in the credit logs, any other change in the
// org's current state. Run it at start-up, before answering clicks.
func (a *Actions) Resolve(ctx context.Context) error {
	open, err := a.cfg.Store.Unsettled()
	if err != nil {
		return err
	}
	for _, c := range open {
		var p plan
		_ = json.Unmarshal(c.Body, &p) // an unreadable plan settles as unknown
		rec := store.AuditRecord{UserID: c.By, UserName: c.ByName, Via: "restart", Action: p.Kind,
			Org: p.OrgName, Preview: p.Preview, Confirmation: c.ID}
		outcome, facts := "unknown: interrupted by a restart; check /credits and /org", []render.Fact(nil)
		switch p.Kind {
		case "topup", "revert":
			outcome, facts = a.reconcile(ctx, p, c)
		default:
			if fresh, msg := a.plan(ctx, p.Kind, p.args()); msg == nil && !moved(appliedPlan(p), fresh) {
				outcome = "done (found applied after a restart)"
			}
		}
		a.settle(c.ID, rec, p, outcome+" (resolved after a restart)", facts)
	}
	return nil
}

// appliedPlan is p as a fresh plan reads once p is applied: its "from" is
// its "to".
func appliedPlan(p plan) plan {
	p.From, p.WasOn, p.WasExpiry = p.Limit, p.On, p.Expiry
	return p
}

// noteTopUp tells the org's open low-balance episodes who topped it up, so
// that their messages say so, up to the recovery the top-up brings.
func (a *Actions) noteTopUp(p plan, rec store.AuditRecord) {
	prefix := "low_balance/" + strconv.FormatInt(p.OrgID, 10) + "/"
	open, err := a.cfg.Store.Episodes(func(ep *store.Episode) bool {
		return ep.Ended.IsZero() && strings.HasPrefix(ep.Key, prefix)
	})
	if err != nil {
		a.cfg.Logger.Warn("could not note the top-up on the org's alert", "org", p.OrgID, "error", err)
		return
	}
	for _, ep := range open {
		if _, err := a.cfg.Store.UpdateEpisode(ep.Key, func(ep *store.Episode) bool {
			ep.ToppedUp = store.ToppedUp{By: rec.UserID, Name: cmp.Or(rec.UserName, rec.UserID),
				What: strconv.Itoa(p.Minutes) + " minutes", At: a.cfg.Now()}
			return true
		}); err != nil {
			a.cfg.Logger.Warn("could not note the top-up on the org's alert", "episode", ep.Key, "error", err)
		}
	}
}
