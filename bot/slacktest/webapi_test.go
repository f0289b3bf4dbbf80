package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func header(text string) slack.Block {
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, text, false, false))
}

func TestPostMessage(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		wantErr string
	}{
		{
			name:    "a message with text and blocks is accepted",
			channel: slacktest.DefaultChannel,
			opts:    []slack.MsgOption{slack.MsgOptionText("alert", false), slack.MsgOptionBlocks(header("Alert"), section("*disk* full"))},
		},
		{
			name:    "a threaded reply keeps its thread timestamp",
			channel: slacktest.DefaultChannel,
			opts:    []slack.MsgOption{slack.MsgOptionText("reply", false), slack.MsgOptionTS("1700000000.000100")},
		},
		{
			name:    "a channel given by name is resolved",
			channel: "#" + strings.ToLower(slacktest.DefaultChannel),
			opts:    []slack.MsgOption{slack.MsgOptionText("by name", false)},
		},
		{
			name:    "exactly 50 blocks are accepted",
			channel: slacktest.DefaultChannel,
			opts:    []slack.MsgOption{slack.MsgOptionText("many", false), slack.MsgOptionBlocks(dividers(50)...)},
		},
		{
			name:    "an unknown channel is channel_not_found",
			channel: "C0NOPE",
			opts:    []slack.MsgOption{slack.MsgOptionText("hi", false)},
			wantErr: "channel_not_found",
		},
		{
			name:    "a channel the bot is not in is not_in_channel",
			channel: "C0OTHER",
			opts:    []slack.MsgOption{slack.MsgOptionText("hi", false)},
			wantErr: "not_in_channel",
		},
		{
			name:    "51 blocks are invalid_blocks",
			channel: slacktest.DefaultChannel,
			opts:    []slack.MsgOption{slack.MsgOptionText("many", false), slack.MsgOptionBlocks(dividers(51)...)},
			wantErr: "invalid_blocks",
		},
		{
			name:    "a section over 3000 characters is invalid_blocks",
			channel: slacktest.DefaultChannel,
			opts:    []slack.MsgOption{slack.MsgOptionBlocks(section(strings.Repeat("é", 3001)))},
			wantErr: "invalid_blocks",
		},
		{
			name:    "a header over 150 characters is invalid_blocks",
			channel: slacktest.DefaultChannel,
			opts:    []slack.MsgOption{slack.MsgOptionBlocks(header(strings.Repeat("h", 151)))},
			wantErr: "invalid_blocks",
		},
		{
			name:    "text over 40000 characters is msg_too_long",
			channel: slacktest.DefaultChannel,
			opts:    []slack.MsgOption{slack.MsgOptionText(strings.Repeat("t", 40001), false)},
			wantErr: "msg_too_long",
		},
		{
			name:    "a message with neither text nor blocks is no_text",
			channel: slacktest.DefaultChannel,
			wantErr: "no_text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, slacktest.WithChannels(slacktest.DefaultChannel), slacktest.WithNonMemberChannels("C0OTHER"))

			ch, ts, err := newAPI(s).PostMessage(tt.channel, tt.opts...)

			calls := s.Calls("chat.postMessage")
			if len(calls) != 1 || calls[0].Token != s.BotToken() {
				t.Fatalf("calls = %+v, want one with the bot token", calls)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("PostMessage error = %v, want %s", err, tt.wantErr)
				}
				if calls[0].Error != tt.wantErr {
					t.Errorf("recorded error = %q", calls[0].Error)
				}
				if msgs := s.Messages(""); len(msgs) != 0 {
					t.Errorf("rejected message was recorded: %+v", msgs)
				}
				return
			}
			if err != nil {
				t.Fatalf("PostMessage: %v", err)
			}
			msgs := s.Messages(slacktest.DefaultChannel)
			if ch != slacktest.DefaultChannel || len(msgs) != 1 || msgs[0].TS != ts || msgs[0].User != slacktest.BotUserID {
				t.Fatalf("PostMessage = %q %q, messages %+v", ch, ts, msgs)
			}
			m := msgs[0]
			if m.Text != calls[0].Params.Get("text") || m.ThreadTS != calls[0].Params.Get("thread_ts") {
				t.Errorf("message %+v does not match params %v", m, calls[0].Params)
			}
			if sent := calls[0].Params.Get("blocks"); sent != string(m.Blocks) {
				t.Errorf("blocks = %s, want %s", m.Blocks, sent)
			}
			if m.Raw.Has("token") {
				t.Error("Message.Raw leaks the token")
			}
		})
	}
}

