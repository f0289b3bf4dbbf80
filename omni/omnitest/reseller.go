package omnitest

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"
)

// The reseller endpoints besides OrganizationsPath, relative to the base
// URL, as in the vendor's reseller API reference. Use them as
// Fault.Endpoint and with Calls.
const (
	AddUserPath       = "/reseller/users/add"
	AccessControlPath = "/reseller/users/access-control"
	ExpiryPath        = "/reseller/users/expiry"
	ConcurrencyPath   = "/reseller/concurrency"
	CalculatePath     = "/reseller/credits/calculate"
	TransferPath      = "/reseller/credits/transfer"
	RevertPath        = "/reseller/credits/revert"
	CreditLogsPath    = "/reseller/credits/logs"
)

// The reseller's money at the start, taken from the vendor's examples: a
// transfer of 20 minutes at 0.20 takes the reseller from 61.613 to 59.813,
// so its wholesale rate is 0.09 a minute.
const (
	DefaultResellerBalance = 61.613
	DefaultWholesaleRate   = 0.09
)

// The log types of CreditLog.TransactionType.
const (
	// LogTransfer is a transfer, or a new user's welcome minutes.
	LogTransfer = "credit_transfer"
	// LogRevert is a revert.
	LogRevert = "credit_revert"
	// LogChannels is a concurrency change that moved slots.
	LogChannels = "channel_allocation"
)

// CreditLog is one entry of GET /reseller/credits/logs, field for field.
// The fake records one for every transfer and revert (welcome minutes of a
// new user included) and for every concurrency change that moves slots.
type CreditLog struct {
	ID int64 `json:"id"`
	// TransferReference is prefix-UTC time-reseller-child, such as
	// CT-20260115110440-5678-4002: CT for a transfer, CR for a revert
	// (assumed; the vendor shows no revert) and CH for channels.
	TransferReference    string  `json:"transfer_reference"`
	ResellerOrganization LogOrg  `json:"reseller_organization"`
	FromOrganization     LogOrg  `json:"from_organization"`
	ToOrganization       LogOrg  `json:"to_organization"`
	CreditAmount         float64 `json:"credit_amount"`
	// CostAmount is the reseller's side: negative for a transfer, as in
	// the vendor's example; positive for a revert (assumed, as it is the
	// refund the reseller receives).
	CostAmount        float64 `json:"cost_amount"`
	FromBalanceBefore float64 `json:"from_balance_before"`
	FromBalanceAfter  float64 `json:"from_balance_after"`
	ToBalanceBefore   float64 `json:"to_balance_before"`
	ToBalanceAfter    float64 `json:"to_balance_after"`
	// TransferDate is the server's clock (see WithClock) to the second, in
	// the clock's zone, encoded with its offset.
	TransferDate     time.Time `json:"transfer_date"`
	PerformedBy      LogUser   `json:"performed_by"`
	Status           string    `json:"status"`
	TransactionType  string    `json:"transaction_type"`
	ChannelsCount    int       `json:"channels_count"`
	PreviousChannels int       `json:"previous_channels"`
	NewChannels      int       `json:"new_channels"`
	Notes            string    `json:"notes"`
}

// LogOrg is an organization in a CreditLog.
type LogOrg struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// LogUser is the reseller's user in a CreditLog.
type LogUser struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// resellerState is what the reseller endpoints keep besides the Payload.
// It is guarded by Server.mu.
type resellerState struct {
	balance float64
	rate    float64
	// pool is the number of free concurrency slots.
	pool  int
	logs  []CreditLog
	calls map[string]int64
	now   func() time.Time
}

// newResellerState starts with the default balance and rate, and a pool
// holding what the reseller's limit leaves after its children's limits.
// The vendor's own examples do not add up this way, so this is a choice:
// it keeps the pool from going negative on any fixture.
func newResellerState(p *Payload) resellerState {
	used := 0
	for i := range p.Orgs {
		used += p.Orgs[i].ConcurrentCallLimit
	}
	return resellerState{
		balance: DefaultResellerBalance,
		rate:    DefaultWholesaleRate,
		pool:    max(p.Reseller.ConcurrentCallLimit-used, 0),
		calls:   make(map[string]int64),
		now:     time.Now,
	}
}

// WithClock sets the clock that dates credit logs and new organizations
// (default time.Now). Give it a zone with an offset, such as +05:30, to
// serve dates as the vendor does.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.res.now = now }
}

