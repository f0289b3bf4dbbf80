package omnitest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// addUser creates a user and its org, §2 of the reference, if it fits: the
// welcome minutes are a transfer at the new org's rate (paid at the
// wholesale rate, and logged), and the concurrent call limit comes out of
// the pool; too little of either refuses the whole request. The reference
// leaves both open. A cost_per_min below the reseller's rate and an email
// already in use are refused; without cost_per_min the org pays the
// reseller's own rate. The password is checked for presence and not kept.
func (s *Server) addUser(_ url.Values, in []byte) (int, []byte) {
	var name, email, phone, password string
	if status, body, ok := parseFields(in, field{"name", &name}, field{"email", &email},
		field{"phone", &phone}, field{"password", &password}); !ok {
		return status, body
	}
	var req struct {
		Welcome    int      `json:"welcome_minutes_to_credit"`
		CostPerMin *float64 `json:"cost_per_min"`
		Limit      int      `json:"concurrent_call_limit"`
		Expiry     string   `json:"expiry_date"`
		Currency   string   `json:"user_currency"`
	}
	if err := json.Unmarshal(in, &req); err != nil {
		return malformed(err)
	}
	if req.Expiry != "" {
		if _, err := time.Parse(time.DateOnly, req.Expiry); err != nil {
			return badRequest("expiry_date must be a date, YYYY-MM-DD")
		}
	}
	rate := s.res.rate
	cpm := rate
	if req.CostPerMin != nil {
		cpm = *req.CostPerMin
	}
	cost := money(float64(req.Welcome) * rate)
	switch {
	case req.Welcome < 0 || req.Limit < 0:
		return refuse(false, "welcome_minutes_to_credit and concurrent_call_limit must be 0 or more")
	case cpm < rate:
		return refuse(false, "cost_per_min %.3f is below your own rate of %.3f per minute", cpm, rate)
	case s.emailTaken(email):
		return refuse(false, "A user with email %s already exists", email)
	case cost > s.res.balance:
		return refuse(true, "Insufficient reseller balance: %d welcome minutes cost %.3f and the balance is %.3f",
			req.Welcome, cost, s.res.balance)
	case req.Limit > s.res.pool:
		return refuse(false, "Insufficient concurrency slots: %d requested, %d free", req.Limit, s.res.pool)
	}
	symbol := currencySymbol(req.Currency)
	o := Org{
		ID: s.p.nextOrgID(), Name: name + "'s Organization", CostPerMin: cpm,
		CurrencySymbol: symbol, UserCurrencySymbol: symbol, ConcurrentCallLimit: req.Limit, Timezone: "UTC",
		CreatedDate: s.res.now().UTC().Format("2006-01-02T15:04:05.000000"),
		Users: []User{{ID: s.p.nextUserID(), Name: name, Email: email, Phone: phone,
			IsActive: true, ExpiryDate: req.Expiry, Menus: map[string]bool{}}},
	}
	s.p.Orgs = append(s.p.Orgs, o)
	org := &s.p.Orgs[len(s.p.Orgs)-1]
	s.res.pool -= req.Limit
	s.body = nil
	if req.Welcome > 0 {
		s.moveCredit(org, LogTransfer, -cost, money(float64(req.Welcome)*cpm),
			fmt.Sprintf("Welcome credit of %d minutes at %.2f/min", req.Welcome, cpm))
	}
	return ok(map[string]any{"message": "User and organization created successfully",
		"user_id": org.Users[0].ID, "organization_id": org.ID, "organization_name": org.Name,
		"organization_balance": org.Balance, "cost_per_min": cpm})
}

// emailTaken reports whether any user has the email, ignoring case.
func (s *Server) emailTaken(email string) bool {
	for i := range s.p.Orgs {
		for _, u := range s.p.Orgs[i].Users {
			if strings.EqualFold(u.Email, email) {
				return true
			}
		}
	}
	return false
}

// currencySymbol is the symbol the list shows for an ISO 4217 code: the
// reseller's "$" by default, the code itself when the fake knows no
// symbol.
func currencySymbol(code string) string {
	switch strings.ToUpper(code) {
	case "", "USD":
		return "$"
	case "INR":
		return "₹"
	case "EUR":
		return "€"
	case "GBP":
		return "£"
	}
	return code
}
