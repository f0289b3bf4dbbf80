package bot_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// unfurlsNothing checks that a payload Slack would post turns off link and
// media previews: a URL in an org name must not grow a preview.
func unfurlsNothing(t *testing.T, where string, raw []byte) {
	t.Helper()
	var p struct {
		UnfurlLinks *bool `json:"unfurl_links"`
		UnfurlMedia *bool `json:"unfurl_media"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s: %v: %s", where, err, raw)
	}
	if p.UnfurlLinks == nil || *p.UnfurlLinks || p.UnfurlMedia == nil || *p.UnfurlMedia {
		t.Errorf("%s: want unfurl_links and unfurl_media false: %s", where, raw)
	}
}

func TestNoAnswerUnfurlsLinks(t *testing.T) {
	t.Run("a slash command's ack turns previews off", func(t *testing.T) {
		s := guestServer(t)
		startApp(t, s, bot.SlackConfig{}, nil)
		unfurlsNothing(t, "the ack", slash(t, s, memberID).Raw)
	})
	t.Run("a refusal in an ack turns previews off", func(t *testing.T) {
		s := guestServer(t)
		startApp(t, s, bot.SlackConfig{}, nil)
		unfurlsNothing(t, "the refusal", slash(t, s, multiGuestID).Raw)
	})
	t.Run("a response_url answer turns previews off", func(t *testing.T) {
		s := guestServer(t)
		startApp(t, s, bot.SlackConfig{AlertChannel: slacktest.DefaultChannel}, nil)
		d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: "ack", UserID: singleGuestID,
			Blocks: buttonBlocks(t, "ack", "7")})
		if err != nil {
			t.Fatal(err)
		}
		posts := awaitResponses(s, d.EnvelopeID)
		if len(posts) != 1 {
			t.Fatalf("%d response_url posts", len(posts))
		}
		unfurlsNothing(t, "the response_url post", posts[0].Raw)
	})
}

func TestAlertsUnfurlNothing(t *testing.T) {
	s := slacktest.NewServer()
	t.Cleanup(s.Close)
	api := bot.NewSlackClient(bot.SlackConfig{BotToken: s.BotToken(), AppToken: s.AppToken(), APIURL: s.APIURL()})
	sender := bot.NewSlackSender(api, slacktest.DefaultChannel)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	parent, err := sender.Send(ctx, render.Message{Text: "https://evil.example", Key: "store/1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Send(ctx, render.Message{Text: "https://evil.example/2", Key: "store/2"}, parent); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("%d chat.postMessage calls", len(calls))
	}
	for i, c := range calls {
		if c.Params.Get("unfurl_links") != "false" || c.Params.Get("unfurl_media") != "false" {
			t.Errorf("post %d: unfurl_links=%q unfurl_media=%q, want false", i, c.Params.Get("unfurl_links"), c.Params.Get("unfurl_media"))
		}
	}
}
