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
	h, found := map[string]func(url.Values, []byte) (int, []byte){
		AddUserPath: s.addUser, AccessControlPath: s.accessControl, ExpiryPath: s.expiry, ConcurrencyPath: s.concurrency,
		CalculatePath: s.calculate, TransferPath: s.transfer, RevertPath: s.revert, CreditLogsPath: s.creditLogs,
	}[endpoint]
	if !found {
		return http.StatusNotFound, ErrorBody(http.StatusNotFound)
	}
	status, body := h(q, in)
	if duplicate {
		h(q, in)
	}
	return status, body
}

// field is a required field of a request and where to decode it.
type field struct {
	key string
	dst any
}

// parseFields decodes the given fields of a JSON object body. All are
// required: absent, null or "" counts as missing, and the 400 it returns
// when ok is false names every missing one, as the vendor's errors page
// describes. The caller decodes optional fields itself.
func parseFields(in []byte, fields ...field) (status int, body []byte, ok bool) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(in, &raw); err != nil {
		status, body = malformed(err)
		return status, body, false
	}
	var missing []string
	for _, f := range fields {
		v, found := raw[f.key]
		if !found || string(v) == "null" || string(v) == `""` {
			missing = append(missing, f.key)
			continue
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			status, body = malformed(fmt.Errorf("%s: %w", f.key, err))
			return status, body, false
		}
	}
	if len(missing) > 0 {
		status, body = badRequest("Missing required fields: " + strings.Join(missing, ", "))
		return status, body, false
	}
	return 0, nil, true
}

// childAmount parses a request that names a child org (orgKey) and an
// amount of minutes or slots (amountKey), both required with the extra
// fields, and checks them: the org must be the reseller's and the amount
// at least least. It returns the org, or nil and the 400 to answer.
func (s *Server) childAmount(in []byte, orgKey, amountKey string, least int, extra ...field) (o *Org, amount, status int, body []byte) {
	var id int64
	if status, body, ok := parseFields(in, append([]field{{orgKey, &id}, {amountKey, &amount}}, extra...)...); !ok {
		return nil, 0, status, body
	}
	if amount < least {
		status, body = tooFew(amountKey, least)
		return nil, 0, status, body
	}
	if o = s.p.org(id); o == nil {
		status, body = refuse(false, "Organization %d is not a child organization of this reseller", id)
	}
	return o, amount, status, body
}

// childUser parses a request that names a user of the reseller's
// ("user_id", required with the extra fields) and finds the user. It
// returns the user, or nil and the 400 to answer.
func (s *Server) childUser(in []byte, extra ...field) (u *User, status int, body []byte) {
	var id int64
	if status, body, ok := parseFields(in, append([]field{{"user_id", &id}}, extra...)...); !ok {
		return nil, status, body
	}
	if _, u = s.p.findUser(id); u == nil {
		status, body = refuse(false, "User %d does not belong to any of your child organizations", id)
	}
	return u, status, body
}

func tooFew(key string, least int) (int, []byte) {
	return refuse(false, "%s must be %d or more", key, least)
}

func malformed(err error) (int, []byte) { return badRequest("Malformed JSON body: " + err.Error()) }

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

