package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

func dividers(n int) []slack.Block {
	blocks := make([]slack.Block, n)
	for i := range blocks {
		blocks[i] = slack.NewDividerBlock()
	}
	return blocks
}

func TestSlashCommand(t *testing.T) {
	tests := []struct {
		name    string
		cmd     slacktest.SlashCommand
		setup   func(*slacktest.Server)
		handle  slashHandler
		want    slacktest.Response // EnvelopeID, Raw and AckAfter are not compared, Blocks only when set
		wantErr error
	}{
		{
			name:   "an acked text comes back as the response",
			cmd:    slacktest.SlashCommand{Command: "/orgs"},
			handle: ackWith(map[string]any{"text": "3 orgs", "response_type": "ephemeral"}),
			want:   slacktest.Response{Text: "3 orgs", ResponseType: "ephemeral"},
		},
		{
			name: "acked blocks come back with an in_channel response type",
			cmd:  slacktest.SlashCommand{Command: "/org", Text: "acme"},
			handle: ackWith(map[string]any{
				"response_type": slack.ResponseTypeInChannel,
				"blocks":        []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "acme", false, false))},
			}),
			want: slacktest.Response{
				ResponseType: "in_channel",
				Blocks:       json.RawMessage(`[{"type":"header","text":{"type":"plain_text","text":"acme","emoji":false}}]`),
			},
		},
		{
			name: "the command's text, user and channel reach the bot",
			cmd:  slacktest.SlashCommand{Command: "/org", Text: "acme corp", UserID: "U42", ChannelID: "D99"},
			handle: func(_ *slack.Client, c *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
				_ = c.Ack(req, map[string]any{"text": strings.Join([]string{cmd.Command, cmd.Text, cmd.UserID, cmd.ChannelID, cmd.TeamID}, "|")})
			},
			want: slacktest.Response{Text: "/org|acme corp|U42|D99|" + slacktest.TeamID},
		},
		{
			name: "an empty ack followed by a response_url post returns the posted message",
			cmd:  slacktest.SlashCommand{Command: "/orgs"},
			handle: func(api *slack.Client, c *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
				_ = c.Ack(req)
				_, _, _ = api.PostMessage(cmd.ChannelID,
					slack.MsgOptionText("done later", false),
					slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral))
			},
			want: slacktest.Response{Text: "done later", ResponseType: "ephemeral", ViaResponseURL: true},
		},
		{
			name: "an empty ack followed by a webhook post to response_url returns the posted message",
			cmd:  slacktest.SlashCommand{Command: "/orgs"},
			handle: func(_ *slack.Client, c *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
				_ = c.Ack(req)
				_ = slack.PostWebhookContext(context.Background(), cmd.ResponseURL,
					&slack.WebhookMessage{Text: "via webhook", ResponseType: slack.ResponseTypeInChannel, ReplaceOriginal: true})
			},
			want: slacktest.Response{Text: "via webhook", ResponseType: "in_channel", ViaResponseURL: true, ReplaceOriginal: true},
		},
		{
			name: "an empty ack followed by chat.postEphemeral returns the ephemeral message",
			cmd:  slacktest.SlashCommand{Command: "/orgs", UserID: "U7"},
			handle: func(api *slack.Client, c *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
				_ = c.Ack(req)
				_, _ = api.PostEphemeral(cmd.ChannelID, cmd.UserID, slack.MsgOptionText("just for you", false))
			},
			want: slacktest.Response{Text: "just for you", ResponseType: "ephemeral", ViaEphemeral: true},
		},
		{
			name:    "an ack with more than 50 blocks is reported as invalid",
			cmd:     slacktest.SlashCommand{Command: "/orgs"},
			handle:  ackWith(map[string]any{"text": "many", "blocks": dividers(51)}),
			want:    slacktest.Response{Text: "many"},
			wantErr: slacktest.ErrInvalidResponse,
		},
		{
			name:  "an ack later than the deadline is reported as a timeout",
			cmd:   slacktest.SlashCommand{Command: "/orgs"},
			setup: func(s *slacktest.Server) { s.SetAckTimeout(20 * time.Millisecond) },
			handle: func(_ *slack.Client, c *socketmode.Client, req socketmode.Request, _ slack.SlashCommand) {
				time.Sleep(100 * time.Millisecond)
				_ = c.Ack(req, map[string]any{"text": "slow"})
			},
			want:    slacktest.Response{Text: "slow"},
			wantErr: slacktest.ErrAckTimeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			b := startBot(t, s, newAPI(s), tt.handle)
			ctx := timeoutCtx(t)
			if err := s.WaitConnected(ctx); err != nil {
				t.Fatalf("WaitConnected: %v", err)
			}

			got, err := s.SlashCommand(ctx, tt.cmd)

			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SlashCommand error = %v, want %v", err, tt.wantErr)
			}
			if got.EnvelopeID == "" {
				t.Error("Response has no EnvelopeID")
			}
			got.EnvelopeID, got.Raw, got.AckAfter = "", nil, 0
			if tt.want.Blocks == nil {
				got.Blocks = nil
			}
			if g, w := mustJSON(t, got), mustJSON(t, tt.want); g != w {
				t.Errorf("Response =\n%s\nwant\n%s", g, w)
			}
			for _, typ := range []socketmode.EventType{socketmode.EventTypeConnecting, socketmode.EventTypeConnected, socketmode.EventTypeHello, socketmode.EventTypeSlashCommand} {
				b.waitSaw(t, typ)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSlackGoRefusesAnAckOf20KiBOrMore(t *testing.T) {
	s := newServer(t)
	ackErr := make(chan error, 1)
	startBot(t, s, newAPI(s), func(_ *slack.Client, c *socketmode.Client, req socketmode.Request, _ slack.SlashCommand) {
		ackErr <- c.Ack(req, map[string]any{"text": strings.Repeat("x", slacktest.MaxAckSize)})
	})
	ctx := timeoutCtx(t)
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()

	_, err := s.SlashCommand(short, slacktest.SlashCommand{Command: "/orgs"})

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("SlashCommand error = %v, want a deadline (the ack never left the client)", err)
	}
	if err := <-ackErr; err == nil {
		t.Error("Ack of a 20 KiB payload succeeded, want slack-go's size error")
	}
	if n := len(s.Acks()); n != 0 {
		t.Errorf("server recorded %d acks, want 0", n)
	}
}

