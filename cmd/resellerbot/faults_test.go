package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// The fault matrix: each row breaks the OmniDimension API or Slack while
// the real `run` wiring runs in-process (see harness in run_test.go), and
// checks that the bot stays up, says clearly what is wrong once, and loses
// nothing. FAULTS.md at the repository root tabulates what these rows
// observe. Rows are independent (each harness has its own fakes and store)
// and run in parallel.

// faultTimeout is omnidim.timeout for most rows: with the harness's 150ms
// interval a poll's budget is max(interval-1s, timeout) = timeout, so one
// poll is one attempt. It is generous, so that a loaded machine (-race)
// still answers the good polls in time.
const faultTimeout = time.Second

// faultNewHire is the change made while a fault lasts: it must be announced
// once the fault clears.
var faultNewHire = omnitest.User{ID: 1111, Name: "New Hire", Email: "new@acme.example", IsActive: true,
	Menus: map[string]bool{omnitest.FlagBots: true}}

const faultNewHireAlert = "New user in Acme Inc: New Hire (new@acme.example)"

// faultNewHarness is newHarness with a small failures_before_notice and
// the given omnidim.timeout.
func faultNewHarness(t *testing.T, timeout time.Duration, configure ...func(*config.Config)) *harness {
	t.Helper()
	return newHarness(t, append([]func(*config.Config){func(c *config.Config) {
		c.Poll.FailuresBeforeNotice = 2
		c.Omnidim.Timeout = config.Duration(timeout)
	}}, configure...)...)
}

// alive fails the test if run has returned.
func (h *harness) alive() {
	h.t.Helper()
	select {
	case err := <-h.done:
		h.cancel = nil // nothing left to stop
		h.t.Fatalf("run returned %v during the fault\nlogs:\n%s", err, h.logs)
	default:
	}
}

// waitUntil polls cond every 10ms until it holds or timeout passes.
func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// waitPolls waits until the fake API has answered n more requests.
func (h *harness) waitPolls(n int) {
	h.t.Helper()
	from := h.omni.Requests()
	waitUntil(h.t, fmt.Sprintf("%d more polls", n), 30*time.Second, func() bool { return h.omni.Requests() >= from+int64(n) })
}

// logLines returns the log lines written after mark (a length of the log)
// that contain every one of subs.
// Debug lines do not count: an operator runs at info.
func (h *harness) logLines(mark int, subs ...string) []string {
	var out []string
	for _, l := range strings.Split(h.logs.String()[mark:], "\n") {
		if l != "" && !strings.Contains(l, "level=DEBUG") && containsAll(l, subs) {
			out = append(out, l)
		}
	}
	return out
}

// logMark is the current length of the log, for logLines.
func (h *harness) logMark() int { return len(h.logs.String()) }

// messagesWith returns the channel's messages whose text contains sub.
func messagesWith(msgs []slacktest.Message, sub string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range msgs {
		if strings.Contains(m.Text, sub) {
			out = append(out, m)
		}
	}
	return out
}

// noRemovals fails on removal or added alerts, which an outage or a partial
// answer must never produce.
func noRemovals(t *testing.T, msgs []slacktest.Message) {
	t.Helper()
	for _, m := range msgs {
		if strings.Contains(m.Text, "removed") || strings.Contains(m.Text, "Org added") {
			t.Errorf("the fault produced %q", m.Text)
		}
	}
}

// apiFault is one API row: a fault served until it clears.
type apiFault struct {
	name  string
	fault omnitest.Fault
	// timeout is omnidim.timeout (default faultTimeout) and interval
	// poll.interval (default the harness's 150ms).
	timeout, interval time.Duration
	// notice lists what the outage notice must say: the failure and,
	// where an operator can act, what to do.
	notice []string
	// logKey picks out the log lines about this failure.
	logKey string
}

var htmlErrorPage = []byte(`<!DOCTYPE html>
<html><head><title>503 Service Temporarily Unavailable</title></head>
<body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>`)

