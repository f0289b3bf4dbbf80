package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

func TestRunAnswersADetailsClickOnAnAlertWithTheOrgCard(t *testing.T) {
	h := newHarness(t)
	h.start()
	alert := h.waitMessages(1)[0] // Beta Co's low balance
	if !strings.Contains(string(alert.Blocks), `"action_id":"org_details","value":"4002"`) {
		t.Fatalf("the alert has no details button for Beta Co: %s", alert.Blocks)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := h.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: render.ActionOrgDetails,
		ChannelID: alert.Channel, MessageTS: alert.TS})
	if err != nil {
		t.Fatal(err)
	}
	if !d.AckedInTime() {
		t.Errorf("acknowledged after %v", d.AckAfter)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(h.slack.ResponseURLPosts(d.EnvelopeID)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	posts := h.slack.ResponseURLPosts(d.EnvelopeID)
	if len(posts) != 1 || posts[0].ResponseType != "ephemeral" ||
		!strings.Contains(posts[0].Text+string(posts[0].Blocks), "Beta Co (4002)") {
		t.Errorf("the clicker was answered %+v, want Beta Co's /org card, ephemeral\nlogs:\n%.5000s", posts, h.logs)
	}
	if msgs := h.slack.Messages(slacktest.DefaultChannel); len(msgs) != 1 {
		t.Errorf("the channel holds %d messages; a details click must answer only the clicker", len(msgs))
	}
}

func TestRunAnnouncesAnExpiryEpisodeOnceAndItsEnd(t *testing.T) {
	h := newHarness(t)
	setExpiry := func(at time.Time) {
		h.omni.Update(func(p *omnitest.Payload) {
			for i := range p.Orgs {
				for j := range p.Orgs[i].Users {
					if p.Orgs[i].Users[j].ID == 1234 {
						p.Orgs[i].Users[j].ExpiryDate = at.UTC().Format("2006-01-02T15:04:05")
					}
				}
			}
		})
	}
	setExpiry(time.Now().Add(50 * time.Hour))
	h.start()
	// The first poll: Beta Co's low balance, and the expiry within 72h.
	msgs := h.waitMessages(2)
	if all := texts(msgs); !strings.Contains(all, "Access expiring in Beta Co: Demo User 2 (demo2@example.com), access expires in 2 days") {
		t.Fatalf("the first poll posted\n%s\nwant the expiry among them", all)
	}
	setExpiry(time.Now().Add(30 * 24 * time.Hour))
	msgs = h.waitMessages(3)
	if got := msgs[2].Text; !strings.HasPrefix(got, "Access extended in Beta Co: Demo User 2 (demo2@example.com), access now expires on ") {
		t.Errorf("posted %q, want the extension", got)
	}
	if msgs := h.settle(); len(msgs) != 3 {
		t.Errorf("%d messages, want 3 (the episode opens and ends once):\n%s", len(msgs), texts(msgs))
	}
}
