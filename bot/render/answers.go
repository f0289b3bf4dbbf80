package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// The answers to /orgs and /org. Finding the org and the page is the
// command handler's job; these write what it found.

// MaxAnswerParts is the most messages one answer takes: the first, and
// follow-ups for an org with more users than one message holds. Slack lets
// a command's response_url be used five times.
const MaxAnswerParts = 5

// TrendWindow is how far back /org looks to measure an org's spending; the
// answer's labels say "24 hours".
const TrendWindow = 24 * time.Hour

// Basis is what an answer is drawn from, and what it says about that data:
// how old it is and whether polls are failing.
type Basis struct {
	// Snapshot is the data; nil before the first poll.
	Snapshot *omni.Snapshot
	// Rule decides which orgs are marked as low.
	Rule alerts.LowBalanceRule
	// Now is the clock reading that "3 minutes ago" is measured from.
	Now time.Time
	// Failures counts the polls that failed in a row, the first at
	// FailingSince: while polls fail, answers warn that data may be stale.
	Failures     int
	FailingSince time.Time
	// Spend is each org's spend over the burn window, to show how long its
	// balance lasts at that pace (see alerts.LowBalanceRule.Forecast); nil
	// shows no forecast.
	Spend map[int64]alerts.Spend
}

// Help lists the commands.
func Help() Message {
	d := &doc{}
	d.notification(txt("resellerbot: /orgs lists every org, /org NAME shows one"))
	d.header("resellerbot")
	d.section(
		line{bold("/orgs"), txt(" — every org, riskiest first (least calling time left), with reseller totals")},
		line{bold("/orgs low"), txt(" — only orgs with a low balance")},
		line{bold("/orgs page 2"), txt(" — the next page")},
		line{bold("/org Acme"), txt(" — one org and all its users, by id, name, prefix or part of the name")},
		line{bold("/org Acme chart"), txt(" — the org, and its 30-day balance chart shared in the channel")},
		line{bold("/digest"), txt(" — the daily digest, now: orgs running out, the day's spend, alerts and API health")},
	)
	d.context(txt("Answers come from the latest poll and only you see them."))
	return d.render()
}

// NoData is the answer before the first poll has finished.
func NoData(b Basis) Message {
	d := &doc{}
	d.notification(txt("No data yet"))
	d.section(line{txt("No data yet: the first poll of the OmniDimension API has not finished. Try again in a minute.")})
	b.healthNote(d)
	return d.render()
}

// UnknownOrgsOption is the answer to /orgs with words it does not take.
func UnknownOrgsOption(text string) Message {
	d := &doc{}
	d.notification(txt("Unknown /orgs option"))
	d.section(line{txt("I don't understand “"), txt(text), txt("”. Try "), bold("/orgs"), txt(", "), bold("/orgs low"), txt(" or "), bold("/orgs page 2"), txt(".")})
	return d.render()
}

// Page is one page of /orgs.
type Page struct {
	// Orgs are the page's orgs, in the order shown.
	Orgs []*omni.Org
	// Listed counts the orgs of the whole list the page is part of.
	Listed int
	// LowOnly is true for /orgs low, which lists only low balances.
	LowOnly bool
	// Number is the page's number, from 1, of Pages.
	Number, Pages int
	// Users and Low count the reseller's users and its orgs with a low
	// balance, for the totals line.
	Users, Low int
}

// Orgs lists a page of orgs under the reseller's totals: "/orgs",
// "/orgs low", "/orgs page 3".
func Orgs(b Basis, p Page) Message {
	snap := b.Snapshot
	d := &doc{}
	title := Plural(len(snap.Orgs), "org") + ", riskiest first"
	if p.LowOnly {
		title = Plural(p.Listed, "org") + " with a low balance"
	}
	d.notification(txt(title))
	d.header("🏢 " + title)
	d.section(totals(snap, p.Users, p.Low))

	pk := newPacker(d, 3)
	for _, o := range p.Orgs {
		pk.add(b.orgLine(o))
	}
	if len(p.Orgs) == 0 {
		pk.add(line{txt("No org has a low balance. 🎉")})
	}
	pk.flush()
	if len(p.Orgs) > 0 {
		d.actions("", detailsMenu(p.Orgs))
	}

	nav := fmt.Sprintf("Page %d of %d", p.Number, p.Pages)
	if p.Number < p.Pages {
		next := "/orgs page " + strconv.Itoa(p.Number+1)
		if p.LowOnly {
			next = "/orgs low " + strconv.Itoa(p.Number+1)
		}
		nav += " · " + next + " for more"
	}
	if !p.LowOnly {
		nav += " · /orgs low for low balances only"
	}
	d.context(txt(nav+" · "), b.ageLine())
	b.healthNote(d)
	return d.render()
}

