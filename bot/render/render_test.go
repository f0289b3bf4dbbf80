package render_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var now = rendertest.Now()

// golden compares a rendered message with testdata/golden/NAME.json, or
// rewrites the file with -update, and checks it against Slack's limits.
func golden(t *testing.T, name string, m render.Message) {
	t.Helper()
	rendertest.Golden(t, *update, name, rendertest.MessageJSON(t, m))
	rendertest.CheckLimits(t, m)
}

func org(id int64, name string) alerts.OrgRef { return rendertest.Org(id, name) }

func lowFigures(balance, cost float64) *alerts.Figures { return rendertest.Figures(balance, cost) }

func sampleEvents() map[string]alerts.Event {
	below50 := alerts.Threshold{Rule: alerts.RuleLowBalanceBelow, Number: 50}
	user := &alerts.UserRef{ID: 1234, Name: "Demo User 2", Email: "demo2@example.com"}
	expiry72h := &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleExpiryWithin, Duration: 72 * time.Hour}}}
	forecast := lowFigures(130, 0.2)
	forecast.Pace, forecast.PaceWindow = 9*time.Hour+20*time.Minute, 24*time.Hour
	return map[string]alerts.Event{
		"low_balance": {Kind: alerts.LowBalance, At: now, Org: org(4002, "Beta Co"), Figures: lowFigures(13, 0.2),
			Cause: &alerts.Cause{Thresholds: []alerts.Threshold{below50}}, Since: now},
		"low_balance_reminder": {Kind: alerts.LowBalance, At: now, Org: org(4002, "Beta Co"), Figures: lowFigures(9.5, 0.2),
			Cause:    &alerts.Cause{Thresholds: []alerts.Threshold{below50, {Rule: alerts.RuleLowBalanceRepeatEvery, Duration: 24 * time.Hour}}},
			Reminder: true, Since: now.Add(-26 * time.Hour)},
		"low_balance_free_calls": {Kind: alerts.LowBalance, At: now, Org: org(4010, "Free Co"), Figures: lowFigures(12, 0),
			Cause: &alerts.Cause{Thresholds: []alerts.Threshold{below50}}, Since: now},
		"balance_recovered": {Kind: alerts.BalanceRecovered, At: now, Org: org(4002, "Beta Co"), Figures: lowFigures(1500, 0.2),
			Since: now.Add(-3 * time.Hour)},
		"new_user": {Kind: alerts.NewUser, At: now, Org: org(4001, "Acme Inc"), User: &alerts.UserRef{ID: 1111, Name: "New Hire", Email: "new.hire@acme.example"},
			Figures: lowFigures(24442.6, 0.09), Changes: []alerts.Change{{Field: "is_bots_menu_access", Old: "off", New: "on"}, {Field: "is_call_logs_menu_access", Old: "off", New: "on"}}},
		"user_removed": {Kind: alerts.UserRemoved, At: now, Org: org(4001, "Acme Inc"), User: user},
		"permission_change": {Kind: alerts.PermissionChange, At: now, Org: org(4002, "Beta Co"), User: user, Changes: []alerts.Change{
			{Field: "is_phone_number_access", Old: "off", New: "on"},
			{Field: alerts.FieldActive, Old: "on", New: "off"},
			{Field: alerts.FieldAccessLevel, Old: "", New: "admin"},
			{Field: "is_sms_campaign_access", Old: "off", New: "on"}}},
		"org_added":   {Kind: alerts.OrgAdded, At: now, Org: org(4005, "Delta Dental"), Figures: lowFigures(300, 0.12)},
		"org_removed": {Kind: alerts.OrgRemoved, At: now, Org: org(4003, "Gamma Studio"), Figures: lowFigures(80, 0.3)},
		"limits_changed": {Kind: alerts.LimitsChanged, At: now, Org: org(4001, "Acme Inc"), Figures: lowFigures(24442.6, 0.12), Changes: []alerts.Change{
			{Field: alerts.FieldCostPerMin, Old: "0.09", New: "0.12"}, {Field: alerts.FieldConcurrency, Old: "1", New: "3"}}},
		"scope_changed": {Kind: alerts.ScopeChanged, At: now, Changes: []alerts.Change{{Field: "is_omni_crm_access", Old: "off", New: "on"}}},
		"mass_removal_held": {Kind: alerts.MassRemovalHeld, At: now, Count: 120, Detail: "120 of 130 orgs and 1100 of 1200 users disappeared in one poll",
			Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleMassRemovalShare, Number: 0.5}}}},
		"api_outage": {Kind: alerts.APIOutage, At: now, Since: now.Add(-15 * time.Minute), Count: 3,
			Detail: "omnidim: server error (HTTP 502): Bad Gateway", Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleFailuresBeforeNotice, Number: 3}}}},
		"api_recovered": {Kind: alerts.APIRecovered, At: now, Since: now.Add(-40 * time.Minute), Count: 8},
		"access_expiring": {Kind: alerts.AccessExpiring, At: now, Org: org(4002, "Beta Co"), User: user,
			Expires: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Since: now, Cause: expiry72h},
		"access_expired": {Kind: alerts.AccessExpired, At: now, Org: org(4002, "Beta Co"), User: user,
			Expires: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Since: now.Add(-50 * time.Hour), Cause: expiry72h},
		"access_extended": {Kind: alerts.AccessExtended, At: now, Org: org(4002, "Beta Co"), User: user,
			Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), Since: now.Add(-5 * time.Hour), Cause: expiry72h},
		"access_extended_no_expiry": {Kind: alerts.AccessExtended, At: now, Org: org(4002, "Beta Co"), User: user,
			Since: now.Add(-5 * time.Hour), Cause: expiry72h},
		"low_balance_forecast": {Kind: alerts.LowBalance, At: now, Org: org(4002, "Beta Co"), Figures: forecast,
			Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleLowBalanceBurnWithin, Duration: 24 * time.Hour}}}, Since: now},
		"hostile_org_name": {Kind: alerts.LowBalance, At: now, Org: org(4666, "<!channel> *urgent* & <@U123> <https://evil.example|click>"),
			Figures: lowFigures(1, 0.5), Cause: &alerts.Cause{Thresholds: []alerts.Threshold{below50}}, Since: now},
		"forged_line": {Kind: alerts.NewUser, At: now, Org: org(4667, "_Acme_ ~Inc~ `x` *y*"),
			User:    &alerts.UserRef{ID: 1112, Name: forgedName, Email: "first_last@x.com"},
			Changes: []alerts.Change{{Field: "is_\n*forged*_access", Old: "off", New: "on"}}},
	}
}

