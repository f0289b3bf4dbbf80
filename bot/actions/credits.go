package actions

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// priceMove asks the vendor what a top-up or revert would do.
func (a *Actions) priceMove(ctx context.Context, p plan) (plan, *render.Message) {
	if p.Kind == "topup" {
		pv, err := a.cfg.Vendor.PreviewTransfer(ctx, omni.TransferRequest{OrgID: p.OrgID, Minutes: p.Minutes, CostPerMin: p.CostPerMin})
		if err != nil {
			return failed("The vendor could not price this top-up", err)
		}
		p.Amount = pv.OrgCredit
		p.Preview = fmt.Sprintf("%d minutes to %s at %s: org %s → %s; costs the reseller %s, leaving %s",
			p.Minutes, p.OrgName, render.Rate(p.CostPerMin, p.Currency), render.Money(p.OrgBalance, p.Currency),
			render.Money(p.OrgBalance+pv.OrgCredit, p.Currency), render.Money(pv.ResellerCost, pv.Currency), render.Money(pv.NewResellerBalance, pv.Currency))
		if pv.NewResellerBalance < 0 {
			p.Preview += " (the reseller's balance does not cover it)"
		}
		return p, nil
	}
	pv, err := a.cfg.Vendor.PreviewRevert(ctx, omni.RevertRequest{OrgID: p.OrgID, Minutes: p.Minutes})
	if err != nil {
		return failed("The vendor could not price this revert", err)
	}
	p.Amount = pv.Deduction
	p.Preview = fmt.Sprintf("%d minutes back from %s: org %s → %s; refunds the reseller %s",
		p.Minutes, p.OrgName, render.Money(pv.OrgBalance, p.Currency), render.Money(pv.NewOrgBalance, p.Currency), render.Money(pv.Refund, pv.Currency))
	return p, nil
}

func title(p plan) string {
	switch p.Kind {
	case "topup":
		return fmt.Sprintf("Top up %s by %d minutes", p.OrgName, p.Minutes)
	case "revert":
		return fmt.Sprintf("Revert %d minutes from %s", p.Minutes, p.OrgName)
	case "concurrency":
		return fmt.Sprintf("Set %s's concurrent calls to %d", p.OrgName, p.Limit)
	case "access":
		return fmt.Sprintf("Turn %s %s for %s (%s)", omni.FlagLabel(p.Flag), onOff(p.On), p.UserName, p.OrgName)
	}
	return fmt.Sprintf("Set %s's expiry (%s) to %s", p.UserName, p.OrgName, day(p.Expiry))
}

// facts are a preview's lines: its text, one fact a clause.
func facts(p plan) []render.Fact {
	var out []render.Fact
	for i, part := range strings.Split(p.Preview, "; ") {
		label := "Change"
		if i > 0 {
			label = "Cost"
		}
		out = append(out, render.Fact{Label: label, Value: part})
	}
	return out
}

func balances(p plan, org, reseller float64) []render.Fact {
	return []render.Fact{{Label: p.OrgName + " balance", Value: render.Money(org, p.Currency)},
		{Label: "Reseller balance", Value: render.Money(reseller, p.Currency)}}
}

// reconcileWindow is how far before the click a matching log entry may be
// dated: the vendor's clock and ours differ, and logs are dated to the
// second.
const reconcileWindow = 2 * time.Minute

// reconcile decides whether a credit move whose answer was lost happened,
// from the vendor's credit logs: an entry of its kind, for its org and
// amount, dated after it was confirmed and newer than the entry noted just
// before the call (Confirmation.Mark; log IDs grow). When no mark could be
// noted, another move of the same org and amount in the window would be
// mistaken for it.
func (a *Actions) reconcile(ctx context.Context, p plan, c store.Confirmation) (string, []render.Fact) {
	since := c.At
	kind := omni.LogTransfer
	if p.Kind == "revert" {
		kind = omni.LogRevert
	}
	from := since.Add(-reconcileWindow)
	// Dates filter by the vendor's day, which may be a zone ahead or behind.
	req := omni.CreditLogsRequest{PageSize: omni.MaxCreditLogPageSize, From: from.UTC().AddDate(0, 0, -1)}
	for page := 1; page <= 5; page++ {
		req.Page = page
		logs, err := a.cfg.Vendor.CreditLogs(ctx, req)
		if err != nil {
			return "unknown: check /credits (the credit logs could not be read: " + errText(err) + ")", nil
		}
		for _, l := range logs.Logs {
			org := l.To
			if kind == omni.LogRevert {
				org = l.From
			}
			if l.Type == kind && org.ID == p.OrgID && math.Abs(l.Credit-p.Amount) < 0.0005 && !l.Date.Before(from) && l.ID > c.Mark {
				after, reseller := l.ToAfter, l.FromAfter
				if kind == omni.LogRevert {
					after, reseller = l.FromAfter, l.ToAfter
				}
				return "done (found in the credit logs as " + l.Reference + ")", balances(p, after, reseller)
			}
		}
		if page >= logs.Pages || len(logs.Logs) == 0 || (len(logs.Logs) > 0 && logs.Logs[len(logs.Logs)-1].Date.Before(from)) {
			return "not done: safe to try again (the vendor's answer was lost and the credit logs have no such move)", nil
		}
	}
	return "unknown: check /credits", nil
}

// credits lists the vendor's credit logs, newest first: "/credits",
// "/credits beta", "/credits beta page 2".
func (a *Actions) credits(ctx context.Context, args []string) render.Message {
	page, args := pageArg(args)
	query := strings.Join(args, " ")
	var org *omni.Org
	if query != "" {
		snap, err := a.cfg.Vendor.Organizations(ctx)
		if err != nil {
			return render.ActionNotice("Could not read the orgs from the vendor", nil, errText(err))
		}
		var why string
		if org, why = findOrg(snap, query); org == nil {
			return render.ActionNotice(why, nil, "")
		}
	}
	// With an org, read more and keep its entries.
	logs, err := a.cfg.Vendor.CreditLogs(ctx, omni.CreditLogsRequest{Page: page, PageSize: 20})
	if org != nil && err == nil {
		logs, err = a.cfg.Vendor.CreditLogs(ctx, omni.CreditLogsRequest{Page: page, PageSize: omni.MaxCreditLogPageSize})
	}
	if err != nil {
		return render.ActionNotice("Could not read the credit logs", nil, errText(err))
	}
	var lines []string
	for _, l := range logs.Logs {
		if org != nil && l.To.ID != org.ID && l.From.ID != org.ID {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s  %s  %s → %s  credit %.3f, cost %.3f  %s",
			l.Date.UTC().Format("2006-01-02 15:04"), l.Type, l.From.Name, l.To.Name, l.Credit, l.Cost, l.Notes))
	}
	if len(lines) == 0 {
		lines = []string{"No entries."}
	}
	more := strings.Join(strings.Fields(fmt.Sprintf("/credits %s page %d", query, page+1)), " ")
	return render.ActionList("Credit logs", lines, fmt.Sprintf("Page %d of %d, newest first. %s for more.", page, max(logs.Pages, 1), more))
}

// pageArg takes a trailing "page N" off args.
func pageArg(args []string) (int, []string) {
	if n := len(args); n >= 2 && strings.EqualFold(args[n-2], "page") {
		if p, err := strconv.Atoi(args[n-1]); err == nil && p >= 1 {
			return p, args[:n-2]
		}
	}
	return 1, args
}
