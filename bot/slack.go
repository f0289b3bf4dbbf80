package bot

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// SlackConfig wires the Slack side of the bot.
type SlackConfig struct {
	// AppToken (xapp-…) opens the socket-mode connection; BotToken
	// (xoxb-…) calls the Web API.
	AppToken, BotToken string
	// APIURL is Slack's Web API base; default slack.APIURL. It must end
	// in "/", since slack-go appends the method name to it directly; the
	// configuration normalises what the user writes.
	APIURL string
	// AlertChannel is the channel ID alerts are posted to.
	AlertChannel string
	// RoutedChannels are the other channels alerts are routed to; their
	// buttons work like the alert channel's.
	RoutedChannels []string
	// AllowedUsers and AllowedChannels restrict who may run commands and
	// where; empty allows every member but guests, and everywhere. A guest
	// listed in AllowedUsers may use the bot.
	AllowedUsers, AllowedChannels []string
	// HTTPClient for Web API calls and response_url posts; default
	// http.DefaultClient.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// PingInterval is how long the socket may go without a ping from Slack
	// before the client reconnects; default 30s.
	PingInterval time.Duration
}

// NewSlackClient returns the Web API client for the bot token.
func NewSlackClient(cfg SlackConfig) *slack.Client {
	opts := []slack.Option{slack.OptionAppLevelToken(cfg.AppToken)}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, slack.OptionHTTPClient(cfg.HTTPClient))
	}
	return slack.New(cfg.BotToken, opts...)
}
