package omnitest

import (
	"math"
	"strconv"
	"time"
)

// SyntheticFirstOrgID is the ID of the first org Synthetic makes; the rest
// follow in order, as the vendor numbers them.
const SyntheticFirstOrgID = 4001

// SyntheticFirstUserID is the ID of the first user Synthetic makes; user IDs
// are unique across the whole payload.
const SyntheticFirstUserID = 1001

// Synthetic returns a made-up reseller with orgs orgs of usersPerOrg users
// each, for benchmarks and the demo. It is deterministic: the same arguments
// give the same payload, byte for byte once encoded, on every platform and
// Go version (it uses its own generator, not math/rand).
//
// The data looks real and carries every quirk the client must survive:
// names like "Acme Logistics 0042" (a few with &, ' or accents), unique
// emails, phone false or a string, login_date null or a zone-less timestamp
// (some without microseconds, as Python prints them), nullable created and
// expiry dates, access_level false, a string or a number, balances spread
// from negative through zero and below 50 to tens of thousands, some free
// orgs (cost_per_min 0), some child api_keys, a few vendor-added fields, and
// mixed menu flags over all 17 known keys. Categories cycle by index, so any
// 20 consecutive orgs include a zero, a negative and a low balance.
//
// Org IDs start at SyntheticFirstOrgID and user IDs at SyntheticFirstUserID.
// 10,000 orgs × 10 users take well under a second.
func Synthetic(orgs, usersPerOrg int, seed int64) *Payload {
	orgs = max(orgs, 0)
	usersPerOrg = max(usersPerOrg, 0)
	r := &splitmix{s: uint64(seed)}
	g := &synth{
		r:    r,
		rot:  int(r.next() % 20),
		base: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		orgsA: [...]string{"Acme", "Blue Harbor", "Summit", "Northwind", "Pioneer", "Crescent",
			"Evergreen", "Silverline", "Redwood", "Atlas", "Beacon", "Cobalt", "Granite",
			"Horizon", "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orchid",
			"Polaris", "Riverside", "Sterling", "Tandem", "Vertex", "Willow", "Zenith",
			"Smith & Sons", "O'Neil", "Café Müller", "Nørdic", "Ōkami"},
		orgsB: [...]string{"Logistics", "Health", "Realty", "Dental", "Insurance", "Motors",
			"Travel", "Foods", "Legal", "Solar", "Fitness", "Finance", "Telecom",
			"Education", "Clinics", "Labs", "Studios", "Retail", "Energy", "Services"},
		first: [...][2]string{{"Ava", "ava"}, {"Liam", "liam"}, {"Noah", "noah"}, {"Emma", "emma"},
			{"Olivia", "olivia"}, {"Mateo", "mateo"}, {"Priya", "priya"}, {"Arjun", "arjun"},
			{"Chloé", "chloe"}, {"José", "jose"}, {"Zoë", "zoe"}, {"Wei", "wei"},
			{"Fatima", "fatima"}, {"Kenji", "kenji"}, {"Sofia", "sofia"}, {"Lucas", "lucas"}},
		last: [...][2]string{{"Smith", "smith"}, {"Garcia", "garcia"}, {"Patel", "patel"},
			{"Nguyen", "nguyen"}, {"O'Brien", "obrien"}, {"Müller", "muller"},
			{"Kowalski", "kowalski"}, {"Sato", "sato"}, {"Okafor", "okafor"},
			{"Johnson", "johnson"}, {"Rossi", "rossi"}, {"Silva", "silva"}},
		zones: [...]string{"US/Pacific", "US/Eastern", "UTC", "Asia/Kolkata", "Europe/London",
			"America/New_York", "Australia/Sydney", "Asia/Dubai"},
		costs: [...]float64{0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3},
	}
	p := &Payload{
		Success: true,
		Reseller: Reseller{
			ID:                  5678,
			Name:                "Synthetic Reseller",
			ConcurrentCallLimit: 10 + orgs/10,
		},
		Orgs:          make([]Org, orgs),
		ResellerMenus: AllFlags(true),
	}
	// One backing array for all users keeps 100,000 users to a few large
	// allocations.
	users := make([]User, orgs*usersPerOrg)
	for i := range p.Orgs {
		p.Orgs[i] = g.org(i, users[i*usersPerOrg:(i+1)*usersPerOrg:(i+1)*usersPerOrg])
	}
	return p
}

// synth holds Synthetic's generator and vocabulary. The word lists live
// here, not in package variables, to keep the package free of mutable
// state.
type synth struct {
	r       *splitmix
	rot     int // rotates the category cycles by seed
	base    time.Time
	nextUID int64
	buf     []byte
	orgsA   [32]string
	orgsB   [20]string
	first   [16][2]string
	last    [12][2]string
	zones   [8]string
	costs   [11]float64
}

