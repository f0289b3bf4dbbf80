package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// Distinctive secrets: three in the config file, three in the environment.
// Whichever a variant uses, none of the six may show anywhere.
const (
	secInlineAPIKey = "omni-INLINE-s3cr3t-4f1a9c"
	secInlineApp    = "xapp-1-INLINE-s3cr3t-8d2e"
	secInlineBot    = "xoxb-INLINE-s3cr3t-6b7f"
	secEnvAPIKey    = "omni-ENV-s3cr3t-2c5d8e"
	secEnvApp       = "xapp-1-ENV-s3cr3t-9a3b"
	secEnvBot       = "xoxb-ENV-s3cr3t-1e4f"
)

var secAll = []string{secInlineAPIKey, secInlineApp, secInlineBot, secEnvAPIKey, secEnvApp, secEnvBot}

// secGetenv is the environment of every command: it always holds the
// environment's secrets, used or not.
func secGetenv(k string) string {
	return map[string]string{
		"OMNIDIM_API_KEY": secEnvAPIKey,
		"SLACK_APP_TOKEN": secEnvApp,
		"SLACK_BOT_TOKEN": secEnvBot,
		"HOME":            "/home/bot",
	}[k]
}

// secRig is a config file and the fakes that accept its secrets.
type secRig struct {
	t      *testing.T
	omni   *omnitest.Server
	slack  *slacktest.Server
	path   string
	dir    string
	listen string
	// seen collects everything a person or a scraper could read.
	seen map[string]*bytes.Buffer
}

// newSecRig writes a config with the secrets inline (inline) or taken from
// the environment, with the given file mode.
func newSecRig(t *testing.T, inline bool, mode os.FileMode) *secRig {
	t.Helper()
	apiKey, app, bot := secEnvAPIKey, secEnvApp, secEnvBot
	if inline {
		apiKey, app, bot = secInlineAPIKey, secInlineApp, secInlineBot
	}
	r := &secRig{
		t:      t,
		omni:   omnitest.NewServer(nil, omnitest.WithAPIKey(apiKey)),
		slack:  slacktest.NewServer(slacktest.WithPingInterval(100*time.Millisecond), slacktest.WithTokens(app, bot)),
		dir:    t.TempDir(),
		listen: secFreeAddr(t),
		seen:   map[string]*bytes.Buffer{},
	}
	t.Cleanup(r.omni.Close)
	t.Cleanup(r.slack.Close)
	r.path = filepath.Join(r.dir, "config.yaml")
	var secrets string
	if inline {
		secrets = "  api_key: " + secInlineAPIKey + "\n"
	} else {
		secrets = "  api_key: ${OMNIDIM_API_KEY}\n"
	}
	content := "omnidim:\n  base_url: " + r.omni.URL + "\n" + secrets + "  timeout: 2s\n" +
		"slack:\n  api_url: " + r.slack.APIURL() + "\n  alert_channel: " + slacktest.DefaultChannel + "\n"
	if inline {
		content += "  app_token: " + secInlineApp + "\n  bot_token: \"" + secInlineBot + "\"\n"
	}
	content += "store:\n  path: " + filepath.Join(r.dir, "bot.db") + "\npoll:\n  interval: 1s\n" +
		"http:\n  listen: " + r.listen + "\n" +
		"actions:\n  allowed_user_ids: [" + slacktest.DefaultUserID + "]\n"
	if err := os.WriteFile(r.path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(r.path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return r
}

// secFreeAddr returns a loopback address with a port free a moment ago.
func secFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// note records text someone could read, under a label.
func (r *secRig) note(label, text string) {
	if r.seen[label] == nil {
		r.seen[label] = &bytes.Buffer{}
	}
	r.seen[label].WriteString(text)
}

// cmd runs a command line in-process and records its output.
func (r *secRig) cmd(stdin string, args ...string) (code int, stdout, stderr string) {
	r.t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: secGetenv})
	r.note(args[0]+" stdout", out.String())
	r.note(args[0]+" stderr", errOut.String())
	return code, out.String(), errOut.String()
}