func TestAMessageWithBlocksIsReturnedInFull(t *testing.T) {
	s := newServer(t)
	_, _, msg, err := newAPI(s).PostMessageWithResponse(slacktest.DefaultChannel,
		slack.MsgOptionText("alert", false), slack.MsgOptionBlocks(header("Alert"), section("body")))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Text != "alert" || len(msg.Blocks.BlockSet) != 2 || msg.BotID != slacktest.BotID {
		t.Errorf("message = %+v", msg)
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		wantErr string
	}{
		{name: "the bot token is accepted", token: slacktest.DefaultBotToken},
		{name: "a wrong token is invalid_auth", token: "xoxb-wrong", wantErr: "invalid_auth"},
		{name: "the app token is not_allowed_token_type", token: slacktest.DefaultAppToken, wantErr: "not_allowed_token_type"},
		{name: "no token is not_authed", token: "", wantErr: "not_authed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			api := slack.New(tt.token, slack.OptionAPIURL(s.APIURL()))

			res, err := api.AuthTest()

			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("AuthTest error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.UserID != slacktest.BotUserID || res.BotID != slacktest.BotID || res.TeamID != slacktest.TeamID || res.URL == "" {
				t.Errorf("AuthTest = %+v", res)
			}
		})
	}
}

func TestCustomTokens(t *testing.T) {
	s := newServer(t, slacktest.WithTokens("xapp-1-custom", "xoxb-custom"))
	if s.AppToken() != "xapp-1-custom" || s.BotToken() != "xoxb-custom" {
		t.Fatalf("tokens = %q %q", s.AppToken(), s.BotToken())
	}
	if _, err := newAPI(s).AuthTest(); err != nil {
		t.Errorf("AuthTest with custom token: %v", err)
	}
	if _, err := slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(s.APIURL())).AuthTest(); err == nil {
		t.Error("the default token still works")
	}
}

func TestFaults(t *testing.T) {
	post := func(api *slack.Client) error {
		_, _, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("hi", false))
		return err
	}
	tests := []struct {
		name       string
		inject     func(*slacktest.Server)
		checkErr   func(t *testing.T, err error)
		wantStatus int
		failures   int // calls that fail before one succeeds; -1: never until cleared
	}{
		{
			name:   "a rate limit surfaces as *slack.RateLimitedError with its Retry-After",
			inject: func(s *slacktest.Server) { s.RateLimit("chat.postMessage", 2, 1500*time.Millisecond) },
			checkErr: func(t *testing.T, err error) {
				rl, ok := errors.AsType[*slack.RateLimitedError](err)
				if !ok || rl.RetryAfter != 2*time.Second {
					t.Errorf("error = %#v, want RateLimitedError with RetryAfter 2s (rounded up)", err)
				}
			},
			wantStatus: http.StatusTooManyRequests,
			failures:   2,
		},
		{
			name:   "an HTTP failure surfaces as slack.StatusCodeError",
			inject: func(s *slacktest.Server) { s.FailHTTP("chat.postMessage", http.StatusInternalServerError, 1) },
			checkErr: func(t *testing.T, err error) {
				if sc, ok := errors.AsType[slack.StatusCodeError](err); !ok || sc.Code != 500 {
					t.Errorf("error = %#v, want StatusCodeError 500", err)
				}
			},
			wantStatus: http.StatusInternalServerError,
			failures:   1,
		},
		{
			name:   "a Slack error lasts until the faults are cleared",
			inject: func(s *slacktest.Server) { s.FailMethod("chat.postMessage", "fatal_error", -1) },
			checkErr: func(t *testing.T, err error) {
				if _, ok := errors.AsType[slack.SlackErrorResponse](err); !ok || err.Error() != "fatal_error" {
					t.Errorf("error = %#v, want SlackErrorResponse fatal_error", err)
				}
			},
			wantStatus: http.StatusOK,
			failures:   -1,
		},
		{
			name:   "a fault on every method hits chat.postMessage too",
			inject: func(s *slacktest.Server) { s.FailMethod(slacktest.AnyMethod, "service_unavailable", 1) },
			checkErr: func(t *testing.T, err error) {
				if err == nil || err.Error() != "service_unavailable" {
					t.Errorf("error = %v", err)
				}
			},
			wantStatus: http.StatusOK,
			failures:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			api := newAPI(s)
			tt.inject(s)

			n := tt.failures
			if n < 0 {
				n = 3
			}
			for i := range n {
				err := post(api)
				tt.checkErr(t, err)
				if c := s.Calls("chat.postMessage")[i]; c.Status != tt.wantStatus {
					t.Errorf("call %d status = %d, want %d", i, c.Status, tt.wantStatus)
				}
			}
			if tt.failures < 0 {
				s.ClearFaults()
			}
			if err := post(api); err != nil {
				t.Errorf("call after the fault: %v", err)
			}
			if got := len(s.Messages(slacktest.DefaultChannel)); got != 1 {
				t.Errorf("messages = %d, want 1", got)
			}
		})
	}
}

