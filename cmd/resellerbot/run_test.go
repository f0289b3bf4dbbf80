package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/internal/redact"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// harness runs the real `run` wiring against the fake OmniDimension API and
// the fake Slack, on a store that outlives restarts.
type harness struct {
	t     *testing.T
	omni  *omnitest.Server
	slack *slacktest.Server
	cfg   *config.Config
	logs  *syncBuffer

	cancel context.CancelFunc
	done   chan error
	rt     *botRuntime
	// now, if set, is the actions' clock.
	now func() time.Time
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testAPIKey = "omni-SECRET-api-key-5f2c9"

func newHarness(t *testing.T, configure ...func(*config.Config)) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		omni:  omnitest.NewServer(nil, omnitest.WithAPIKey(testAPIKey)),
		slack: slacktest.NewServer(slacktest.WithPingInterval(100*time.Millisecond), slacktest.WithTokens("xapp-1-SECRET-app-token", "xoxb-SECRET-bot-token")),
		logs:  &syncBuffer{},
	}
	t.Cleanup(h.omni.Close)
	t.Cleanup(h.slack.Close)
	cfg := config.Default()
	cfg.Omnidim.BaseURL = h.omni.URL
	cfg.Omnidim.APIKey = testAPIKey
	cfg.Omnidim.Timeout = config.Duration(2 * time.Second)
	cfg.Slack.AppToken = config.Secret(h.slack.AppToken())
	cfg.Slack.BotToken = config.Secret(h.slack.BotToken())
	cfg.Slack.APIURL = h.slack.APIURL()
	cfg.Slack.AlertChannel = slacktest.DefaultChannel
	cfg.Store.Path = filepath.Join(t.TempDir(), "bot.db")
	cfg.Poll.Interval = config.Duration(150 * time.Millisecond)
	cfg.HTTP.Listen = "127.0.0.1:0"
	for _, c := range configure {
		c(&cfg)
	}
	h.cfg = &cfg
	return h
}

// start runs the bot and waits until it is connected to Slack.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	ready := make(chan *botRuntime, 1)
	log := slog.New(&redactHandler{Handler: slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		redact: redact.New(h.cfg.Secrets()...)})
	go func() {
		h.done <- runBot(ctx, h.cfg, log, &runHooks{ready: func(rt *botRuntime) { ready <- rt }, now: h.now})
	}()
	select {
	case h.rt = <-ready:
	case err := <-h.done:
		h.t.Fatalf("run stopped at start: %v\nlogs:\n%s", err, h.logs)
	case <-time.After(10 * time.Second):
		h.t.Fatalf("run did not start\nlogs:\n%s", h.logs)
	}
	h.t.Cleanup(h.stop)
	ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := h.slack.WaitConnected(ctx); err != nil {
		h.t.Fatalf("bot never connected to Slack: %v\nlogs:\n%s", err, h.logs)
	}
}

// stop shuts the bot down as SIGTERM would and checks it stops in time.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("run returned %v", err)
		}
	case <-time.After(shutdownGrace + 2*time.Second):
		h.t.Errorf("run did not stop within %v", shutdownGrace)
	}
}

// waitMessages waits until the alert channel holds n messages, with
// patience for a loaded machine.
func (h *harness) waitMessages(n int) []slacktest.Message {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := h.slack.WaitMessages(ctx, slacktest.DefaultChannel, n)
	if err != nil {
		h.t.Fatalf("waiting for %d messages: %v; have:\n%s\nlogs:\n%.20000s", n, err, texts(h.slack.Messages(slacktest.DefaultChannel)), h.logs)
	}
	return msgs
}

// settle waits a few poll intervals and returns the channel's messages.
// settle lets at least three more polls complete (a poll starts only when
// the previous one has ended) and their messages go out, and returns the
// channel's messages: the check that nothing more happens.
func (h *harness) settle() []slacktest.Message {
	h.t.Helper()
	h.waitPolls(4)
	time.Sleep(2 * h.cfg.Poll.Interval.D())
	return h.slack.Messages(slacktest.DefaultChannel)
}

func (h *harness) command(user, cmd, text string) slacktest.Response {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.slack.SlashCommand(ctx, slacktest.SlashCommand{Command: cmd, Text: text, UserID: user, ChannelID: "C0SUPPORT"})
	if err != nil {
		h.t.Fatalf("%s %s: %v\nlogs:\n%s", cmd, text, err, h.logs)
	}
	return resp
}