// runBot starts `run` in-process and returns a stop function that cancels
// it and returns its exit code, and its stderr.
func (r *secRig) runBot() (stop func() int, stderr *syncBuffer) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	var stdout syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--config", r.path, "--log-level", "debug"},
			env{stdin: strings.NewReader(""), stdout: &stdout, stderr: stderr, getenv: secGetenv})
	}()
	stopped := false
	code := 0
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code = <-done:
			case <-time.After(shutdownGrace + 2*time.Second):
				r.t.Errorf("run did not stop")
			}
			r.note("run stdout", stdout.String())
			r.note("run stderr", stderr.String())
		}
		return code
	}
	r.t.Cleanup(func() { stop() })
	return stop, stderr
}

// slackSeen records everything posted to Slack: messages in every channel,
// ephemeral ones included, and the parameters of every call but tokens.
func (r *secRig) slackSeen() {
	for _, m := range r.slack.Messages("") {
		r.note("slack messages", m.Text+"\n"+string(m.Blocks)+"\n")
	}
	for _, c := range r.slack.Calls("") {
		params := c.Params
		params.Del("token")
		r.note("slack calls", c.Method+" "+params.Encode()+"\n")
	}
	for _, resp := range r.slack.ResponseURLPosts("") {
		r.note("slack responses", resp.Text+string(resp.Blocks)+string(resp.Raw))
	}
}

// noSecrets fails for every secret found in what was recorded.
func (r *secRig) noSecrets() {
	r.t.Helper()
	for label, b := range r.seen {
		for _, s := range secAll {
			if bytes.Contains(b.Bytes(), []byte(s)) {
				r.t.Errorf("the %s hold the secret %.12s…:\n%s", label, s, b)
			}
		}
	}
}

// TestSecretsNeverShow runs every command with secrets inline in the
// config file, and with them in the environment, and looks for them in
// everything the bot writes or serves.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	for _, inline := range []bool{true, false} {
		name := "from the environment"
		if inline {
			name = "inline in the config file"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newSecRig(t, inline, 0o600)
			apiKey := map[bool]string{true: secInlineAPIKey, false: secEnvAPIKey}[inline]

			if code, out, _ := r.cmd("", "version"); code != exitOK || !strings.HasPrefix(out, "resellerbot ") {
				t.Errorf("version: exit %d, %q", code, out)
			}
			if code, out, errOut := r.cmd("/orgs\n/org acme\n", "demo", "--duration", "700ms", "--interval", "50ms", "--log-level", "debug"); code != exitOK || !strings.Contains(out, "Acme Inc") {
				t.Errorf("demo: exit %d\n%s\n%s", code, out, errOut)
			}
			if code, out, errOut := r.cmd("", "poll", "--config", r.path, "--dry-run", "--json", "--log-level", "debug"); code != exitOK || !strings.Contains(out, `"kind":"low_balance"`) {
				t.Errorf("poll --dry-run --json: exit %d\n%s\n%s", code, out, errOut)
			}
			if code, out, errOut := r.cmd("", "poll", "--config", r.path, "--log-level", "debug"); code != exitOK || !strings.Contains(out, "Low balance: Beta Co") {
				t.Errorf("poll: exit %d\n%s\n%s", code, out, errOut)
			}
			// An API that echoes the key it was sent.
			r.omni.Fail(omnitest.Fault{Status: 401, Times: 1, Body: []byte(`{"error": "unauthorized", "error_description": "bad key ` + apiKey + `"}`)})
			if code, _, errOut := r.cmd("", "poll", "--config", r.path, "--log-level", "debug"); code != exitFailure || !strings.Contains(errOut, "HTTP 401") {
				t.Errorf("poll against an echoing 401: exit %d\n%s", code, errOut)
			}
			if code, out, errOut := r.cmd("", "check", "--config", r.path); code != exitOK {
				t.Errorf("check: exit %d\n%s\n%s", code, out, errOut)
			}

			// run, with an echoing API now and then, a command, /metrics and a
			// healthcheck.
			stop, stderr := r.runBot()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := r.slack.WaitConnected(ctx); err != nil {
				t.Fatalf("run never connected: %v\n%s", err, stderr)
			}
			r.omni.AddUser(4001, faultNewHire) // `poll` printed the low balance already
			if _, err := r.slack.WaitMessages(ctx, slacktest.DefaultChannel, 1); err != nil {
				t.Fatalf("run posted nothing: %v\n%s", err, stderr)
			}
			r.omni.Fail(omnitest.Fault{Status: 401, Times: 2, Body: []byte(`{"error": "bad key ` + apiKey + `"}`)})
			resp, err := r.slack.SlashCommand(ctx, slacktest.SlashCommand{Command: "/org", Text: "beta"})
			if err != nil || !strings.Contains(resp.Text+string(resp.Blocks), "Beta Co") {
				t.Errorf("/org beta: %v %q", err, resp.Text)
			}
			r.note("slash command answer", resp.Text+string(resp.Blocks)+string(resp.Raw))
			waitUntil(t, "the echoing polls", 10*time.Second, func() bool { return r.omni.PendingFaults() == 0 })
			r.actionsSeen(ctx, apiKey)
			r.note("/metrics", get(t, "http://"+r.listen+"/metrics"))
			r.note("/readyz", get(t, "http://"+r.listen+"/readyz"))
			if code, out, errOut := r.cmd("", "healthcheck", "--url", "http://"+r.listen+"/healthz"); code != exitOK || out != "ok\n" {
				t.Errorf("healthcheck: exit %d %q %q", code, out, errOut)
			}
			if code := stop(); code != exitOK {
				t.Errorf("run: exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr.String(), "HTTP 401") {
				t.Errorf("run's log does not show the echoing 401s:\n%s", stderr)
			}

			// check against fakes that echo what they were sent.
			r.slack.HandleMethod("auth.test", func(c slacktest.Call) any {
				return map[string]any{"ok": false, "error": "invalid_auth", "warning": "token " + c.Token + " refused"}
			})
			r.omni.Fail(omnitest.Fault{Status: 403, Times: 1, Body: []byte(`<html><title>Forbidden for ` + apiKey + `</title></html>`), ContentType: "text/html"})
			if code, out, _ := r.cmd("", "check", "--config", r.path); code != exitFailure || !strings.Contains(out, "FAIL  omnidim") {
				t.Errorf("check against echoing fakes: exit %d\n%s", code, out)
			}

			if db, err := os.ReadFile(filepath.Join(r.dir, "bot.db")); err == nil {
				r.note("store file", string(db))
			}
			if code, out, errOut := r.cmd("", "audit", "--config", r.path); code != exitOK || !strings.Contains(out, "topup_confirm") {
				t.Errorf("audit with the bot stopped: exit %d\n%s\n%s", code, out, errOut)
			}
			if f, err := os.ReadFile(filepath.Join(r.dir, "bot.db.audit.jsonl")); err == nil {
				r.note("audit file", string(f))
			}
			r.slackSeen()
			r.noSecrets()
			for label, b := range r.seen {
				if strings.Contains(label, "stderr") && strings.Contains(b.String(), "warning") {
					t.Errorf("a 0600 config file got a warning in the %s:\n%s", label, b)
				}
			}
		})
	}
}

