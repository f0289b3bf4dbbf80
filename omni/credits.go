package omni

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// TransferRequest sells minutes to a direct child organization: POST
// /reseller/credits/transfer, previewed by PreviewTransfer.
type TransferRequest struct {
	// OrgID is the child organization that receives the minutes. The
	// preview does not send it: the vendor prices a forward transfer from
	// the minutes and the rate alone.
	OrgID int64
	// Minutes is how many call minutes to sell (at least 1).
	Minutes int
	// CostPerMin is the price of a minute to the org, in its currency; the
	// org's balance grows by Minutes × CostPerMin. The vendor refuses a
	// rate below the reseller's own. Pass the org's current cost_per_min to
	// keep its price.
	CostPerMin float64
}

// RevertRequest takes unused minutes back from a child organization: POST
// /reseller/credits/revert, previewed by PreviewRevert. The vendor prices
// it: the org loses Minutes at its current rate, and the reseller gets
// back Minutes at its wholesale rate.
type RevertRequest struct {
	// OrgID is the child organization that gives the minutes back.
	OrgID int64
	// Minutes is how many call minutes to take back (at least 1).
	Minutes int
}

// TransferPreview is the forward answer of POST /reseller/credits/calculate.
// Amounts are in the reseller's currency.
type TransferPreview struct {
	// ResellerCost is "my_cost", what would leave the reseller's balance:
	// Minutes at the reseller's wholesale rate.
	ResellerCost float64
	// OrgCredit is "user_credit", what the org would receive: Minutes ×
	// CostPerMin.
	OrgCredit float64
	// Profit is OrgCredit − ResellerCost.
	Profit float64
	// Margin is the profit per minute.
	Margin float64
	// ResellerBalance is the reseller's balance now.
	ResellerBalance float64
	// ResellerAvailableMinutes is how many minutes the reseller's balance
	// still buys at its own rate.
	ResellerAvailableMinutes float64
	// NewResellerBalance is the reseller's balance after the transfer.
	NewResellerBalance float64
	// ResellerRate is the reseller's wholesale price of a minute.
	ResellerRate float64
	// Currency is the currency's symbol, such as "$".
	Currency string
}

// RevertPreview is the revert answer of POST /reseller/credits/calculate.
type RevertPreview struct {
	// Refund is "refund_amount", what would return to the reseller's
	// balance, in its currency.
	Refund float64
	// Deduction is "deduction_amount", what would leave the org's balance:
	// Minutes at the org's current rate.
	Deduction float64
	// OrgBalance is "child_balance", the org's balance now.
	OrgBalance float64
	// OrgAvailableMinutes is "child_available_minutes", the minutes the
	// org's balance holds at its rate.
	OrgAvailableMinutes float64
	// NewOrgBalance is "new_child_balance", the org's balance after the
	// revert.
	NewOrgBalance float64
	// ResellerRate is the reseller's wholesale price of a minute.
	ResellerRate float64
	// Currency is the currency's symbol, such as "$".
	Currency string
}

// calculation is the calculate endpoint's answer in both shapes; the spec
// marks every field optional and "forward only" or "revert only".
type calculation struct {
	MyCost                   wireFloat `json:"my_cost"`
	UserCredit               wireFloat `json:"user_credit"`
	Profit                   wireFloat `json:"profit"`
	Margin                   wireFloat `json:"margin"`
	ResellerBalance          wireFloat `json:"reseller_balance"`
	ResellerAvailableMinutes wireFloat `json:"reseller_available_minutes"`
	NewResellerBalance       wireFloat `json:"new_reseller_balance"`
	RefundAmount             wireFloat `json:"refund_amount"`
	DeductionAmount          wireFloat `json:"deduction_amount"`
	ChildBalance             wireFloat `json:"child_balance"`
	ChildAvailableMinutes    wireFloat `json:"child_available_minutes"`
	NewChildBalance          wireFloat `json:"new_child_balance"`
	ResellerRate             wireFloat `json:"reseller_rate"`
	CurrencySymbol           wireText  `json:"currency_symbol"`
}

