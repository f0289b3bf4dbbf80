package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// The daily digest and the Home tab: one look at the reseller in the
// morning rather than every alert. Both are drawn from an Overview; what
// goes into it (runways, the day's spend, poll counts) is bot/daily's work.

// Overview is what the daily digest and the Home tab show.
type Overview struct {
	Basis
	// From and To are the day the digest looks back on.
	From, To time.Time
	// RunwayWithin is the runway below which an org is listed as at risk.
	RunwayWithin time.Duration
	// Risky are the orgs with less runway than RunwayWithin, riskiest
	// first; RiskyTotal counts them all, when only the first are given.
	Risky      []*omni.Org
	RiskyTotal int
	// Forecast is, by org ID, how long the balance lasts at the last day's
	// pace of spend, where that is shorter than its runway.
	Forecast map[int64]time.Duration
	// Riskiest are the orgs with the least runway, whatever it is, for
	// the Home tab.
	Riskiest []*omni.Org
	// Spenders are the day's biggest spenders, biggest first, and
	// SpendersTotal counts every org that spent.
	Spenders      []Spender
	SpendersTotal int
	// Changes counts the day's alerts by kind.
	Changes map[alerts.Kind]int
	// Episodes are the alerts still open.
	Episodes []Episode
	// PollsOK and PollsFailed count the day's polls.
	PollsOK, PollsFailed int
	// ShortHistory is set when the history began after From: the spend
	// covers less than the day.
	ShortHistory bool
}

// Spender is one org's spend over the day.
type Spender struct {
	Org      alerts.OrgRef
	Currency string
	Spend    float64
}

// Episode is an alert still open: a low balance not yet recovered, an
// outage not yet over, with who snoozed or acknowledged it.
type Episode struct {
	Kind alerts.Kind
	// Org is the org it is about; zero for the reseller's (an outage).
	Org alerts.OrgRef
	// Since is when it began.
	Since time.Time
	// SnoozedUntil is when a snooze ends; zero when not snoozed.
	SnoozedUntil time.Time
	// AckedBy names who acknowledged it; "" when nobody has.
	AckedBy string
}

// Each list of the digest holds at most so many lines and characters, so
// that the whole message stays within Slack's limits for any number of
// orgs; what is left over is counted in a closing line.
const (
	dailyListLines = 15
	dailyListText  = 2000
)

// DailyDigest writes the daily digest.
func DailyDigest(o Overview) Message {
	d := &doc{}
	title := "Daily digest for " + o.To.In(o.From.Location()).Format("Mon 2 Jan 2006")
	d.notification(txt(fmt.Sprintf("%s: %d at risk, %s, %s", title, o.RiskyTotal, Plural(o.PollsOK+o.PollsFailed, "poll"),
		orDefault(changeCounts(o.Changes), "no alerts"))))
	d.header("☀️ " + title)
	if o.Snapshot == nil {
		d.section(line{txt("No data yet: the first poll of the OmniDimension API has not finished.")})
		return d.render()
	}
	d.section(totals(o.Snapshot, o.Snapshot.UserCount(), o.lowCount()))
	d.section(o.riskLines()...)
	d.section(o.spendLines()...)
	d.section(line{bold("The day's alerts: "), txt(orDefault(changeCounts(o.Changes), "none"))})
	d.section(episodeLines(o.Episodes, o.Now, dailyListLines)...)
	d.context(txt(o.healthText()))
	o.healthNote(d)
	return d.render()
}

func (o *Overview) lowCount() int {
	n := 0
	for i := range o.Snapshot.Orgs {
		if o.Rule.Breached(&o.Snapshot.Orgs[i]) {
			n++
		}
	}
	return n
}

// riskLines lists the orgs at risk under a heading.
func (o *Overview) riskLines() []line {
	head := line{bold(fmt.Sprintf("Running out within %s: %s", approx(o.RunwayWithin), Plural(o.RiskyTotal, "org")))}
	lines := make([]line, 0, len(o.Risky))
	for _, org := range o.Risky {
		l := o.orgLine(org)
		if f, ok := o.Forecast[org.ID]; ok {
			l = append(l, txt(" · at the last day's pace, "+runwayWords(f, true)+" left"))
		}
		lines = append(lines, l)
	}
	return capList(head, lines, o.RiskyTotal, "org", "none")
}

// spendLines lists the day's biggest spenders under a heading.
func (o *Overview) spendLines() []line {
	head := line{bold("Biggest spenders of the day")}
	if o.ShortHistory {
		head = append(head, txt(" (the history covers less than the day)"))
	}
	lines := make([]line, 0, len(o.Spenders))
	for _, s := range o.Spenders {
		lines = append(lines, append(orgName(s.Org, true), txt(" · "+Money(s.Spend, s.Currency))))
	}
	return capList(head, lines, o.SpendersTotal, "org", "no org spent anything")
}

// capList is a heading and as many lines as fit a list's share of the
// message, then a count of the rest of total.
func capList(head line, lines []line, total int, noun, none string) []line {
	out := []line{head}
	if total == 0 {
		return append(out, line{txt(none)})
	}
	size := head.len()
	shown := 0
	for _, l := range lines {
		n := l.len() + 1
		if shown == dailyListLines || size+n > dailyListText {
			break
		}
		out = append(out, l)
		size += n
		shown++
	}
	if rest := total - shown; rest > 0 {
		more := strings.Replace(Plural(rest, noun), " ", " more ", 1)
		out = append(out, line{txt("… and " + more)})
	}
	return out
}

