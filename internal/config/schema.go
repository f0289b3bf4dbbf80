package config

import "time"

// Config is resellerbot's configuration file. See config.example.yaml at
// the repository root for every key, its meaning and its default.
//
// Absent keys keep the value of Default, so an explicit zero, false or ""
// in the file is honoured (mass_removal_share: 0 turns the guard off,
// new_user: false silences new-user alerts, listen: "" turns the HTTP
// listener off). A key present with no value (`listen:` or `listen: ~`)
// counts as absent.
type Config struct {
	Omnidim Omnidim `yaml:"omnidim" json:"omnidim"`
	Slack   Slack   `yaml:"slack" json:"slack"`
	Store   Store   `yaml:"store" json:"store"`
	Poll    Poll    `yaml:"poll" json:"poll"`
	Alerts  Alerts  `yaml:"alerts" json:"alerts"`
	HTTP    HTTP    `yaml:"http" json:"http"`
	Digest  Digest  `yaml:"digest" json:"digest"`
	Actions Actions `yaml:"actions" json:"actions"`
}

// Actions is who may change things at the vendor from Slack (top up,
// revert, concurrency, menu access, expiry) and within which limits.
type Actions struct {
	// AllowedUserIDs may act; empty turns actions off for everyone.
	AllowedUserIDs []string `yaml:"allowed_user_ids" json:"allowed_user_ids"`
	// MaxTopupMinutes caps one transfer, so a typo cannot sell a fortune.
	MaxTopupMinutes int `yaml:"max_topup_minutes" json:"max_topup_minutes"`
}

// Omnidim is how resellerbot reaches OmniDimension's reseller API.
type Omnidim struct {
	// BaseURL is the API root, without a trailing "/".
	BaseURL string `yaml:"base_url" json:"base_url"`
	// APIKey is the reseller API key; OMNIDIM_API_KEY when empty.
	APIKey Secret `yaml:"api_key" json:"api_key"`
	// Timeout bounds one API request.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// MaxBody is the largest response body accepted.
	MaxBody ByteSize `yaml:"max_body" json:"max_body"`
}

// Slack is how resellerbot talks to Slack (socket mode).
type Slack struct {
	// AppToken is the app-level token (xapp-…); SLACK_APP_TOKEN when empty.
	AppToken Secret `yaml:"app_token" json:"app_token"`
	// BotToken is the bot token (xoxb-…); SLACK_BOT_TOKEN when empty.
	BotToken Secret `yaml:"bot_token" json:"bot_token"`
	// APIURL is the Web API root, always ending in "/".
	APIURL string `yaml:"api_url" json:"api_url"`
	// AlertChannel is the ID of the channel alerts go to.
	AlertChannel string `yaml:"alert_channel" json:"alert_channel"`
	// AllowedUserIDs may use the bot; empty allows every workspace member
	// but guests, who can use it only when listed.
	AllowedUserIDs []string `yaml:"allowed_user_ids" json:"allowed_user_ids"`
	// AllowedChannelIDs are where the bot answers; empty allows any.
	AllowedChannelIDs []string `yaml:"allowed_channel_ids" json:"allowed_channel_ids"`
	// AuditChannel is where actions are recorded; "" means AlertChannel.
	AuditChannel string `yaml:"audit_channel" json:"audit_channel"`
	// Routes send alerts to channels by kind and org; an alert no route
	// matches goes to AlertChannel. See Slack.Channels.
	Routes []Route `yaml:"routes" json:"routes"`
}

// Store is the local snapshot database.
type Store struct {
	Path string `yaml:"path" json:"path"`
	// History is how long earlier snapshots are kept; 0 keeps none.
	History Duration `yaml:"history" json:"history"`
	// AuditRetention is how long the audit log of actions is kept.
	AuditRetention Duration `yaml:"audit_retention" json:"audit_retention"`
}

// Poll is how often the reseller API is polled.
type Poll struct {
	Interval Duration `yaml:"interval" json:"interval"`
	// FailuresBeforeNotice is how many consecutive failed polls make an
	// outage notice.
	FailuresBeforeNotice int `yaml:"failures_before_notice" json:"failures_before_notice"`
}

