package render_test

import (
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/omni"
)

// The answers are rendered here and found by package commands; these tests
// ask through commands, as Slack and the console do.

func newCommands(snap *omni.Snapshot) *commands.Commands {
	c := commands.New(alerts.DefaultRules().LowBalance, func() time.Time { return now })
	if snap != nil {
		c.SetSnapshot(snap)
	}
	return c
}

func TestCommandAnswersMatchGoldenFiles(t *testing.T) {
	c := newCommands(rendertest.Reseller())
	tests := []struct{ name, cmd, text string }{
		{"orgs", "/orgs", ""},
		{"orgs_low", "/orgs", "low"},
		{"org_by_prefix", "/org", "beta"},
		{"org_with_users", "/org", "4001"},
		{"org_candidates", "/org", "acme"},
		{"org_no_match", "/org", "nothing like it"},
		{"org_fuzzy", "/org", "zetta"},
		{"help", "/org", ""},
		{"orgs_bad_option", "/orgs", "sideways"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "command_"+tt.name, rendertest.Only(t, c.Handle(tt.cmd, tt.text)))
		})
	}
	t.Run("with a day of history", func(t *testing.T) {
		c := newCommands(rendertest.Reseller())
		c.UseHistory(fakeHistory{4002: 61, 4001: 24442.6, 4003: 200})
		for _, q := range []struct{ name, query string }{{"spending", "beta"}, {"no_spending", "acme inc"}, {"topped_up", "acme logistics"}} {
			golden(t, "command_org_trend_"+q.name, rendertest.Only(t, c.Handle("/org", q.query)))
		}
	})
	t.Run("with the burn window's spend", func(t *testing.T) {
		c := newCommands(rendertest.Reseller())
		day := 24 * time.Hour
		c.SetSpend(map[int64]alerts.Spend{
			4002: {Amount: 26, Over: day},           // $13.00 at $26 a day: 12 hours
			4001: {Amount: 900, Over: day},          // Acme's 24,442.60: weeks
			4003: {Amount: 50, Over: 6 * time.Hour}, // too little history: none
		})
		golden(t, "command_orgs_forecast", rendertest.Only(t, c.Handle("/orgs", "")))
		golden(t, "command_org_forecast", rendertest.Only(t, c.Handle("/org", "beta")))
	})
	t.Run("before the first poll", func(t *testing.T) {
		golden(t, "command_no_data", rendertest.Only(t, newCommands(nil).Handle("/orgs", "")))
	})
	t.Run("while polls fail", func(t *testing.T) {
		c := newCommands(rendertest.Reseller())
		c.SetHealth(commands.Health{Failures: 4, FailingSince: now.Add(-20 * time.Minute)})
		golden(t, "command_orgs_stale", rendertest.Only(t, c.Handle("/orgs", "")))
	})
}

// fakeHistory holds each org's balance a day ago.
type fakeHistory map[int64]float64

func (h fakeHistory) OrgAt(id int64, _ time.Time) (omni.Org, bool, error) {
	b, ok := h[id]
	return omni.Org{ID: id, Balance: b}, ok, nil
}