func apiFaults() []apiFault {
	return []apiFault{
		{name: "401 unauthorized", fault: omnitest.Fault{Status: http.StatusUnauthorized},
			notice: []string{"unauthorized (HTTP 401)", "Missing or invalid API key", "check omnidim.api_key"}, logKey: "HTTP 401"},
		{name: "403 forbidden", fault: omnitest.Fault{Status: http.StatusForbidden},
			notice: []string{"forbidden (HTTP 403)", "omnidim.api_key must belong to a reseller account"}, logKey: "HTTP 403"},
		{name: "404 not found", fault: omnitest.Fault{Status: http.StatusNotFound},
			notice: []string{"unexpected status (HTTP 404)", "check omnidim.base_url"}, logKey: "HTTP 404"},
		{name: "429 with Retry-After", fault: omnitest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"},
			notice: []string{"rate limited (HTTP 429)", "retry after 1s"}, logKey: "HTTP 429"},
		{name: "500 server error", fault: omnitest.Fault{Status: http.StatusInternalServerError},
			notice: []string{"server error (HTTP 500)", "Internal Server Error"}, logKey: "HTTP 500"},
		{name: "502 bad gateway", fault: omnitest.Fault{Status: http.StatusBadGateway},
			notice: []string{"server error (HTTP 502)", "Bad Gateway"}, logKey: "HTTP 502"},
		// A poll's budget is max(interval-1s, omnidim.timeout); these rows
		// leave it room beyond one attempt's timeout (see
		// faultAPITimeoutThatFillsThePollIsNeverReported for when not).
		{name: "timeout (Delay past omnidim.timeout)", fault: omnitest.Fault{Delay: 2 * time.Second},
			timeout: 800 * time.Millisecond, interval: 2 * time.Second,
			notice: []string{"timeout", "no complete answer"}, logKey: "timeout"},
		{name: "hang past the deadline", fault: omnitest.Fault{Hang: true},
			timeout: 800 * time.Millisecond, interval: 2 * time.Second,
			notice: []string{"timeout", "no complete answer"}, logKey: "timeout"},
		{name: "truncated JSON (connection cut mid-body)", fault: omnitest.Fault{Truncate: 200},
			notice: []string{"malformed response", "truncated"}, logKey: "malformed response"},
		{name: "truncated JSON (complete answer, JSON cut short)",
			fault:  omnitest.Fault{Body: []byte(`{"success": true, "reseller_organization": {"id": 5678}, "organizations": [{"id": 4001, "name": "Acme`)},
			notice: []string{"malformed response (HTTP 200)"}, logKey: "malformed response"},
		{name: "HTML error page", fault: omnitest.Fault{Status: http.StatusServiceUnavailable, Body: htmlErrorPage, ContentType: "text/html"},
			notice: []string{"server error (HTTP 503)", "503 Service Temporarily Unavailable"}, logKey: "HTTP 503"},
		{name: "HTML page with HTTP 200", fault: omnitest.Fault{Body: htmlErrorPage, ContentType: "text/html"},
			notice: []string{"malformed response (HTTP 200)"}, logKey: "malformed response"},
		{name: "success false", fault: omnitest.Fault{Body: []byte(`{"success": false, "error": "Reseller account suspended"}`)},
			notice: []string{"vendor reported failure (HTTP 200)", "Reseller account suspended"}, logKey: "vendor reported failure"},
	}
}

// faultAPIRow runs an API row that makes polls fail: it must end in one
// outage notice naming the failure, answers from the last good data while
// it lasts, and, once it clears, one recovery notice and the alert for what
// changed meanwhile, with no removal alerts.
func faultAPIRow(t *testing.T, row apiFault) {
	h := faultNewHarness(t, cmpOr(row.timeout, faultTimeout), func(c *config.Config) {
		c.Poll.Interval = config.Duration(cmpOr(row.interval, c.Poll.Interval.D()))
	})
	h.start()
	h.waitMessages(1) // the baseline: Beta Co's low balance

	mark := h.logMark()
	h.omni.Fail(row.fault)
	h.omni.AddUser(4001, faultNewHire)
	msgs := h.waitMessages(2)
	notice := msgs[1].Text
	if !strings.HasPrefix(notice, "OmniDimension API failing") {
		t.Fatalf("second message %q, want the outage notice", notice)
	}
	for _, w := range row.notice {
		if !strings.Contains(notice, w) {
			t.Errorf("the outage notice lacks %q: %s", w, notice)
		}
	}
	h.waitPolls(h.pollsPerSecond()) // more failed polls, no more notices
	h.alive()
	resp := h.command(slacktest.DefaultUserID, "/org", "beta")
	if all := resp.Text + string(resp.Blocks); !strings.Contains(all, "Beta Co") || !strings.Contains(all, "may be stale") {
		t.Errorf("/org during the fault: %s", all)
	}
	failed := len(h.logLines(mark, "poll failed"))
	said := h.logLines(mark, row.logKey)

	h.omni.ClearFaults()
	msgs = h.waitMessages(4)
	if got := msgs[2].Text; !strings.HasPrefix(got, "OmniDimension API reachable again") {
		t.Errorf("third message %q, want the recovery notice", got)
	}
	if got := msgs[3].Text; !strings.HasPrefix(got, faultNewHireAlert) {
		t.Errorf("fourth message %q, want %q: a change made during the fault is lost", got, faultNewHireAlert)
	}
	msgs = h.faultSettle()
	noRemovals(t, msgs)
	if len(msgs) != 4 || len(messagesWith(msgs, "OmniDimension API failing")) != 1 {
		t.Errorf("%d messages, want 4 with one outage notice:\n%s", len(msgs), texts(msgs))
	}
	t.Logf("observed: %d failed polls, %d log lines about %q; notice %q", failed, len(said), row.logKey, notice)
	faultLoggedOnce(t, said, failed)
}