func TestTheWireFormatMatchesSlack(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *slacktest.Server, c *rawClient)
	}{
		{
			name: "hello carries the connection count, debug info and app id",
			run: func(t *testing.T, _ *slacktest.Server, c *rawClient) {
				hello := c.read(t)
				if hello["type"] != "hello" || hello["num_connections"] != float64(1) {
					t.Errorf("hello = %v", hello)
				}
				if info, _ := hello["connection_info"].(map[string]any); info["app_id"] != slacktest.AppID {
					t.Errorf("connection_info = %v", hello["connection_info"])
				}
				if dbg, _ := hello["debug_info"].(map[string]any); dbg["host"] == "" || dbg["host"] == nil {
					t.Errorf("debug_info = %v", hello["debug_info"])
				}
			},
		},
		{
			name: "an envelope looks like Slack's and an oversized ack is dropped",
			run: func(t *testing.T, s *slacktest.Server, c *rawClient) {
				c.read(t) // hello
				errc := make(chan error, 1)
				go func() {
					_, err := s.SlashCommand(timeoutCtx(t), slacktest.SlashCommand{Command: "/orgs", Text: "x"})
					errc <- err
				}()
				env := c.read(t)
				payload, _ := env["payload"].(map[string]any)
				if env["type"] != "slash_commands" || env["accepts_response_payload"] != true || env["envelope_id"] == "" {
					t.Errorf("envelope = %v", env)
				}
				if payload["command"] != "/orgs" || payload["is_enterprise_install"] != "false" ||
					!strings.HasPrefix(payload["response_url"].(string), s.URL()+"/") {
					t.Errorf("payload = %v", payload)
				}
				big := map[string]any{"envelope_id": env["envelope_id"], "payload": map[string]any{"text": strings.Repeat("y", slacktest.MaxAckSize)}}
				if err := c.ws.WriteJSON(big); err != nil {
					t.Fatal(err)
				}
				if err := <-errc; !errors.Is(err, slacktest.ErrAckTooLarge) {
					t.Errorf("SlashCommand error = %v, want ErrAckTooLarge", err)
				}
				if acks := s.Acks(); len(acks) != 1 || !acks[0].Dropped || acks[0].Reason != "too_large" {
					t.Errorf("Acks = %+v", acks)
				}
			},
		},
		{
			name: "a response_url accepts five posts and refuses the sixth",
			run: func(t *testing.T, s *slacktest.Server, c *rawClient) {
				c.read(t) // hello
				errc := make(chan error, 1)
				go func() {
					_, err := s.SlashCommand(timeoutCtx(t), slacktest.SlashCommand{Command: "/orgs"})
					errc <- err
				}()
				env := c.read(t)
				responseURL := env["payload"].(map[string]any)["response_url"].(string)
				if err := c.ws.WriteJSON(map[string]any{"envelope_id": env["envelope_id"]}); err != nil {
					t.Fatal(err)
				}
				for i := range slacktest.MaxResponseURLUses {
					if err := slack.PostWebhook(responseURL, &slack.WebhookMessage{Text: "update"}); err != nil {
						t.Fatalf("post %d: %v", i+1, err)
					}
				}
				err := slack.PostWebhook(responseURL, &slack.WebhookMessage{Text: "one too many"})
				if sc, ok := errors.AsType[slack.StatusCodeError](err); !ok || sc.Code != 404 {
					t.Errorf("sixth post error = %v, want a 404 StatusCodeError", err)
				}
				if err := <-errc; err != nil {
					t.Errorf("SlashCommand: %v", err)
				}
				if n := len(s.ResponseURLPosts(env["envelope_id"].(string))); n != slacktest.MaxResponseURLUses {
					t.Errorf("ResponseURLPosts = %d, want %d", n, slacktest.MaxResponseURLUses)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			tt.run(t, s, dialRaw(t, s))
		})
	}
}

