package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The fuzz target runs its seed corpus (f.Add and
// testdata/fuzz/FuzzLoadConfig/) in a plain `go test`, and explores with
//
//	go test -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime 5s ./internal/config

// The secrets FuzzLoadConfig plants. They are long and distinctive, so
// finding one in an error is a leak, never a coincidence.
const (
	fuzzAPIKey   = "omni-FUZZ-5ecret-api-key-93ad1"
	fuzzAppToken = "xapp-1-FUZZ-5ecret-app-token-77c2"
	fuzzBotToken = "xoxb-FUZZ-5ecret-bot-token-0be4"
)

var fuzzSecrets = []string{fuzzAPIKey, fuzzAppToken, fuzzBotToken}

// fuzzPlantings are the ways FuzzLoadConfig writes the secrets at the start
// of the file, each a complete block that the fuzzed text follows. The text
// cannot move a secret out of a secret's value: YAML reads on from the
// secrets, it never reinterprets what came before. At worst the text
// continues the last value (a multi-line plain scalar), which is still a
// secret's value.
var fuzzPlantings = []string{
	// Plain block values.
	"omnidim:\n  api_key: " + fuzzAPIKey + "\nslack:\n  app_token: " + fuzzAppToken + "\n  bot_token: " + fuzzBotToken + "\n",
	// Quoted, with surrounding spaces.
	"omnidim:\n  api_key: \"  " + fuzzAPIKey + "  \"\nslack:\n  app_token: '" + fuzzAppToken + "'\n  bot_token: \"" + fuzzBotToken + "\"\n",
	// Flow mappings.
	"omnidim: {api_key: " + fuzzAPIKey + "}\nslack: {app_token: \"" + fuzzAppToken + "\", bot_token: '" + fuzzBotToken + "'}\n",
	// Block scalars and a tag.
	"omnidim:\n  api_key: |\n    " + fuzzAPIKey + "\nslack:\n  app_token: >-\n    " + fuzzAppToken + "\n  bot_token: !!str " + fuzzBotToken + "\n",
	// Secrets in the wrong keys: Validate complains about their prefixes.
	"omnidim:\n  api_key: " + fuzzBotToken + "\nslack:\n  app_token: " + fuzzBotToken + "\n  bot_token: " + fuzzAppToken + "\n",
	// Secrets with spaces inside, or wrong types around them.
	"omnidim:\n  api_key: " + fuzzAPIKey + " extra\nslack:\n  app_token: [" + fuzzAppToken + "]\n  bot_token: {v: " + fuzzBotToken + "}\n",
	// Slack tokens pasted as keys: a misplaced value must not be echoed.
	"slack:\n  " + fuzzAppToken + ": x\n  " + fuzzBotToken + ":\n",
	// Anchored secrets (the fuzzed text may alias them; see movable).
	"omnidim:\n  api_key: &k " + fuzzAPIKey + "\nslack:\n  app_token: &a " + fuzzAppToken + "\n  bot_token: &b " + fuzzBotToken + "\n",
	// Secrets from ${VAR:-default}: a default is inline too.
	"omnidim:\n  api_key: ${NOPE:-" + fuzzAPIKey + "}\nslack:\n  app_token: \"${NOPE:-" + fuzzAppToken + "}\"\n  bot_token: ${NOPE:-" + fuzzBotToken + "}\n",
	// Nothing planted: the fuzzed text alone.
	"",
}

// fuzzEnv is the environment Load expands ${VAR} from. It holds no
// secret: the secrets are all in the file, so every one is planted where
// the test knows.
func fuzzEnv(k string) string {
	switch k {
	case "HOME":
		return "/home/bot"
	case "CHANNEL":
		return "C0123456789"
	case "EMPTY", "NOPE":
		return ""
	}
	return "v-" + k
}

// FuzzLoadConfig writes the planted secrets and then the fuzzed text to a
// file and checks that Load never panics, fails only with a
// *Error, returns a config Validate can check without panicking, and
// never quotes a secret: not in its errors, not in Validate's, not in the
// inline-secret warnings, and not when the config is printed.
func FuzzLoadConfig(f *testing.F) {
	f.Add(uint8(0), "  alert_channel: C0123456789\n")
	f.Add(uint8(0), "  alert_channel: general\nstore:\n  path: /tmp/x.db\npoll:\n  interval: 5m\n")
	f.Add(uint8(1), "  alert_channel: ${CHANNEL}\n  allowed_user_ids: [U0123456, \"@ann\"]\n")
	f.Add(uint8(2), "poll: {interval: 1d, failures_before_notice: -1}\n")
	f.Add(uint8(3), "alerts:\n  low_balance:\n    below: .nan\n    runway_below: -4h\n  mass_removal_share: 1.5\n")
	f.Add(uint8(4), "omnidim:\n  timeout: 0\n")
	f.Add(uint8(5), "http:\n  listen: localhost\nomnidim:\n  max_body: 99999999999999999TiB\n")
	f.Add(uint8(6), "  alert_channel: '#alerts'\n  xoxp-pasted-here: 1\n")
	f.Add(uint8(7), "store: &s\n  path: *k\nalerts: {<<: *s}\n")
	f.Add(uint8(8), "  alert_channel: C0123456789\n---\nomnidim: {}\n")
	f.Add(uint8(9), "omnidim:\n  base_url: ftp://x\n  api_key: *undefined\n")
	f.Add(uint8(0), "    continued value\n  : \"unterminated\n")
	f.Add(uint8(9), "- a list\n- not a mapping\n")
	f.Add(uint8(9), "\t")
	f.Add(uint8(0), "store:\n  history: 30d\n  path: \"\"\nhttp: {listen: ~}\nalerts: {new_user: yes, permission_change: 1}\n")
	// One file per process, rewritten for each input: a directory per
	// input would cost more than loading the config.
	dir := f.TempDir()
	path := filepath.Join(dir, "config.yaml")
	f.Fuzz(func(t *testing.T, planting uint8, text string) {
		prefix := fuzzPlantings[int(planting)%len(fuzzPlantings)]
		content := prefix + text
		for _, s := range fuzzSecrets {
			if strings.Contains(text, s[:len(s)/2]) {
				t.Skip("the fuzzed text holds part of a secret itself")
			}
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		// After planting 7 the text may use the anchored secrets anywhere
		// (alert_channel: *k): the user's own doing, quoted like any value.
		movable := prefix == fuzzPlantings[7] && strings.Contains(text, "*")
		leak := func(what, s string) {
			t.Helper()
			if movable {
				return
			}
			for _, secret := range fuzzSecrets {
				if strings.Contains(s, secret) {
					t.Fatalf("%s holds the secret %.12s…:\n%s\nfile:\n%s", what, secret, s, content)
				}
			}
		}

		for _, w := range WarnInlineSecrets(path, nil) {
			leak("a WarnInlineSecrets warning", w)
		}
		cfg, err := Load(path, fuzzEnv)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load failed with %T, want *Error: %v", err, err)
			}
			if cfg != nil {
				t.Fatalf("Load returned a config and an error: %v", err)
			}
			if len(ce.Problems) == 0 {
				t.Fatal("a *Error with no problems")
			}
			leak("Load's error", err.Error())
			leak("Load's error (%+v)", fmt.Sprintf("%+v %#v", err, ce))
			return
		}
		if cfg == nil {
			t.Fatal("Load returned neither a config nor an error")
		}
		for _, need := range []Need{0, NeedOmnidim, NeedSlack, NeedStore, NeedOmnidim | NeedSlack | NeedStore} {
			for _, e := range cfg.Validate(need) {
				leak("a Validate problem", e.Error())
			}
		}
		leak("the printed config", fmt.Sprintf("%v %+v %#v %s", *cfg, *cfg, *cfg, cfg.Omnidim.APIKey))
		if b, err := json.Marshal(cfg); err == nil {
			leak("the config as JSON", string(b))
		}
		if b, err := yaml.Marshal(cfg); err == nil {
			leak("the config as YAML", string(b))
		}
	})
}

