package slacktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Tokens and identities the fake uses unless told otherwise. They are
// constants so tests can build clients and assert on recorded values without
// asking the server.
const (
	// DefaultAppToken is the app-level token accepted by apps.connections.open.
	DefaultAppToken = "xapp-1-test"
	// DefaultBotToken is the bot token accepted by every other Web API method.
	DefaultBotToken = "xoxb-test"
	// DefaultChannel is the channel that exists, with the bot as a member,
	// when WithChannels is not given.
	DefaultChannel = "C0ALERTS"
	// DefaultUserID is the user who issues slash commands when
	// SlashCommand.UserID is empty.
	DefaultUserID = "U0TESTER"
	// TeamID is the workspace ID reported by auth.test and slash commands.
	TeamID = "T0TEST"
	// TeamDomain is the workspace domain reported in slash commands.
	TeamDomain = "resellerbot-test"
	// AppID is the Slack app ID reported in hello and slash commands.
	AppID = "A0TEST"
	// BotUserID is the bot's user ID, as returned by auth.test and as the
	// author of posted messages.
	BotUserID = "UBOT"
	// BotID is the bot ID returned by auth.test.
	BotID = "B0BOT"
	// BotUserName is the bot's user name returned by auth.test.
	BotUserName = "resellerbot"

	// MethodResponseURL is the pseudo method name under which POSTs to a
	// slash command's response_url are recorded by Calls and can be targeted
	// by RateLimit, FailMethod and FailHTTP.
	MethodResponseURL = "response_url"
	// MethodUpload is the pseudo method name under which POSTs of a file's
	// bytes to an upload_url (from files.getUploadURLExternal) are recorded
	// by Calls and can be targeted by RateLimit, FailMethod and FailHTTP.
	MethodUpload = "upload"
	// MethodWebSocket is the pseudo method name for the Socket Mode
	// WebSocket handshake; RateLimit and FailHTTP on it make dialing fail
	// with that HTTP status.
	MethodWebSocket = "websocket"
	// AnyMethod, passed to RateLimit, FailMethod or FailHTTP, makes the
	// fault apply to every method.
	AnyMethod = "*"

	// DefaultPingInterval is how often the server pings each socket.
	// slack-go reconnects when it sees no ping for 30 s.
	DefaultPingInterval = 5 * time.Second
	// DefaultAckTimeout is Slack's deadline for acknowledging an envelope.
	DefaultAckTimeout = 3 * time.Second
	// MaxAckSize is the size in bytes at or above which Slack silently
	// drops a Socket Mode response (slack-go refuses to send such acks).
	MaxAckSize = 20 * 1024
)

// Errors returned by Server methods. Compare with errors.Is.
var (
	// ErrServerClosed is returned by waits and SlashCommand after Close.
	ErrServerClosed = errors.New("slacktest: server closed")
	// ErrAckTooLarge means an ack was MaxAckSize bytes or more; Slack drops
	// such acks, so the user would see nothing.
	ErrAckTooLarge = errors.New("slacktest: ack payload too large, Slack drops it")
	// ErrAckTimeout means the ack arrived after the ack timeout (3 s by
	// default); Slack would show the user an operation_timeout error.
	ErrAckTimeout = errors.New("slacktest: ack arrived after Slack's deadline")
	// ErrInvalidResponse means the ack payload is one Slack would refuse: a
	// message breaking Slack's limits (the wrapped message names the Slack
	// error, e.g. invalid_blocks), or a view_submission ack with an unknown
	// response_action, an invalid view, or errors for non-input blocks.
	ErrInvalidResponse = errors.New("slacktest: invalid response payload")
	// ErrNoResponse means the ack had an empty payload and the bot did not
	// follow up through response_url or chat.postEphemeral before ctx ended.
	ErrNoResponse = errors.New("slacktest: empty ack and no follow-up response")
)

// config is what Options set; see NewServer.
type config struct {
	appToken, botToken string
	pingInterval       time.Duration
	ackTimeout         time.Duration
	triggerLifetime    time.Duration
	channels           []channelSpec
	channelsSet        bool
	users              []User
	logger             *slog.Logger
}

type channelSpec struct {
	id     string
	member bool
}

// Option configures a Server created by NewServer.
type Option func(*config)

// WithTokens sets the app-level token (for apps.connections.open) and the bot
// token (for every other method) the server accepts. Empty values keep the
// defaults.
func WithTokens(app, bot string) Option {
	return func(c *config) {
		if app != "" {
			c.appToken = app
		}
		if bot != "" {
			c.botToken = bot
		}
	}
}