func TestAnUnknownMethodIsUnknownMethod(t *testing.T) {
	s := newServer(t)
	resp, err := http.PostForm(s.APIURL()+"chat.frobnicate", url.Values{"token": {s.BotToken()}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.OK || body.Error != "unknown_method" {
		t.Errorf("answer = %+v", body)
	}
}

func TestJSONBodiesAreAccepted(t *testing.T) {
	s := newServer(t)
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"chat.postMessage",
		strings.NewReader(`{"channel":"C0ALERTS","text":"json","blocks":[{"type":"divider"}]}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+s.BotToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	msgs := s.Messages(slacktest.DefaultChannel)
	if len(msgs) != 1 || msgs[0].Text != "json" || string(msgs[0].Blocks) != `[{"type":"divider"}]` {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestConversations(t *testing.T) {
	s := newServer(t, slacktest.WithNonMemberChannels("C0OTHER"))
	api := newAPI(s)

	t.Run("info reports membership", func(t *testing.T) {
		ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: slacktest.DefaultChannel})
		if err != nil || ch.ID != slacktest.DefaultChannel || !ch.IsMember || ch.Name == "" {
			t.Errorf("info = %+v, %v", ch, err)
		}
		ch, err = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0OTHER"})
		if err != nil || ch.IsMember {
			t.Errorf("info = %+v, %v", ch, err)
		}
	})
	t.Run("info on an unknown channel is channel_not_found", func(t *testing.T) {
		if _, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0NOPE"}); err == nil || err.Error() != "channel_not_found" {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("joining a channel lets the bot post there", func(t *testing.T) {
		if _, _, err := api.PostMessage("C0OTHER", slack.MsgOptionText("x", false)); err == nil || err.Error() != "not_in_channel" {
			t.Fatalf("before join: %v", err)
		}
		if _, _, _, err := api.JoinConversation("C0OTHER"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := api.PostMessage("C0OTHER", slack.MsgOptionText("x", false)); err != nil {
			t.Errorf("after join: %v", err)
		}
	})
	t.Run("a bot removed from a channel gets not_in_channel", func(t *testing.T) {
		s.SetChannel(slacktest.DefaultChannel, false)
		defer s.SetChannel(slacktest.DefaultChannel, true)
		if _, _, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("x", false)); err == nil || err.Error() != "not_in_channel" {
			t.Errorf("error = %v", err)
		}
	})
}

func TestUpdateAndDelete(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	_, ts, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("firing", false), slack.MsgOptionBlocks(section("firing")))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("an update replaces the text and keeps the timestamp", func(t *testing.T) {
		if _, _, _, err := api.UpdateMessage(slacktest.DefaultChannel, ts, slack.MsgOptionText("resolved", false)); err != nil {
			t.Fatal(err)
		}
		m := s.Messages(slacktest.DefaultChannel)[0]
		if m.Text != "resolved" || m.TS != ts || m.Edits != 1 || m.Blocks == nil {
			t.Errorf("message = %+v", m)
		}
	})
	t.Run("an update of an unknown timestamp is message_not_found", func(t *testing.T) {
		if _, _, _, err := api.UpdateMessage(slacktest.DefaultChannel, "1.000000", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("an update with 51 blocks is invalid_blocks", func(t *testing.T) {
		if _, _, _, err := api.UpdateMessage(slacktest.DefaultChannel, ts, slack.MsgOptionBlocks(dividers(51)...)); err == nil || err.Error() != "invalid_blocks" {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("a delete marks the message deleted", func(t *testing.T) {
		if _, _, err := api.DeleteMessage(slacktest.DefaultChannel, ts); err != nil {
			t.Fatal(err)
		}
		if m := s.Messages(slacktest.DefaultChannel)[0]; !m.Deleted {
			t.Errorf("message = %+v", m)
		}
	})
}

func TestEphemeralMessagesAreRecorded(t *testing.T) {
	s := newServer(t)
	ts, err := newAPI(s).PostEphemeral(slacktest.DefaultChannel, "U1", slack.MsgOptionText("psst", false))
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(slacktest.DefaultChannel)
	if len(msgs) != 1 || !msgs[0].Ephemeral || msgs[0].User != "U1" || msgs[0].TS != ts {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestWaitMessagesReturnsOnceEnoughArrive(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, _, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("x", false)); err != nil {
				t.Error(err)
			}
		})
	}
	msgs, err := s.WaitMessages(timeoutCtx(t), slacktest.DefaultChannel, 3)
	wg.Wait()
	if err != nil || len(msgs) != 3 {
		t.Fatalf("WaitMessages = %d, %v", len(msgs), err)
	}
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.WaitMessages(short, slacktest.DefaultChannel, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMessages for a 4th = %v, want deadline", err)
	}
}

func TestTimestampsAreUniqueAndIncreasing(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	prev := ""
	for range 20 {
		_, ts, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != len("1700000000.000100") || ts <= prev {
			t.Fatalf("ts %q after %q", ts, prev)
		}
		prev = ts
	}
}

func TestHandleMethodAddsAMethodBehindTheTokenCheck(t *testing.T) {
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newServer(t, slacktest.WithLogger(logger))
	s.HandleMethod("users.info", func(c slacktest.Call) any {
		return map[string]any{"ok": true, "user": map[string]any{"id": c.Params.Get("user"), "name": "alice"}}
	})

	u, err := newAPI(s).GetUserInfo("U1")
	if err != nil || u.ID != "U1" || u.Name != "alice" {
		t.Errorf("GetUserInfo = %+v, %v", u, err)
	}
	if _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL())).GetUserInfo("U1"); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong token: %v", err)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "users.info") {
		t.Errorf("logger saw nothing about users.info: %q", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
