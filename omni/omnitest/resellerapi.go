package omnitest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The vendor documents no error for any reseller endpoint. The fake
// answers a request it cannot parse, or one missing a required field, with
// 400 {"error": "bad_request", "error_description": "…"}, as the errors
// page describes; and a request the rules refuse (too little balance or
// too few slots, an org or user not the reseller's, a rate below the
// reseller's) with 400 {"success": false, "error": "…"}, the vendor's
// business-failure shape, with "plan_expire": true when money is short.
// 400 rather than 404 for an unknown ID keeps a client from reading it as
// a wrong base URL. Nothing changes on a 400.

// resellerLocked answers a reseller endpoint, applying the request to the
// state; a duplicate applies it once more and answers the first. s.mu is
// held.
func (s *Server) resellerLocked(endpoint string, q url.Values, in []byte, duplicate bool) (int, []byte) {
	var h func(url.Values, []byte) (int, []byte)
	switch endpoint {
	case AddUserPath:
		h = s.addUser
	case AccessControlPath:
		h = s.accessControl
	case ExpiryPath:
		h = s.expiry
	case ConcurrencyPath:
		h = s.concurrency
	case CalculatePath:
		h = s.calculate
	case TransferPath:
		h = s.transfer
	case RevertPath:
		h = s.revert
	case CreditLogsPath:
		h = s.creditLogs
	default:
		return http.StatusNotFound, ErrorBody(http.StatusNotFound)
	}
	status, body := h(q, in)
	if duplicate {
		h(q, in)
	}
	return status, body
}

// missing collects the required fields a request lacks.
type missing []string

// need notes name as missing unless present.
func (m *missing) need(name string, present bool) {
	if !present {
		*m = append(*m, name)
	}
}

// parse decodes a request body into v, then lets check name the required
// fields that are missing. On failure it returns the 400 to answer.
func parse(in []byte, v any, check func(*missing)) (status int, body []byte, ok bool) {
	if err := json.Unmarshal(in, v); err != nil {
		status, body = badRequest("Malformed JSON body: " + err.Error())
		return status, body, false
	}
	var m missing
	check(&m)
	if len(m) > 0 {
		status, body = badRequest("Missing required fields: " + strings.Join(m, ", "))
		return status, body, false
	}
	return 0, nil, true
}

func badRequest(desc string) (int, []byte) {
	return answerJSON(http.StatusBadRequest, map[string]any{"error": "bad_request", "error_description": desc})
}

// refuse is the vendor's "no" to a well-formed request.
func refuse(planExpire bool, format string, args ...any) (int, []byte) {
	body := map[string]any{"success": false, "error": fmt.Sprintf(format, args...)}
	if planExpire {
		body["plan_expire"] = true
	}
	return answerJSON(http.StatusBadRequest, body)
}

// ok is a success: fields and "success": true.
func ok(fields map[string]any) (int, []byte) {
	fields["success"] = true
	return answerJSON(http.StatusOK, fields)
}

func answerJSON(status int, v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value here is a map of plain JSON values.
		panic(fmt.Sprintf("omnitest: encoding an answer: %v", err))
	}
	return status, b
}

// notChild refuses an org ID that is not the reseller's.
func notChild(id int64) (int, []byte) {
	return refuse(false, "Organization %d is not a child organization of this reseller", id)
}

// notInTree refuses a user ID that is not the reseller's.
func notInTree(id int64) (int, []byte) {
	return refuse(false, "User %d does not belong to any of your child organizations", id)
}

// calculate previews a transfer or a revert: POST /reseller/credits/calculate.
func (s *Server) calculate(_ url.Values, in []byte) (int, []byte) {
	var req struct {
		Minutes    *int     `json:"minutes"`
		CostPerMin *float64 `json:"cost_per_min"`
		IsRevert   bool     `json:"is_revert"`
		OrgID      *int64   `json:"child_organization_id"`
	}
	if status, body, ok := parse(in, &req, func(m *missing) {
		m.need("minutes", req.Minutes != nil)
		if req.IsRevert {
			m.need("child_organization_id", req.OrgID != nil)
		} else {
			m.need("cost_per_min", req.CostPerMin != nil)
		}
	}); !ok {
		return status, body
	}
	m := float64(*req.Minutes)
	if *req.Minutes <= 0 {
		return refuse(false, "minutes must be a positive integer")
	}
	rate := s.res.rate
	if !req.IsRevert {
		cost, credit := money(m*rate), money(m**req.CostPerMin)
		return ok(map[string]any{
			"my_cost": cost, "user_credit": credit, "profit": money(credit - cost),
			"margin": money(*req.CostPerMin - rate), "reseller_balance": s.res.balance,
			"reseller_available_minutes": minutesFor(s.res.balance, rate),
			"new_reseller_balance":       money(s.res.balance - cost), "reseller_rate": rate, "currency_symbol": "$",
		})
	}
	o := s.p.org(*req.OrgID)
	if o == nil {
		return notChild(*req.OrgID)
	}
	deduction := money(m * o.CostPerMin)
	return ok(map[string]any{
		"refund_amount": money(m * rate), "deduction_amount": deduction, "child_balance": o.Balance,
		"child_available_minutes": minutesFor(o.Balance, o.CostPerMin),
		"new_child_balance":       money(o.Balance - deduction), "reseller_rate": rate,
		"currency_symbol": o.CurrencySymbol,
	})
}