// changeCounts counts alerts by kind in display order: "9 low balance, 3
// new users".
func changeCounts(counts map[alerts.Kind]int) string {
	var parts []string
	for _, k := range alerts.Kinds() {
		if n := counts[k]; n > 0 {
			info, _ := kindOf(k)
			parts = append(parts, info.counted(n))
		}
	}
	return strings.Join(parts, ", ")
}

// episodeLines lists open episodes, at most limit of them.
func episodeLines(eps []Episode, now time.Time, limit int) []line {
	head := line{bold("Open: " + Plural(len(eps), "alert"))}
	lines := make([]line, 0, len(eps))
	for i := range eps {
		lines = append(lines, episodeLine(&eps[i], now))
	}
	return capList(head, lines[:min(len(lines), limit)], len(eps), "alert", "nothing open 🎉")
}

// episodeLine is "⚠️ Low balance · *Beta Co* (4002) · since 3 hours ago ·
// snoozed until … · acknowledged by Ann".
func episodeLine(e *Episode, now time.Time) line {
	k, _ := kindOf(e.Kind)
	l := line{txt(k.emoji + " " + k.title + " · ")}
	if e.Org.ID != 0 {
		l = append(l, orgName(e.Org, true)...)
		l = append(l, txt(" · "))
	}
	l = append(l, txt("since "+ago(e.Since, now)))
	if e.SnoozedUntil.After(now) {
		l = append(l, txt(" · 💤 snoozed until "+stamp(e.SnoozedUntil)))
	}
	if e.AckedBy != "" {
		l = append(l, txt(" · 👀 acknowledged by "), txt(e.AckedBy))
	}
	return l
}

// healthText says how the day's polls went and when the last one was.
func (o *Overview) healthText() string {
	s := fmt.Sprintf("API health: %d ok, %d failed", o.PollsOK, o.PollsFailed)
	if n := o.PollsOK + o.PollsFailed; n > 0 {
		s += fmt.Sprintf(" (%d%% ok)", o.PollsOK*100/n)
	}
	return s + " · last poll " + when(o.Snapshot.PolledAt, o.Now)
}

// Home tab limits: Slack allows 100 blocks in a view.
const (
	homeRiskiest = 10
	maxViewBlock = 100
)

// OrgDetailsAction is the action_id of the Home tab's buttons that open an
// org's details; the button's value is the org's ID.
const OrgDetailsAction = "org_details"

// Home is the app's Home tab: the reseller's summary, the riskiest orgs
// with a button each, the open alerts and the last poll's health.
func Home(o Overview) slack.HomeTabViewRequest {
	d := &doc{}
	d.header("📊 resellerbot")
	if o.Snapshot == nil {
		d.section(line{txt("No data yet: the first poll of the OmniDimension API has not finished.")})
		return homeView(d, nil)
	}
	d.section(totals(o.Snapshot, o.Snapshot.UserCount(), o.lowCount()))
	d.context(txt(o.healthText()))
	o.healthNote(d)
	d.header("Riskiest orgs")
	head, _ := d.slackBlocks()
	var risky []slack.Block
	for _, org := range o.Riskiest[:min(len(o.Riskiest), homeRiskiest)] {
		text := mrkdwnObject(o.orgLine(org).mrkdwn(), maxSectionText)
		button := slack.NewButtonBlockElement(OrgDetailsAction, strconv.FormatInt(org.ID, 10),
			slack.NewTextBlockObject(slack.PlainTextType, "Details", false, false))
		risky = append(risky, slack.NewSectionBlock(text, nil, slack.NewAccessory(button)))
	}
	if len(risky) == 0 {
		risky = append(risky, slack.NewSectionBlock(mrkdwnObject("No org has any calls to run out of.", maxSectionText), nil, nil))
	}
	tail := &doc{}
	tail.divider()
	tail.section(episodeLines(o.Episodes, o.Now, dailyListLines)...)
	rest, _ := tail.slackBlocks()
	return homeView(nil, append(append(head, risky...), rest...))
}

func homeView(d *doc, blocks []slack.Block) slack.HomeTabViewRequest {
	if d != nil {
		blocks, _ = d.slackBlocks()
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks[:min(len(blocks), maxViewBlock)]}}
}

// DigestUnavailable is the answer to /digest when the store could not be
// read.
func DigestUnavailable(err error) Message {
	d := &doc{}
	d.notification(txt("The digest is not available right now"))
	d.section(line{txt("The digest could not be built: "), txt(err.Error())})
	return d.render()
}

// OrgChartAction is the action_id of the button that shares an org's
// 30-day balance chart; its value is the org's ID.
const OrgChartAction = "org_chart"

// OrgChartButton is the /org card's button for the org's chart.
func OrgChartButton(id int64) slack.Block {
	button := slack.NewButtonBlockElement(OrgChartAction, strconv.FormatInt(id, 10),
		slack.NewTextBlockObject(slack.PlainTextType, "📈 30-day balance chart", true, false))
	return slack.NewActionBlock("org_chart_"+strconv.FormatInt(id, 10), button)
}

// ChartUnavailable tells who asked for a chart why there is none.
func ChartUnavailable(why string) Message {
	d := &doc{}
	d.notification(txt("No chart: " + why))
	d.section(line{txt("No chart: " + why + ".")})
	return d.render()
}

// Note is a message of plain lines, for the console's asides.
func Note(text string) Message {
	d := &doc{}
	d.notification(txt(text))
	lines := strings.Split(text, "\n")
	ls := make([]line, len(lines))
	for i, l := range lines {
		ls[i] = line{txt(l)}
	}
	d.section(ls...)
	return d.render()
}