// TestFuzzPlantingsPlantSecrets checks that FuzzLoadConfig's plantings put
// the secrets where Load reads secrets, so that its leak checks are
// not vacuous.
func TestFuzzPlantingsPlantSecrets(t *testing.T) {
	for i, prefix := range fuzzPlantings {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(prefix), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, fuzzEnv)
		switch i {
		case 5, 6: // wrong types, and tokens as keys: refused
			if err == nil {
				t.Errorf("planting %d loads", i)
			}
			continue
		case len(fuzzPlantings) - 1: // nothing planted
			continue
		}
		if err != nil {
			t.Errorf("planting %d: %v", i, err)
			continue
		}
		got := []string{cfg.Omnidim.APIKey.Reveal(), cfg.Slack.AppToken.Reveal(), cfg.Slack.BotToken.Reveal()}
		want := fuzzSecrets
		if i == 4 {
			want = []string{fuzzBotToken, fuzzBotToken, fuzzAppToken}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("planting %d loads secrets %q, want %q", i, got, want)
		}
	}
}

// TestConfigErrorsNeverEchoATokenInTheWrongKey: a Slack token pasted into a
// key that is not a secret is quoted back by the error about that key, to
// stderr and CI logs. Load already refuses to echo a token pasted as a
// key (looksSecret); values deserve the same care.
func TestConfigErrorsNeverEchoATokenInTheWrongKey(t *testing.T) {
	for _, content := range []string{
		"slack:\n  alert_channel: " + fuzzBotToken + "\n",
		"slack:\n  allowed_user_ids: [" + fuzzAppToken + "]\n",
		"slack:\n  allowed_channel_ids: [" + fuzzBotToken + "]\n",
		"omnidim:\n  timeout: " + fuzzBotToken + "\n",
		"omnidim:\n  max_body: " + fuzzAppToken + "\n",
		"alerts:\n  new_user: " + fuzzBotToken + "\n",
	} {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		var problems []string
		cfg, err := Load(path, fuzzEnv)
		if err != nil {
			problems = append(problems, err.Error())
		} else {
			for _, e := range cfg.Validate(NeedOmnidim | NeedSlack | NeedStore) {
				problems = append(problems, e.Error())
			}
		}
		for _, p := range problems {
			for _, s := range fuzzSecrets {
				if strings.Contains(p, s) {
					t.Errorf("%q: the problem quotes the token: %s", content, p)
				}
			}
		}
	}
}
