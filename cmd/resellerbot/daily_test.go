package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
)

func TestRunAnswersDigestAndPublishesTheHomeTab(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1) // the first poll is in

	t.Run("/digest shows the digest to the asker alone", func(t *testing.T) {
		resp := h.command(slacktest.DefaultUserID, "/digest", "")
		if resp.ResponseType != "ephemeral" {
			t.Errorf("response_type %q, want ephemeral", resp.ResponseType)
		}
		all := resp.Text + string(resp.Blocks)
		for _, w := range []string{"Daily digest for", "Running out within 7 days", "Beta Co", "API health: "} {
			if !strings.Contains(all, w) {
				t.Errorf("the digest lacks %q:\n%s", w, all)
			}
		}
	})
	t.Run("opening the Home tab publishes the summary and the riskiest orgs", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := h.slack.AppHomeOpened(ctx, slacktest.AppHomeOpened{UserID: slacktest.DefaultUserID}); err != nil {
			t.Fatal(err)
		}
		views, err := h.slack.WaitViews(ctx, slacktest.DefaultUserID, 1)
		if err != nil {
			t.Fatalf("no Home tab published: %v\nlogs:\n%s", err, h.logs)
		}
		home, ok := h.slack.HomeView(slacktest.DefaultUserID)
		if !ok || len(views) != 1 {
			t.Fatalf("%d views and no Home tab", len(views))
		}
		raw, _ := json.Marshal(home)
		for _, w := range []string{"Riskiest orgs", `"action_id":"org_details"`, "Beta Co", "last poll"} {
			if !strings.Contains(string(raw), w) {
				t.Errorf("the Home tab lacks %q:\n%s", w, raw)
			}
		}
	})
}

func TestRunSendsAMissedDigestOnceAfterARestart(t *testing.T) {
	// Due a minute ago: a bot starting now is late, but not 12 hours late.
	at := time.Now().UTC().Add(-time.Minute).Format("15:04")
	h := newHarness(t, func(c *config.Config) { c.Digest.At = at })
	digests := func() int {
		n := 0
		for _, m := range h.slack.Messages(slacktest.DefaultChannel) {
			if strings.HasPrefix(m.Text, "Daily digest for") {
				n++
			}
		}
		return n
	}
	// A store with no poll in it has nothing to sum up.
	h.start()
	h.waitMessages(1)
	h.stop()
	if n := digests(); n != 0 {
		t.Fatalf("%d digests before any poll was stored, want none", n)
	}
	h.start()
	deadline := time.Now().Add(30 * time.Second)
	for digests() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := digests(); n != 1 {
		t.Fatalf("%d digests after the restart, want the missed one\nlogs:\n%.20000s", n, h.logs)
	}
	h.stop()
	h.start()
	h.settle()
	if n := digests(); n != 1 {
		t.Errorf("%d digests after a second restart, want it still once", n)
	}
}

func TestRunSharesAnOrgsChart(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitMessages(1)
	h.waitPolls(3) // a little history

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// waitFile waits for the nth upload to be shared, and checks it is the
	// org's chart, in the alert channel.
	waitFile := func(n int) {
		t.Helper()
		var files []slacktest.File
		for ctx.Err() == nil {
			if files = h.slack.Files(); len(files) >= n && files[n-1].Completed {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(files) != n {
			t.Fatalf("%d files uploaded, want %d\nlogs:\n%.20000s", len(files), n, h.logs)
		}
		f := files[n-1]
		if !f.Uploaded || len(f.Channels) != 1 || f.Channels[0] != slacktest.DefaultChannel {
			t.Errorf("the chart was not shared in the channel: %+v", f)
		}
		img, err := png.Decode(bytes.NewReader(f.Content))
		if err != nil {
			t.Fatalf("the upload is not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 750 {
			t.Errorf("chart is %v, want 1000×750", b.Size())
		}
		if !strings.Contains(f.Title, "Beta Co") {
			t.Errorf("chart title %q does not name the org", f.Title)
		}
	}

	resp, err := h.slack.SlashCommand(ctx, slacktest.SlashCommand{Command: "/org", Text: "beta chart",
		UserID: slacktest.DefaultUserID, ChannelID: slacktest.DefaultChannel})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("/org NAME chart shares the chart in the channel", func(t *testing.T) { waitFile(1) })
	t.Run("the button on the /org card shares it again", func(t *testing.T) {
		if !strings.Contains(string(resp.Blocks), `"action_id":"org_chart"`) {
			t.Fatalf("the /org card has no chart button:\n%s", resp.Blocks)
		}
		if _, err := h.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: "org_chart", Blocks: resp.Blocks,
			Ephemeral: true, ChannelID: slacktest.DefaultChannel}); err != nil {
			t.Fatal(err)
		}
		waitFile(2)
	})
}