// Alerts says what is announced in the alert channel.
type Alerts struct {
	LowBalance       LowBalance `yaml:"low_balance" json:"low_balance"`
	NewUser          bool       `yaml:"new_user" json:"new_user"`
	PermissionChange bool       `yaml:"permission_change" json:"permission_change"`
	// MassRemovalShare holds removal alerts back when one poll removes more
	// than this share of orgs or users; 0 disables the guard.
	MassRemovalShare float64 `yaml:"mass_removal_share" json:"mass_removal_share"`
	// Expiry announces users whose access expires soon.
	Expiry Expiry `yaml:"expiry" json:"expiry"`
}

// Expiry says when a user's coming expiry opens an episode.
type Expiry struct {
	// Within opens one when expiry_date falls within this; 0 is off.
	Within Duration `yaml:"within" json:"within"`
}

// LowBalance says when an org's balance is low. A zero threshold is off.
type LowBalance struct {
	// Below is a balance threshold, in the org's currency.
	Below float64 `yaml:"below" json:"below"`
	// RunwayBelow is a threshold on balance / cost_per_min.
	RunwayBelow Duration `yaml:"runway_below" json:"runway_below"`
	// RepeatEvery reminds while still low; 0 never reminds.
	RepeatEvery Duration `yaml:"repeat_every" json:"repeat_every"`
	// RecoverMargin is the share above the thresholds a balance must climb
	// to count as recovered.
	RecoverMargin float64 `yaml:"recover_margin" json:"recover_margin"`
	// BurnWithin forecasts from recent spend: a balance that runs out
	// within this at BurnWindow's pace is low; 0 is off.
	BurnWithin Duration `yaml:"burn_within" json:"burn_within"`
	BurnWindow Duration `yaml:"burn_window" json:"burn_window"`
}

// HTTP is the health and metrics listener.
type HTTP struct {
	// Listen is host:port for /healthz, /readyz and /metrics; "" disables.
	Listen string `yaml:"listen" json:"listen"`
}

// Default returns the configuration used for every absent key. Secrets and
// the alert channel have no default.
func Default() Config {
	return Config{
		Omnidim: Omnidim{
			BaseURL: "https://backend.omnidim.io/api/v1",
			Timeout: Duration(20 * time.Second),
			MaxBody: 256 << 20,
		},
		Slack: Slack{
			APIURL:            "https://slack.com/api/",
			AllowedUserIDs:    []string{},
			AllowedChannelIDs: []string{},
			Routes:            []Route{},
		},
		Store: Store{
			Path:           "resellerbot.db",
			History:        Duration(720 * time.Hour),
			AuditRetention: Duration(9600 * time.Hour),
		},
		Poll: Poll{
			Interval:             Duration(5 * time.Minute),
			FailuresBeforeNotice: 3,
		},
		Alerts: Alerts{
			LowBalance: LowBalance{
				Below:         50,
				RunwayBelow:   Duration(4 * time.Hour),
				RepeatEvery:   Duration(24 * time.Hour),
				RecoverMargin: 0.1,
				BurnWithin:    Duration(24 * time.Hour),
				BurnWindow:    Duration(24 * time.Hour),
			},
			NewUser:          true,
			PermissionChange: true,
			MassRemovalShare: 0.5,
			Expiry:           Expiry{Within: Duration(72 * time.Hour)},
		},
		HTTP:    HTTP{Listen: "127.0.0.1:9464"},
		Digest:  Digest{Timezone: "UTC", RunwayWithin: Duration(168 * time.Hour)},
		Actions: Actions{AllowedUserIDs: []string{}, MaxTopupMinutes: 10000},
	}
}

// secretKeys are the secret keys, with the environment variable that fills
// each when the file leaves it empty.
var secretKeys = []struct {
	key, env string
	get      func(*Config) *Secret
}{
	{"omnidim.api_key", "OMNIDIM_API_KEY", func(c *Config) *Secret { return &c.Omnidim.APIKey }},
	{"slack.app_token", "SLACK_APP_TOKEN", func(c *Config) *Secret { return &c.Slack.AppToken }},
	{"slack.bot_token", "SLACK_BOT_TOKEN", func(c *Config) *Secret { return &c.Slack.BotToken }},
}

// Secrets returns the value of every secret key, empty ones included, so
// that a logger can redact them wherever they turn up.
func (c *Config) Secrets() []string {
	out := make([]string, len(secretKeys))
	for i, s := range secretKeys {
		out[i] = s.get(c).Reveal()
	}
	return out
}
