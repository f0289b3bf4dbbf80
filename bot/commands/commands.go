package bot

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// Commands answers /orgs and /org from the latest snapshot, with no API call.
// Slack and the demo console share it, so both show the same answers. It is
// safe for concurrent use: polls swap the index while commands read it.
type Commands struct {
	rule     alerts.LowBalanceRule
	now      func() time.Time
	pageSize int
	index    atomic.Pointer[Index]
	health   atomic.Pointer[Health]
	history  History
}

// History gives an org as it stood earlier, for /org to show how fast its
// balance burns; *store.Store is one.
type History interface {
	OrgAt(id int64, t time.Time) (org omni.Org, found bool, err error)
}

// trendWindow is how far back /org looks to measure spending.
const trendWindow = 24 * time.Hour

// Health describes the poller for answers: when polls have been failing,
// answers say their data may be stale.
type Health struct {
	Failures     int
	FailingSince time.Time
	LastError    string
}

// DefaultPageSize is how many orgs one /orgs page lists.
const DefaultPageSize = 20

// NewCommands returns a command handler. rule decides which orgs /orgs low
// lists and which /orgs marks; now is the clock for "3 minutes ago".
func NewCommands(rule alerts.LowBalanceRule, now func() time.Time) *Commands {
	return &Commands{rule: rule, now: now, pageSize: DefaultPageSize}
}

// SetSnapshot makes snap the data commands answer from. The index is
// rebuilt for every poll (about 10 ms for 10,000 orgs), so a change that is
// no org's, such as the reseller's access control, shows at once.
func (c *Commands) SetSnapshot(snap *omni.Snapshot) {
	c.index.Store(NewIndex(snap, c.rule))
}

// UseHistory lets /org show each org's spending over the last day. Call it
// before the first command.
func (c *Commands) UseHistory(h History) { c.history = h }

// SetHealth records the poller's health for answers to mention.
func (c *Commands) SetHealth(h Health) { c.health.Store(&h) }

// MaxAnswerParts is the most messages one answer takes: the first, and
// follow-ups for an org with more users than one message holds. Slack lets
// a command's response_url be used five times.
const MaxAnswerParts = 5

// Handle answers one command. command is "/orgs" or "/org" (the slash is
// optional); text is what followed it. The answer is one message, or, for
// an org with many users, up to MaxAnswerParts.
func (c *Commands) Handle(command, text string) []Message {
	docs := c.answer(command, text)
	msgs := make([]Message, len(docs))
	for i, d := range docs {
		msgs[i] = d.render()
	}
	return msgs
}

func (c *Commands) answer(command, text string) []*doc {
	d := c.answerOne(command, text)
	if d.more != nil {
		return append([]*doc{d}, d.more...)
	}
	return []*doc{d}
}

func (c *Commands) answerOne(command, text string) *doc {
	cmd := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(command)), "/")
	text = strings.TrimSpace(text)
	if strings.EqualFold(text, "help") || (cmd == "org" && text == "") {
		return usage()
	}
	if cmd != "org" && cmd != "orgs" {
		return usage()
	}
	ix := c.index.Load()
	if ix == nil {
		d := &doc{}
		d.notification(txt("No data yet"))
		d.section(line{txt("No data yet: the first poll of the OmniDimension API has not finished. Try again in a minute.")})
		c.healthNote(d)
		return d
	}
	if cmd == "org" {
		return c.org(ix, text)
	}
	return c.orgs(ix, text)
}

func usage() *doc {
	d := &doc{}
	d.notification(txt("resellerbot: /orgs lists every org, /org NAME shows one"))
	d.header("resellerbot")
	d.section(
		line{bold("/orgs"), txt(" — every org, riskiest first (least calling time left), with reseller totals")},
		line{bold("/orgs low"), txt(" — only orgs with a low balance")},
		line{bold("/orgs page 2"), txt(" — the next page")},
		line{bold("/org Acme"), txt(" — one org and all its users, by id, name, prefix or part of the name")},
	)
	d.context(txt("Answers come from the latest poll and only you see them."))
	return d
}

