package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// The actions of issue 12, driven end to end: slash commands and clicks
// through the fake Slack, calls to the fake vendor with its semantics.

const (
	actor    = slacktest.DefaultUserID // listed in actions.allowed_user_ids
	outsider = "U0OUTSIDER"
	betaID   = 4002
)

// testClock is a clock a test moves by hand, so previews expire without
// sleeping.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// newActionHarness runs the bot with actor allowed to act, Beta Co at
// $13.00 and 0.20 a minute, and the vendor's default reseller money.
func newActionHarness(t *testing.T, configure ...func(*config.Config)) (*harness, *testClock) {
	t.Helper()
	h := newHarness(t, append([]func(*config.Config){func(c *config.Config) {
		c.Actions.AllowedUserIDs = []string{actor}
	}}, configure...)...)
	clock := &testClock{}
	h.now = clock.now
	// A member Slack knows, so only actions.allowed_user_ids refuses them.
	h.slack.SetUser(slacktest.User{ID: outsider, Name: "outsider", RealName: "Out Sider"})
	if err := h.omni.SetBalance(betaID, 13); err != nil {
		t.Fatal(err)
	}
	h.start()
	return h, clock
}

// click presses a button of an ephemeral answer as user and waits for the
// bot's answer to it.
func (h *harness) click(user, actionID string, on slacktest.Response) (slacktest.Delivery, string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := h.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: actionID, UserID: user, ChannelID: "C0SUPPORT",
		Blocks: on.Blocks, Ephemeral: true})
	if err != nil {
		h.t.Fatalf("clicking %s: %v", actionID, err)
	}
	return d, h.answerTo(d.EnvelopeID, 1)
}

// answerTo waits for the nth answer POSTed to an envelope's response_url.
func (h *harness) answerTo(envelopeID string, n int) string {
	h.t.Helper()
	var posts []slacktest.Response
	waitUntil(h.t, "the answer to a click", 20*time.Second, func() bool {
		posts = h.slack.ResponseURLPosts(envelopeID)
		return len(posts) >= n
	})
	return posts[n-1].Text + "\n" + string(posts[n-1].Blocks)
}

// preview runs an action command and checks it came back with buttons.
func (h *harness) preview(user, cmd, text string) slacktest.Response {
	h.t.Helper()
	resp := h.command(user, cmd, text)
	if !strings.Contains(string(resp.Blocks), `"cancel"`) {
		h.t.Fatalf("%s %s: want a preview with a Cancel button, got %q %s", cmd, text, resp.Text, resp.Blocks)
	}
	return resp
}

// auditPosted waits for an audit message in the alert channel holding
// every one of subs.
func (h *harness) auditPosted(subs ...string) {
	h.t.Helper()
	waitUntil(h.t, "an audit message with "+strings.Join(subs, ", "), 20*time.Second, func() bool {
		for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
			if containsAll(m.Text+string(m.Blocks), subs) {
				return true
			}
		}
		return false
	})
}

func betaBalance(h *harness) float64 {
	for _, o := range h.omni.Snapshot().Orgs {
		if o.ID == betaID {
			return o.Balance
		}
	}
	return -1
}

func TestActionTopUpIsPreviewedConfirmedOnceAndAudited(t *testing.T) {
	h, _ := newActionHarness(t)
	resp := h.preview(actor, "/topup", "beta 100")
	for _, want := range []string{"Top up Beta Co by 100 minutes", "$13.00 → $33.00", "costs the reseller $9.00", "leaving $52.61", "topup_confirm"} {
		if !strings.Contains(resp.Text+string(resp.Blocks), want) {
			t.Errorf("preview lacks %q: %s", want, resp.Blocks)
		}
	}
	if n := h.omni.Calls(omnitest.TransferPath); n != 0 {
		t.Fatalf("a preview made %d transfers", n)
	}

	d, answer := h.click(actor, "topup_confirm", resp)
	if !containsAll(answer, []string{"done", "$33.00", "$52.61"}) {
		t.Errorf("answer to the confirm: %s", answer)
	}
	if n := h.omni.Calls(omnitest.TransferPath); n != 1 || betaBalance(h) != 33 || h.omni.ResellerBalance() != 52.613 {
		t.Fatalf("after confirming: %d transfers, Beta Co %v, reseller %v; want one transfer, 33, 52.613",
			n, betaBalance(h), h.omni.ResellerBalance())
	}
	h.auditPosted("@", "Top up Beta Co by 100 minutes", "done")

	t.Run("a second click answers who did it and moves nothing", func(t *testing.T) {
		_, again := h.click(actor, "topup_confirm", resp)
		if !strings.Contains(again, "Already done by @") {
			t.Errorf("second click: %s", again)
		}
	})
	t.Run("a redelivered envelope moves nothing", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := h.slack.Redeliver(ctx, d.EnvelopeID, "timeout"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	})
	if n := h.omni.Calls(omnitest.TransferPath); n != 1 || len(h.omni.CreditLogs()) != 1 {
		t.Fatalf("%d transfers and %d credit logs; want one of each", n, len(h.omni.CreditLogs()))
	}
	t.Run("the audit log shows the preview and the result", func(t *testing.T) {
		audit := h.command(actor, "/audit", "")
		if !containsAll(audit.Text+string(audit.Blocks), []string{"topup_confirm", "done", "/topup beta 100", "previewed"}) {
			t.Errorf("/audit: %s", audit.Blocks)
		}
	})
	t.Run("the credit logs show the transfer", func(t *testing.T) {
		logs := h.command(actor, "/credits", "beta")
		if !containsAll(string(logs.Blocks), []string{"credit_transfer", "Beta Co"}) {
			t.Errorf("/credits beta: %s", logs.Blocks)
		}
	})
}