// WithPingInterval sets how often each socket is pinged. It must be shorter
// than the client's maximum ping interval (socketmode.OptionPingInterval,
// 30 s by default) or the client will keep reconnecting. Non-positive values
// keep the default of 5 s.
func WithPingInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.pingInterval = d
		}
	}
}

// WithChannels declares the channels that exist and that the bot is a member
// of, replacing the default DefaultChannel. Each channel's name is its ID in
// lower case.
func WithChannels(ids ...string) Option {
	return func(c *config) {
		c.channelsSet = true
		for _, id := range ids {
			c.channels = append(c.channels, channelSpec{id: id, member: true})
		}
	}
}

// WithNonMemberChannels declares channels that exist but that the bot is not
// a member of, so posting there fails with not_in_channel until the bot joins
// (conversations.join) or the test calls SetChannel. It does not remove the
// default channel.
func WithNonMemberChannels(ids ...string) Option {
	return func(c *config) {
		for _, id := range ids {
			c.channels = append(c.channels, channelSpec{id: id, member: false})
		}
	}
}

// WithAckTimeout sets the deadline after which SlashCommand, BlockAction,
// ViewSubmission, AppHomeOpened and Redeliver report a late ack with
// ErrAckTimeout (default 3 s, as on Slack). Zero disables the check.
func WithAckTimeout(d time.Duration) Option {
	return func(c *config) { c.ackTimeout = d }
}

// WithTriggerLifetime sets how long a trigger_id stays valid for
// views.open (default TriggerLifetime, 3 s, as on Slack), so a test can
// check that a bot opens its modal before any slow work without waiting
// 3 s. Non-positive values keep the default.
func WithTriggerLifetime(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.triggerLifetime = d
		}
	}
}

// WithLogger makes the server log its activity at debug level to l. Without
// it the server logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// Call is one recorded Web API request (or response_url POST).
type Call struct {
	// Method is the API method, e.g. "chat.postMessage", or MethodResponseURL.
	Method string
	// Token is the bearer token, or the "token" parameter when no
	// Authorization header was sent (slack-go sends form requests that way).
	Token string
	// Params holds the form or query values; for JSON bodies, the top-level
	// fields flattened (strings as is, anything else as raw JSON text).
	Params url.Values
	// Body is the raw request body.
	Body []byte
	// At is when the request arrived.
	At time.Time
	// Status is the HTTP status the fake answered with.
	Status int
	// Error is the Slack error code answered with ({"ok":false,"error":…}),
	// or the error text of a non-200 answer; empty on success.
	Error string
}

type channelState struct {
	id     string
	name   string
	member bool
}

// Server is a fake Slack Web API and Socket Mode endpoint. Create it with
// NewServer and stop it with Close.
type Server struct {
	cfg      config
	log      *slog.Logger
	hs       *httptest.Server
	upgrader websocket.Upgrader
	wg       sync.WaitGroup
	done     chan struct{}
	once     sync.Once

	mu            sync.Mutex
	closed        bool
	changed       chan struct{}
	ackTimeout    time.Duration
	calls         []Call
	messages      []Message
	channels      map[string]*channelState
	users         map[string]*User
	lastTS        int64 // microseconds of the newest message timestamp
	onMessage     func(Message)
	tickets       map[string]bool
	scheduled     map[string]bool
	conns         map[*wsConn]bool // open sockets; true once hello was sent
	connSeq       int
	opened        int
	rr            int
	envelopes     map[string]*envelopeState
	envelopeOrder []string
	responses     []Response
	acks          []Ack
	triggers      map[string]*trigger
	views         map[string]*viewState
	viewOrder     []string
	files         map[string]*File
	fileOrder     []string
	faults        map[string][]*fault
	handlers      map[string]func(Call) any
}