// ageLine says how old the data is.
func (c *Commands) ageLine(ix *Index) span {
	now := c.now()
	return txt("Data from " + Ago(ix.polledAt, now) + " (" + Stamp(ix.polledAt) + ")")
}

// healthNote warns that data may be stale while polls fail.
func (c *Commands) healthNote(d *doc) {
	h := c.health.Load()
	if h == nil || h.Failures == 0 {
		return
	}
	d.context(txt(fmt.Sprintf("⚠️ The last %s failed (since %s); this data may be stale.",
		plural(h.Failures, "poll"), Ago(h.FailingSince, c.now()))))
}

// orgs lists orgs riskiest first, a page at a time: "/orgs", "/orgs low",
// "/orgs page 3", "/orgs low 2".
func (c *Commands) orgs(ix *Index, text string) *doc {
	list, lowOnly, page := ix.risk, false, 1
	for _, word := range strings.Fields(strings.ToLower(text)) {
		switch {
		case word == "low":
			list, lowOnly = ix.low, true
		case word == "page" || word == "p":
		default:
			n, err := strconv.Atoi(word)
			if err != nil || n < 1 {
				return c.orgsUsage(text)
			}
			page = n
		}
	}
	pages := max(1, (len(list)+c.pageSize-1)/c.pageSize)
	page = min(page, pages)
	from, to := (page-1)*c.pageSize, min(page*c.pageSize, len(list))

	d := &doc{}
	title := plural(len(ix.snap.Orgs), "org") + ", riskiest first"
	if lowOnly {
		title = plural(len(list), "org") + " with a low balance"
	}
	d.notification(txt(title))
	d.header("🏢 " + title)
	d.section(c.totals(ix))

	p := newPacker(d, 2)
	for _, i := range list[from:to] {
		p.add(c.orgLine(&ix.snap.Orgs[i]))
	}
	if from == to {
		p.add(line{txt("No org has a low balance. 🎉")})
	}
	p.flush()

	nav := fmt.Sprintf("Page %d of %d", page, pages)
	if page < pages {
		next := "/orgs page " + strconv.Itoa(page+1)
		if lowOnly {
			next = "/orgs low " + strconv.Itoa(page+1)
		}
		nav += " · " + next + " for more"
	}
	if !lowOnly {
		nav += " · /orgs low for low balances only"
	}
	d.context(txt(nav+" · "), c.ageLine(ix))
	c.healthNote(d)
	return d
}

func (c *Commands) orgsUsage(text string) *doc {
	d := &doc{}
	d.notification(txt("Unknown /orgs option"))
	d.section(line{txt("I don't understand “"), txt(text), txt("”. Try "), bold("/orgs"), txt(", "), bold("/orgs low"), txt(" or "), bold("/orgs page 2"), txt(".")})
	return d
}

// totals is the reseller's summary line: orgs, users, balance by currency,
// how many are low.
func (c *Commands) totals(ix *Index) line {
	var currencies []string
	sums := map[string]float64{}
	for i := range ix.snap.Orgs {
		o := &ix.snap.Orgs[i]
		if _, ok := sums[o.Currency]; !ok {
			currencies = append(currencies, o.Currency)
		}
		sums[o.Currency] += o.Balance
	}
	var balances []string
	for _, cur := range currencies {
		balances = append(balances, Money(sums[cur], cur))
	}
	l := line{}
	if name := ix.snap.Reseller.Name; name != "" {
		l = append(l, bold(name), txt(" · "))
	}
	s := plural(len(ix.snap.Orgs), "org") + " · " + plural(ix.users, "user")
	if len(balances) > 0 {
		s += " · total balance " + strings.Join(balances, " + ")
	}
	s += " · " + strconv.Itoa(len(ix.low)) + " low"
	if lim := ix.snap.Reseller.ConcurrentCallLimit; lim > 0 {
		s += " · " + plural(lim, "concurrent call") + " for the reseller"
	}
	return append(l, txt(s))
}