// faultRow is one row of the matrix.
type faultRow struct {
	name string
	run  func(t *testing.T)
}

// TestFaultMatrix runs the rows side by side (t.Run from goroutines, not
// bound by -parallel): they mostly wait on polls. The rows that chew on
// megabytes start at once; the light rows, the slowest leading, go a few at
// a time, so that their timeouts are not at the mercy of a starved CPU.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	light := []faultRow{{"API timeout filling the poll budget", faultAPITimeoutThatFillsThePollIsNeverReported}}
	api := apiFaults()
	slices.SortStableFunc(api, func(a, b apiFault) int { return cmp.Compare(b.interval, a.interval) }) // slow polls first
	for _, row := range api {
		light = append(light, faultRow{"API " + row.name, func(t *testing.T) { faultAPIRow(t, row) }})
	}
	for _, row := range slackFaults() {
		light = append(light, faultRow{"Slack " + row.name, func(t *testing.T) { faultSlackPermanentRow(t, row) }})
	}
	light = append(light,
		faultRow{"API 429 Retry-After honoured", faultAPIRateLimitRetryAfterIsHonoured},
		faultRow{"API empty organizations list", faultEmptyOrganizationsList},
		faultRow{"API duplicate org ids", faultDuplicateOrgIDs},
		faultRow{"API orgs without an id", faultOrgsWithoutAnID},
		faultRow{"API negative balance", faultNegativeBalance},
		faultRow{"API cost_per_min 0", faultFreeCalls},
		faultRow{"Slack 429 on chat.postMessage", faultSlackRateLimited},
		faultRow{"Slack 500 on chat.postMessage", faultSlackServerError},
		faultRow{"Slack refuses one alert with an unknown code", faultSlackUnknownRefusal},
		faultRow{"Slack dropped socket", faultSlackSocketDropped},
	)
	heavy := []faultRow{
		{"API 10 MB org name", faultHugeOrgName},
		{"API body over omnidim.max_body", faultBodyOverMaxBody},
		{"Slack ack deadline with 2,500 orgs", faultSlackAckDeadline},
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); faultRunRows(t, heavy, len(heavy)) }()
	go func() { defer wg.Done(); faultRunRows(t, light, 8) }()
	wg.Wait()
}

// faultRunRows runs rows as subtests, at most n at once, and waits for all.
func faultRunRows(t *testing.T, rows []faultRow, n int) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, row := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t.Run(row.name, row.run)
		}()
	}
	wg.Wait()
}

// faultLoggedOnce checks, in a subtest of its own, that the log says what
// is wrong once per outage, not once per failed poll.
func faultLoggedOnce(t *testing.T, said []string, failedPolls int) {
	t.Helper()
	t.Run("logged once", func(t *testing.T) {
		if len(said) == 0 {
			t.Fatalf("the log never says what is wrong")
		}
		if len(said) > 1 {
			t.Errorf("the log repeats the failure at every poll (%d lines over %d failed polls): %s", len(said), failedPolls, said[0])
		}
	})
}

// faultSettle waits about a second's worth of polls (at least one), and a
// moment for their alerts, and returns the channel's messages: settle, in
// fewer polls when they are slow.
func (h *harness) faultSettle() []slacktest.Message {
	h.t.Helper()
	h.waitPolls(h.pollsPerSecond())
	time.Sleep(300 * time.Millisecond)
	return h.slack.Messages(slacktest.DefaultChannel)
}