// NewServer starts a fake Slack listening on a loopback port and returns it.
// The caller must Close it.
func NewServer(opts ...Option) *Server {
	cfg := config{
		appToken:        DefaultAppToken,
		botToken:        DefaultBotToken,
		pingInterval:    DefaultPingInterval,
		ackTimeout:      DefaultAckTimeout,
		triggerLifetime: TriggerLifetime,
		users:           defaultUsers(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.channelsSet {
		cfg.channels = append([]channelSpec{{id: DefaultChannel, member: true}}, cfg.channels...)
	}
	logger := cfg.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:        cfg,
		log:        logger,
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		ackTimeout: cfg.ackTimeout,
		channels:   make(map[string]*channelState),
		users:      make(map[string]*User),
		tickets:    make(map[string]bool),
		scheduled:  make(map[string]bool),
		conns:      make(map[*wsConn]bool),
		envelopes:  make(map[string]*envelopeState),
		triggers:   make(map[string]*trigger),
		views:      make(map[string]*viewState),
		files:      make(map[string]*File),
		faults:     make(map[string][]*fault),
		handlers:   make(map[string]func(Call) any),
	}
	for _, ch := range cfg.channels {
		s.channels[ch.id] = &channelState{id: ch.id, name: strings.ToLower(ch.id), member: ch.member}
	}
	for _, u := range cfg.users {
		s.setUserLocked(u)
	}
	s.upgrader = websocket.Upgrader{
		// slack-go dials with Origin: https://api.slack.com, which the
		// default same-origin check would reject.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveWebSocket)
	mux.HandleFunc("/respond/", s.serveResponseURL)
	mux.HandleFunc("/upload/v1/", s.serveUpload)
	// Assign s.hs before the server goroutines start so handlers may read it.
	s.hs = httptest.NewUnstartedServer(mux)
	s.hs.Start()
	return s
}

// Close closes every socket abruptly, stops the HTTP server and waits for
// the server's goroutines. Waiting calls return ErrServerClosed. Close is
// idempotent.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		conns := slices.Collect(maps.Keys(s.conns))
		clear(s.conns)
		s.notifyLocked()
		s.mu.Unlock()
		for _, c := range conns {
			_ = c.ws.Close()
		}
		s.hs.Close()
		s.wg.Wait()
	})
}

// URL returns the server's base URL, e.g. http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.hs.URL }

// APIURL returns the Web API base URL for slack.OptionAPIURL. It ends in "/"
// because slack-go appends method names directly.
func (s *Server) APIURL() string { return s.hs.URL + "/api/" }

// AppToken returns the app-level token the server accepts.
func (s *Server) AppToken() string { return s.cfg.appToken }

// BotToken returns the bot token the server accepts.
func (s *Server) BotToken() string { return s.cfg.botToken }

// SetAckTimeout changes the ack deadline (see WithAckTimeout). Zero
// disables the check.
func (s *Server) SetAckTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackTimeout = d
}

// SetChannel creates or updates a channel and whether the bot is a member
// of it, e.g. to simulate the bot being removed from the alerts channel.
func (s *Server) SetChannel(id string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[id]
	if ch == nil {
		ch = &channelState{id: id, name: strings.ToLower(id)}
		s.channels[id] = ch
	}
	ch.member = member
}

// RemoveChannel deletes a channel, so later calls about it fail with
// channel_not_found.
func (s *Server) RemoveChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.channels, id)
}

// HandleMethod installs fn as the handler for a Web API method, overriding
// any built-in one; use it for methods the fake does not implement. Faults
// and token checks still apply first. The value fn returns is marshalled as
// the JSON body (nil means {"ok":true}), so include "ok" yourself.
func (s *Server) HandleMethod(method string, fn func(Call) any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[method] = fn
}

// OnMessage makes fn be called with every message a Web API call adds
// (chat.postMessage, chat.postEphemeral, files.completeUploadExternal),
// once it is recorded and before the client gets the answer. A test can act in the window between Slack accepting a
// message and the sender learning its timestamp: kill the sender, say, to
// check that it does not post the message twice after a restart. fn runs on
// the request's goroutine, so the answer waits for it; it must not call
// back into the request's client. nil removes the hook.
func (s *Server) OnMessage(fn func(Message)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onMessage = fn
}

// Calls returns the recorded requests for method, in arrival order; ""
// returns all of them.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, cloneCall(c))
		}
	}
	return out
}

// notifyLocked wakes every waitFor. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor calls cond with s.mu held each time the state changes, until it
// reports true, ctx ends or the server closes.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok := cond()
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if ok {
			return nil
		}
		if closed {
			return ErrServerClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// goLocked runs fn in a goroutine that Close waits for. It reports false,
// without running fn, once the server is closed. s.mu must be held, which
// guarantees no Add races with Close's Wait.
func (s *Server) goLocked(fn func()) bool {
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return true
}

// randomID returns n random bytes in hex.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random UUID-shaped string, like Slack's envelope IDs.
func newUUID() string {
	h := randomID(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func cloneCall(c Call) Call {
	c.Params = cloneValues(c.Params)
	c.Body = slices.Clone(c.Body)
	return c
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
