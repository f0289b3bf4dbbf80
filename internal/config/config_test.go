package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	cfgExamplePath = "../../config.example.yaml"
	cfgNeedAll     = NeedOmnidim | NeedSlack | NeedStore
)

// cfgSecretEnv is a complete, valid set of secrets in the environment.
var cfgSecretEnv = map[string]string{
	"OMNIDIM_API_KEY": "omni-test-key",
	"SLACK_APP_TOKEN": "xapp-1-test",
	"SLACK_BOT_TOKEN": "xoxb-test",
}

func cfgGetenv(envs ...map[string]string) func(string) string {
	return func(k string) string {
		for _, env := range slices.Backward(envs) {
			if v, ok := env[k]; ok {
				return v
			}
		}
		return ""
	}
}

func cfgFixture(name string) string { return filepath.Join("testdata", name) }

// cfgWriteTemp writes content to a config.yaml of its own and returns the
// path.
func cfgWriteTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func cfgMustLoad(t *testing.T, path string, getenv func(string) string) *Config {
	t.Helper()
	cfg, err := Load(path, getenv)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return cfg
}

func cfgProblems(t *testing.T, err error) []string {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error is %T (%v), want *Error", err, err)
	}
	return ce.Problems
}

func cfgErrStrings(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}

// cfgKeyPaths lists the dotted yaml key of every leaf of struct type t.
func cfgKeyPaths(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, cfgKeyPaths(f.Type, prefix+name+".")...)
		} else {
			keys = append(keys, prefix+name)
		}
	}
	return keys
}

func TestConfigExample(t *testing.T) {
	t.Run("the example loads and validates with the secrets in the environment", func(t *testing.T) {
		cfg := cfgMustLoad(t, cfgExamplePath, cfgGetenv(cfgSecretEnv))
		if errs := cfg.Validate(cfgNeedAll); len(errs) > 0 {
			t.Fatalf("Validate: %v", errs)
		}
		if got := cfg.Omnidim.APIKey.Reveal(); got != cfgSecretEnv["OMNIDIM_API_KEY"] {
			t.Errorf("api_key = %q", got)
		}
	})

	t.Run("the example holds the defaults apart from secrets and alert channel", func(t *testing.T) {
		cfg := cfgMustLoad(t, cfgExamplePath, cfgGetenv(cfgSecretEnv))
		cfg.Omnidim.APIKey, cfg.Slack.AppToken, cfg.Slack.BotToken = "", "", ""
		cfg.Slack.AlertChannel = ""
		if want := Default(); !reflect.DeepEqual(*cfg, want) {
			t.Errorf("example differs from Default:\n got %+v\nwant %+v", *cfg, want)
		}
	})

	t.Run("every key of Config appears in the example", func(t *testing.T) {
		raw, err := os.ReadFile(cfgExamplePath)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		keys := cfgKeyPaths(reflect.TypeFor[Config](), "")
		if len(keys) < 20 {
			t.Fatalf("found only %d keys in Config: %v", len(keys), keys)
		}
		for _, key := range keys {
			var node any = doc
			for _, part := range strings.Split(key, ".") {
				m, ok := node.(map[string]any)
				if !ok {
					node = nil
					break
				}
				if node, ok = m[part]; !ok {
					node = nil
					break
				}
				if node == nil {
					node = struct{}{} // present, null
				}
			}
			if node == nil {
				t.Errorf("config.example.yaml lacks %s", key)
			}
		}
	})
}