func TestActionRefusals(t *testing.T) {
	h, clock := newActionHarness(t)
	tests := []struct {
		name string
		run  func(t *testing.T) string
		want []string
	}{
		{"a user not allowed is refused and nothing changes", func(t *testing.T) string {
			r := h.command(outsider, "/topup", "beta 100")
			return r.Text + string(r.Blocks)
		}, []string{"You may not use /topup", "Nothing was changed"}},
		{"a user not allowed cannot confirm someone else's preview", func(t *testing.T) string {
			_, a := h.click(outsider, "topup_confirm", h.preview(actor, "/topup", "beta 5"))
			return a
		}, []string{"You may not confirm"}},
		{"an ask over the cap is refused naming it", func(t *testing.T) string {
			r := h.command(actor, "/topup", "beta 10001")
			return r.Text + string(r.Blocks)
		}, []string{"The cap is 10000 minutes", "actions.max_topup_minutes"}},
		{"cancel cancels, and a later confirm says so", func(t *testing.T) string {
			p := h.preview(actor, "/topup", "beta 7")
			if _, a := h.click(actor, "cancel", p); !strings.Contains(a, "cancelled") {
				t.Errorf("cancel answered %s", a)
			}
			_, a := h.click(actor, "topup_confirm", p)
			return a
		}, []string{"Already cancelled by @"}},
		{"a preview expires after 10 minutes", func(t *testing.T) string {
			p := h.preview(actor, "/topup", "beta 8")
			clock.advance(11 * time.Minute)
			_, a := h.click(actor, "topup_confirm", p)
			return a
		}, []string{"This preview expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run(t); !containsAll(got, tt.want) {
				t.Errorf("got %s; want %q", got, tt.want)
			}
		})
	}
	if n := h.omni.Calls(omnitest.TransferPath); n != 0 || betaBalance(h) != 13 {
		t.Fatalf("%d transfers, Beta Co at %v; want none, 13", n, betaBalance(h))
	}
	audit := h.command(actor, "/audit", "")
	if !containsAll(string(audit.Blocks), []string{"U0OUTSIDER", "refused", "cancelled", "expired"}) {
		t.Errorf("/audit misses the refusals: %s", audit.Blocks)
	}
	h.auditPosted("Refused:", "U0OUTSIDER", "/topup beta 100")
	h.auditPosted("Refused:", "U0OUTSIDER", "topup_confirm")
}

func TestActionConfirmGoesAheadWhileCallsBurnTheBalance(t *testing.T) {
	h, _ := newActionHarness(t)
	p := h.preview(actor, "/topup", "beta 100")
	if err := h.omni.SetBalance(betaID, 11.5); err != nil { // calls ran meanwhile
		t.Fatal(err)
	}
	_, a := h.click(actor, "topup_confirm", p)
	if !containsAll(a, []string{"done", "$31.50"}) || strings.Contains(a, "changed since the last preview") {
		t.Errorf("confirm after calls burned some balance: %s", a)
	}
	if n := h.omni.Calls(omnitest.TransferPath); n != 1 {
		t.Fatalf("%d transfers; want one", n)
	}
}

func TestActionConfirmPreviewsAgainWhenTheBalanceRose(t *testing.T) {
	h, _ := newActionHarness(t)
	p := h.preview(actor, "/topup", "beta 100")
	if err := h.omni.SetBalance(betaID, 63); err != nil { // someone else topped it up
		t.Fatal(err)
	}
	_, a := h.click(actor, "topup_confirm", p)
	if !containsAll(a, []string{"changed since the last preview", "$63.00", "topup_confirm"}) {
		t.Errorf("confirm after the balance rose: %s", a)
	}
	if n := h.omni.Calls(omnitest.TransferPath); n != 0 {
		t.Fatalf("%d transfers; want none until the new preview is confirmed", n)
	}
}