// orgLine is one org in /orgs: "*Beta Co* (4002) · $13.00 · $0.20/min ·
// about 1 hour · 5 concurrent calls · 1 user".
func (c *Commands) orgLine(o *omni.Org) line {
	runway, limited := o.Runway()
	mark := ""
	if c.rule.Breached(o) {
		mark = "⚠️ "
	}
	return append(line{txt(mark)}, append(orgName(alerts.OrgRef{ID: o.ID, Name: o.Name}, true),
		txt(fmt.Sprintf(" · %s · %s · %s · %s · %s", Money(o.Balance, o.Currency), Rate(o.CostPerMin, o.Currency),
			Runway(runway, limited), plural(o.ConcurrentCallLimit, "concurrent call"), plural(len(o.Users), "user"))))...)
}

// org shows one org: its figures, then each user.
func (c *Commands) org(ix *Index, query string) *doc {
	m := ix.Lookup(query)
	d := &doc{}
	switch {
	case m.Org == nil && len(m.Candidates) == 0:
		d.notification(txt("No org matches “"), txt(query), txt("”"))
		d.section(line{txt("No org matches “"), txt(query), txt("”. Try "), bold("/orgs"), txt(" to list them all.")})
		d.context(c.ageLine(ix))
		return d
	case m.Org == nil:
		d.notification(txt(fmt.Sprintf("%d orgs match “", len(m.Candidates)+m.More)), txt(query), txt("”"))
		lines := []line{{txt(fmt.Sprintf("%d orgs match “", len(m.Candidates)+m.More)), txt(query), txt("”:")}}
		for _, o := range m.Candidates {
			lines = append(lines, c.orgLine(o))
		}
		if m.More > 0 {
			lines = append(lines, line{txt(fmt.Sprintf("… and %d more. Narrow it down, or use the id.", m.More))})
		} else {
			lines = append(lines, line{txt("Use "), bold("/org ID"), txt(" to pick one.")})
		}
		d.section(lines...)
		d.context(c.ageLine(ix))
		return d
	}
	o := m.Org
	now := c.now()
	runway, limited := o.Runway()
	d.notification(txt(o.Name), txt(": "+Money(o.Balance, o.Currency)+", "+Runway(runway, limited)+" of calls, "+plural(len(o.Users), "user")))
	d.header("🏢 " + o.Name + " (" + strconv.FormatInt(o.ID, 10) + ")")
	if m.Fuzzy {
		d.context(txt("Closest match for “"), txt(query), txt("”"))
	}
	fs := []field{
		{"Balance", line{txt(Money(o.Balance, o.Currency))}},
		{"Runway", line{txt(Runway(runway, limited))}},
		{"Cost per minute", line{txt(Rate(o.CostPerMin, o.Currency))}},
		{"Concurrent calls", line{txt(strconv.Itoa(o.ConcurrentCallLimit))}},
		{"Users", line{txt(strconv.Itoa(len(o.Users)))}},
	}
	if o.Timezone != "" {
		fs = append(fs, field{"Timezone", line{txt(o.Timezone)}})
	}
	if !o.Created.IsZero() {
		fs = append(fs, field{"Created", line{txt(Stamp(o.Created) + " (" + Ago(o.Created, now) + ")")}})
	}
	if c.rule.Breached(o) {
		fs = append(fs, field{"Status", line{txt("⚠️ low balance")}})
	}
	fs = append(fs, c.trend(o, ix.polledAt)...)
	d.fields(fs...)
	d.divider()

	// Every user: as many as the first message holds, the rest in
	// follow-ups, each ending with the two context lines.
	users := o.Users
	part := d
	for n := 1; ; n++ {
		p := newPacker(part, 2)
		for len(users) > 0 && p.add(c.userLines(&users[0], ix.snap, now)...) {
			users = users[1:]
		}
		if len(o.Users) == 0 {
			p.add(line{txt("No users.")})
		}
		if len(users) > 0 && n == MaxAnswerParts {
			p.note(line{txt(fmt.Sprintf("… and %d more users: more than %d Slack messages hold.", len(users), MaxAnswerParts))})
			users = nil
		}
		p.flush()
		part.context(c.ageLine(ix))
		c.healthNote(part)
		if len(users) == 0 {
			return d
		}
		shown := len(o.Users) - len(users)
		next := &doc{}
		next.notification(txt(o.Name), txt(fmt.Sprintf(": users %d–%d", shown+1, len(o.Users))))
		next.context(append(orgName(alerts.OrgRef{ID: o.ID, Name: o.Name}, true),
			txt(fmt.Sprintf(": users %d to %d, continued", shown+1, len(o.Users))))...)
		d.more = append(d.more, next)
		part = next
	}
}