func TestLoadConfig(t *testing.T) {
	t.Run("absent keys get the defaults and secrets come from the environment", func(t *testing.T) {
		cfg := cfgMustLoad(t, cfgFixture("minimal.yaml"), cfgGetenv(cfgSecretEnv))
		want := Default()
		want.Omnidim.APIKey = "omni-test-key"
		want.Slack.AppToken = "xapp-1-test"
		want.Slack.BotToken = "xoxb-test"
		want.Slack.AlertChannel = "C0123456789"
		if !reflect.DeepEqual(*cfg, want) {
			t.Errorf("got %+v\nwant %+v", *cfg, want)
		}
		if errs := cfg.Validate(cfgNeedAll); len(errs) > 0 {
			t.Errorf("Validate: %v", errs)
		}
	})

	t.Run("an empty file gives the defaults", func(t *testing.T) {
		for _, content := range []string{"", "# nothing\n", "---\n", "~\n"} {
			cfg := cfgMustLoad(t, cfgWriteTemp(t, content), cfgGetenv())
			if !reflect.DeepEqual(*cfg, Default()) {
				t.Errorf("%q: got %+v", content, *cfg)
			}
		}
	})

	t.Run("an empty section or key with no value keeps the defaults", func(t *testing.T) {
		cfg := cfgMustLoad(t, cfgWriteTemp(t, "omnidim:\npoll:\n  interval:\nhttp:\n  listen: ~\n"), cfgGetenv())
		if !reflect.DeepEqual(*cfg, Default()) {
			t.Errorf("got %+v", *cfg)
		}
	})

	t.Run("explicit zero, false and empty values override the defaults", func(t *testing.T) {
		cfg := cfgMustLoad(t, cfgFixture("overrides.yaml"), cfgGetenv(cfgSecretEnv))
		if cfg.HTTP.Listen != "" {
			t.Errorf("http.listen = %q, want disabled", cfg.HTTP.Listen)
		}
		if cfg.Alerts.NewUser {
			t.Error("alerts.new_user: false was not honoured")
		}
		if !cfg.Alerts.PermissionChange {
			t.Error("alerts.permission_change lost its default")
		}
		if cfg.Alerts.MassRemovalShare != 0 {
			t.Errorf("alerts.mass_removal_share = %v, want 0", cfg.Alerts.MassRemovalShare)
		}
		if cfg.Alerts.LowBalance.Below != 0 || cfg.Alerts.LowBalance.RunwayBelow.D() != 4*time.Hour {
			t.Errorf("alerts.low_balance = %+v", cfg.Alerts.LowBalance)
		}
		if cfg.Store.History != 0 {
			t.Errorf("store.history = %v, want 0", cfg.Store.History)
		}
		if got, want := cfg.Slack.AllowedUserIDs, []string{"U0123456789", "W0123456789"}; !slices.Equal(got, want) {
			t.Errorf("allowed_user_ids = %v", got)
		}
		if errs := cfg.Validate(cfgNeedAll); len(errs) > 0 {
			t.Errorf("Validate: %v", errs)
		}
	})

	t.Run("URLs are normalised", func(t *testing.T) {
		cfg := cfgMustLoad(t, cfgFixture("overrides.yaml"), cfgGetenv(cfgSecretEnv))
		if got, want := cfg.Omnidim.BaseURL, "https://omni.example.test/api/v1"; got != want {
			t.Errorf("omnidim.base_url = %q, want %q", got, want)
		}
		if got, want := cfg.Slack.APIURL, "https://slack.example.test/api/"; got != want {
			t.Errorf("slack.api_url = %q, want %q", got, want)
		}
	})

	t.Run("a missing file is an Error naming it", func(t *testing.T) {
		_, err := Load(cfgFixture("nope.yaml"), cfgGetenv())
		if p := cfgProblems(t, err); len(p) != 1 || !strings.Contains(p[0], "nope.yaml") {
			t.Errorf("problems = %q", p)
		}
	})
}

