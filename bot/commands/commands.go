package commands

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
)

// Commands answers /orgs and /org from the latest snapshot, with no API call.
// Slack and the demo console share it, so both show the same answers. It is
// safe for concurrent use: polls swap the index while commands read it.
type Commands struct {
	rule     alerts.LowBalanceRule
	now      func() time.Time
	pageSize int
	index    atomic.Pointer[index]
	health   atomic.Pointer[Health]
	history  History
	spend    atomic.Pointer[map[int64]alerts.Spend]
	digest   func() []render.Message
	charts   bool
}

// History gives an org as it stood earlier, for /org to show how fast its
// balance burns; *store.Store is one.
type History interface {
	OrgAt(id int64, t time.Time) (org omni.Org, found bool, err error)
}

// Health describes the poller for answers: when polls have been failing,
// answers say their data may be stale.
type Health struct {
	// Failures counts the polls that failed in a row, the first at
	// FailingSince; zero when the last poll succeeded.
	Failures     int
	FailingSince time.Time
	// LastError is the last failed poll's error.
	LastError string
}

// defaultPageSize is how many orgs one /orgs page lists.
const defaultPageSize = 20

// New returns a command handler. rule decides which orgs /orgs low lists
// and which /orgs marks; now is the clock for "3 minutes ago".
func New(rule alerts.LowBalanceRule, now func() time.Time) *Commands {
	return &Commands{rule: rule, now: now, pageSize: defaultPageSize}
}

// SetSnapshot makes snap the data commands answer from. The index is
// rebuilt for every poll (about 10 ms for 10,000 orgs), so a change that is
// no org's, such as the reseller's access control, shows at once.
func (c *Commands) SetSnapshot(snap *omni.Snapshot) {
	c.index.Store(newIndex(snap, c.rule))
}

// UseHistory lets /org show each org's spending over the last day. Call it
// before the first command.
func (c *Commands) UseHistory(h History) { c.history = h }

// SetSpend gives /orgs and /org each org's spend over the burn window, the
// figures the poll's forecast used (poll.Result.Spend), so that answers show
// the same forecast as the alerts. nil shows none.
func (c *Commands) SetSpend(spend map[int64]alerts.Spend) { c.spend.Store(&spend) }

// SetHealth records the poller's health for answers to mention.
func (c *Commands) SetHealth(h Health) { c.health.Store(&h) }

// Handle answers one command. command is "/orgs" or "/org" (the slash is
// optional); text is what followed it. The answer is one message, or, for
// an org with many users, up to render.MaxAnswerParts.
func (c *Commands) Handle(command, text string) []render.Message {
	cmd := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(command)), "/")
	text = strings.TrimSpace(text)
	if cmd == "digest" && c.digest != nil {
		return c.digest()
	}
	if strings.EqualFold(text, "help") || (cmd == "org" && text == "") || (cmd != "org" && cmd != "orgs") {
		return []render.Message{render.Help()}
	}
	b := render.Basis{Rule: c.rule, Now: c.now()}
	if s := c.spend.Load(); s != nil {
		b.Spend = *s
	}
	if h := c.health.Load(); h != nil {
		b.Failures, b.FailingSince = h.Failures, h.FailingSince
	}
	ix := c.index.Load()
	if ix == nil {
		return []render.Message{render.NoData(b)}
	}
	b.Snapshot = ix.snap
	if cmd == "org" {
		return c.org(ix, b, text)
	}
	return []render.Message{c.orgs(ix, b, text)}
}

// orgs lists orgs riskiest first, a page at a time: "/orgs", "/orgs low",
// "/orgs page 3", "/orgs low 2".
func (c *Commands) orgs(ix *index, b render.Basis, text string) render.Message {
	list, lowOnly, page := ix.risk, false, 1
	for _, word := range strings.Fields(strings.ToLower(text)) {
		switch {
		case word == "low":
			list, lowOnly = ix.low, true
		case word == "page" || word == "p":
		default:
			n, err := strconv.Atoi(word)
			if err != nil || n < 1 {
				return render.UnknownOrgsOption(text)
			}
			page = n
		}
	}
	pages := max(1, (len(list)+c.pageSize-1)/c.pageSize)
	page = min(page, pages)
	from, to := (page-1)*c.pageSize, min(page*c.pageSize, len(list))
	orgs := make([]*omni.Org, 0, to-from)
	for _, i := range list[from:to] {
		orgs = append(orgs, &ix.snap.Orgs[i])
	}
	return render.Orgs(b, render.Page{Orgs: orgs, Listed: len(list), LowOnly: lowOnly, Number: page, Pages: pages,
		Users: ix.users, Low: len(ix.low)})
}

// org shows the one org the query finds, or what it finds instead.
func (c *Commands) org(ix *index, b render.Basis, query string) []render.Message {
	query, chart := c.chartQuery(query)
	m := ix.lookup(query)
	if m.org == nil {
		return []render.Message{render.Matches(b, query, m.candidates, m.more)}
	}
	return c.withChartButton(render.Org(b, render.OrgCard{Org: m.org, Fuzzy: m.fuzzy, Query: query, Before: c.before(m.org, ix.polledAt)}), m.org.ID, chart)
}

// before is the org as it stood a day before at, when the history reaches
// back that far (not for a new bot or a new org).
func (c *Commands) before(o *omni.Org, at time.Time) *omni.Org {
	if c.history == nil {
		return nil
	}
	then, found, err := c.history.OrgAt(o.ID, at.Add(-render.TrendWindow))
	if err != nil || !found {
		return nil
	}
	return &then
}