// minutesFor is how many whole minutes a balance buys at a rate.
func minutesFor(balance, rate float64) float64 {
	if rate <= 0 || balance <= 0 {
		return 0
	}
	return math.Floor(balance/rate + 1e-9)
}

// transfer sells minutes to a child, §7 of the reference: the reseller
// pays minutes × its wholesale rate, the child gets minutes × cost_per_min.
// The child's own cost_per_min is left as it is (the reference does not
// say the transfer changes it).
func (s *Server) transfer(_ url.Values, in []byte) (int, []byte) {
	var req struct {
		OrgID      *int64   `json:"to_organization_id"`
		Minutes    *int     `json:"minutes"`
		CostPerMin *float64 `json:"cost_per_min"`
	}
	if status, body, ok := parse(in, &req, func(m *missing) {
		m.need("to_organization_id", req.OrgID != nil)
		m.need("minutes", req.Minutes != nil)
		m.need("cost_per_min", req.CostPerMin != nil)
	}); !ok {
		return status, body
	}
	o := s.p.org(*req.OrgID)
	rate, cpm := s.res.rate, *req.CostPerMin
	switch {
	case *req.Minutes <= 0:
		return refuse(false, "minutes must be a positive integer")
	case o == nil:
		return notChild(*req.OrgID)
	case cpm < rate:
		return refuse(false, "cost_per_min %.3f is below your own rate of %.3f per minute", cpm, rate)
	}
	m := float64(*req.Minutes)
	cost, credit := money(m*rate), money(m*cpm)
	if cost > s.res.balance {
		return refuse(true, "Insufficient reseller balance: %d minutes cost %.3f and the balance is %.3f",
			*req.Minutes, cost, s.res.balance)
	}
	s.moveCredit(o, LogTransfer, -cost, credit, fmt.Sprintf("Transfer of %d minutes at %.2f/min", *req.Minutes, cpm))
	return ok(map[string]any{"message": "Credits allocated successfully",
		"new_from_balance": s.res.balance, "new_to_balance": o.Balance})
}

// revert takes minutes back from a child, §8 of the reference: the child
// loses minutes × its current cost_per_min, the reseller gets back
// minutes × its wholesale rate. A child without that much balance is
// refused (the reference leaves it open).
func (s *Server) revert(_ url.Values, in []byte) (int, []byte) {
	var req struct {
		OrgID   *int64 `json:"from_organization_id"`
		Minutes *int   `json:"minutes"`
	}
	if status, body, ok := parse(in, &req, func(m *missing) {
		m.need("from_organization_id", req.OrgID != nil)
		m.need("minutes", req.Minutes != nil)
	}); !ok {
		return status, body
	}
	o := s.p.org(*req.OrgID)
	switch {
	case *req.Minutes <= 0:
		return refuse(false, "minutes must be a positive integer")
	case o == nil:
		return notChild(*req.OrgID)
	}
	m := float64(*req.Minutes)
	deduction, refund := money(m*o.CostPerMin), money(m*s.res.rate)
	if deduction > o.Balance {
		return refuse(true, "Insufficient balance in %s: %d minutes are %.3f and the balance is %.3f",
			o.Name, *req.Minutes, deduction, o.Balance)
	}
	s.moveCredit(o, LogRevert, refund, -deduction, fmt.Sprintf("Revert of %d minutes at %.2f/min", *req.Minutes, o.CostPerMin))
	return ok(map[string]any{"message": "Credits reverted successfully",
		"new_from_balance": o.Balance, "new_to_balance": s.res.balance})
}

// moveCredit adds resellerDelta to the reseller's balance and orgDelta to
// the org's, and logs it with the balances before and after. s.mu is held.
func (s *Server) moveCredit(o *Org, kind string, resellerDelta, orgDelta float64, notes string) {
	rb, ob := s.res.balance, o.Balance
	s.res.balance, o.Balance = money(rb+resellerDelta), money(ob+orgDelta)
	s.body = nil
	e := CreditLog{CreditAmount: math.Abs(orgDelta), CostAmount: resellerDelta, Notes: notes,
		FromBalanceBefore: rb, FromBalanceAfter: s.res.balance, ToBalanceBefore: ob, ToBalanceAfter: o.Balance}
	prefix := "CT"
	if kind == LogRevert {
		prefix = "CR"
		e.FromBalanceBefore, e.FromBalanceAfter, e.ToBalanceBefore, e.ToBalanceAfter = ob, o.Balance, rb, s.res.balance
	}
	s.logMove(kind, prefix, o, e)
}