func TestLoadConfigExpansion(t *testing.T) {
	env := map[string]string{
		"OMNI_KEY":     "omni-from-var",
		"BOT_PREFIX":   "xoxb",
		"BOT_REST":     "from-vars",
		"STATE_DIR":    "/var/lib/resellerbot",
		"FAILURES":     "7",
		"MAX_BODY":     "",
		"NOT_A_VAR":    "oops",
		"HOME":         "/root",
		"NOT_EXPANDED": "oops",
	}
	cfg := cfgMustLoad(t, cfgFixture("expand.yaml"), cfgGetenv(env))
	tests := []struct {
		name      string
		got, want any
	}{
		{"a variable is expanded", cfg.Omnidim.APIKey.Reveal(), "omni-from-var"},
		{"an unset variable takes its default", cfg.Omnidim.Timeout.D(), 45 * time.Second},
		{"an empty variable takes its default", cfg.Omnidim.MaxBody, ByteSize(64_000_000)},
		{"a default applies to a string", cfg.Slack.AlertChannel, "C0DEFAULT01"},
		{"several variables expand inside a quoted value", cfg.Slack.BotToken.Reveal(), "xoxb-from-vars"},
		{"a variable expands inside a longer value", cfg.Store.Path, "/var/lib/resellerbot/resellerbot.db"},
		{"an expanded number decodes as a number", cfg.Poll.FailuresBeforeNotice, 7},
		{"an unset variable without default is empty, leaving the default", cfg.Poll.Interval.D(), 5 * time.Minute},
		{"$${ is a literal ${ and $VAR is left alone", cfg.HTTP.Listen, "literal ${NOT_A_VAR} and $HOME"},
		{"an unset secret falls back to nothing without its env var", cfg.Slack.AppToken.Reveal(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}

	t.Run("an empty secret is filled from its environment variable", func(t *testing.T) {
		env := cfgMerge(env, map[string]string{"SLACK_APP_TOKEN": " xapp-from-env\n", "OMNIDIM_API_KEY": "unused"})
		cfg := cfgMustLoad(t, cfgFixture("expand.yaml"), cfgGetenv(env))
		if got := cfg.Slack.AppToken.Reveal(); got != "xapp-from-env" {
			t.Errorf("slack.app_token = %q, want the trimmed SLACK_APP_TOKEN", got)
		}
		if got := cfg.Omnidim.APIKey.Reveal(); got != "omni-from-var" {
			t.Errorf("omnidim.api_key = %q, want the file's value", got)
		}
	})

	t.Run("expand handles each form", func(t *testing.T) {
		getenv := cfgGetenv(map[string]string{"A": "1", "B": "", "C_2": "x"})
		for in, want := range map[string]string{
			"${A}":          "1",
			"${A:-9}":       "1",
			"${B:-9}":       "9",
			"${Z:-}":        "",
			"${Z}":          "",
			"a${A}b${C_2}c": "a1bxc",
			"$${A}":         "${A}",
			"$A ${ A} ${1}": "$A ${ A} ${1}",
			"${A":           "${A",
			"${Z:-a b:c}":   "a b:c",
			"cost $5":       "cost $5",
		} {
			if got := expand(in, getenv); got != want {
				t.Errorf("expand(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

// cfgMerge merges its arguments, later ones winning.
func cfgMerge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		content string
		want    []string // each a substring of one problem, in order
	}{
		{
			name: "an unknown key is named with its line",
			path: cfgFixture("unknown_key.yaml"),
			want: []string{
				`unknown_key.yaml:11: unknown key "alrets" (did you mean "alerts"?)`,
				`unknown_key.yaml:15: unknown key "alerts.low_balance.belwo" (did you mean "below"?)`,
			},
		},
		{
			name: "a value of the wrong type is named by its key and line",
			path: cfgFixture("wrong_type.yaml"),
			want: []string{
				`wrong_type.yaml:2: omnidim.timeout: want a duration like 20s, 5m or 720h, got "soon"`,
				`wrong_type.yaml:3: omnidim.max_body: want a size like 256MiB, 64MB or 1048576, got "lots"`,
				`wrong_type.yaml:5: poll.failures_before_notice: want a whole number, got "three"`,
				`wrong_type.yaml:7: alerts.new_user: want true or false, got "maybe"`,
				`wrong_type.yaml:9: alerts.low_balance.below: want a number, got a list`,
				`wrong_type.yaml:11: slack.allowed_user_ids: want a list like [A1, B2], got "U0123456789"`,
				`wrong_type.yaml:12: http: want a mapping of keys, got "9464"`,
			},
		},
		{
			name:    "a duplicate key is reported with both lines",
			content: "poll:\n  interval: 5m\n  interval: 10m\n",
			want:    []string{`config.yaml:3: duplicate key "poll.interval" (first at line 2)`},
		},
		{
			name:    "a syntax error names the line",
			content: "poll:\n  interval: 5m\n foo: [\n",
			want:    []string{`config.yaml:2: did not find expected key`},
		},
		{
			name:    "a file that is not a mapping is refused",
			content: "- omnidim\n",
			want:    []string{`config.yaml:1: want a mapping of sections`},
		},
		{
			name:    "a second document is refused",
			content: "poll: {}\n---\nstore: {}\n",
			want:    []string{`config.yaml:2: a second YAML document`},
		},
		{
			name:    "merge keys are refused",
			content: "base: &b {interval: 5m}\npoll:\n  <<: *b\n",
			want:    []string{`unknown key "base"`, `config.yaml:3: poll.<<: merge keys (<<) are not supported`},
		},
		{
			name:    "a days unit gets a hint",
			content: "store:\n  history: 30d\n",
			want:    []string{`store.history: want a duration like 20s, 5m or 720h, got "30d" (no d unit: 30 days is 720h)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = cfgWriteTemp(t, tt.content)
			}
			_, err := Load(path, cfgGetenv(cfgSecretEnv))
			problems := cfgProblems(t, err)
			if len(problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(problems), len(tt.want), strings.Join(problems, "\n"))
			}
			for i, want := range tt.want {
				if !strings.Contains(problems[i], want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, problems[i], want)
				}
			}
			if err.Error() != strings.Join(problems, "\n") {
				t.Errorf("Error() = %q, want the problems joined by newlines", err.Error())
			}
		})
	}

	t.Run("an alias is followed", func(t *testing.T) {
		path := cfgWriteTemp(t, "slack:\n  alert_channel: &ch C0123456789\n  allowed_channel_ids: [*ch]\n")
		cfg := cfgMustLoad(t, path, cfgGetenv())
		if got := cfg.Slack.AllowedChannelIDs; !slices.Equal(got, []string{"C0123456789"}) {
			t.Errorf("allowed_channel_ids = %v", got)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	t.Run("every invalid value is one problem naming its key, all reported together", func(t *testing.T) {
		cfg := cfgMustLoad(t, cfgFixture("invalid.yaml"), cfgGetenv())
		want := map[string]string{
			"omnidim.base_url":                  "not an http(s) URL",
			"omnidim.api_key":                   "empty (set it or OMNIDIM_API_KEY)",
			"omnidim.timeout":                   "must be at most 10m",
			"omnidim.max_body":                  "must be at least 1MiB",
			"slack.app_token":                   `must start with "xapp-"`,
			"slack.bot_token":                   "empty (set it or SLACK_BOT_TOKEN)",
			"slack.api_url":                     "not an http(s) URL",
			"slack.alert_channel":               "use the channel ID (C…), not its name",
			"slack.allowed_user_ids[1]":         "use the member ID (U…), not a name",
			"slack.allowed_channel_ids[1]":      `"general" is not a channel ID`,
			"store.path":                        "empty",
			"store.history":                     "must not be negative",
			"poll.interval":                     "must be at least 1s",
			"poll.failures_before_notice":       "must be at least 1",
			"alerts.low_balance.below":          "0 or more",
			"alerts.low_balance.runway_below":   "must not be negative",
			"alerts.low_balance.repeat_every":   "must not be negative",
			"alerts.low_balance.recover_margin": "must be between 0 and 1",
			"alerts.mass_removal_share":         "must be between 0 and 1",
			"http.listen":                       "want host:port",
		}
		got := cfgErrStrings(cfg.Validate(cfgNeedAll))
		if len(got) != len(want) {
			t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		}
		for key, msg := range want {
			var hits []string
			for _, p := range got {
				if strings.HasPrefix(p, key+": ") {
					hits = append(hits, p)
				}
			}
			if len(hits) != 1 || !strings.Contains(hits[0], msg) {
				t.Errorf("%s: got %q, want one problem containing %q", key, hits, msg)
			}
		}
	})

	tests := []struct {
		name string
		need Need
		edit func(*Config)
		want string // "" for valid
	}{
		{"a complete config is valid", cfgNeedAll, func(*Config) {}, ""},
		{"poll does not need slack", NeedOmnidim | NeedStore, func(c *Config) { c.Slack = Slack{} }, ""},
		{"poll still needs the api key", NeedOmnidim | NeedStore, func(c *Config) { c.Omnidim.APIKey = "" }, "omnidim.api_key: empty (set it or OMNIDIM_API_KEY)"},
		{"a zero timeout is refused", cfgNeedAll, func(c *Config) { c.Omnidim.Timeout = 0 }, "omnidim.timeout: must be positive"},
		{"a channel name is refused", cfgNeedAll, func(c *Config) { c.Slack.AlertChannel = "alerts" }, `slack.alert_channel: "alerts" is not a channel ID (C… or G…)`},
		{"a lowercase channel ID is refused", cfgNeedAll, func(c *Config) { c.Slack.AlertChannel = "c0123456789" }, `slack.alert_channel: "c0123456789" is not a channel ID`},
		{"an empty alert channel is refused", cfgNeedAll, func(c *Config) { c.Slack.AlertChannel = "" }, "slack.alert_channel: empty"},
		{"a private channel ID is accepted", cfgNeedAll, func(c *Config) { c.Slack.AlertChannel = "G0123456789" }, ""},
		{"swapped tokens are named by their prefixes only", cfgNeedAll, func(c *Config) { c.Slack.BotToken = "xapp-1-abc" },
			`slack.bot_token: must start with "xoxb-" (this one starts with "xapp-")`},
		{"a token with a space is refused", cfgNeedAll, func(c *Config) { c.Slack.BotToken = "xoxb-a b" }, "slack.bot_token: holds spaces or control characters"},
		{"a user ID where a channel belongs is refused", cfgNeedAll, func(c *Config) { c.Slack.AllowedChannelIDs = []string{"U0123456789"} }, `slack.allowed_channel_ids[0]: "U0123456789" is not a channel ID`},
		{"listen without a port is refused", cfgNeedAll, func(c *Config) { c.HTTP.Listen = "127.0.0.1:" }, "http.listen: want host:port"},
		{"listen on all interfaces is accepted", cfgNeedAll, func(c *Config) { c.HTTP.Listen = ":9464" }, ""},
		{"an empty listen disables the listener", cfgNeedAll, func(c *Config) { c.HTTP.Listen = "" }, ""},
		{"zero history keeps no snapshots", cfgNeedAll, func(c *Config) { c.Store.History = 0 }, ""},
		{"zero thresholds turn the alerts off", cfgNeedAll, func(c *Config) { c.Alerts.LowBalance = LowBalance{} }, ""},
		{"a poll a day is accepted", cfgNeedAll, func(c *Config) { c.Poll.Interval = Duration(24 * time.Hour) }, ""},
		{"an interval over a day is refused", cfgNeedAll, func(c *Config) { c.Poll.Interval = Duration(25 * time.Hour) },
			"poll.interval: must be at most 24h"},
		{"an interval that would overflow 3 × poll.interval is refused", cfgNeedAll,
			func(c *Config) { c.Poll.Interval = Duration(math.MaxInt64) }, "poll.interval: must be at most 24h"},
		{"ten years of history are accepted", cfgNeedAll, func(c *Config) { c.Store.History = Duration(87600 * time.Hour) }, ""},
		{"history beyond ten years is refused", cfgNeedAll, func(c *Config) { c.Store.History = Duration(math.MaxInt64) },
			"store.history: must be at most 87600h"},
		{"a runway threshold beyond a year is refused", cfgNeedAll,
			func(c *Config) { c.Alerts.LowBalance.RunwayBelow = Duration(8761 * time.Hour) }, "alerts.low_balance.runway_below: must be at most 8760h"},
		{"reminders less often than yearly are refused", cfgNeedAll,
			func(c *Config) { c.Alerts.LowBalance.RepeatEvery = Duration(math.MaxInt64) }, "alerts.low_balance.repeat_every: must be at most 8760h"},
		{"a negative forecast horizon is refused", cfgNeedAll,
			func(c *Config) { c.Alerts.LowBalance.BurnWithin = Duration(-time.Hour) }, "alerts.low_balance.burn_within: must not be negative"},
		{"a burn window under an hour is refused", cfgNeedAll,
			func(c *Config) { c.Alerts.LowBalance.BurnWindow = Duration(5 * time.Minute) }, "alerts.low_balance.burn_window: must be at least 1h"},
		{"a burn window beyond the month of history kept by default is refused", cfgNeedAll,
			func(c *Config) { c.Alerts.LowBalance.BurnWindow = Duration(721 * time.Hour) }, "alerts.low_balance.burn_window: must be at most 720h"},
		{"with the forecast off the burn window is not checked", cfgNeedAll, func(c *Config) {
			c.Alerts.LowBalance.BurnWithin, c.Alerts.LowBalance.BurnWindow = 0, 0
		}, ""},
		{"an expiry window beyond a year is refused", cfgNeedAll,
			func(c *Config) { c.Alerts.Expiry.Within = Duration(8761 * time.Hour) }, "alerts.expiry.within: must be at most 8760h"},
		{"a zero expiry window turns the rule off", cfgNeedAll, func(c *Config) { c.Alerts.Expiry.Within = 0 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cfgMustLoad(t, cfgFixture("minimal.yaml"), cfgGetenv(cfgSecretEnv))
			tt.edit(cfg)
			got := cfgErrStrings(cfg.Validate(tt.need))
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("want valid, got %q", got)
			case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)):
				t.Errorf("got %q, want one problem %q", got, tt.want)
			}
		})
	}
}

// cfgVerbD is a variable so that vet lets %d be tried on a struct.
var cfgVerbD = "%d"

// cfgLeak is in every secret of the leak tests; it must never show.
const cfgLeak = "LEAKCHECK"

func TestConfigSecretsNeverShow(t *testing.T) {
	cfg := Default()
	cfg.Omnidim.APIKey = "omni-" + cfgLeak + "-1"
	cfg.Slack.AppToken = "xapp-" + cfgLeak + "-2"
	cfg.Slack.BotToken = "xoxb-" + cfgLeak + "-3"
	cfg.Slack.AlertChannel = "C0123456789"

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "cfg", cfg, "ptr", &cfg, "key", cfg.Omnidim.APIKey)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "cfg", cfg, "ptr", &cfg, "key", cfg.Omnidim.APIKey)
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"fmt %v":         fmt.Sprintf("%v", cfg),
		"fmt %+v":        fmt.Sprintf("%+v", cfg),
		"fmt %#v":        fmt.Sprintf("%#v", cfg),
		"fmt %v pointer": fmt.Sprintf("%v", &cfg),
		"fmt %s":         fmt.Sprintf("%s", cfg.Slack),
		"fmt %d":         fmt.Sprintf(cfgVerbD, cfg.Omnidim),
		"fmt %x":         fmt.Sprintf("%x", cfg.Slack.BotToken),
		"fmt %q":         fmt.Sprintf("%q", cfg.Slack.BotToken),
		"slog text":      text.String(),
		"slog json":      js.String(),
		"yaml":           string(y),
		"json":           string(j),
	}
	for name, out := range outputs {
		t.Run(name+" does not show secrets", func(t *testing.T) {
			if strings.Contains(out, cfgLeak) {
				t.Errorf("secret in output: %s", out)
			}
			if !strings.Contains(out, "[redacted]") {
				t.Errorf("no [redacted] in output: %s", out)
			}
		})
	}

	t.Run("Reveal returns the secret and an empty secret prints as (empty)", func(t *testing.T) {
		if got := cfg.Slack.BotToken.Reveal(); got != "xoxb-"+cfgLeak+"-3" {
			t.Errorf("Reveal = %q", got)
		}
		if got := fmt.Sprint(Secret("")); got != "(empty)" {
			t.Errorf("empty secret prints %q", got)
		}
	})

	errorCases := []struct {
		name, content string
	}{
		{"a secret given as a list", "omnidim:\n  api_key: [omni-" + cfgLeak + "]\n"},
		{"a secret given as a mapping", "slack:\n  bot_token: {xoxb: " + cfgLeak + "}\n"},
		{"a secret misplaced as a key", "slack:\n  bot_token:\n  xoxb-" + cfgLeak + ": 1\n"},
		{"a secret next to other errors", "omnidim:\n  api_key: omni-" + cfgLeak + "\n  timeout: soon\n  tiemout: 5s\n"},
		{"a secret on a broken line", "omnidim:\n  api_key: \"omni-" + cfgLeak + "\n"},
		{"swapped tokens", "slack:\n  app_token: xoxb-" + cfgLeak + "\n  bot_token: xapp-" + cfgLeak + "\n  alert_channel: '#x'\n"},
		{"a token with whitespace", "slack:\n  bot_token: \"xoxb-" + cfgLeak + " x\"\n"},
		{"a secret with the wrong prefix", "slack:\n  bot_token: " + cfgLeak + "\n"},
	}
	for _, tt := range errorCases {
		t.Run("an error about "+tt.name+" does not show it", func(t *testing.T) {
			cfg, err := Load(cfgWriteTemp(t, tt.content), cfgGetenv())
			var msgs []string
			if err != nil {
				msgs = append(msgs, err.Error())
			} else {
				msgs = cfgErrStrings(cfg.Validate(cfgNeedAll))
			}
			if len(msgs) == 0 {
				t.Fatal("no error")
			}
			for _, m := range msgs {
				if strings.Contains(m, cfgLeak) {
					t.Errorf("secret in error: %s", m)
				}
			}
		})
	}
}

func TestWarnInlineSecrets(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		mode    os.FileMode
		want    []string
	}{
		{"a world-readable file with inline secrets warns for each", "inline_secrets.yaml", 0o644, []string{
			"readable by others (mode 0644) and holds omnidim.api_key inline; chmod 600 it or use ${OMNIDIM_API_KEY}",
			"readable by others (mode 0644) and holds slack.bot_token inline; chmod 600 it or use ${SLACK_BOT_TOKEN}",
		}},
		{"a group-readable file with inline secrets warns", "inline_secrets.yaml", 0o640, []string{
			"holds omnidim.api_key inline", "holds slack.bot_token inline",
		}},
		{"a private file with inline secrets is silent", "inline_secrets.yaml", 0o600, nil},
		{"a world-readable file with only references is silent", "secret_refs.yaml", 0o644, nil},
		{"a world-readable file without secrets is silent", "minimal.yaml", 0o644, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := os.ReadFile(cfgFixture(tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			path := cfgWriteTemp(t, string(raw))
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			for _, in := range [][]byte{raw, nil} {
				got := WarnInlineSecrets(path, in)
				if len(got) != len(tt.want) {
					t.Fatalf("got %q, want %d warnings", got, len(tt.want))
				}
				for i, w := range tt.want {
					if !strings.HasPrefix(got[i], path+": ") || !strings.Contains(got[i], w) {
						t.Errorf("warning %d = %q, want %q", i, got[i], w)
					}
					if strings.Contains(got[i], "INLINE") {
						t.Errorf("warning shows the secret: %q", got[i])
					}
				}
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		str  string
	}{
		{"256MiB", 256 << 20, "256MiB"},
		{"64MB", 64_000_000, "64MB"},
		{"1048576", 1 << 20, "1MiB"},
		{"10KiB", 10 << 10, "10KiB"},
		{"10 kib", 10 << 10, "10KiB"},
		{"1.5GiB", 3 << 29, "1536MiB"},
		{"2G", 2_000_000_000, "2GB"},
		{"1000", 1000, "1KB"},
		{"1001B", 1001, "1001"},
		{"0", 0, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" parses", func(t *testing.T) {
			got, err := parseByteSize(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
			if got.String() != tt.str {
				t.Errorf("String() = %q, want %q", got.String(), tt.str)
			}
			back, err := parseByteSize(got.String())
			if err != nil || back != got {
				t.Errorf("String() does not parse back: %d, %v", back, err)
			}
		})
	}
	for _, in := range []string{"", "-1", "1.2.3", "ten", "5 XB", "9999999TiB", "MiB"} {
		t.Run(fmt.Sprintf("%q is refused", in), func(t *testing.T) {
			if got, err := parseByteSize(in); err == nil {
				t.Errorf("got %d, want an error", got)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]string{"5m": "5m", "720h": "720h", "20s": "20s", "1h30m": "1h30m", "0": "0s", "1500ms": "1.5s", "-1h": "-1h"} {
		t.Run(in+" parses and prints back", func(t *testing.T) {
			d, err := parseDuration(in)
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != want {
				t.Errorf("String() = %q, want %q", d.String(), want)
			}
		})
	}
	t.Run("a marshalled config loads back", func(t *testing.T) {
		want := Default()
		want.Slack.AlertChannel = "C0123456789"
		y, err := yaml.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got := cfgMustLoad(t, cfgWriteTemp(t, string(y)), cfgGetenv())
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("got %+v\nwant %+v\nfrom\n%s", *got, want, y)
		}
	})
}