func TestActionConfirmPreviewsAgainWhenTheRateMoved(t *testing.T) {
	h, _ := newActionHarness(t)
	p := h.preview(actor, "/topup", "beta 100")
	if err := h.omni.SetCostPerMin(betaID, 0.25); err != nil {
		t.Fatal(err)
	}
	_, a := h.click(actor, "topup_confirm", p)
	if !containsAll(a, []string{"changed since the last preview", "$0.25/min", "topup_confirm"}) {
		t.Errorf("confirm after the rate moved: %s", a)
	}
	if n := h.omni.Calls(omnitest.TransferPath); n != 0 {
		t.Fatalf("%d transfers; want none until the new preview is confirmed", n)
	}
}

func TestActionTransferWhoseAnswerWasLost(t *testing.T) {
	tests := []struct {
		name  string
		fault omnitest.Fault
		want  string
		moves int
		// logsDown fails the credit logs; twice makes the same top-up
		// succeed first, a moment before.
		logsDown, twice bool
	}{
		{"applied but answered 502 is found in the credit logs as done",
			omnitest.Fault{Endpoint: omnitest.TransferPath, AfterApply: true, Status: http.StatusBadGateway, Times: 1},
			"done (found in the credit logs", 1, false, false},
		{"refused with a 502 before applying is not done and safe to retry",
			omnitest.Fault{Endpoint: omnitest.TransferPath, Status: http.StatusBadGateway, Times: 1},
			"not done: safe to try again", 0, false, false},
		{"credit logs that cannot be read leave it unknown",
			omnitest.Fault{Endpoint: omnitest.TransferPath, AfterApply: true, Status: http.StatusBadGateway, Times: 1},
			"unknown: check /credits", 1, true, false},
		{"the same top-up done a moment before is not mistaken for the lost one",
			omnitest.Fault{Endpoint: omnitest.TransferPath, Status: http.StatusBadGateway, Times: 1},
			"not done: safe to try again", 1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newActionHarness(t)
			calls := int64(1)
			if tt.twice {
				h.click(actor, "topup_confirm", h.preview(actor, "/topup", "beta 100"))
				calls = 2
			}
			p := h.preview(actor, "/topup", "beta 100")
			h.omni.Fail(tt.fault)
			if tt.logsDown {
				h.omni.Fail(omnitest.Fault{Endpoint: omnitest.CreditLogsPath, Status: http.StatusInternalServerError})
			}
			_, a := h.click(actor, "topup_confirm", p)
			if !strings.Contains(a, tt.want) {
				t.Errorf("answer: %s; want %q", a, tt.want)
			}
			if n := h.omni.Calls(omnitest.TransferPath); n != calls {
				t.Errorf("%d transfer requests, want %d; a money call must never be retried", n, calls)
			}
			if n := len(h.omni.CreditLogs()); n != tt.moves {
				t.Errorf("%d transfers happened, want %d", n, tt.moves)
			}
		})
	}
}

func TestActionInsufficientResellerBalanceGivesTheVendorsMessage(t *testing.T) {
	h, _ := newActionHarness(t)
	h.omni.SetResellerBalance(1)
	p := h.preview(actor, "/topup", "beta 100")
	_, a := h.click(actor, "topup_confirm", p)
	if !containsAll(a, []string{"not done", "Insufficient reseller balance"}) {
		t.Errorf("answer: %s", a)
	}
	if betaBalance(h) != 13 || len(h.omni.CreditLogs()) != 0 {
		t.Errorf("Beta Co at %v with %d logs; want nothing moved", betaBalance(h), len(h.omni.CreditLogs()))
	}
}