// PreviewTransfer asks the vendor what req would cost and leave, without
// moving anything. It is a read, retried like Organizations.
func (c *Client) PreviewTransfer(ctx context.Context, req TransferRequest) (*TransferPreview, error) {
	if err := req.check("transfer preview", false); err != nil {
		return nil, err
	}
	in := struct {
		Minutes    int     `json:"minutes"`
		CostPerMin float64 `json:"cost_per_min"`
		IsRevert   bool    `json:"is_revert"`
	}{req.Minutes, req.CostPerMin, false}
	var out calculation
	if err := c.do(ctx, call{op: "transfer preview", method: http.MethodPost, path: calculatePath, in: in, out: &out}); err != nil {
		return nil, err
	}
	return &TransferPreview{
		ResellerCost: float64(out.MyCost), OrgCredit: float64(out.UserCredit), Profit: float64(out.Profit),
		Margin: float64(out.Margin), ResellerBalance: float64(out.ResellerBalance),
		ResellerAvailableMinutes: float64(out.ResellerAvailableMinutes), NewResellerBalance: float64(out.NewResellerBalance),
		ResellerRate: float64(out.ResellerRate), Currency: string(out.CurrencySymbol),
	}, nil
}

// PreviewRevert asks the vendor what req would take and refund, without
// moving anything. It is a read, retried like Organizations.
func (c *Client) PreviewRevert(ctx context.Context, req RevertRequest) (*RevertPreview, error) {
	if err := req.check("revert preview"); err != nil {
		return nil, err
	}
	in := struct {
		Minutes  int   `json:"minutes"`
		IsRevert bool  `json:"is_revert"`
		OrgID    int64 `json:"child_organization_id"`
	}{req.Minutes, true, req.OrgID}
	var out calculation
	if err := c.do(ctx, call{op: "revert preview", method: http.MethodPost, path: calculatePath, in: in, out: &out}); err != nil {
		return nil, err
	}
	return &RevertPreview{
		Refund: float64(out.RefundAmount), Deduction: float64(out.DeductionAmount), OrgBalance: float64(out.ChildBalance),
		OrgAvailableMinutes: float64(out.ChildAvailableMinutes), NewOrgBalance: float64(out.NewChildBalance),
		ResellerRate: float64(out.ResellerRate), Currency: string(out.CurrencySymbol),
	}, nil
}

// check refuses a request the vendor could only misread. The forward
// preview needs no org.
func (r TransferRequest) check(op string, needOrg bool) error {
	if needOrg {
		if err := checkOrg(op, r.OrgID); err != nil {
			return err
		}
	}
	if err := checkMinutes(op, r.Minutes); err != nil {
		return err
	}
	if !(r.CostPerMin > 0) {
		return fmt.Errorf("omnidim: %s: cost per minute must be positive, got %v", op, r.CostPerMin)
	}
	return nil
}

// check refuses a revert the vendor could only misread.
func (r RevertRequest) check(op string) error {
	if err := checkOrg(op, r.OrgID); err != nil {
		return err
	}
	return checkMinutes(op, r.Minutes)
}

func checkOrg(op string, orgID int64) error {
	if orgID <= 0 {
		return fmt.Errorf("omnidim: %s: an org ID is required, got %d", op, orgID)
	}
	return nil
}

func checkMinutes(op string, minutes int) error {
	if minutes <= 0 {
		return fmt.Errorf("omnidim: %s: minutes must be at least 1, got %d", op, minutes)
	}
	return nil
}

// CreditResult is the vendor's answer to Transfer and Revert, with the
// roles of its new_from_balance and new_to_balance (which swap between the
// two) resolved.
type CreditResult struct {
	// Message is the vendor's text, such as "Credits allocated
	// successfully".
	Message string
	// ResellerBalance is the reseller's balance afterwards, in its
	// currency.
	ResellerBalance float64
	// OrgBalance is the org's balance afterwards, in its currency.
	OrgBalance float64
}

// creditAnswer is the wire form of CreditResult.
type creditAnswer struct {
	Message        wireText  `json:"message"`
	NewFromBalance wireFloat `json:"new_from_balance"`
	NewToBalance   wireFloat `json:"new_to_balance"`
}

// Transfer sells req.Minutes to req.OrgID: the reseller pays Minutes at
// its wholesale rate, the org is credited Minutes × CostPerMin.
//
// Money moves, and the vendor has no idempotency key, so the request is
// never sent twice. It is retried only when it certainly did not leave
// (the connection could not be made). Once it may have reached the
// vendor, a failure other than the vendor's clear refusal (a 4xx, or
// "success": false, with its message) is ErrOutcomeUnknown: look for the
// transfer in CreditLogs (by org, credit amount and time) before trying
// again.
func (c *Client) Transfer(ctx context.Context, req TransferRequest) (*CreditResult, error) {
	if err := req.check("transfer", true); err != nil {
		return nil, err
	}
	in := struct {
		OrgID      int64   `json:"to_organization_id"`
		Minutes    int     `json:"minutes"`
		CostPerMin float64 `json:"cost_per_min"`
	}{req.OrgID, req.Minutes, req.CostPerMin}
	var out creditAnswer
	if err := c.do(ctx, call{op: "transfer", method: http.MethodPost, path: transferPath, in: in, out: &out, once: true, lookup: "the credit logs"}); err != nil {
		return nil, err
	}
	return &CreditResult{Message: string(out.Message), ResellerBalance: float64(out.NewFromBalance), OrgBalance: float64(out.NewToBalance)}, nil
}