// pollsPerSecond is how many polls make about a second, at least one.
func (h *harness) pollsPerSecond() int {
	return max(1, int(time.Second/h.cfg.Poll.Interval.D()))
}

// faultAPITimeoutThatFillsThePollIsNeverReported: when omnidim.timeout
// is at least poll.interval-1s, a poll's budget is one attempt's timeout,
// and an API that hangs is never reported.
func faultAPITimeoutThatFillsThePollIsNeverReported(t *testing.T) {
	timeout := 500 * time.Millisecond
	h := faultNewHarness(t, timeout) // interval 150ms: the poll's budget is omnidim.timeout
	h.start()
	h.waitMessages(1)
	mark := h.logMark()
	h.omni.Fail(omnitest.Fault{Hang: true})
	h.waitPolls(4)
	time.Sleep(2 * timeout)
	h.alive()
	failed := h.logLines(mark, "poll failed")
	notices := messagesWith(h.slack.Messages(slacktest.DefaultChannel), "OmniDimension API failing")
	t.Logf("observed: %d hung polls, %d \"poll failed\" log lines, %d outage notices", h.omni.Requests()-1, len(failed), len(notices))
	if len(failed) == 0 && len(notices) == 0 {
		t.Error("a hanging API that fills the poll's budget is never logged nor announced")
	}
	h.omni.ClearFaults()
	h.waitMessages(3)
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// faultAPIRateLimitRetryAfterIsHonoured checks that while the API
// answers 429 with Retry-After, the bot asks again no sooner than it says.
func faultAPIRateLimitRetryAfterIsHonoured(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.start()
	h.waitMessages(1)
	h.omni.Fail(omnitest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "2"})
	h.waitPolls(1)
	from := h.omni.Requests()
	time.Sleep(1500 * time.Millisecond)
	asked := h.omni.Requests() - from
	h.alive()
	t.Logf("observed: %d requests within 1.5s of a 429 with Retry-After: 2 (poll.interval %v)", asked, h.cfg.Poll.Interval)
	if asked > 1 {
		t.Errorf("%d requests within 1.5s of a 429 asking to wait 2s", asked)
	}
}

// faultEmptyOrganizationsList: one poll answers with no orgs at all.
// The mass-removal guard holds the removals with one notice; when the orgs
// are back, nothing is announced as removed or added.
func faultEmptyOrganizationsList(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.start()
	h.waitMessages(1)
	empty := h.omni.Snapshot()
	empty.Orgs = []omnitest.Org{}
	h.omni.Fail(omnitest.Fault{Times: 1, Body: empty.AppendJSON(nil)})
	msgs := h.waitMessages(2)
	if got := msgs[1].Text; !strings.HasPrefix(got, "Removals held back") || !strings.Contains(got, "2 of 2 orgs") {
		t.Errorf("second message %q, want one held-removals notice", got)
	}
	h.alive()
	msgs = h.faultSettle()
	noRemovals(t, msgs)
	if len(msgs) != 2 {
		t.Errorf("%d messages, want the baseline and one held-removals notice:\n%s", len(msgs), texts(msgs))
	}
	// And the next change is announced as usual.
	h.omni.AddUser(4001, faultNewHire)
	if got := h.waitMessages(3)[2].Text; !strings.HasPrefix(got, faultNewHireAlert) {
		t.Errorf("after the orgs came back: %q", got)
	}
	t.Logf("observed: %q", msgs[1].Text)
}