func TestActionSettingsChangeTheVendorState(t *testing.T) {
	h, _ := newActionHarness(t)
	tests := []struct {
		name, cmd, text, button string
		want                    []string
		check                   func(p *omnitest.Payload) bool
	}{
		{"revert takes minutes back at the org's rate", "/revert", "beta 10", "revert_confirm",
			[]string{"done", "$11.00"}, func(p *omnitest.Payload) bool { return p.Orgs[1].Balance == 11 }},
		{"concurrency sets an absolute limit", "/concurrency", "beta 3", "concurrency_confirm",
			[]string{"done", "→ 3"}, func(p *omnitest.Payload) bool { return p.Orgs[1].ConcurrentCallLimit == 3 }},
		{"access switches one menu of a user found by email", "/access", "beta demo2 leads on", "access_confirm",
			[]string{"done", "Leads on"}, func(p *omnitest.Payload) bool { return p.Orgs[1].Users[0].Menus[omnitest.FlagLeads] }},
		{"access reports a flag the vendor dropped as out of scope", "/access", "beta demo2 is_omni_crm_access on", "access_confirm",
			[]string{"not done", "Dropped (out of scope)", "Omni CRM"}, func(p *omnitest.Payload) bool {
				return !p.Orgs[1].Users[0].Menus["is_omni_crm_access"]
			}},
		{"expiry sets a date", "/expiry", "beta 1234 2027-03-01", "expiry_confirm",
			[]string{"done", "2027-03-01"}, func(p *omnitest.Payload) bool {
				return strings.HasPrefix(p.Orgs[1].Users[0].ExpiryDate, "2027-03-01")
			}},
	}
	endpoints := map[string]string{"revert_confirm": omnitest.RevertPath, "concurrency_confirm": omnitest.ConcurrencyPath,
		"access_confirm": omnitest.AccessControlPath, "expiry_confirm": omnitest.ExpiryPath}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint := endpoints[tt.button]
			before := h.omni.Calls(endpoint)
			preview := h.preview(actor, tt.cmd, tt.text)
			_, a := h.click(actor, tt.button, preview)
			if !containsAll(a, tt.want) {
				t.Errorf("answer: %s; want %q", a, tt.want)
			}
			if !tt.check(h.omni.Snapshot()) {
				t.Errorf("the vendor's state did not change as asked")
			}
			if _, again := h.click(actor, tt.button, preview); !strings.Contains(again, "Already done by @") {
				t.Errorf("a second click: %s", again)
			}
			if n := h.omni.Calls(endpoint) - before; n != 1 {
				t.Errorf("%d requests to %s; want exactly one", n, endpoint)
			}
			audit := h.command(actor, "/audit", "")
			if !containsAll(string(audit.Blocks), []string{tt.button, tt.cmd + " " + tt.text}) {
				t.Errorf("/audit lacks the %s: %s", tt.button, audit.Blocks)
			}
			h.auditPosted("@", tt.want[0])
		})
	}
	t.Run("cancel works for every kind", func(t *testing.T) {
		_, a := h.click(actor, "cancel", h.preview(actor, "/concurrency", "beta 9"))
		if !strings.Contains(a, "cancelled") || h.omni.Snapshot().Orgs[1].ConcurrentCallLimit == 9 {
			t.Errorf("cancel: %s", a)
		}
	})
}

func TestActionTopUpPollsAtOnceSoTheLowBalanceRecovers(t *testing.T) {
	// Polls an hour apart: only the poll the top-up triggers can see it.
	h, _ := newActionHarness(t, func(c *config.Config) { c.Poll.Interval = config.Duration(time.Hour) })
	h.auditPosted("Beta Co") // the first poll's low-balance alert
	_, a := h.click(actor, "topup_confirm", h.preview(actor, "/topup", "beta 250"))
	if !strings.Contains(a, "done") {
		t.Fatalf("top-up: %s", a)
	}
	h.auditPosted("Balance recovered", "Beta Co")
	// The episode's message, recovered, says who topped it up.
	var parent slacktest.Message
	for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
		if strings.HasPrefix(m.Text, "Low balance: Beta Co") {
			parent = m
		}
	}
	h.waitFor("the alert to say who topped it up", func() bool {
		b := string(h.message(parent.TS).Blocks)
		return strings.Contains(b, "Topped up by @") && strings.Contains(b, "250 minutes") && strings.Contains(b, "Balance recovered")
	})
}

