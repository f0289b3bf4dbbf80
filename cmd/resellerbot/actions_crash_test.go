//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// TestActionCrashSafety kills the real binary with SIGKILL between a
// top-up's confirm and its answer (the vendor holds the transfer's answer
// back), restarts it on the same store, and checks that the transfer
// happened at most once and that the audit log says what became of it.
func TestActionCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it; skipped with -short")
	}
	bin := buildBot(t)
	tests := []struct {
		name string
		// applied is whether the vendor made the transfer before the
		// answer was lost.
		applied bool
		want    string
	}{
		{"a transfer the vendor made is found in the credit logs and reported done", true, "done (found in the credit logs"},
		{"a transfer the vendor never made is reported safe to try again", false, "not done: safe to try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			om := omnitest.NewServer(nil, omnitest.WithAPIKey("omni-crash-key"))
			sl := slacktest.NewServer(slacktest.WithPingInterval(time.Second))
			t.Cleanup(om.Close)
			t.Cleanup(sl.Close)
			cfg := filepath.Join(dir, "resellerbot.yaml")
			config := fmt.Sprintf(`omnidim:
  base_url: %q
  api_key: omni-crash-key
  timeout: 20s
slack:
  app_token: %q
  bot_token: %q
  api_url: %q
  alert_channel: %s
store:
  path: %q
poll:
  interval: 1s
http:
  listen: ""
actions:
  allowed_user_ids: [%s]
`, om.URL, sl.AppToken(), sl.BotToken(), sl.APIURL(), slacktest.DefaultChannel, filepath.Join(dir, "bot.db"), slacktest.DefaultUserID)
			if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			logs := &syncBuffer{}
			start := func() *exec.Cmd {
				cmd := exec.Command(bin, "run", "--config", cfg)
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}
				cmd.Stdout, cmd.Stderr = logs, logs
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if err := sl.WaitConnected(ctx); err != nil {
					t.Fatalf("the bot never connected: %v\n%s", err, logs)
				}
				return cmd
			}
			defer func() {
				if t.Failed() {
					t.Logf("logs:\n%s", logs)
				}
			}()

			first := start()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			preview, err := sl.SlashCommand(ctx, slacktest.SlashCommand{Command: "/topup", Text: "beta 100"})
			if err != nil || !strings.Contains(string(preview.Blocks), "topup_confirm") {
				t.Fatalf("/topup: %v %s", err, preview.Blocks)
			}
			om.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Hang: true, AfterApply: tt.applied, Times: 1})
			if _, err := sl.BlockAction(ctx, slacktest.BlockAction{ActionID: "topup_confirm", Blocks: preview.Blocks, Ephemeral: true}); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the transfer request", 20*time.Second, func() bool { return om.Calls(omnitest.TransferPath) == 1 })
			_ = first.Process.Signal(syscall.SIGKILL)
			_ = first.Wait()

			second := start()
			waitUntil(t, "the restart's audit message", 20*time.Second, func() bool {
				for _, m := range sl.Messages(slacktest.DefaultChannel) {
					if strings.Contains(m.Text+string(m.Blocks), "resolved after a restart") {
						return true
					}
				}
				return false
			})
			_ = second.Process.Signal(syscall.SIGTERM)
			_ = second.Wait()

			if n := om.Calls(omnitest.TransferPath); n != 1 {
				t.Errorf("%d transfer requests; a restart must not send the transfer again", n)
			}
			moves := 0
			if tt.applied {
				moves = 1
			}
			if n := len(om.CreditLogs()); n != moves {
				t.Errorf("%d transfers happened; want %d", n, moves)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"audit", "--config", cfg},
				env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
			if code != exitOK || !strings.Contains(out.String(), tt.want) || !strings.Contains(out.String(), "restart") {
				t.Errorf("audit: exit %d; want %q after a restart in:\n%s%s", code, tt.want, out.String(), errOut.String())
			}
		})
	}
}