// forgedName is a user name that, passed through, would add a line reading
// like the bot's own recovery notice, with a link.
const forgedName = "Ann\n✅ *Balance recovered*: all is well \u2028https://evil.example/reset"

func TestAPITextCannotShapeAMessage(t *testing.T) {
	m := (&render.Batch{PolledAt: now, Events: []alerts.Event{sampleEvents()["forged_line"]}}).Render(now)
	rendertest.CheckLimits(t, m)
	blocks := string(rendertest.BlocksJSON(t, m))
	for _, tt := range []struct {
		name, in, want string
	}{
		{"a newline in a name becomes a space in the blocks", blocks, `Ann ✅ ∗Balance recovered∗: all is well  https://evil.example/reset`},
		{"a newline in a name becomes a space in the notification", m.Text, `Ann ✅ ∗Balance recovered∗: all is well  https://evil.example/reset`},
		{"a newline in a name becomes a space in the console", m.Plain, "Ann ✅ *Balance recovered*: all is well  https://evil.example/reset"},
		{"an underscore inside an email stays as it is", blocks, "first_last@x.com"},
		{"markers at the edges of words become look-alikes", blocks, "＿Acme＿ ∼Inc∼ ˋxˋ ∗y∗"},
		{"a newline in an unknown flag key does not start a line", m.Plain, "Menus on: *forged*."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.in, tt.want) {
				t.Errorf("want %q in:\n%s", tt.want, tt.in)
			}
		})
	}
	// Header, sentence, context and the buttons' hints: the name's newline
	// adds none.
	if n := strings.Count(m.Plain, "\n"); n != 4 {
		t.Errorf("the console shows %d lines, want the card's 4:\n%s", n, m.Plain)
	}
	if strings.Contains(blocks, `"verbatim": false`) || strings.Contains(blocks, `\n✅`) {
		t.Errorf("a mrkdwn object is not verbatim, or the forged line survived: %s", blocks)
	}
}

func TestAlertCardsMatchGoldenFiles(t *testing.T) {
	for name, e := range sampleEvents() {
		t.Run(name, func(t *testing.T) {
			b := render.Batch{PolledAt: now, Events: []alerts.Event{e}}
			golden(t, "card_"+name, b.Render(now))
		})
	}
}

func TestTheNotificationSaysItAllInOneLine(t *testing.T) {
	e := sampleEvents()["low_balance"]
	b := render.Batch{PolledAt: now, Events: []alerts.Event{e}}
	if got, want := b.Render(now).Text, "Low balance: Beta Co has $13.00 left (about 1 hour of calls)"; got != want {
		t.Errorf("notification %q, want %q", got, want)
	}
}

func TestAHostileOrgNamePingsNobody(t *testing.T) {
	e := sampleEvents()["hostile_org_name"]
	events := sampleEvents()
	digest := render.Batches([]alerts.Event{events["new_user"], e, events["org_added"], events["user_removed"]}, now)
	if len(digest) != 1 || !digest[0].Digest {
		t.Fatalf("planned %+v, want one digest", digest)
	}
	for _, m := range []render.Message{
		(&render.Batch{PolledAt: now, Events: []alerts.Event{e}}).Render(now),
		digest[0].Render(now),
	} {
		rendertest.CheckLimits(t, m)
		if blocks := rendertest.BlocksJSON(t, m); !strings.Contains(string(blocks), "&lt;!channel&gt; ∗urgent∗ &amp; &lt;@U123&gt;") {
			t.Errorf("the name is not escaped in the blocks: %s", blocks)
		}
		if !strings.Contains(m.Plain, "<!channel> *urgent*") {
			t.Errorf("the console does not show the name as it is: %q", m.Plain)
		}
	}
}
