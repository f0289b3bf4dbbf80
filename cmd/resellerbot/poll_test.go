package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// cli runs a command line in-process and returns its exit code and output.
func cli(t *testing.T, getenv func(string) string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: getenv})
	return code, out.String(), errOut.String()
}

// pollConfig writes a config for `poll` against api, with the API key in
// the environment, and returns its path and the environment.
func pollConfig(t *testing.T, api *omnitest.Server, extra string) (string, func(string) string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	content := "omnidim:\n  base_url: " + api.URL + "\n  timeout: 2s\n" +
		"store:\n  path: " + filepath.Join(dir, "bot.db") + "\n" + extra
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, func(k string) string {
		if k == "OMNIDIM_API_KEY" {
			return omnitest.DefaultAPIKey
		}
		return ""
	}
}

func TestPollCommand(t *testing.T) {
	api := omnitest.NewServer(nil)
	defer api.Close()
	path, getenv := pollConfig(t, api, "")

	code, out, errOut := cli(t, getenv, "", "poll", "--config", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := "low_balance\tLow balance: Beta Co has $13.00 left (about 1 hour of calls)\n"; out != want {
		t.Errorf("first poll printed %q, want %q", out, want)
	}
	if !strings.Contains(errOut, "polled 2 orgs and 2 users") {
		t.Errorf("summary: %q", errOut)
	}

	t.Run("a second poll prints only what changed", func(t *testing.T) {
		api.AddUser(4001, omnitest.User{ID: 1111, Name: "New Hire", Email: "new@acme.example", IsActive: true})
		code, out, _ := cli(t, getenv, "", "poll", "--config", path)
		if code != exitOK || out != "new_user\tNew user in Acme Inc: New Hire (new@acme.example)\n" {
			t.Errorf("exit %d, printed %q", code, out)
		}
	})
	t.Run("--json prints one event a line with its text", func(t *testing.T) {
		api.SetFlag(4002, 1234, omnitest.FlagLeads, true)
		code, out, _ := cli(t, getenv, "", "poll", "--config", path, "--json")
		var ev struct {
			Kind    string
			Org     struct{ ID int64 }
			User    struct{ Email string }
			Changes []struct{ Field, Old, New string }
			Text    string
		}
		if code != exitOK || json.Unmarshal([]byte(out), &ev) != nil {
			t.Fatalf("exit %d, printed %q", code, out)
		}
		if ev.Kind != "permission_change" || ev.Org.ID != 4002 || ev.User.Email != "demo2@example.com" ||
			len(ev.Changes) != 1 || ev.Changes[0].Field != "is_leads_access" || !strings.Contains(ev.Text, "Leads off → on") {
			t.Errorf("event %+v", ev)
		}
	})
	t.Run("--dry-run stores nothing", func(t *testing.T) {
		api.SetConcurrency(4001, 9)
		for range 2 {
			code, out, _ := cli(t, getenv, "", "poll", "--config", path, "--dry-run")
			if code != exitOK || !strings.HasPrefix(out, "limits_changed\t") {
				t.Errorf("exit %d, printed %q", code, out)
			}
		}
	})
	t.Run("a failed fetch exits 1 and changes nothing", func(t *testing.T) {
		api.Fail(omnitest.Fault{Status: http.StatusUnauthorized, Times: 1})
		code, out, errOut := cli(t, getenv, "", "poll", "--config", path)
		if code != exitFailure || out != "" || !strings.Contains(errOut, "unauthorized (HTTP 401): Missing or invalid API key") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		code, out, _ = cli(t, getenv, "", "poll", "--config", path)
		if code != exitOK || !strings.HasPrefix(out, "limits_changed\t") {
			t.Errorf("after the failure: exit %d, printed %q", code, out)
		}
	})
	t.Run("printed alerts are not posted again by run", func(t *testing.T) {
		st, err := store.Open(filepath.Join(filepath.Dir(path), "bot.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if n, _ := st.OutboxLen(); n != 0 {
			t.Errorf("%d messages left in the outbox", n)
		}
	})
}

func TestPollCommandErrors(t *testing.T) {
	api := omnitest.NewServer(nil)
	defer api.Close()
	path, getenv := pollConfig(t, api, "")
	noKey := func(string) string { return "" }

	tests := []struct {
		name   string
		args   []string
		getenv func(string) string
		code   int
		stderr string
	}{
		{"no --config is bad usage", []string{"poll"}, getenv, exitUsage, "--config FILE is required"},
		{"a missing file is bad config", []string{"poll", "--config", "/nonexistent/config.yaml"}, getenv, exitUsage, "/nonexistent/config.yaml"},
		{"a missing API key names the key", []string{"poll", "--config", path}, noKey, exitUsage, "omnidim.api_key: empty (set it or OMNIDIM_API_KEY)"},
		{"an unknown flag is bad usage", []string{"poll", "--config", path, "--fast"}, getenv, exitUsage, "flag provided but not defined: -fast"},
		{"an unknown command is bad usage", []string{"pol"}, getenv, exitUsage, `unknown command "pol"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := cli(t, tt.getenv, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.stderr)
			}
		})
	}

	t.Run("a store held by another process is a clear runtime error", func(t *testing.T) {
		st, err := store.Open(filepath.Join(filepath.Dir(path), "bot.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		code, _, errOut := cli(t, getenv, "", "poll", "--config", path)
		if code != exitFailure || !strings.Contains(errOut, "store is locked by another process") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}

func TestPollRefusesDurationsThatOverflow(t *testing.T) {
	api := omnitest.NewServer(nil)
	defer api.Close()
	// 3 × this interval, /readyz's window, is beyond time.Duration.
	path, getenv := pollConfig(t, api, "poll:\n  interval: 2562047h\n")
	code, out, errOut := cli(t, getenv, "", "poll", "--config", path)
	if want := "resellerbot: " + path + ": poll.interval: must be at most 24h\n"; code != exitUsage || errOut != want || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, exitUsage, want)
	}
}

func TestPollJSONCitesTheRuleAsTheFileSpellsIt(t *testing.T) {
	api := omnitest.NewServer(nil)
	defer api.Close()
	path, getenv := pollConfig(t, api, "")
	code, out, errOut := cli(t, getenv, "", "poll", "--config", path, "--dry-run", "--json")
	var ev struct{ Kind, Rule string }
	if code != exitOK || json.Unmarshal([]byte(out), &ev) != nil {
		t.Fatalf("exit %d, printed %q, stderr %q", code, out, errOut)
	}
	if ev.Kind != "low_balance" || ev.Rule != "alerts.low_balance.below = 50" {
		t.Errorf("printed %s, want a low balance with the rule alerts.low_balance.below = 50", out)
	}
}

func TestDemoShowsEveryAlertKindAndAnswersCommands(t *testing.T) {
	code, out, errOut := cli(t, nil, "/orgs\n/org acme\n/orgs low\n", "demo", "--interval", "40ms", "--duration", "2s")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"⚠️ Low balance", "👤 New user", "🔐 Permission change", "🏢 Org added", "⚙️ Limits changed", "✅ Balance recovered",
		"👤 User removed", "🔐 Reseller scope changed", "🛑 OmniDimension API outage", "✅ OmniDimension API reachable again",
		"🏢 Org removed",
		"── /orgs ", "riskiest first", "── /org acme ", "Acme Inc (4001)", "── /orgs low ", "resellerbot demo: bye.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, _ := cli(t, nil, "", "version")
	if code != exitOK || !strings.HasPrefix(out, "resellerbot ") || !strings.Contains(out, "go1.") {
		t.Errorf("exit %d, %q", code, out)
	}
}