// faultDuplicateOrgIDs: the vendor lists an org id twice. The first
// is kept, and the bot works on.
func faultDuplicateOrgIDs(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.omni.Update(func(p *omnitest.Payload) {
		dup := p.Orgs[0].Clone()
		dup.Name, dup.Balance = "Acme Impostor", 1
		p.Orgs = append(p.Orgs, dup)
	})
	h.start()
	h.waitMessages(1)
	resp := h.command(slacktest.DefaultUserID, "/org", "4001")
	if all := resp.Text + string(resp.Blocks); !strings.Contains(all, "Acme Inc (4001)") || strings.Contains(all, "Impostor") {
		t.Errorf("/org 4001 does not show the first org: %s", all)
	}
	if resp := h.command(slacktest.DefaultUserID, "/orgs", ""); !strings.Contains(resp.Text, "2 orgs") {
		t.Errorf("/orgs: %q", resp.Text)
	}
	h.omni.AddUser(4001, faultNewHire)
	if got := h.waitMessages(2)[1].Text; !strings.HasPrefix(got, faultNewHireAlert) {
		t.Errorf("after duplicates: %q", got)
	}
	msgs := h.faultSettle()
	for _, m := range msgs {
		if strings.Contains(m.Text, "Impostor") {
			t.Errorf("the duplicate was announced: %q", m.Text)
		}
	}
	h.alive()
	var said []string // the store's path names the test, "duplicate" included
	for _, l := range h.logLines(0) {
		if strings.Contains(strings.ToLower(l), "duplicate") && !strings.Contains(l, "store=") {
			said = append(said, l)
		}
	}
	t.Logf("observed: %d messages:\n%s; log lines about the duplicate: %d", len(msgs), texts(msgs), len(said))
}

// faultNegativeBalance: an org's balance goes below zero.
func faultNegativeBalance(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.start()
	h.waitMessages(1)
	h.omni.SetBalance(4001, -12.5)
	msgs := h.waitMessages(2)
	want := "Low balance: Acme Inc has -$12.50 left (no calls left)"
	if got := msgs[1].Text; got != want {
		t.Errorf("alert %q, want %q", got, want)
	}
	if !strings.Contains(string(msgs[1].Blocks), "none left") {
		t.Errorf("the card does not say the runway is none left: %s", msgs[1].Blocks)
	}
	resp := h.command(slacktest.DefaultUserID, "/org", "acme")
	if all := string(resp.Blocks); !strings.Contains(all, "-$12.50") || !strings.Contains(all, "none left") {
		t.Errorf("/org acme: %s", all)
	}
	if msgs = h.faultSettle(); len(msgs) != 2 {
		t.Errorf("%d messages, want 2:\n%s", len(msgs), texts(msgs))
	}
	h.alive()
	t.Logf("observed: %q", want)
}

// faultFreeCalls: cost_per_min 0. The runway is unlimited, no runway
// alert fires, and /orgs lists the org last.
func faultFreeCalls(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.omni.Update(func(p *omnitest.Payload) {
		// 60 is above alerts.low_balance.below; at any price it would be
		// under runway_below (4h) only if the runway were read as 0.
		p.Orgs = append(p.Orgs, omnitest.Org{ID: 4010, Name: "Free Co", Balance: 60, CostPerMin: 0, CurrencySymbol: "$"},
			omnitest.Org{ID: 4011, Name: "Rich Co", Balance: 1e6, CostPerMin: 0.01, CurrencySymbol: "$"})
	})
	h.start()
	h.waitMessages(1)
	resp := h.command(slacktest.DefaultUserID, "/orgs", "")
	all := string(resp.Blocks)
	i, j := strings.Index(all, "Free Co"), strings.Index(all, "Rich Co")
	if i < 0 || j < 0 || i < j || i < strings.Index(all, "Acme Inc") {
		t.Errorf("/orgs does not list Free Co last: %s", all)
	}
	if resp := h.command(slacktest.DefaultUserID, "/org", "free co"); !strings.Contains(string(resp.Blocks), "unlimited") {
		t.Errorf("/org free co: %s", resp.Blocks)
	}
	h.omni.SetCostPerMin(4001, 0)
	msgs := h.waitMessages(2)
	if got := msgs[1].Text; !strings.HasPrefix(got, "Limits changed for Acme Inc: Cost per minute $0.09/min → $0.00/min") {
		t.Errorf("alert %q", got)
	}
	msgs = h.faultSettle()
	for _, m := range msgs {
		if strings.Contains(m.Text, "Free Co") || strings.Contains(m.Text, "Low balance: Acme") {
			t.Errorf("a free org was announced: %q", m.Text)
		}
	}
	if len(msgs) != 2 {
		t.Errorf("%d messages, want 2:\n%s", len(msgs), texts(msgs))
	}
	h.alive()
}