// Revert takes req.Minutes back from req.OrgID, priced by the vendor: the
// org loses them at its current rate, the reseller gets them back at its
// wholesale rate. Like Transfer, it is never sent twice, and an uncertain
// failure is ErrOutcomeUnknown.
func (c *Client) Revert(ctx context.Context, req RevertRequest) (*CreditResult, error) {
	if err := req.check("revert"); err != nil {
		return nil, err
	}
	in := struct {
		OrgID   int64 `json:"from_organization_id"`
		Minutes int   `json:"minutes"`
	}{req.OrgID, req.Minutes}
	var out creditAnswer
	if err := c.do(ctx, call{op: "revert", method: http.MethodPost, path: revertPath, in: in, out: &out, once: true, lookup: "the credit logs"}); err != nil {
		return nil, err
	}
	return &CreditResult{Message: string(out.Message), ResellerBalance: float64(out.NewToBalance), OrgBalance: float64(out.NewFromBalance)}, nil
}

// The transaction types of a CreditLog.
const (
	// LogTransfer is credit sold to a child (Transfer).
	LogTransfer = "credit_transfer"
	// LogRevert is credit taken back from a child (Revert).
	LogRevert = "credit_revert"
	// LogChannels is a concurrency change (SetConcurrency).
	LogChannels = "channel_allocation"
)

// MaxCreditLogPageSize is the largest page the vendor serves.
const MaxCreditLogPageSize = 100

// CreditLogsRequest selects a page of GET /reseller/credits/logs, newest
// first. Zero fields are left out, so the vendor applies its defaults.
type CreditLogsRequest struct {
	// Page is the page number, from 1 (the default).
	Page int
	// PageSize is the number of entries per page, up to
	// MaxCreditLogPageSize (the vendor's default is 20).
	PageSize int
	// From and To bound the entries' dates, both inclusive; only their
	// calendar dates, in their own locations, are sent.
	From, To time.Time
}

// CreditLogPage is one page of the credit logs.
type CreditLogPage struct {
	// Logs are the page's entries, newest first.
	Logs []CreditLog
	// Total is the number of entries on all pages.
	Total int
	// Page and PageSize are the page the vendor served.
	Page, PageSize int
	// Pages is the number of pages.
	Pages int
}

// CreditLog is one credit movement: a transfer, a revert or a concurrency
// change.
type CreditLog struct {
	// ID is the log row's ID.
	ID int64
	// Reference is "transfer_reference", such as
	// CT-20260115110440-5678-4002; responses to Transfer carry none.
	Reference string
	// Type is LogTransfer, LogRevert or LogChannels (or a type the vendor
	// added).
	Type string
	// Status is the vendor's word for the outcome, such as "success".
	Status string
	// Reseller, From and To are the organizations involved: From is the
	// reseller and To the child for a transfer, the reverse for a revert.
	Reseller, From, To OrgRef
	// Credit is "credit_amount", the value credited or reverted at the
	// org's rate, such as 4 for 20 minutes at 0.20.
	Credit float64
	// Cost is "cost_amount", the reseller's side, as the vendor signs it:
	// negative for a transfer (-1.8). Its sign on reverts is undocumented.
	Cost float64
	// FromBefore, FromAfter, ToBefore and ToAfter are the balances of From
	// and To around the movement.
	FromBefore, FromAfter, ToBefore, ToAfter float64
	// Date is "transfer_date", with the offset the vendor gave it.
	Date time.Time
	// PerformedBy is the reseller's user who made the movement.
	PerformedBy LogUser
	// ChannelsCount, PreviousChannels and NewChannels describe a
	// concurrency change; zero for money.
	ChannelsCount, PreviousChannels, NewChannels int
	// Notes is the vendor's description, such as "Transfer of 20 minutes
	// at 0.20/min".
	Notes string
}

// OrgRef names an organization in a CreditLog.
type OrgRef struct {
	ID   int64
	Name string
}

// LogUser is the reseller's user in a CreditLog.
type LogUser struct {
	ID    int64
	Name  string
	Email string
}

