package commands

import (
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/render"
)

// UseDigest makes /digest answer with what digest returns: the daily
// digest as of now. Call it before the first command; without it /digest
// gets the help.
func (c *Commands) UseDigest(digest func() []render.Message) { c.digest = digest }

// UseCharts puts a button on every /org card that shares the org's 30-day
// balance chart (render.OrgChartAction, handled by whoever can upload),
// and lets "/org NAME chart" ask for it. Call it before the first command.
func (c *Commands) UseCharts() { c.charts = true }

// chartQuery strips a trailing "chart" from an /org query, when charts are
// on: "/org beta chart" looks up "beta".
func (c *Commands) chartQuery(query string) (string, bool) {
	words := strings.Fields(query)
	if !c.charts || len(words) < 2 || !strings.EqualFold(words[len(words)-1], "chart") {
		return query, false
	}
	return strings.Join(words[:len(words)-1], " "), true
}

// withChartButton adds the chart button to an org card's first message,
// leaving a card with no room for it as it is.
func (c *Commands) withChartButton(msgs []render.Message, orgID int64, asked bool) []render.Message {
	if !c.charts || len(msgs) == 0 || len(msgs[0].Blocks) >= 50 {
		return msgs
	}
	first := msgs[0]
	button := render.OrgChartButton(orgID)
	if asked {
		// Asked for by name: the button comes first, where the eye lands.
		first.Blocks = append([]slack.Block{button}, first.Blocks...)
	} else {
		first.Blocks = append(slices.Clone(first.Blocks), button)
	}
	msgs[0] = first
	return msgs
}

// ChartRequest reports which org "/org NAME chart" asks the chart of, when
// charts are on and the query picks out one org.
func (c *Commands) ChartRequest(command, text string) (orgID int64, ok bool) {
	if strings.TrimPrefix(strings.ToLower(strings.TrimSpace(command)), "/") != "org" {
		return 0, false
	}
	query, chart := c.chartQuery(strings.TrimSpace(text))
	ix := c.index.Load()
	if !chart || ix == nil {
		return 0, false
	}
	if m := ix.lookup(query); m.org != nil {
		return m.org.ID, true
	}
	return 0, false
}