// TestSecretsWorldReadableConfigWarns: a config file others may read gets
// one warning per inline secret when a command starts; a 0600 one, or one
// that takes its secrets from the environment, gets none.
func TestSecretsWorldReadableConfigWarns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inline bool
		mode   os.FileMode
		warns  []string
	}{
		{"inline secrets, mode 0644", true, 0o644, []string{"omnidim.api_key", "slack.app_token", "slack.bot_token"}},
		{"inline secrets, mode 0640", true, 0o640, []string{"omnidim.api_key", "slack.app_token", "slack.bot_token"}},
		{"inline secrets, mode 0600", true, 0o600, nil},
		{"secrets from the environment, mode 0644", false, 0o644, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newSecRig(t, tt.inline, tt.mode)
			_, _, pollErr := r.cmd("", "poll", "--config", r.path, "--dry-run")
			_, _, checkErr := r.cmd("", "check", "--config", r.path)
			stop, runErr := r.runBot()
			waitUntil(t, "run to start", 10*time.Second, func() bool { return strings.Contains(runErr.String(), "resellerbot running") })
			stop()
			for cmd, stderr := range map[string]string{"poll": pollErr, "check": checkErr, "run": runErr.String()} {
				var warnings []string
				for _, l := range strings.Split(stderr, "\n") {
					if strings.HasPrefix(l, "resellerbot: warning:") {
						warnings = append(warnings, l)
					}
				}
				if len(warnings) != len(tt.warns) {
					t.Errorf("%s: %d warnings, want %d:\n%s", cmd, len(warnings), len(tt.warns), stderr)
					continue
				}
				for i, key := range tt.warns {
					want := fmt.Sprintf("readable by others (mode %04o) and holds %s inline", tt.mode, key)
					if !strings.Contains(warnings[i], want) || !strings.Contains(warnings[i], r.path) {
						t.Errorf("%s: warning %q, want it to say %q", cmd, warnings[i], want)
					}
				}
				if cmd == "run" && len(warnings) > 0 && !strings.HasPrefix(stderr, "resellerbot: warning:") {
					t.Errorf("run: the warning is not the first thing it says:\n%s", stderr)
				}
			}
			r.noSecrets()
		})
	}
}

