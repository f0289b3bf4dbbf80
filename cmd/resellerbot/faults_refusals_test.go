package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// Fault-matrix rows for refusals that concern one message, and for orgs the
// API lists without an id (see TestFaultMatrix).

// outboxParked reads resellerbot_outbox_parked from /metrics.
func outboxParked(t *testing.T, h *harness) float64 {
	t.Helper()
	return gauge(t, h, "resellerbot_outbox_parked")
}

// gauge reads the unlabelled gauge name from /metrics.
func gauge(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(get(t, "http://"+h.rt.httpAddr+"/metrics"))
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	var v float64
	fmt.Sscan(m[1], &v)
	return v
}

// faultSlackUnknownRefusal: Slack refuses the first alert with a code the
// bot does not know, five times. The alert is parked, said once, and the
// next alert goes out; a restart delivers the parked one.
func faultSlackUnknownRefusal(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.slack.FailMethod("chat.postMessage", "some_future_refusal", 5)
	h.start()
	waitUntil(t, "the refused alert parked", 30*time.Second, func() bool { return outboxParked(t, h) == 1 })
	h.omni.AddUser(4001, faultNewHire)
	if got := h.waitMessages(1)[0].Text; !strings.HasPrefix(got, faultNewHireAlert) {
		t.Errorf("the alert after the parked one: %q", got)
	}
	h.alive()
	// Slack has the alert a moment before the outbox lets it go.
	waitUntil(t, "an empty outbox: the parked alert is counted apart", 10*time.Second, func() bool { return outboxDepth(t, h) == 0 })
	said := h.logLines(0, "parked it")
	if len(said) != 1 || !strings.Contains(said[0], "code=some_future_refusal") {
		t.Errorf("want one log line saying the alert was parked, with the code:\n%s", strings.Join(said, "\n"))
	}

	h.stop()
	h.start()
	msgs := h.waitMessages(2)
	if !strings.HasPrefix(msgs[1].Text, "Low balance: Beta Co") {
		t.Errorf("after the restart: %q, want the parked alert", msgs[1].Text)
	}
	if msgs = h.faultSettle(); len(msgs) != 2 {
		t.Errorf("%d messages, want 2 (each alert once):\n%s", len(msgs), texts(msgs))
	}
	if n := outboxParked(t, h); n != 0 {
		t.Errorf("%v alerts still parked after the restart", n)
	}
	t.Logf("observed: %d refused posts; %s", len(h.slack.Calls("chat.postMessage"))-len(msgs), strings.Join(said, " | "))
}

// faultOrgsWithoutAnID: the API lists orgs with id 0, null, "" and none,
// each with a balance low enough to alert. They are left out, never merged
// into one nor into the reseller, and each poll warns about them.
func faultOrgsWithoutAnID(t *testing.T) {
	h := faultNewHarness(t, faultTimeout)
	h.omni.Update(func(p *omnitest.Payload) {
		for name, id := range map[string]any{"Zero Id Co": int64(0), "Null Id Co": nil, "Empty Id Co": "", "Missing Id Co": omnitest.Omitted{}} {
			o := p.Orgs[0].Clone()
			o.Name, o.ID, o.Balance, o.Users = name, 0, 1, nil
			if id != int64(0) {
				o.Extra = map[string]any{"id": id}
			}
			p.Orgs = append(p.Orgs, o)
		}
	})
	h.start()
	h.waitMessages(1)
	if resp := h.command(slacktest.DefaultUserID, "/orgs", ""); !strings.Contains(resp.Text, "2 orgs") {
		t.Errorf("/orgs: %q", resp.Text)
	}
	h.omni.AddUser(4001, faultNewHire)
	if got := h.waitMessages(2)[1].Text; !strings.HasPrefix(got, faultNewHireAlert) {
		t.Errorf("after orgs without an id: %q", got)
	}
	msgs := h.faultSettle()
	for _, m := range msgs {
		if strings.Contains(m.Text, "Id Co") {
			t.Errorf("an org without an id was announced: %q", m.Text)
		}
	}
	h.alive()
	said := h.logLines(0, "orgs without an id")
	if len(said) == 0 || !strings.Contains(said[0], "orgs=4") || !strings.Contains(said[0], "Null Id Co") {
		t.Errorf("want a warning naming the orgs without an id:\n%s", strings.Join(said, "\n"))
	}
	t.Logf("observed: %d messages:\n%s; warnings: %d, first: %s", len(msgs), texts(msgs), len(said), said[0])
}