func (g *synth) org(i int, users []User) Org {
	r := g.r
	a := g.orgsA[(i*7+r.intn(3))%len(g.orgsA)]
	b := g.orgsB[r.intn(len(g.orgsB))]
	g.buf = append(g.buf[:0], a...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, b...)
	g.buf = append(g.buf, ' ')
	g.buf = appendPadded(g.buf, int64(i+1), 4)
	o := Org{
		ID:                  SyntheticFirstOrgID + int64(i),
		Name:                string(g.buf),
		CostPerMin:          g.costs[r.intn(len(g.costs))],
		CurrencySymbol:      "$",
		UserCurrencySymbol:  "$",
		ConcurrentCallLimit: 1 + r.intn(20),
		Timezone:            g.zones[r.intn(len(g.zones))],
		CreatedDate:         g.stamp(-400*24*time.Hour, 0),
		Users:               users,
	}
	if (i+g.rot)%23 == 5 {
		o.CostPerMin = 0 // free calls: the balance never runs out
	}
	switch (i*7 + g.rot) % 20 {
	case 0:
		o.Balance = 0
	case 1:
		o.Balance = -cents(0.01 + r.float()*50)
	case 2, 3, 4, 5:
		o.Balance = cents(0.01 + r.float()*49.98)
	case 6:
		o.Balance = float64(50 + r.intn(1000)) // whole amounts encode as 13, not 13.0
	default:
		f := r.float()
		o.Balance = cents(50 + f*f*50000)
	}
	switch {
	case (i+g.rot)%11 == 3:
		o.UserCurrencySymbol = "₹"
	case (i+g.rot)%13 == 4:
		o.UserCurrencySymbol = "€"
	}
	if (i+g.rot)%50 == 7 {
		o.CreatedDate = ""
	}
	if (i+g.rot)%10 == 3 {
		g.buf = append(g.buf[:0], "omni_sk_"...)
		for range 3 {
			g.buf = strconv.AppendUint(g.buf, r.next()>>1, 36)
		}
		o.APIKey = string(g.buf)
	}
	if (i+g.rot)%16 == 9 {
		tier := "silver"
		if r.intn(2) == 0 {
			tier = "gold"
		}
		o.Extra = map[string]any{"partner_tier": tier}
	}
	for j := range users {
		users[j] = g.user(&o)
	}
	return o
}

func (g *synth) user(o *Org) User {
	r := g.r
	n := g.nextUID
	g.nextUID++
	first := g.first[r.intn(len(g.first))]
	last := g.last[r.intn(len(g.last))]
	id := SyntheticFirstUserID + n
	u := User{
		ID:       id,
		Name:     first[0] + " " + last[0],
		IsActive: n%9 != 4,
		Menus:    make(map[string]bool, numFlags),
	}
	g.buf = append(g.buf[:0], first[1]...)
	g.buf = append(g.buf, '.')
	g.buf = append(g.buf, last[1]...)
	g.buf = strconv.AppendInt(g.buf, id, 10)
	g.buf = append(g.buf, "@org"...)
	g.buf = strconv.AppendInt(g.buf, o.ID, 10)
	g.buf = append(g.buf, ".example.com"...)
	u.Email = string(g.buf)
	switch n % 5 {
	case 0, 2: // phone false
	case 4:
		g.buf = append(g.buf[:0], "+91 9"...)
		g.buf = appendPadded(g.buf, int64(r.intn(10000)), 4)
		g.buf = append(g.buf, ' ')
		g.buf = appendPadded(g.buf, int64(r.intn(100000)), 5)
		u.Phone = string(g.buf)
	default:
		g.buf = append(g.buf[:0], "+1555"...)
		g.buf = appendPadded(g.buf, int64(r.intn(10000000)), 7)
		u.Phone = string(g.buf)
	}
	if n%4 != 1 {
		u.LoginDate = g.stamp(0, 700*24*time.Hour)
	}
	if n%7 == 3 {
		u.ExpiryDate = g.stamp(700*24*time.Hour, 365*24*time.Hour)
	}
	switch {
	case n%13 == 0:
		u.AccessLevel = "admin"
	case n%29 == 1:
		u.AccessLevel = 2
	}
	for k := 0; k < numFlags; k++ {
		name := flagName(k)
		odds := 35
		switch name {
		case FlagBots, FlagCallLogs, FlagBilling, FlagKnowledgeBase, FlagIntegration, FlagAnalytics:
			odds = 85
		}
		u.Menus[name] = r.intn(100) < odds
	}
	return u
}

// stamp returns a zone-less timestamp at base+from plus up to span, with
// microseconds, except one in twenty, which lands on a whole second and is
// printed without a fraction, as Python's isoformat does.
func (g *synth) stamp(from, span time.Duration) string {
	t := g.base.Add(from)
	if span > 0 {
		t = t.Add(time.Duration(g.r.next() % uint64(span/time.Second) * uint64(time.Second)))
	}
	if g.r.intn(20) == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	t = t.Add(time.Duration(1+g.r.intn(999999)) * time.Microsecond)
	return t.Format("2006-01-02T15:04:05.000000")
}

// cents rounds to whole cents, as money is stored, and never yields -0.
func cents(v float64) float64 {
	c := math.Round(v*100) / 100
	if c == 0 {
		return 0
	}
	return c
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(dst []byte, v int64, width int) []byte {
	var digits [20]byte
	s := strconv.AppendInt(digits[:0], v, 10)
	for pad := width - len(s); pad > 0; pad-- {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// splitmix is the SplitMix64 generator: tiny, fast and fixed forever, so
// Synthetic's output does not change with the Go version.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); n must be positive.
func (r *splitmix) intn(n int) int { return int(r.next() % uint64(n)) }

// float returns a number in [0, 1).
func (r *splitmix) float() float64 { return float64(r.next()>>11) / (1 << 53) }