func TestTheClientReconnects(t *testing.T) {
	tests := []struct {
		name    string
		disrupt func(t *testing.T, s *slacktest.Server)
	}{
		{
			name: "after the sockets are dropped abruptly",
			disrupt: func(t *testing.T, s *slacktest.Server) {
				s.DropConnections()
				if n := s.Connections(); n != 0 {
					t.Errorf("Connections after drop = %d, want 0", n)
				}
			},
		},
		{
			name: "after Slack asks it to disconnect",
			disrupt: func(t *testing.T, s *slacktest.Server) {
				if n := s.Disconnect("refresh_requested"); n != 1 {
					t.Errorf("Disconnect told %d sockets, want 1", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			startBot(t, s, newAPI(s), ackWith(map[string]any{"text": "pong"}))
			ctx := timeoutCtx(t)
			if err := s.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}

			tt.disrupt(t, s)

			if err := s.WaitConnectionsOpened(ctx, 2); err != nil {
				t.Fatalf("no reconnect: %v", err)
			}
			if err := s.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := s.SlashCommand(ctx, slacktest.SlashCommand{Command: "/orgs"})
			if err != nil || got.Text != "pong" {
				t.Errorf("SlashCommand after reconnect = %+v, %v", got, err)
			}
			if n := len(s.Calls("apps.connections.open")); n != 2 {
				t.Errorf("apps.connections.open called %d times, want 2", n)
			}
		})
	}
}

func TestPings(t *testing.T) {
	tests := []struct {
		name          string
		serverPing    time.Duration
		clientMaxPing time.Duration
		wait          func(ctx context.Context, s *slacktest.Server) error
		check         func(t *testing.T, s *slacktest.Server)
	}{
		{
			name:          "regular pings keep the client on one socket",
			serverPing:    20 * time.Millisecond,
			clientMaxPing: 400 * time.Millisecond,
			wait: func(ctx context.Context, _ *slacktest.Server) error {
				select {
				case <-time.After(700 * time.Millisecond):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			},
			check: func(t *testing.T, s *slacktest.Server) {
				if n := s.ConnectionsOpened(); n != 1 {
					t.Errorf("ConnectionsOpened = %d, want 1", n)
				}
			},
		},
		{
			name:          "a client that sees no ping in time reconnects",
			serverPing:    time.Hour,
			clientMaxPing: 100 * time.Millisecond,
			wait: func(ctx context.Context, s *slacktest.Server) error {
				return s.WaitConnectionsOpened(ctx, 2)
			},
			check: func(*testing.T, *slacktest.Server) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, slacktest.WithPingInterval(tt.serverPing))
			startBot(t, s, newAPI(s), nil, socketmode.OptionPingInterval(tt.clientMaxPing))
			ctx := timeoutCtx(t)
			if err := s.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tt.wait(ctx, s); err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestRunContextFailsOnBadAuth(t *testing.T) {
	tests := []struct {
		name     string
		appToken string
		setup    func(*slacktest.Server)
		wantErr  string
	}{
		{name: "when the app token is wrong", appToken: "xapp-wrong", wantErr: "invalid_auth"},
		{name: "when the app token is missing", appToken: "", wantErr: "not_authed"},
		{
			name:     "when apps.connections.open has an invalid_auth fault",
			appToken: slacktest.DefaultAppToken,
			setup:    func(s *slacktest.Server) { s.FailMethod("apps.connections.open", "invalid_auth", -1) },
			wantErr:  "invalid_auth",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(tt.appToken))
			b := startBot(t, s, api, nil)

			select {
			case err := <-b.done:
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("RunContext error = %v, want %s", err, tt.wantErr)
				}
				b.done <- err // let cleanup see it returned
			case <-time.After(testTimeout):
				t.Fatal("RunContext kept running")
			}
			if s.Connections() != 0 || s.ConnectionsOpened() != 0 {
				t.Error("a socket was opened despite bad auth")
			}
		})
	}
}

func TestCloseEndsWaits(t *testing.T) {
	s := slacktest.NewServer()
	s.Close()
	s.Close() // idempotent

	if err := s.WaitConnected(context.Background()); !errors.Is(err, slacktest.ErrServerClosed) {
		t.Errorf("WaitConnected after Close = %v", err)
	}
	if _, err := s.SlashCommand(context.Background(), slacktest.SlashCommand{Command: "/orgs"}); !errors.Is(err, slacktest.ErrServerClosed) {
		t.Errorf("SlashCommand after Close = %v", err)
	}
}

func TestAnUnackedEnvelopeIsRedeliveredAfterADrop(t *testing.T) {
	s := newServer(t)
	firstDelivery := make(chan struct{}, 1)
	startBot(t, s, newAPI(s), func(_ *slack.Client, c *socketmode.Client, req socketmode.Request, _ slack.SlashCommand) {
		if req.RetryAttempt == 0 {
			firstDelivery <- struct{}{} // lose it: no ack
			return
		}
		_ = c.Ack(req, map[string]any{"text": "retry " + req.RetryReason})
	})
	ctx := timeoutCtx(t)
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	type result struct {
		r   slacktest.Response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := s.SlashCommand(ctx, slacktest.SlashCommand{Command: "/orgs"})
		done <- result{r, err}
	}()
	select {
	case <-firstDelivery:
	case <-ctx.Done():
		t.Fatal("envelope never delivered")
	}

	s.DropConnections()

	got := <-done
	if got.err != nil || got.r.Text != "retry timeout" {
		t.Errorf("SlashCommand = %+v, %v", got.r, got.err)
	}
}

func TestTheClientRetriesAFailedConnect(t *testing.T) {
	tests := []struct {
		name   string
		inject func(*slacktest.Server)
	}{
		{
			name:   "when apps.connections.open is rate limited",
			inject: func(s *slacktest.Server) { s.RateLimit("apps.connections.open", 1, 0) },
		},
		{
			name:   "when the WebSocket handshake fails",
			inject: func(s *slacktest.Server) { s.FailHTTP(slacktest.MethodWebSocket, http.StatusServiceUnavailable, 1) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			tt.inject(s)
			b := startBot(t, s, newAPI(s), nil)
			ctx := timeoutCtx(t)

			if err := s.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}

			b.waitSaw(t, socketmode.EventTypeConnectionError)
			if n := len(s.Calls("apps.connections.open")); n != 2 {
				t.Errorf("apps.connections.open called %d times, want 2", n)
			}
		})
	}
}
