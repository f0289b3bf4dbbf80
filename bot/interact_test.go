package bot_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// clickRecorder is a ClickHandler that remembers its clicks.
type clickRecorder struct {
	mu     sync.Mutex
	clicks []bot.Click
	done   chan struct{}
}

func newClickRecorder() *clickRecorder { return &clickRecorder{done: make(chan struct{}, 16)} }

func (r *clickRecorder) handle(_ context.Context, c bot.Click) {
	r.mu.Lock()
	r.clicks = append(r.clicks, c)
	r.mu.Unlock()
	r.done <- struct{}{}
}

func (r *clickRecorder) got() []bot.Click {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Click(nil), r.clicks...)
}

// startApp runs an App against s until the test ends.
func startApp(t *testing.T, s *slacktest.Server, cfg bot.SlackConfig, register func(*bot.App)) *bot.App {
	t.Helper()
	cfg.AppToken, cfg.BotToken, cfg.APIURL = s.AppToken(), s.BotToken(), s.APIURL()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	api := bot.NewSlackClient(cfg)
	app := bot.NewApp(cfg, api, commands.New(alerts.DefaultRules().LowBalance, time.Now))
	if register != nil {
		register(app)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := s.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	return app
}

func buttonBlocks(t *testing.T, actionID, value string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal([]slack.Block{slack.NewActionBlock("actions",
		slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, "Ack", false, false)))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func within(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not called")
	}
}

func TestClicksReachTheirHandlerOnce(t *testing.T) {
	s := slacktest.NewServer()
	t.Cleanup(s.Close)
	rec := newClickRecorder()
	startApp(t, s, bot.SlackConfig{AlertChannel: slacktest.DefaultChannel},
		func(a *bot.App) { a.HandleClick("ack", rec.handle) })
	ctx := context.Background()

	d, err := s.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", Blocks: buttonBlocks(t, "ack", "7")})
	if err != nil {
		t.Fatal(err)
	}
	within(t, rec.done)
	if !d.AckedInTime() {
		t.Errorf("acknowledged after %v", d.AckAfter)
	}
	t.Run("a redelivered envelope acts once", func(t *testing.T) {
		if _, err := s.Redeliver(ctx, d.EnvelopeID, "timeout"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if n := len(rec.got()); n != 1 {
			t.Errorf("the handler ran %d times", n)
		}
	})
	c := rec.got()[0]
	if c.Value != "7" || c.UserID != slacktest.DefaultUserID || c.ResponseURL == "" || c.TriggerID == "" {
		t.Errorf("the click as the handler saw it: %+v", c)
	}
}

func TestAClickFromSomeoneNotAllowedChangesNothing(t *testing.T) {
	s := slacktest.NewServer()
	t.Cleanup(s.Close)
	rec := newClickRecorder()
	startApp(t, s, bot.SlackConfig{AlertChannel: slacktest.DefaultChannel, AllowedUsers: []string{"U0SOMEONEELSE"}},
		func(a *bot.App) { a.HandleClick("ack", rec.handle) })
	d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: "ack", Blocks: buttonBlocks(t, "ack", "7")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(s.ResponseURLPosts(d.EnvelopeID)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	posts := s.ResponseURLPosts(d.EnvelopeID)
	if len(posts) != 1 || !strings.Contains(posts[0].Text, "isn't available to you") {
		t.Errorf("the refused user was told %+v", posts)
	}
	if n := len(rec.got()); n != 0 {
		t.Errorf("the handler ran %d times for a refused user", n)
	}
}

func TestOpeningTheHomeTabReachesItsHandler(t *testing.T) {
	s := slacktest.NewServer()
	t.Cleanup(s.Close)
	opened := make(chan string, 2)
	startApp(t, s, bot.SlackConfig{}, func(a *bot.App) {
		a.HandleHomeOpened(func(_ context.Context, user string) { opened <- user })
	})
	if _, err := s.AppHomeOpened(context.Background(), slacktest.AppHomeOpened{}); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-opened:
		if u != slacktest.DefaultUserID {
			t.Errorf("opened for %q", u)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not called")
	}
}
