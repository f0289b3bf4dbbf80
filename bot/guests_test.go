package bot_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// lockedLog is a log buffer the App and the test may use at once.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

const (
	memberID      = "U0MEMBER"
	multiGuestID  = "U0MULTI"
	singleGuestID = "U0SINGLE"
)

func guestServer(t *testing.T) *slacktest.Server {
	t.Helper()
	s := slacktest.NewServer(slacktest.WithUsers(
		slacktest.User{ID: memberID},
		slacktest.User{ID: multiGuestID, IsRestricted: true},
		slacktest.User{ID: singleGuestID, IsUltraRestricted: true},
	))
	t.Cleanup(s.Close)
	return s
}

func slash(t *testing.T, s *slacktest.Server, user string) slacktest.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.SlashCommand(ctx, slacktest.SlashCommand{Command: "/orgs", UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func refused(r slacktest.Response) bool { return strings.Contains(r.Text, "isn't available to you") }

func TestGuestsAreRefusedUnlessListed(t *testing.T) {
	for _, tt := range []struct {
		name    string
		allowed []string
		user    string
		refuse  bool
	}{
		{"a member may use the bot when nobody is listed", nil, memberID, false},
		{"a multi-channel guest is refused when nobody is listed", nil, multiGuestID, true},
		{"a single-channel guest is refused when nobody is listed", nil, singleGuestID, true},
		{"a guest listed in allowed_user_ids may use the bot", []string{singleGuestID}, singleGuestID, false},
		{"a member not listed is refused when someone is", []string{singleGuestID}, memberID, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := guestServer(t)
			startApp(t, s, bot.SlackConfig{AllowedUsers: tt.allowed}, nil)
			if r := slash(t, s, tt.user); refused(r) != tt.refuse {
				t.Errorf("refused = %v, want %v; answer %q", refused(r), tt.refuse, r.Text)
			}
		})
	}
}

func TestAGuestsClickIsRefused(t *testing.T) {
	s := guestServer(t)
	rec := newClickRecorder()
	startApp(t, s, bot.SlackConfig{AlertChannel: slacktest.DefaultChannel},
		func(a *bot.App) { a.HandleClick("ack", rec.handle) })
	d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: "ack", UserID: multiGuestID,
		Blocks: buttonBlocks(t, "ack", "7")})
	if err != nil {
		t.Fatal(err)
	}
	if posts := awaitResponses(s, d.EnvelopeID); len(posts) != 1 || !strings.Contains(posts[0].Text, "isn't available to you") {
		t.Errorf("the guest was told %+v", posts)
	}
	if n := len(rec.got()); n != 0 {
		t.Errorf("the handler ran %d times for a guest", n)
	}
}

func TestWhatUsersInfoSaidIsCachedForAWhile(t *testing.T) {
	s := guestServer(t)
	app := startApp(t, s, bot.SlackConfig{}, nil)
	var mu sync.Mutex
	now := time.Now()
	app.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })

	slash(t, s, memberID)
	slash(t, s, memberID)
	if n := s.UserInfoCalls(memberID); n != 1 {
		t.Errorf("two commands looked the user up %d times, want once", n)
	}
	t.Run("a member turned guest is refused once the cached answer is old", func(t *testing.T) {
		s.SetUser(slacktest.User{ID: memberID, IsRestricted: true})
		mu.Lock()
		now = now.Add(11 * time.Minute)
		mu.Unlock()
		if r := slash(t, s, memberID); !refused(r) {
			t.Errorf("answered %q", r.Text)
		}
		if n := s.UserInfoCalls(memberID); n != 2 {
			t.Errorf("users.info calls = %d, want 2", n)
		}
	})
}

func TestWhenUsersInfoFailsTheBotRefusesAndSaysWhy(t *testing.T) {
	s := guestServer(t)
	logs := &lockedLog{}
	startApp(t, s, bot.SlackConfig{Logger: slog.New(slog.NewTextHandler(logs, nil))}, nil)
	s.FailMethod("users.info", "missing_scope", 2)
	for range 2 {
		r := slash(t, s, memberID)
		if !strings.Contains(r.Text, "could not check") {
			t.Errorf("answered %q, want a refusal saying the bot could not check", r.Text)
		}
	}
	if n := strings.Count(logs.String(), "users.info failed"); n != 1 {
		t.Errorf("logged the failure %d times, want once:\n%s", n, logs)
	}
	t.Run("the member is answered once users.info works again", func(t *testing.T) {
		if r := slash(t, s, memberID); refused(r) || strings.Contains(r.Text, "could not check") {
			t.Errorf("answered %q", r.Text)
		}
	})
}

// awaitResponses returns the response_url posts for an envelope once there
// is one, or none after 5 seconds.
func awaitResponses(s *slacktest.Server, envelopeID string) []slacktest.Response {
	deadline := time.Now().Add(5 * time.Second)
	for len(s.ResponseURLPosts(envelopeID)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return s.ResponseURLPosts(envelopeID)
}