func texts(msgs []slacktest.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "  %s\n", m.Text)
	}
	return b.String()
}

func TestRunAnswersSlashCommandsFromTheLatestPoll(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1) // the first poll's low-balance alert: the snapshot is in

	tests := []struct {
		name, cmd, text string
		want            []string
	}{
		{"/orgs lists every org riskiest first", "/orgs", "", []string{"2 orgs, riskiest first", "Beta Co", "Acme Inc", "Data from"}},
		{"/org finds an org by prefix and shows its users", "/org", "acme", []string{"Acme Inc (4001)", "Demo User", "demo@example.com", "Bulk calls"}},
		{"/org finds an org by id", "/org", "4002", []string{"Beta Co (4002)", "+15551234567"}},
		{"/org without a query explains itself", "/org", "", []string{"/orgs low"}},
		{"/orgs low lists the low orgs", "/orgs", "low", []string{"1 org with a low balance", "Beta Co"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.command(slacktest.DefaultUserID, tt.cmd, tt.text)
			if resp.ResponseType != "ephemeral" {
				t.Errorf("response_type %q, want ephemeral", resp.ResponseType)
			}
			all := resp.Text + string(resp.Blocks)
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("answer lacks %q:\n%s\n%s", w, resp.Text, resp.Blocks)
				}
			}
		})
	}
	if acme := "Acme"; strings.Contains(h.logs.String(), "Demo User") {
		t.Errorf("the log holds an answer (%s's users)", acme)
	}
}

func TestRunPostsEachAlertKindOnce(t *testing.T) {
	h := newHarness(t)
	h.start()
	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"a low balance is announced on the first poll", func() {}, "Low balance: Beta Co has $13.00 left"},
		{"a new user is announced", func() {
			h.omni.AddUser(4001, omnitest.User{ID: 1111, Name: "New Hire", Email: "new@acme.example", IsActive: true})
		}, "New user in Acme Inc: New Hire (new@acme.example)"},
		{"a permission change is announced", func() {
			h.omni.SetFlag(4002, 1234, omnitest.FlagPhoneNumber, true)
		}, "Permissions changed for Demo User 2 (demo2@example.com) in Beta Co: Phone numbers off → on"},
		{"an added org is announced", func() {
			h.omni.AddOrg(omnitest.Org{ID: 4003, Name: "Gamma", Balance: 1000, CostPerMin: 0.1, CurrencySymbol: "$"})
		}, "Org added: Gamma (4003)"},
		{"a limit change is announced", func() { h.omni.SetCostPerMin(4001, 0.12) }, "Limits changed for Acme Inc: Cost per minute $0.09/min → $0.12/min"},
		{"a scope change is announced", func() { h.omni.SetResellerFlag(omnitest.FlagOmniCRM, true) }, "Reseller scope changed: Omni CRM off → on"},
		{"a recovered balance is announced", func() { h.omni.SetBalance(4002, 900) }, "Balance recovered: Beta Co has $900.00"},
		{"a removed user is announced", func() { h.omni.RemoveUser(4001, 1111) }, "User removed from Acme Inc: New Hire"},
		{"a removed org is announced", func() { h.omni.RemoveOrg(4003) }, "Org removed: Gamma (4003)"},
	}
	for i, step := range steps {
		step.change()
		msgs := h.waitMessages(i + 1)
		if got := msgs[i].Text; !strings.HasPrefix(got, step.want) {
			t.Errorf("%s: posted %q, want it to start with %q", step.name, got, step.want)
		}
	}
	if msgs := h.settle(); len(msgs) != len(steps) {
		t.Errorf("%d messages, want %d (one per change):\n%s", len(msgs), len(steps), texts(msgs))
	}
}

func TestRunNeverRepeatsAnAlertAfterARestart(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1)
	h.omni.AddUser(4001, omnitest.User{ID: 1111, Name: "New Hire", Email: "new@acme.example", IsActive: true})
	h.waitMessages(2)
	h.stop()

	h.start()
	h.omni.SetFlag(4002, 1234, omnitest.FlagLeads, true)
	msgs := h.waitMessages(3)
	if msgs := h.settle(); len(msgs) != 3 {
		t.Fatalf("after a restart: %d messages, want 3:\n%s", len(msgs), texts(msgs))
	}
	if !strings.HasPrefix(msgs[2].Text, "Permissions changed") {
		t.Errorf("the third message is %q", msgs[2].Text)
	}
}