// faultHugeOrgName: an org named with 10 MB of text is announced
// within Slack's limits (the fake Slack refuses anything beyond them).
func faultHugeOrgName(t *testing.T) {
	h := faultNewHarness(t, 10*time.Second)
	// Rendering 10 MB takes a while under -race; the ack deadline is
	// TestFaultMatrix/Slack_ack_deadline's business.
	h.slack.SetAckTimeout(0)
	h.start()
	h.waitMessages(1)
	name := "Huge <!channel> & Co " + strings.Repeat("Lorem ipsum dolor sit amet <@U1> & ", 10<<20/36)
	h.omni.AddOrg(omnitest.Org{ID: 4666, Name: name, Balance: 5, CostPerMin: 0.1, CurrencySymbol: "$"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	msgs, err := h.slack.WaitMessages(ctx, slacktest.DefaultChannel, 3)
	if err != nil {
		t.Fatalf("waiting for the alerts about the huge org: %v\nlogs:\n%.5000s", err, h.logs)
	}
	h.alive()
	for _, m := range msgs[1:] {
		if len(m.Blocks) == 0 {
			t.Errorf("the alert was sent without blocks (Slack refused the layout?): %.200s", m.Text)
		}
		if n := len([]rune(m.Text)); n > 3000 {
			t.Errorf("the notification is %d characters", n)
		}
		if strings.Contains(m.Text+string(m.Blocks), "<!channel>") {
			t.Errorf("the name pings the channel")
		}
	}
	for _, c := range h.slack.Calls("chat.postMessage") {
		if c.Error != "" {
			t.Errorf("Slack refused a message: %s", c.Error)
		}
	}
	resp := h.command(slacktest.DefaultUserID, "/org", "4666")
	if !strings.Contains(resp.Text+string(resp.Blocks), "Huge") {
		t.Errorf("/org 4666: %.300s", resp.Text)
	}
	ack := resp.AckAfter
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if len(l) > 64<<10 {
			t.Errorf("a log line of %d bytes: %.200s…", len(l), l)
		}
	}
	h.waitPolls(1) // each poll decodes 10 MB: one is enough
	time.Sleep(300 * time.Millisecond)
	msgs = h.slack.Messages(slacktest.DefaultChannel)
	if len(msgs) != 3 {
		t.Errorf("%d messages, want the baseline, the added org and its low balance:\n%.300s", len(msgs), texts(msgs))
	}
	t.Logf("observed: %d messages; first alert: %.120s… (%d characters); /org 4666 acknowledged after %v",
		len(msgs), msgs[1].Text, len([]rune(msgs[1].Text)), ack.Round(time.Millisecond))
}

// faultBodyOverMaxBody: a body bigger than omnidim.max_body is refused
// with an error naming the limit; raising the limit lets it in.
func faultBodyOverMaxBody(t *testing.T) {
	h := faultNewHarness(t, 5*time.Second, func(c *config.Config) { c.Omnidim.MaxBody = 8 << 20 })
	h.start()
	h.waitMessages(1)
	// The same payload, padded past the limit with a field the decoder
	// skips: once it is let in, nothing changed.
	body := h.omni.Body()
	padded := append([]byte(`{"padding": "`+strings.Repeat("x", 12<<20)+`", `), body[bytes.IndexByte(body, '{')+1:]...)
	mark := h.logMark()
	h.omni.Fail(omnitest.Fault{Body: padded})
	msgs := h.waitMessages(2)
	notice := msgs[1].Text
	for _, w := range []string{"response too large", "limit 8388608", "raise omnidim.max_body"} {
		if !strings.Contains(notice, w) {
			t.Errorf("the notice lacks %q: %s", w, notice)
		}
	}
	h.waitPolls(3)
	h.alive()
	said := h.logLines(mark, "response too large")
	failed := len(h.logLines(mark, "poll failed"))

	h.stop()
	h.cfg.Omnidim.MaxBody = 64 << 20
	h.start()
	msgs = h.waitMessages(3)
	if got := msgs[2].Text; !strings.HasPrefix(got, "OmniDimension API reachable again") {
		t.Errorf("after raising omnidim.max_body: %q", got)
	}
	msgs = h.faultSettle()
	noRemovals(t, msgs)
	if len(msgs) != 3 {
		t.Errorf("%d messages, want 3:\n%s", len(msgs), texts(msgs))
	}
	t.Logf("observed: notice %q", notice)
	faultLoggedOnce(t, said, failed)
}

// slackFault is one Slack row where chat.postMessage refuses for good
// until someone acts.
type slackFault struct {
	name string
	// fail and fix break and repair Slack.
	fail, fix func(s *slacktest.Server)
	// hint is what the log must tell the operator.
	hint []string
}

func slackFaults() []slackFault {
	return []slackFault{
		{name: "invalid_auth on chat.postMessage",
			fail: func(s *slacktest.Server) { s.FailMethod("chat.postMessage", "invalid_auth", -1) },
			fix:  func(s *slacktest.Server) { s.ClearFaults() },
			hint: []string{"invalid_auth", "check slack.bot_token"}},
		{name: "channel_not_found",
			fail: func(s *slacktest.Server) { s.RemoveChannel(slacktest.DefaultChannel) },
			fix:  func(s *slacktest.Server) { s.SetChannel(slacktest.DefaultChannel, true) },
			hint: []string{"channel_not_found", "check slack.alert_channel"}},
		{name: "not_in_channel",
			fail: func(s *slacktest.Server) { s.SetChannel(slacktest.DefaultChannel, false) },
			fix:  func(s *slacktest.Server) { s.SetChannel(slacktest.DefaultChannel, true) },
			hint: []string{"not_in_channel", "invite the bot to the channel"}},
		{name: "restricted_action_read_only_channel",
			fail: func(s *slacktest.Server) {
				s.FailMessage("chat.postMessage", slacktest.DefaultChannel, "", "restricted_action_read_only_channel", -1)
			},
			fix:  func(s *slacktest.Server) { s.ClearFaults() },
			hint: []string{"restricted_action_read_only_channel", "Posting permissions"}},
	}
}

// faultSlackPermanentRow: Slack refuses the alert channel's posts until an
// operator acts. Alerts stay queued, the log says so once with
// what to do, and they are delivered, in order and once, after the fix.
func faultSlackPermanentRow(t *testing.T, row slackFault) {
	h := faultNewHarness(t, faultTimeout)
	row.fail(h.slack)
	h.start()
	// Two refusals, then a change that queues behind them.
	waitUntil(t, "two refused posts", 10*time.Second, func() bool { return len(h.slack.Calls("chat.postMessage")) >= 2 })
	h.omni.AddUser(4001, faultNewHire)
	h.waitPolls(2)
	h.alive()
	if depth := outboxDepth(t, h); depth < 1 {
		t.Errorf("outbox depth %v during the fault, want the alerts queued", depth)
	}
	said := h.logLines(0, "cannot deliver alerts")
	refused := len(h.slack.Calls("chat.postMessage"))

	row.fix(h.slack)
	msgs := h.waitMessages(2)
	if !strings.HasPrefix(msgs[0].Text, "Low balance: Beta Co") || !strings.HasPrefix(msgs[1].Text, faultNewHireAlert) {
		t.Errorf("delivered after the fix:\n%s", texts(msgs))
	}
	if msgs = h.faultSettle(); len(msgs) != 2 {
		t.Errorf("%d messages, want 2 (each alert once):\n%s", len(msgs), texts(msgs))
	}
	if len(said) != 1 {
		t.Errorf("%d log lines say alerts cannot be delivered over %d refused posts, want 1:\n%s", len(said), refused, strings.Join(said, "\n"))
	} else {
		for _, w := range row.hint {
			if !strings.Contains(said[0], w) {
				t.Errorf("the log line lacks %q: %s", w, said[0])
			}
		}
	}
	if recovered := h.logLines(0, "delivery recovered"); len(recovered) != 1 {
		t.Errorf("%d log lines say delivery recovered, want 1", len(recovered))
	}
	t.Logf("observed: %d refused posts, logged once: %s", refused, strings.Join(said, " | "))
}

func outboxDepth(t *testing.T, h *harness) float64 {
	t.Helper()
	return gauge(t, h, "resellerbot_outbox_depth")
}

// faultSlackRateLimited: chat.postMessage answers 429 with
// Retry-After. The bot waits as asked and posts once.
func faultSlackRateLimited(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.slack.RateLimit("chat.postMessage", 1, time.Second)
	h.start()
	h.waitMessages(1)
	calls := h.slack.Calls("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("%d chat.postMessage calls, want 2 (one refused, one accepted)", len(calls))
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Errorf("posted again %v after a 429 asking to wait 1s", gap)
	}
	if msgs := h.faultSettle(); len(msgs) != 1 {
		t.Errorf("%d messages, want 1:\n%s", len(msgs), texts(msgs))
	}
	if said := h.logLines(0, "rate limited"); len(said) != 1 {
		t.Errorf("%d log lines about the rate limit, want 1", len(said))
	}
	h.alive()
	t.Logf("observed: retried after %v", calls[1].At.Sub(calls[0].At).Round(10*time.Millisecond))
}

// faultSlackServerError: chat.postMessage answers HTTP 500 once. The
// bot retries and posts once.
func faultSlackServerError(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.slack.FailHTTP("chat.postMessage", http.StatusInternalServerError, 2)
	h.start()
	h.waitMessages(1)
	if calls := h.slack.Calls("chat.postMessage"); len(calls) != 3 {
		t.Errorf("%d chat.postMessage calls, want 3 (two refused, one accepted)", len(calls))
	}
	if msgs := h.faultSettle(); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Text, "Low balance: Beta Co") {
		t.Errorf("messages:\n%s", texts(msgs))
	}
	retries := h.logLines(0, "delivery failed; will retry")
	if len(retries) != 2 {
		t.Errorf("%d log lines about retrying, want one per failed attempt (2)", len(retries))
	}
	h.alive()
	t.Logf("observed: %d retry log lines: %s", len(retries), strings.Join(retries, " | "))
}

