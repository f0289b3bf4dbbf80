package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// checkConfig writes a full config for `check` against the two fakes.
func checkConfig(t *testing.T, api *omnitest.Server, sl *slacktest.Server, channel string) (string, func(string) string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	content := "omnidim:\n  base_url: " + api.URL + "\n  timeout: 2s\n" +
		"slack:\n  api_url: " + sl.APIURL() + "\n  alert_channel: " + channel + "\n" +
		"store:\n  path: " + filepath.Join(dir, "bot.db") + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, func(k string) string {
		return map[string]string{
			"OMNIDIM_API_KEY": omnitest.DefaultAPIKey,
			"SLACK_APP_TOKEN": sl.AppToken(),
			"SLACK_BOT_TOKEN": sl.BotToken(),
		}[k]
	}
}

func TestCheckCommand(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(api *omnitest.Server, sl *slacktest.Server)
		channel string
		code    int
		want    []string
	}{
		{"everything in order passes every check", nil, slacktest.DefaultChannel, exitOK, []string{
			"ok    config:", `ok    omnidim: ` + "", `reseller "Demo Reseller": 2 orgs, 2 users`,
			"ok    slack bot token: bot", "ok    slack app token:", "ok    slack alert channel: C0ALERTS", "ok    store:"}},
		{"a refused API key fails its check with a hint", func(api *omnitest.Server, _ *slacktest.Server) {
			api.Fail(omnitest.Fault{Status: http.StatusUnauthorized})
		}, slacktest.DefaultChannel, exitFailure, []string{"FAIL  omnidim: omnidim: unauthorized (HTTP 401)", "check omnidim.api_key"}},
		{"a revoked bot token fails its check with a hint", func(_ *omnitest.Server, sl *slacktest.Server) {
			sl.FailMethod("auth.test", "invalid_auth", -1)
		}, slacktest.DefaultChannel, exitFailure, []string{"FAIL  slack bot token: invalid_auth: check slack.bot_token"}},
		{"a refused app token fails its check with a hint", func(_ *omnitest.Server, sl *slacktest.Server) {
			sl.FailMethod("apps.connections.open", "invalid_auth", -1)
		}, slacktest.DefaultChannel, exitFailure, []string{"FAIL  slack app token: invalid_auth: check slack.app_token"}},
		{"a channel the bot is not in says to invite it", func(_ *omnitest.Server, sl *slacktest.Server) {
			sl.SetChannel("C0PRIVATE", false)
		}, "C0PRIVATE", exitFailure, []string{"FAIL  slack alert channel: not_in_channel: invite the bot to the channel"}},
		{"a missing channel says to check the ID", nil, "C0NOWHERE", exitFailure, []string{"FAIL  slack alert channel: channel_not_found: check slack.alert_channel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := omnitest.NewServer(nil)
			defer api.Close()
			sl := slacktest.NewServer()
			defer sl.Close()
			if tt.setup != nil {
				tt.setup(api, sl)
			}
			path, getenv := checkConfig(t, api, sl, tt.channel)
			code, out, errOut := cli(t, getenv, "", "check", "--config", path)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, secret := range []string{omnitest.DefaultAPIKey, sl.AppToken(), sl.BotToken()} {
				if strings.Contains(out+errOut, secret) {
					t.Errorf("the output holds a secret")
				}
			}
			if n := sl.ScheduledMessages(); n != 0 {
				t.Errorf("check left %d scheduled messages behind", n)
			}
			if posted := sl.Messages(""); len(posted) != 0 {
				t.Errorf("check posted %d messages", len(posted))
			}
		})
	}
}

func TestCheckCommandReportsAHeldStoreAsOneFailedCheck(t *testing.T) {
	api := omnitest.NewServer(nil)
	defer api.Close()
	sl := slacktest.NewServer()
	defer sl.Close()
	path, getenv := checkConfig(t, api, sl, slacktest.DefaultChannel)
	st, err := store.Open(filepath.Join(filepath.Dir(path), "bot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, out, errOut := cli(t, getenv, "", "check", "--config", path)
	if code != exitFailure || !strings.Contains(errOut, "1 check failed") {
		t.Errorf("exit %d, stderr %q; want %d and one failed check", code, errOut, exitFailure)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, w := range []string{"ok    config:", "ok    omnidim:", "ok    slack bot token:", "ok    slack app token:", "ok    slack alert channel:"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "FAIL  store: ") || !strings.Contains(last, "only one resellerbot may use a store at a time") {
		t.Errorf("the last line is %q, want the store's failure", last)
	}
}

func TestHealthcheckCommand(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer down.Close()
	if code, _, errOut := cli(t, nil, "", "healthcheck", "--url", ok.URL+"/healthz"); code != exitOK {
		t.Errorf("a healthy endpoint: exit %d, %s", code, errOut)
	}
	if code, _, errOut := cli(t, nil, "", "healthcheck", "--url", down.URL+"/healthz"); code != exitFailure || !strings.Contains(errOut, "503") {
		t.Errorf("an unhealthy endpoint: exit %d, %s", code, errOut)
	}
}