func TestRunHonoursSlackRateLimitsWithoutLosingOrDuplicating(t *testing.T) {
	h := newHarness(t)
	h.slack.RateLimit("chat.postMessage", 1, time.Second)
	start := time.Now()
	h.start()
	h.waitMessages(1)
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("posted %v after start, before Retry-After", waited)
	}
	if calls := h.slack.Calls("chat.postMessage"); len(calls) != 2 {
		t.Errorf("%d chat.postMessage calls, want 2 (one refused, one accepted)", len(calls))
	}
	if msgs := h.settle(); len(msgs) != 1 {
		t.Errorf("%d messages, want 1:\n%s", len(msgs), texts(msgs))
	}
}

func TestRunReconnectsAfterTheSocketDrops(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1)
	h.slack.DropConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.slack.WaitConnectionsOpened(ctx, 2); err != nil {
		t.Fatalf("no reconnect: %v", err)
	}
	if resp := h.command(slacktest.DefaultUserID, "/org", "beta"); !strings.Contains(resp.Text+string(resp.Blocks), "Beta Co") {
		t.Errorf("after reconnecting: %q", resp.Text)
	}
}

func TestRunRefusesUsersOutsideTheAllowList(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Slack.AllowedUserIDs = []string{"U0ALLOWED"} })
	h.start()
	h.waitMessages(1)
	refused := h.command(slacktest.DefaultUserID, "/orgs", "")
	if all := refused.Text + string(refused.Blocks); strings.Contains(all, "Acme") || strings.Contains(all, "Beta") || !strings.Contains(all, "isn't available") {
		t.Errorf("a refused user got: %s", all)
	}
	if allowed := h.command("U0ALLOWED", "/orgs", ""); !strings.Contains(allowed.Text+string(allowed.Blocks), "Beta Co") {
		t.Errorf("an allowed user got: %s", allowed.Text)
	}
}

func TestRunEscapesHostileOrgNames(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1)
	h.omni.AddOrg(omnitest.Org{ID: 4666, Name: "<!channel> & Co", Balance: 5, CostPerMin: 0.1, CurrencySymbol: "$"})
	msgs := h.waitMessages(2)
	for _, m := range msgs {
		all := m.Text + string(m.Blocks)
		if strings.Contains(all, "<!channel>") || strings.Contains(strings.ReplaceAll(all, `\u003c`, "<"), "<!channel>") {
			t.Errorf("a message can ping the channel: %s", all)
		}
	}
	if !strings.Contains(msgs[1].Text, "&lt;!channel&gt; &amp; Co") {
		t.Errorf("the name is not shown escaped: %q", msgs[1].Text)
	}
	resp := h.command(slacktest.DefaultUserID, "/org", "4666")
	if strings.Contains(strings.ReplaceAll(resp.Text+string(resp.Blocks), `\u003c`, "<"), "<!channel>") {
		t.Errorf("the /org answer can ping the channel: %s", resp.Blocks)
	}
}

func TestRunSurvivesAnAPIOutageWithoutRemovalAlerts(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Poll.FailuresBeforeNotice = 2 })
	h.start()
	h.waitMessages(1)
	h.omni.Fail(omnitest.Fault{Status: http.StatusBadGateway})
	msgs := h.waitMessages(2)
	if !strings.Contains(msgs[1].Text, "OmniDimension API failing") {
		t.Errorf("outage notice: %q", msgs[1].Text)
	}
	h.omni.ClearFaults()
	msgs = h.waitMessages(3)
	if !strings.Contains(msgs[2].Text, "reachable again") {
		t.Errorf("recovery notice: %q", msgs[2].Text)
	}
	for _, m := range h.settle() {
		if strings.Contains(m.Text, "removed") || strings.Contains(m.Text, "Org added") {
			t.Errorf("an outage produced %q", m.Text)
		}
	}
	if len(h.slack.Messages(slacktest.DefaultChannel)) != 3 {
		t.Errorf("messages:\n%s", texts(h.slack.Messages(slacktest.DefaultChannel)))
	}
}