// faultSlackSocketDropped: the socket-mode connection drops. The bot
// reconnects and answers the next command; alerts keep flowing.
func faultSlackSocketDropped(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.start()
	h.waitMessages(1)
	mark := h.logMark()
	h.slack.DropConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.slack.WaitConnectionsOpened(ctx, 2); err != nil {
		t.Fatalf("no reconnect: %v\nlogs:\n%s", err, h.logs)
	}
	if resp := h.command(slacktest.DefaultUserID, "/org", "beta"); !strings.Contains(resp.Text+string(resp.Blocks), "Beta Co") {
		t.Errorf("after reconnecting: %q", resp.Text)
	}
	h.omni.AddUser(4001, faultNewHire)
	if got := h.waitMessages(2)[1].Text; !strings.HasPrefix(got, faultNewHireAlert) {
		t.Errorf("after reconnecting: %q", got)
	}
	h.alive()
	t.Logf("observed: %d connections opened; log after the drop:\n%s", h.slack.ConnectionsOpened(), strings.Join(h.logLines(mark), "\n"))
	if n := len(h.logLines(mark, "level=WARN")) + len(h.logLines(mark, "level=ERROR")); n > 1 {
		t.Errorf("%d warnings or errors for one dropped socket", n)
	}
}

// faultSlackAckDeadline: a big reseller (2,500 orgs). Every command is
// acknowledged within Slack's 3 s, with its answer, and the first poll's
// burst of alerts fits Slack's limits.
func faultSlackAckDeadline(t *testing.T) {
	h := faultNewHarness(t, 10*time.Second)
	big := omnitest.Synthetic(2500, 3, 7)
	h.omni.Update(func(p *omnitest.Payload) { *p = *big })
	h.slack.SetAckTimeout(3 * time.Second)
	h.start()
	h.waitMessages(1) // the first poll is in
	for _, c := range []struct{ cmd, text, want string }{
		{"/orgs", "", "2500 orgs, riskiest first"},
		{"/orgs", "low", "with a low balance"},
		{"/orgs", "page 125", "Page 125 of 125"},
		{"/org", "acme", "orgs match"},
		{"/org", "4001", "(4001)"},
		{"/org", "blue harbr logistcs", "Blue Harbor"},
	} {
		start := time.Now()
		resp := h.command(slacktest.DefaultUserID, c.cmd, c.text)
		if resp.AckAfter > 3*time.Second {
			t.Errorf("%s %s: acknowledged after %v", c.cmd, c.text, resp.AckAfter)
		}
		if all := resp.Text + string(resp.Blocks); !strings.Contains(all, c.want) {
			t.Errorf("%s %s: answer lacks %q: %.300s", c.cmd, c.text, c.want, all)
		}
		t.Logf("observed: %s %s acknowledged after %v (answered in %v, %d bytes)", c.cmd, c.text,
			resp.AckAfter.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), len(resp.Raw))
	}
	for _, c := range h.slack.Calls("chat.postMessage") {
		if c.Error != "" {
			t.Errorf("Slack refused an alert message: %s", c.Error)
		}
	}
	h.alive()
	msgs := h.faultSettle()
	t.Logf("observed: the first poll's alerts came as %d messages; the first: %.100s", len(msgs), msgs[0].Text)
}