// withLock runs fn under the server's lock.
func (s *Server) withLock(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// ResellerBalance returns the reseller's balance: what transfers draw on.
func (s *Server) ResellerBalance() (v float64) {
	s.withLock(func() { v = s.res.balance })
	return v
}

// SetResellerBalance sets the reseller's balance (default
// DefaultResellerBalance).
func (s *Server) SetResellerBalance(v float64) { s.withLock(func() { s.res.balance = v }) }

// SetWholesaleRate sets what a minute costs the reseller (default
// DefaultWholesaleRate).
func (s *Server) SetWholesaleRate(v float64) { s.withLock(func() { s.res.rate = v }) }

// ConcurrencyPool returns the reseller's free concurrency slots.
func (s *Server) ConcurrencyPool() (n int) {
	s.withLock(func() { n = s.res.pool })
	return n
}

// SetConcurrencyPool sets the reseller's free concurrency slots.
func (s *Server) SetConcurrencyPool(n int) { s.withLock(func() { s.res.pool = n }) }

// CreditLogs returns every credit log entry so far, oldest first (the
// endpoint serves them newest first).
func (s *Server) CreditLogs() (logs []CreditLog) {
	s.withLock(func() { logs = slices.Clone(s.res.logs) })
	return logs
}

// Calls returns how many requests reached an endpoint (such as
// TransferPath, or OrganizationsPath) with its method, whatever their key
// and whatever fault answered them.
func (s *Server) Calls(endpoint string) (n int64) {
	s.withLock(func() { n = s.res.calls[endpoint] })
	return n
}

// countCall counts a request for Calls.
func (s *Server) countCall(endpoint string) { s.withLock(func() { s.res.calls[endpoint]++ }) }

// endpointMethod returns the method an endpoint is served with, or "" for
// a path that is no endpoint.
func endpointMethod(endpoint string) string {
	switch endpoint {
	case OrganizationsPath, CreditLogsPath:
		return http.MethodGet
	case AddUserPath, AccessControlPath, ExpiryPath, ConcurrencyPath, CalculatePath, TransferPath, RevertPath:
		return http.MethodPost
	}
	return ""
}

// maxRequest bounds a request body; the vendor's are a few hundred bytes.
const maxRequest = 1 << 20

// readRequest reads a request's body. A body cut short fails to decode
// later, which answers 400, as a vendor would. A GET has none, and the
// polls that benchmarks make must not pay for reading it.
func readRequest(r *http.Request) []byte {
	if r.ContentLength == 0 {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	return b
}

// nextOrgID is the next free org ID, at least SyntheticFirstOrgID.
func (p *Payload) nextOrgID() int64 {
	id := int64(SyntheticFirstOrgID)
	for i := range p.Orgs {
		id = max(id, p.Orgs[i].ID+1)
	}
	return id
}

// nextUserID is the next user ID free across all orgs, at least
// SyntheticFirstUserID.
func (p *Payload) nextUserID() int64 {
	id := int64(SyntheticFirstUserID)
	for i := range p.Orgs {
		for j := range p.Orgs[i].Users {
			id = max(id, p.Orgs[i].Users[j].ID+1)
		}
	}
	return id
}

// findUser returns a user of any org and its org, or nils.
func (p *Payload) findUser(id int64) (*Org, *User) {
	for i := range p.Orgs {
		if u := p.Orgs[i].user(id); u != nil {
			return &p.Orgs[i], u
		}
	}
	return nil, nil
}

// money rounds an amount to the vendor's three decimals, so that 20 × 0.09
// is 1.8 and balances do not drift by float error.
func money(v float64) float64 { return math.Round(v*1000) / 1000 }

// logMove appends a credit log entry stamped now, numbering it.
func (s *Server) logMove(kind, prefix string, child *Org, e CreditLog) {
	now := s.res.now().Truncate(time.Second)
	reseller := LogOrg{ID: s.p.Reseller.ID, Name: s.p.Reseller.Name}
	e.ID = int64(len(s.res.logs) + 1)
	e.TransferReference = fmt.Sprintf("%s-%s-%d-%d", prefix, now.UTC().Format("20060102150405"), reseller.ID, child.ID)
	e.ResellerOrganization = reseller
	e.FromOrganization, e.ToOrganization = reseller, LogOrg{ID: child.ID, Name: child.Name}
	if kind == LogRevert {
		e.FromOrganization, e.ToOrganization = e.ToOrganization, e.FromOrganization
	}
	e.TransferDate = now
	e.PerformedBy = LogUser{ID: 1, Name: "Reseller Admin", Email: "admin@reseller.example"}
	e.Status = "success"
	e.TransactionType = kind
	s.res.logs = append(s.res.logs, e)
}