// TestSecretsEchoedWithEscapesNeverShow: an API key with "/" and "+", which
// the vendor echoes JSON-escaped ("omni\/sk\u002b…"), shows neither decoded
// nor escaped in the outage notice, /readyz or the log, which take the
// vendor's message as it decodes.
func TestSecretsEchoedWithEscapesNeverShow(t *testing.T) {
	t.Parallel()
	const key = "omni/sk+ESCAPED_s3cr3t/7Hq2+Zp9Xc4Vb8"
	escaped := strings.NewReplacer("/", `\/`, "+", `\u002b`).Replace(key)
	h := faultNewHarness(t, faultTimeout)
	h.omni = omnitest.NewServer(nil, omnitest.WithAPIKey(key))
	t.Cleanup(h.omni.Close)
	h.cfg.Omnidim.BaseURL, h.cfg.Omnidim.APIKey = h.omni.URL, config.Secret(key)
	h.start()
	h.waitMessages(1) // a good poll first, so that /readyz reports the failures

	h.omni.Fail(omnitest.Fault{Status: http.StatusUnauthorized,
		Body: []byte(`{"error":"unauthorized","error_description":"bad key ` + escaped + `"}`)})
	notice := h.waitMessages(2)[1]
	if !strings.HasPrefix(notice.Text, "OmniDimension API failing") {
		t.Fatalf("second message %q, want the outage notice", notice.Text)
	}
	base := "http://" + h.rt.httpAddr
	var ready string
	waitUntil(t, "/readyz to report the failing polls", 10*time.Second, func() bool {
		ready = get(t, base+"/readyz")
		return strings.Contains(ready, "HTTP 401")
	})
	for what, text := range map[string]string{
		"the outage notice": notice.Text + string(notice.Blocks),
		"/readyz":           ready,
		"the log":           h.logs.String(),
	} {
		for _, form := range []string{key, escaped, strings.ReplaceAll(key, "/", `\/`), key[len(key)-12:]} {
			if strings.Contains(text, form) {
				t.Errorf("%s holds the key as %q:\n%s", what, form, text)
			}
		}
	}
	if !strings.Contains(notice.Text, "bad key [redacted]") {
		t.Errorf("the outage notice does not show the vendor's message, redacted: %s", notice.Text)
	}
}

// actionsSeen tops up an org from Slack against a vendor that first echoes
// the key in its refusal, and exports the audit log while the bot runs,
// recording all of it.
func (r *secRig) actionsSeen(ctx context.Context, apiKey string) {
	t := r.t
	t.Helper()
	for i, echo := range []bool{true, false} {
		preview, err := r.slack.SlashCommand(ctx, slacktest.SlashCommand{Command: "/topup", Text: "beta 10"})
		if err != nil || !strings.Contains(string(preview.Blocks), "topup_confirm") {
			t.Fatalf("/topup beta 10: %v %s", err, preview.Blocks)
		}
		r.note("slash command answer", preview.Text+string(preview.Blocks)+string(preview.Raw))
		if echo {
			r.omni.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Status: 400, Times: 1,
				Body: []byte(`{"success": false, "error": "bad key ` + apiKey + `"}`)})
		}
		d, err := r.slack.BlockAction(ctx, slacktest.BlockAction{ActionID: "topup_confirm", Blocks: preview.Blocks, Ephemeral: true})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the answer to the confirm", 10*time.Second, func() bool { return len(r.slack.ResponseURLPosts(d.EnvelopeID)) > 0 })
		if n := r.omni.Calls(omnitest.TransferPath); n != int64(i+1) {
			t.Fatalf("%d transfer requests after %d confirms", n, i+1)
		}
	}
	code, out, errOut := r.cmd("", "audit", "--config", r.path, "--json")
	if code != exitOK || !strings.Contains(out, `"via":"topup_confirm"`) || !strings.Contains(out, "bad key") {
		t.Errorf("audit --json while the bot runs: exit %d\n%s\n%s", code, out, errOut)
	}
}