// concurrency sets a child's limit, §5: new_limit is absolute, raising it
// draws the difference from the pool (refused when the pool is short),
// lowering it returns the difference at once.
func (s *Server) concurrency(_ url.Values, in []byte) (int, []byte) {
	var req struct {
		OrgID *int64 `json:"child_organization_id"`
		Limit *int   `json:"new_limit"`
	}
	if status, body, ok := parse(in, &req, func(m *missing) {
		m.need("child_organization_id", req.OrgID != nil)
		m.need("new_limit", req.Limit != nil)
	}); !ok {
		return status, body
	}
	o := s.p.org(*req.OrgID)
	switch {
	case *req.Limit < 0:
		return refuse(false, "new_limit must be 0 or more")
	case o == nil:
		return notChild(*req.OrgID)
	}
	old := o.ConcurrentCallLimit
	delta := *req.Limit - old
	if delta > s.res.pool {
		return refuse(false, "Insufficient concurrency slots: raising %s from %d to %d needs %d, and %d are free",
			o.Name, old, *req.Limit, delta, s.res.pool)
	}
	if delta != 0 {
		s.res.pool -= delta
		o.ConcurrentCallLimit = *req.Limit
		s.body = nil
		s.logMove(LogChannels, "CH", o, CreditLog{ChannelsCount: delta, PreviousChannels: old, NewChannels: *req.Limit,
			FromBalanceBefore: s.res.balance, FromBalanceAfter: s.res.balance, ToBalanceBefore: o.Balance, ToBalanceAfter: o.Balance,
			Notes: fmt.Sprintf("Concurrency changed from %d to %d", old, *req.Limit)})
	}
	return ok(map[string]any{"message": "Concurrency limit updated successfully.",
		"child_limit": o.ConcurrentCallLimit, "reseller_available": s.res.pool})
}

// accessControl updates some of a user's menus, §3: flags the reseller's
// own access control does not enable are dropped without an error, and
// "updated_flags" lists those applied.
func (s *Server) accessControl(_ url.Values, in []byte) (int, []byte) {
	var req struct {
		UserID *int64          `json:"user_id"`
		Menus  map[string]bool `json:"dashboard_menu_access"`
	}
	if status, body, ok := parse(in, &req, func(m *missing) {
		m.need("user_id", req.UserID != nil)
		m.need("dashboard_menu_access", req.Menus != nil)
	}); !ok {
		return status, body
	}
	_, u := s.p.findUser(*req.UserID)
	if u == nil {
		return notInTree(*req.UserID)
	}
	applied := make(map[string]bool)
	for k, on := range req.Menus {
		if !s.p.ResellerMenus[k] {
			continue
		}
		if u.Menus == nil {
			u.Menus = make(map[string]bool)
		}
		u.Menus[k], applied[k] = on, on
		s.body = nil
	}
	return ok(map[string]any{"message": "User access control updated successfully", "updated_flags": applied})
}

// expiry sets or clears a user's expiry date, §4: an absent or null
// expiry_date clears it. The list then shows the date as sent.
func (s *Server) expiry(_ url.Values, in []byte) (int, []byte) {
	var req struct {
		UserID *int64  `json:"user_id"`
		Expiry *string `json:"expiry_date"`
	}
	if status, body, ok := parse(in, &req, func(m *missing) { m.need("user_id", req.UserID != nil) }); !ok {
		return status, body
	}
	var date any // null
	if req.Expiry != nil {
		if _, err := time.Parse(time.DateOnly, *req.Expiry); err != nil {
			return badRequest("expiry_date must be a date, YYYY-MM-DD")
		}
		date = *req.Expiry
	}
	_, u := s.p.findUser(*req.UserID)
	if u == nil {
		return notInTree(*req.UserID)
	}
	u.ExpiryDate = ""
	if req.Expiry != nil {
		u.ExpiryDate = *req.Expiry
	}
	s.body = nil
	return ok(map[string]any{"message": "User expiry date updated successfully", "user_id": u.ID, "expiry_date": date})
}

// creditLogs serves a page of the logs, newest first, §9: page from 1,
// page_size 20 by default and at most 100 (larger sizes are served as 100,
// an assumption), date_from and date_to inclusive, compared with each
// entry's date in its own zone.
func (s *Server) creditLogs(q url.Values, _ []byte) (int, []byte) {
	page, size := 1, 20
	for name, dst := range map[string]*int{"page": &page, "page_size": &size} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return badRequest(name + " must be a positive integer")
			}
			*dst = n
		}
	}
	size = min(size, 100)
	from, to := q.Get("date_from"), q.Get("date_to")
	for _, d := range []string{from, to} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			return badRequest("date_from and date_to must be dates, YYYY-MM-DD")
		}
	}
	var logs []CreditLog
	for i := len(s.res.logs) - 1; i >= 0; i-- {
		day := s.res.logs[i].TransferDate.Format(time.DateOnly)
		if (from == "" || day >= from) && (to == "" || day <= to) {
			logs = append(logs, s.res.logs[i])
		}
	}
	total := len(logs)
	start, end := min((page-1)*size, total), min(page*size, total)
	return ok(map[string]any{"data": map[string]any{
		"logs": append([]CreditLog{}, logs[start:end]...), "total_records": total,
		"page": page, "page_size": size, "total_pages": (total + size - 1) / size,
	}})
}