// Matches is the answer to /org when the query picks out no single org:
// none matches, or several do (orgs, and more beyond those listed).
func Matches(b Basis, query string, orgs []*omni.Org, more int) Message {
	d := &doc{}
	if len(orgs) == 0 {
		d.notification(txt("No org matches “"), txt(query), txt("”"))
		d.section(line{txt("No org matches “"), txt(query), txt("”. Try "), bold("/orgs"), txt(" to list them all.")})
		d.context(b.ageLine())
		return d.render()
	}
	d.notification(txt(fmt.Sprintf("%d orgs match “", len(orgs)+more)), txt(query), txt("”"))
	lines := []line{{txt(fmt.Sprintf("%d orgs match “", len(orgs)+more)), txt(query), txt("”:")}}
	for _, o := range orgs {
		lines = append(lines, b.orgLine(o))
	}
	if more > 0 {
		lines = append(lines, line{txt(fmt.Sprintf("… and %d more. Narrow it down, or use the id.", more))})
	} else {
		lines = append(lines, line{txt("Use "), bold("/org ID"), txt(" to pick one.")})
	}
	d.section(lines...)
	d.context(b.ageLine())
	return d.render()
}

// OrgCard is what /org shows about one org.
type OrgCard struct {
	Org *omni.Org
	// Fuzzy is true when Org is only the closest match for Query.
	Fuzzy bool
	Query string
	// Before is the org as it stood TrendWindow before the snapshot, to
	// show what it spent; nil when history does not reach back that far.
	Before *omni.Org
}