// calculate previews a transfer or a revert: POST /reseller/credits/calculate.
func (s *Server) calculate(_ url.Values, in []byte) (int, []byte) {
	var mode struct {
		IsRevert bool `json:"is_revert"`
	}
	if err := json.Unmarshal(in, &mode); err != nil {
		return malformed(err)
	}
	rate := s.res.rate
	if mode.IsRevert {
		o, minutes, status, body := s.childAmount(in, "child_organization_id", "minutes", 1)
		if o == nil {
			return status, body
		}
		deduction := money(float64(minutes) * o.CostPerMin)
		return ok(map[string]any{
			"refund_amount": money(float64(minutes) * rate), "deduction_amount": deduction, "child_balance": o.Balance,
			"child_available_minutes": minutesFor(o.Balance, o.CostPerMin),
			"new_child_balance":       money(o.Balance - deduction), "reseller_rate": rate,
			"currency_symbol": o.CurrencySymbol,
		})
	}
	var minutes int
	var cpm float64
	if status, body, ok := parseFields(in, field{"minutes", &minutes}, field{"cost_per_min", &cpm}); !ok {
		return status, body
	}
	if minutes < 1 {
		return tooFew("minutes", 1)
	}
	cost, credit := money(float64(minutes)*rate), money(float64(minutes)*cpm)
	return ok(map[string]any{
		"my_cost": cost, "user_credit": credit, "profit": money(credit - cost),
		"margin": money(cpm - rate), "reseller_balance": s.res.balance,
		"reseller_available_minutes": minutesFor(s.res.balance, rate),
		"new_reseller_balance":       money(s.res.balance - cost), "reseller_rate": rate, "currency_symbol": "$",
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
	var cpm float64
	o, minutes, status, body := s.childAmount(in, "to_organization_id", "minutes", 1, field{"cost_per_min", &cpm})
	if o == nil {
		return status, body
	}
	rate := s.res.rate
	if cpm < rate {
		return refuse(false, "cost_per_min %.3f is below your own rate of %.3f per minute", cpm, rate)
	}
	cost, credit := money(float64(minutes)*rate), money(float64(minutes)*cpm)
	if cost > s.res.balance {
		return refuse(true, "Insufficient reseller balance: %d minutes cost %.3f and the balance is %.3f",
			minutes, cost, s.res.balance)
	}
	s.moveCredit(o, LogTransfer, -cost, credit, fmt.Sprintf("Transfer of %d minutes at %.2f/min", minutes, cpm))
	return ok(map[string]any{"message": "Credits allocated successfully",
		"new_from_balance": s.res.balance, "new_to_balance": o.Balance})
}

// revert takes minutes back from a child, §8 of the reference: the child
// loses minutes × its current cost_per_min, the reseller gets back
// minutes × its wholesale rate. A child without that much balance is
// refused (the reference leaves it open).
func (s *Server) revert(_ url.Values, in []byte) (int, []byte) {
	o, minutes, status, body := s.childAmount(in, "from_organization_id", "minutes", 1)
	if o == nil {
		return status, body
	}
	deduction, refund := money(float64(minutes)*o.CostPerMin), money(float64(minutes)*s.res.rate)
	if deduction > o.Balance {
		return refuse(true, "Insufficient balance in %s: %d minutes are %.3f and the balance is %.3f",
			o.Name, minutes, deduction, o.Balance)
	}
	s.moveCredit(o, LogRevert, refund, -deduction, fmt.Sprintf("Revert of %d minutes at %.2f/min", minutes, o.CostPerMin))
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
	o, limit, status, body := s.childAmount(in, "child_organization_id", "new_limit", 0)
	if o == nil {
		return status, body
	}
	old := o.ConcurrentCallLimit
	delta := limit - old
	if delta > s.res.pool {
		return refuse(false, "Insufficient concurrency slots: raising %s from %d to %d needs %d, and %d are free",
			o.Name, old, limit, delta, s.res.pool)
	}
	if delta != 0 {
		s.res.pool -= delta
		o.ConcurrentCallLimit = limit
		s.body = nil
		s.logMove(LogChannels, "CH", o, CreditLog{ChannelsCount: delta, PreviousChannels: old, NewChannels: limit,
			FromBalanceBefore: s.res.balance, FromBalanceAfter: s.res.balance, ToBalanceBefore: o.Balance, ToBalanceAfter: o.Balance,
			Notes: fmt.Sprintf("Concurrency changed from %d to %d", old, limit)})
	}
	return ok(map[string]any{"message": "Concurrency limit updated successfully.",
		"child_limit": o.ConcurrentCallLimit, "reseller_available": s.res.pool})
}

// accessControl updates some of a user's menus, §3: flags the reseller's
// own access control does not enable are dropped without an error, and
// "updated_flags" lists those applied.
func (s *Server) accessControl(_ url.Values, in []byte) (int, []byte) {
	var menus map[string]bool
	u, status, body := s.childUser(in, field{"dashboard_menu_access", &menus})
	if u == nil {
		return status, body
	}
	applied := make(map[string]bool)
	for k, on := range menus {
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
	u, status, body := s.childUser(in)
	if u == nil {
		return status, body
	}
	var opt struct {
		Expiry *string `json:"expiry_date"`
	}
	if err := json.Unmarshal(in, &opt); err != nil {
		return malformed(err)
	}
	var date any // null
	if opt.Expiry != nil {
		if _, err := time.Parse(time.DateOnly, *opt.Expiry); err != nil {
			return badRequest("expiry_date must be a date, YYYY-MM-DD")
		}
		date = *opt.Expiry
	}
	u.ExpiryDate = ""
	if opt.Expiry != nil {
		u.ExpiryDate = *opt.Expiry
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
