package slacktest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 5 * time.Second

func timeoutCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newServer starts a fake with a short ping interval and closes it at the
// end of the test.
func newServer(t *testing.T, opts ...slacktest.Option) *slacktest.Server {
	t.Helper()
	s := slacktest.NewServer(append([]slacktest.Option{slacktest.WithPingInterval(50 * time.Millisecond)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// newAPI returns a real slack-go Web API client pointed at s.
func newAPI(s *slacktest.Server) *slack.Client {
	return slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken()))
}

// slashHandler handles one slash command the way a bot would.
type slashHandler func(api *slack.Client, c *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand)

// bot runs slack-go's real socketmode client against the fake.
type bot struct {
	api    *slack.Client
	client *socketmode.Client
	done   chan error

	mu   sync.Mutex
	seen []socketmode.EventType
}

// startBot runs RunContext in a goroutine, drains Events continuously and
// calls handle (in its own goroutine) for every slash command. The client
// is stopped at the end of the test.
func startBot(t *testing.T, s *slacktest.Server, api *slack.Client, handle slashHandler, opts ...socketmode.Option) *bot {
	t.Helper()
	return runBot(t, api, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand || handle == nil {
			return
		}
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			t.Errorf("slash command event carries %T", evt.Data)
			return
		}
		handle(api, c, *evt.Request, cmd)
	}, opts...)
}

// eventHandler handles one event of any type the way a bot would.
type eventHandler func(c *socketmode.Client, evt socketmode.Event)

// runBot runs slack-go's real socketmode client, calling handle (in its own
// goroutine) for every event it emits. The client is stopped at the end of
// the test.
func runBot(t *testing.T, api *slack.Client, handle eventHandler, opts ...socketmode.Option) *bot {
	t.Helper()
	b := &bot{api: api, client: socketmode.New(api, opts...), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { b.done <- b.client.RunContext(ctx) }()
	var handlers sync.WaitGroup
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-b.client.Events:
				b.mu.Lock()
				b.seen = append(b.seen, evt.Type)
				b.mu.Unlock()
				handlers.Go(func() { handle(b.client, evt) })
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-b.done:
		case <-time.After(testTimeout):
			t.Error("RunContext did not return after cancel")
		}
		<-drained
		handlers.Wait()
	})
	return b
}

func (b *bot) saw(typ socketmode.EventType) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Contains(b.seen, typ)
}

// waitSaw polls until the client has emitted an event of type typ.
func (b *bot) waitSaw(t *testing.T, typ socketmode.EventType) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !b.saw(typ) {
		if time.Now().After(deadline) {
			t.Errorf("client never saw a %q event", typ)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ackWith returns a handler that acks with payload.
func ackWith(payload any) slashHandler {
	return func(_ *slack.Client, c *socketmode.Client, req socketmode.Request, _ slack.SlashCommand) {
		_ = c.Ack(req, payload)
	}
}

// rawClient is a hand-rolled Socket Mode client, for wire-level checks.
type rawClient struct {
	ws *websocket.Conn
}

// dialRaw opens a socket like slack-go does: apps.connections.open with the
// app token, then a dial with Origin https://api.slack.com.
func dialRaw(t *testing.T, s *slacktest.Server) *rawClient {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.APIURL()+"apps.connections.open", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.AppToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var open struct {
		OK  bool   `json:"ok"`
		URL string `json:"url"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&open); err != nil || !open.OK {
		t.Fatalf("apps.connections.open: ok=%v err=%v", open.OK, err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(open.URL, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatalf("dial %s: %v", open.URL, err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return &rawClient{ws: ws}
}

// read reads one JSON message into a generic map.
func (c *rawClient) read(t *testing.T) map[string]any {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(testTimeout))
	var m map[string]any
	if err := c.ws.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}