// Org shows one org: its figures, then each user, in as many messages as
// its users need, up to MaxAnswerParts.
func Org(b Basis, c OrgCard) []Message {
	o := c.Org
	runway, limited := o.Runway()
	d := &doc{}
	d.notification(txt(o.Name), txt(": "+Money(o.Balance, o.Currency)+", "+runwayWords(runway, limited)+" of calls, "+Plural(len(o.Users), "user")))
	d.header("🏢 " + o.Name + " (" + strconv.FormatInt(o.ID, 10) + ")")
	if c.Fuzzy {
		d.context(txt("Closest match for “"), txt(c.Query), txt("”"))
	}
	fs := []field{
		{"Balance", line{txt(Money(o.Balance, o.Currency))}},
		{"Runway", line{txt(runwayWords(runway, limited))}},
		{"Cost per minute", line{txt(Rate(o.CostPerMin, o.Currency))}},
		{"Concurrent calls", line{txt(strconv.Itoa(o.ConcurrentCallLimit))}},
		{"Users", line{txt(strconv.Itoa(len(o.Users)))}},
	}
	if o.Timezone != "" {
		fs = append(fs, field{"Timezone", line{txt(o.Timezone)}})
	}
	if !o.Created.IsZero() {
		fs = append(fs, field{"Created", line{txt(stamp(o.Created) + " (" + ago(o.Created, b.Now) + ")")}})
	}
	if b.Rule.Breached(o) {
		fs = append(fs, field{"Status", line{txt("⚠️ low balance")}})
	}
	fs = append(fs, trend(o, c.Before)...)
	if p := b.pace(o); p != "" {
		fs = append(fs, field{"Forecast", line{txt(p)}})
	}
	d.fields(fs...)
	d.divider()

	// Every user: as many as the first message holds, the rest in
	// follow-ups, each ending with the two context lines.
	users := o.Users
	part := d
	for n := 1; ; n++ {
		p := newPacker(part, 2)
		for len(users) > 0 && p.add(userLines(&users[0], b.Snapshot, b.Now)...) {
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
		part.context(b.ageLine())
		b.healthNote(part)
		if len(users) == 0 {
			break
		}
		shown := len(o.Users) - len(users)
		next := &doc{}
		next.notification(txt(o.Name), txt(fmt.Sprintf(": users %d–%d", shown+1, len(o.Users))))
		next.context(append(orgName(alerts.OrgRef{ID: o.ID, Name: o.Name}, true),
			txt(fmt.Sprintf(": users %d to %d, continued", shown+1, len(o.Users))))...)
		d.more = append(d.more, next)
		part = next
	}
	msgs := make([]Message, 0, 1+len(d.more))
	msgs = append(msgs, d.render())
	for _, m := range d.more {
		msgs = append(msgs, m.render())
	}
	return msgs
}

// ageLine says how old the data is.
func (b Basis) ageLine() span {
	at := b.Snapshot.PolledAt
	return txt("Data from " + ago(at, b.Now) + " (" + stamp(at) + ")")
}

// healthNote warns that data may be stale while polls fail.
func (b Basis) healthNote(d *doc) {
	if b.Failures == 0 {
		return
	}
	d.context(txt(fmt.Sprintf("⚠️ The last %s failed (since %s); this data may be stale.",
		Plural(b.Failures, "poll"), ago(b.FailingSince, b.Now))))
}

// totals is the reseller's summary line: orgs, users, balance by currency,
// how many are low.
func totals(snap *omni.Snapshot, users, low int) line {
	var currencies []string
	sums := map[string]float64{}
	for i := range snap.Orgs {
		o := &snap.Orgs[i]
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
	if name := snap.Reseller.Name; name != "" {
		l = append(l, bold(name), txt(" · "))
	}
	s := Plural(len(snap.Orgs), "org") + " · " + Plural(users, "user")
	if len(balances) > 0 {
		s += " · total balance " + strings.Join(balances, " + ")
	}
	s += " · " + strconv.Itoa(low) + " low"
	if lim := snap.Reseller.ConcurrentCallLimit; lim > 0 {
		s += " · " + Plural(lim, "concurrent call") + " for the reseller"
	}
	return append(l, txt(s))
}

// orgLine is one org in a list: "*Beta Co* (4002) · $13.00 · $0.20/min ·
// about 1 hour · 5 concurrent calls · 1 user".
func (b Basis) orgLine(o *omni.Org) line {
	runway, limited := o.Runway()
	mark := ""
	if b.Rule.Breached(o) {
		mark = "⚠️ "
	}
	return append(line{txt(mark)}, append(orgName(alerts.OrgRef{ID: o.ID, Name: o.Name}, true),
		txt(fmt.Sprintf(" · %s · %s · %s · %s · %s", Money(o.Balance, o.Currency), Rate(o.CostPerMin, o.Currency),
			runwayWords(runway, limited), Plural(o.ConcurrentCallLimit, "concurrent call"), Plural(len(o.Users), "user")+b.paceSuffix(o))))...)
}

// trend compares the org's balance with before, TrendWindow earlier: what
// it spent, and how long the balance lasts at that pace, which says more
// than the runway at full concurrency. It says nothing without before (a
// new bot, a new org).
func trend(o, before *omni.Org) []field {
	if before == nil {
		return nil
	}
	spent := before.Balance - o.Balance
	switch {
	case spent >= 0.005:
		perHour := spent / TrendWindow.Hours()
		hoursLeft := min(o.Balance/perHour, 1e6) // a trickle: a million hours is "years"
		return []field{
			{"Spent in 24 hours", line{txt(Money(spent, o.Currency) + ", about " + Money(perHour, o.Currency) + " an hour")}},
			{"At that pace", line{txt(runwayWords(time.Duration(hoursLeft*float64(time.Hour)), true))}},
		}
	case spent <= -0.005:
		return []field{{"Last 24 hours", line{txt("balance up by " + Money(-spent, o.Currency) + " (topped up)")}}}
	}
	return []field{{"Last 24 hours", line{txt("no spending")}}}
}

// userLines is one user as two compact lines: who and when, then menus.
func userLines(u *omni.User, snap *omni.Snapshot, now time.Time) []line {
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
		login = "last login " + ago(u.LastLogin, now)
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
		details = append(details, "expired "+ago(u.Expiry, now))
	default:
		details = append(details, "expires "+ago(u.Expiry, now))
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
