package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

const lowChannel = "C0LOWBALANCE"

// newRoutedHarness is newHarness with a second channel, where a route
// sends low balances.
func newRoutedHarness(t *testing.T) *harness {
	h := newHarness(t, remindQuickly, func(c *config.Config) {
		c.Slack.Routes = []config.Route{{Channel: lowChannel, Kinds: []string{"low_balance"}}}
		// Buttons work in routed channels as in the alert channel.
		c.Slack.AllowedChannelIDs = []string{"C0SUPPORT"}
	})
	h.slack.Close()
	h.slack = slacktest.NewServer(slacktest.WithPingInterval(100*time.Millisecond),
		slacktest.WithTokens("xapp-1-SECRET-app-token", "xoxb-SECRET-bot-token"),
		slacktest.WithChannels(slacktest.DefaultChannel, lowChannel))
	t.Cleanup(h.slack.Close)
	h.cfg.Slack.APIURL = h.slack.APIURL()
	return h
}

func TestRoutesSendEachKindToItsChannel(t *testing.T) {
	h := newRoutedHarness(t)
	h.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	low, err := h.slack.WaitMessages(ctx, lowChannel, 1)
	if err != nil {
		t.Fatalf("no low-balance alert in %s: %v\nlogs:\n%s", lowChannel, err, h.logs)
	}
	parent := low[0]
	if !strings.HasPrefix(parent.Text, "Low balance: Beta Co") {
		t.Errorf("%s got %q, want the low balance", lowChannel, parent.Text)
	}
	h.omni.AddUser(4001, omnitest.User{ID: 1111, Name: "New Hire", Email: "new@acme.example", IsActive: true})
	if msgs := h.waitMessages(1); !strings.HasPrefix(msgs[0].Text, "New user in Acme Inc") {
		t.Errorf("the alert channel got %q, want the new user", msgs[0].Text)
	}
	t.Run("an episode in a routed channel has its thread and buttons there", func(t *testing.T) {
		h.waitFor("a reminder in the routed thread", func() bool { return len(h.slack.Thread(lowChannel, parent.TS)) > 1 })
		h.clickOnce(slacktest.BlockAction{ActionID: "ack", ChannelID: lowChannel, MessageTS: parent.TS}, false)
		h.omni.SetBalance(4002, 900)
		h.waitFor("the routed parent to say it recovered and who acknowledged it", func() bool {
			for _, m := range h.slack.Messages(lowChannel) {
				if m.TS == parent.TS {
					return strings.Contains(m.Text, "→ Balance recovered") && strings.Contains(string(m.Blocks), "Acknowledged by @")
				}
			}
			return false
		})
	})
	for _, m := range h.settle() {
		if strings.Contains(m.Text, "Beta Co") {
			t.Errorf("the alert channel got a low-balance message: %q", m.Text)
		}
	}
}

func TestCheckVerifiesEveryRoutedChannel(t *testing.T) {
	api := omnitest.NewServer(nil)
	defer api.Close()
	sl := slacktest.NewServer(slacktest.WithChannels(slacktest.DefaultChannel, lowChannel))
	defer sl.Close()
	sl.SetChannel("C0PRIVATE", false)
	path, getenv := checkConfig(t, api, sl, slacktest.DefaultChannel)
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	routed := strings.Replace(string(content), "slack:\n", "slack:\n  routes:\n    - channel: "+lowChannel+"\n      kinds: [low_balance]\n    - channel: C0PRIVATE\n", 1)
	if err := os.WriteFile(path, []byte(routed), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, getenv, "", "check", "--config", path)
	if code != exitFailure {
		t.Errorf("exit %d, want %d\n%s\n%s", code, exitFailure, out, errOut)
	}
	for _, w := range []string{"ok    slack routed channel: " + lowChannel, "FAIL  slack routed channel: not_in_channel: invite the bot"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