func TestActionTopUpOpenButtonOpensAModalThatPreviews(t *testing.T) {
	h, _ := newActionHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h.auditPosted("Low balance", "Beta Co") // the first poll is stored: the modal names the org
	// The low-balance alert's own button: the fake refuses a click on an
	// element the message does not have.
	var alertTS string
	for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
		if strings.HasPrefix(m.Text, "Low balance: Beta Co") {
			alertTS = m.TS
		}
	}
	if alertTS == "" {
		t.Fatalf("no low-balance alert for Beta Co in %+v", h.slack.Messages(slacktest.DefaultChannel))
	}
	if _, err := h.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: "topup_open", UserID: actor,
		ChannelID: slacktest.DefaultChannel, MessageTS: alertTS}); err != nil {
		t.Fatal(err)
	}
	views, err := h.slack.WaitViews(ctx, actor, 1)
	if err != nil {
		t.Fatalf("no modal opened: %v\nlogs:\n%s", err, h.logs)
	}
	if v := views[0]; v.CallbackID != "topup_modal" || !strings.Contains(v.Title, "Beta Co") || !strings.Contains(string(v.Blocks), `"initial_value"`) {
		t.Fatalf("modal: %+v %s", v, v.Blocks)
	}
	t.Run("a submission that is no number is refused in the modal", func(t *testing.T) {
		d, err := h.slack.ViewSubmission(ctx, slacktest.ViewSubmission{ViewID: views[0].ID,
			Values: map[string]map[string]string{"minutes": {"minutes": "lots"}}})
		if err != nil || !strings.Contains(string(d.Ack.Payload), "whole number") {
			t.Fatalf("ack %s, %v", d.Ack.Payload, err)
		}
	})
	if _, err := h.slack.ViewSubmission(ctx, slacktest.ViewSubmission{ViewID: views[0].ID,
		Values: map[string]map[string]string{"minutes": {"minutes": "100"}}}); err != nil {
		t.Fatal(err)
	}
	var preview slacktest.Message
	waitUntil(t, "the ephemeral preview", 20*time.Second, func() bool {
		for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
			if strings.Contains(string(m.Blocks), "topup_confirm") {
				preview = m
				return true
			}
		}
		return false
	})
	d, err := h.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: "topup_confirm", UserID: actor,
		ChannelID: slacktest.DefaultChannel, MessageTS: preview.TS})
	if err != nil {
		t.Fatal(err)
	}
	if a := h.answerTo(d.EnvelopeID, 1); !strings.Contains(a, "done") || betaBalance(h) != 33 {
		t.Errorf("confirm from the modal's preview: %s; Beta Co at %v", a, betaBalance(h))
	}
	waitUntil(t, "the action's record in the alert's thread", 20*time.Second, func() bool {
		for _, m := range h.slack.Thread(slacktest.DefaultChannel, alertTS) {
			if strings.Contains(m.Text, "Top up Beta Co by 100 minutes — done") {
				return true
			}
		}
		return false
	})
}

func TestDemoConsoleActsOnTheFakeVendor(t *testing.T) {
	in := "/topup beta 100\nconfirm\nconfirm\n/access beta demo2 leads on\ncancel\n/audit\nhelp\n"
	code, out, errOut := cli(t, nil, in, "demo", "--interval", "200ms", "--duration", "3s")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"── /topup beta 100 ", "Top up Beta Co by 100 minutes", "Type confirm to go ahead",
		"── confirm ", "Top up Beta Co by 100 minutes — done", "Already done by @you",
		"Turn Leads on for Demo User 2 (Beta Co)", "— cancelled",
		"── /audit ", "topup_confirm  done",
		"/orgs", "/topup ORG MINUTES — sell minutes to an org  (you may use this)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestHelpListsTheActionsMarkingThoseTheAskerMayUse(t *testing.T) {
	h, _ := newActionHarness(t)
	tests := []struct {
		name, user, want string
	}{
		{"an allowed user is told they may act", actor, "/topup ORG MINUTES — sell minutes to an org  (you may use this)"},
		{"anyone else is told they may not", outsider, "/topup ORG MINUTES — sell minutes to an org  (not for you"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.command(tt.user, "/org", "help")
			if !strings.Contains(resp.Text+string(resp.Blocks), "/orgs") {
				t.Errorf("the help of the read-only commands is gone: %s", resp.Blocks)
			}
			if got := h.answerTo(resp.EnvelopeID, 1); !strings.Contains(got, tt.want) {
				t.Errorf("help follow-up: %s; want %q", got, tt.want)
			}
		})
	}
}

func TestActionRecordsGoToTheAuditChannel(t *testing.T) {
	const auditChannel = "C0AUDIT"
	h, _ := newActionHarness(t, func(c *config.Config) { c.Slack.AuditChannel = auditChannel })
	h.slack.SetChannel(auditChannel, true)
	if _, a := h.click(actor, "topup_confirm", h.preview(actor, "/topup", "beta 100")); !strings.Contains(a, "done") {
		t.Fatalf("top-up: %s", a)
	}
	waitUntil(t, "the record in the audit channel", 20*time.Second, func() bool {
		for _, m := range h.slack.Messages(auditChannel) {
			if strings.Contains(m.Text, "Top up Beta Co by 100 minutes — done") {
				return true
			}
		}
		return false
	})
	for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
		if strings.Contains(m.Text, "Top up Beta Co") {
			t.Errorf("the record went to the alert channel too: %s", m.Text)
		}
	}
}