// wireLogs is the credit logs' answer. Data and its logs must be present:
// an answer without them is malformed, not an empty history, because a
// caller reconciling an uncertain transfer would read an empty history as
// "it did not happen".
type wireLogs struct {
	Data *struct {
		Logs         *[]wireLog `json:"logs"`
		TotalRecords wireInt    `json:"total_records"`
		Page         wireInt    `json:"page"`
		PageSize     wireInt    `json:"page_size"`
		TotalPages   wireInt    `json:"total_pages"`
	} `json:"data"`
}

func (w *wireLogs) check() error {
	if w.Data == nil || w.Data.Logs == nil {
		return errors.New(`no "data": {"logs": [...]}`)
	}
	return nil
}

type wireLog struct {
	ID                wireInt    `json:"id"`
	TransferReference wireText   `json:"transfer_reference"`
	Reseller          wireOrgRef `json:"reseller_organization"`
	From              wireOrgRef `json:"from_organization"`
	To                wireOrgRef `json:"to_organization"`
	CreditAmount      wireFloat  `json:"credit_amount"`
	CostAmount        wireFloat  `json:"cost_amount"`
	FromBalanceBefore wireFloat  `json:"from_balance_before"`
	FromBalanceAfter  wireFloat  `json:"from_balance_after"`
	ToBalanceBefore   wireFloat  `json:"to_balance_before"`
	ToBalanceAfter    wireFloat  `json:"to_balance_after"`
	TransferDate      wireTime   `json:"transfer_date"`
	PerformedBy       struct {
		ID    wireInt  `json:"id"`
		Name  wireText `json:"name"`
		Email wireText `json:"email"`
	} `json:"performed_by"`
	Status           wireText `json:"status"`
	TransactionType  wireText `json:"transaction_type"`
	ChannelsCount    wireInt  `json:"channels_count"`
	PreviousChannels wireInt  `json:"previous_channels"`
	NewChannels      wireInt  `json:"new_channels"`
	Notes            wireText `json:"notes"`
}

type wireOrgRef struct {
	ID   wireInt  `json:"id"`
	Name wireText `json:"name"`
}

func (r wireOrgRef) ref() OrgRef { return OrgRef{ID: int64(r.ID), Name: string(r.Name)} }

func (w *wireLog) log() CreditLog {
	return CreditLog{
		ID: int64(w.ID), Reference: string(w.TransferReference), Type: string(w.TransactionType), Status: string(w.Status),
		Reseller: w.Reseller.ref(), From: w.From.ref(), To: w.To.ref(),
		Credit: float64(w.CreditAmount), Cost: float64(w.CostAmount),
		FromBefore: float64(w.FromBalanceBefore), FromAfter: float64(w.FromBalanceAfter),
		ToBefore: float64(w.ToBalanceBefore), ToAfter: float64(w.ToBalanceAfter),
		Date:          time.Time(w.TransferDate),
		PerformedBy:   LogUser{ID: int64(w.PerformedBy.ID), Name: string(w.PerformedBy.Name), Email: string(w.PerformedBy.Email)},
		ChannelsCount: int(w.ChannelsCount), PreviousChannels: int(w.PreviousChannels), NewChannels: int(w.NewChannels),
		Notes: string(w.Notes),
	}
}

// CreditLogs fetches one page of the reseller's credit history, newest
// first. It is a read, retried like Organizations. It sends the spec's
// page, page_size, date_from and date_to (not the Python SDK's pageno,
// pagesize, start_date and end_date, which the vendor ignores).
func (c *Client) CreditLogs(ctx context.Context, req CreditLogsRequest) (*CreditLogPage, error) {
	if req.Page < 0 || req.PageSize < 0 || req.PageSize > MaxCreditLogPageSize {
		return nil, fmt.Errorf("omnidim: credit logs: page %d or page size %d out of range (size at most %d)",
			req.Page, req.PageSize, MaxCreditLogPageSize)
	}
	q := url.Values{}
	for k, v := range map[string]int{"page": req.Page, "page_size": req.PageSize} {
		if v > 0 {
			q.Set(k, strconv.Itoa(v))
		}
	}
	for k, t := range map[string]time.Time{"date_from": req.From, "date_to": req.To} {
		if d := dateOrEmpty(t); d != "" {
			q.Set(k, d)
		}
	}
	var out wireLogs
	if err := c.do(ctx, call{op: "credit logs", method: http.MethodGet, path: creditLogsPath, query: q, out: &out}); err != nil {
		return nil, err
	}
	d := out.Data
	page := &CreditLogPage{Logs: make([]CreditLog, len(*d.Logs)), Total: int(d.TotalRecords),
		Page: int(d.Page), PageSize: int(d.PageSize), Pages: int(d.TotalPages)}
	for i := range *d.Logs {
		page.Logs[i] = (*d.Logs)[i].log()
	}
	return page, nil
}