func TestRunKeepsSecretsOutOfLogsAndMessages(t *testing.T) {
	h := newHarness(t)
	h.omni.Fail(omnitest.Fault{Status: http.StatusUnauthorized, Body: []byte(`{"error":"bad key ` + testAPIKey + `"}`), Times: 1})
	h.start()
	h.waitMessages(1)
	h.command(slacktest.DefaultUserID, "/orgs", "")
	metrics := get(t, "http://"+h.rt.httpAddr+"/metrics")
	h.stop()
	for _, secret := range h.cfg.Secrets() {
		for where, text := range map[string]string{"logs": h.logs.String(), "slack": texts(h.slack.Messages("")), "metrics": metrics} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s hold a secret (%.8s…)", where, secret)
			}
		}
	}
}

func TestRunServesHealthReadinessAndMetrics(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1)
	base := "http://" + h.rt.httpAddr

	if body := get(t, base+"/healthz"); !strings.Contains(body, `"ok": true`) {
		t.Errorf("/healthz: %s", body)
	}
	var ready struct {
		Ready  bool             `json:"ready"`
		Checks map[string]check `json:"checks"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/readyz")), &ready); err != nil || !ready.Ready {
		t.Errorf("/readyz: %+v, %v", ready, err)
	}
	wants := []string{
		`resellerbot_polls_total{result="ok"}`,
		`resellerbot_orgs 2`,
		`resellerbot_users 2`,
		`resellerbot_alerts_total{kind="low_balance"} 1`,
		`resellerbot_slack_messages_total{result="sent"} 1`,
		`resellerbot_outbox_depth 0`,
		`resellerbot_slack_socket_connected 1`,
		`resellerbot_org_balance{currency="$",org_id="4002",org_name="Beta Co"} 13`,
		`resellerbot_org_runway_seconds{org_id="4002",org_name="Beta Co"} 3900`,
		`resellerbot_poll_duration_seconds_count`,
		`resellerbot_last_successful_poll_timestamp_seconds`,
	}
	// Slack has the message a moment before the bot has its answer.
	var metrics string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if metrics = get(t, base+"/metrics"); containsAll(metrics, wants) {
			break
		}
	}
	for _, want := range wants {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	t.Run("readyz fails while the API is down", func(t *testing.T) {
		h.omni.Fail(omnitest.Fault{Status: http.StatusInternalServerError})
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(base + "/readyz")
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "more than 3 × poll.interval") {
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Error("/readyz never reported the failing polls")
	})
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestRunAnswersAnOrgWithManyUsersInFollowUps(t *testing.T) {
	h := newHarness(t)
	org := omnitest.Org{ID: 4100, Name: "Big Team", Balance: 1000, CostPerMin: 0.1, CurrencySymbol: "$"}
	for i := range 120 {
		menus := omnitest.AllFlags(false)
		menus[omnitest.FlagBots], menus[omnitest.FlagLeads], menus[omnitest.FlagBilling] = true, true, true
		org.Users = append(org.Users, omnitest.User{ID: int64(9000 + i),
			Name:  fmt.Sprintf("User %03d %s", i, strings.Repeat("with a rather long name ", 3)),
			Email: fmt.Sprintf("user%03d@big-team.example", i), IsActive: true, Menus: menus})
	}
	h.omni.AddOrg(org)
	h.start()
	h.waitMessages(1)
	resp := h.command(slacktest.DefaultUserID, "/org", "big team")
	if resp.AckAfter > 3*time.Second {
		t.Errorf("acknowledged after %v", resp.AckAfter)
	}
	// The first part comes in the ack, the rest through the response_url.
	var parts []slacktest.Response
	seen := map[string]bool{}
	for deadline := time.Now().Add(10 * time.Second); len(seen) < 120 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		parts = append([]slacktest.Response{resp}, h.slack.ResponseURLPosts(resp.EnvelopeID)...)
		for _, p := range parts {
			for i := range 120 {
				if name := fmt.Sprintf("User %03d ", i); strings.Contains(string(p.Blocks), name) {
					seen[name] = true
				}
			}
		}
	}
	for _, p := range parts {
		if p.ResponseType != "ephemeral" {
			t.Errorf("a part is %q, not ephemeral", p.ResponseType)
		}
	}
	if len(parts) < 2 || len(seen) != 120 {
		t.Errorf("%d parts showed %d of 120 users", len(parts), len(seen))
	}
}