// trend compares the org's balance with a day before: what it spent, and
// how long the balance lasts at that pace, which says more than the runway
// at full concurrency. It says nothing when history does not reach back a
// day (a new bot, a new org).
func (c *Commands) trend(o *omni.Org, at time.Time) []field {
	if c.history == nil {
		return nil
	}
	then, found, err := c.history.OrgAt(o.ID, at.Add(-trendWindow))
	if err != nil || !found {
		return nil
	}
	spent := then.Balance - o.Balance
	switch {
	case spent >= 0.005:
		perHour := spent / trendWindow.Hours()
		hoursLeft := min(o.Balance/perHour, 1e6) // a trickle: a million hours is "years"
		return []field{
			{"Spent in 24 hours", line{txt(Money(spent, o.Currency) + ", about " + Money(perHour, o.Currency) + " an hour")}},
			{"At that pace", line{txt(Runway(time.Duration(hoursLeft*float64(time.Hour)), true))}},
		}
	case spent <= -0.005:
		return []field{{"Last 24 hours", line{txt("balance up by " + Money(-spent, o.Currency) + " (topped up)")}}}
	}
	return []field{{"Last 24 hours", line{txt("no spending")}}}
}

// userLines is one user as two compact lines: who and when, then menus.
func (c *Commands) userLines(u *omni.User, snap *omni.Snapshot, now time.Time) []line {
	who := line{bold(orDefault(u.Name, "user "+strconv.FormatInt(u.ID, 10)))}
	details := []string{}
	if u.Email != "" {
		details = append(details, u.Email)
	}
	if u.Phone != "" {
		details = append(details, u.Phone)
	}
	login := "never logged in"
	if !u.LastLogin.IsZero() {
		login = "last login " + Ago(u.LastLogin, now)
	}
	details = append(details, login)
	if u.Active {
		details = append(details, "active")
	} else {
		details = append(details, "inactive")
	}
	switch {
	case u.Expiry.IsZero():
		details = append(details, "no expiry")
	case u.Expiry.Before(now):
		details = append(details, "expired "+Ago(u.Expiry, now))
	default:
		details = append(details, "expires "+Ago(u.Expiry, now))
	}
	if u.AccessLevel != "" {
		details = append(details, "access level "+u.AccessLevel)
	}
	who = append(who, txt(" · "+strings.Join(details, " · ")))

	menus := "    Menus: none"
	if keys := u.Menus.Keys(); len(keys) > 0 {
		var labels []string
		known := omni.KnownFlags()
		if u.Menus.Len()-len(u.Menus.Extra()) == len(known) {
			// Seventeen labels say less than "all".
			labels, keys = []string{"all " + strconv.Itoa(len(known))}, u.Menus.Extra()
		}
		for _, k := range keys {
			labels = append(labels, omni.FlagLabel(k))
		}
		menus = "    Menus: " + strings.Join(labels, ", ")
	}
	ml := line{txt(menus)}
	// Without the reseller's access control in the payload there is
	// nothing to compare with.
	if beyond := u.Menus.Minus(snap.Scope); snap.HasScope && len(beyond) > 0 {
		labels := make([]string, len(beyond))
		for i, k := range beyond {
			labels[i] = omni.FlagLabel(k)
		}
		ml = append(ml, txt(" · ⛔ beyond the reseller's scope: "+strings.Join(labels, ", ")))
	}
	return []line{who, ml}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
