package rendertest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// CheckLimits fails t when m breaks one of Slack's limits (as the fake
// Slack enforces them), or when its text could ping or link: API text must
// reach Slack escaped.
func CheckLimits(t testing.TB, m render.Message) {
	t.Helper()
	if len(m.Blocks) > slacktest.MaxBlocks {
		t.Errorf("%d blocks, Slack allows %d", len(m.Blocks), slacktest.MaxBlocks)
	}
	raw := BlocksJSON(t, m)
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type, Text string
		} `json:"text"`
		Fields []struct{ Text string } `json:"fields"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, b := range blocks {
		if b.Text != nil {
			total += len([]rune(b.Text.Text))
			limit := slacktest.MaxSectionText
			if b.Type == "header" {
				limit = slacktest.MaxHeaderText
			}
			if n := len([]rune(b.Text.Text)); n > limit {
				t.Errorf("block %d (%s) has %d characters, Slack allows %d", i, b.Type, n, limit)
			}
		}
		if len(b.Fields) > slacktest.MaxSectionFields {
			t.Errorf("block %d has %d fields", i, len(b.Fields))
		}
		for _, f := range b.Fields {
			total += len([]rune(f.Text))
		}
	}
	if total > slacktest.MaxBlocksText {
		t.Errorf("the blocks hold %d characters of text; Slack refuses more than about 13,200 (msg_blocks_too_long)", total)
	}
	for _, s := range []string{m.Text, string(raw)} {
		for _, danger := range []string{"<!", "<@", "<#", "<http"} {
			if strings.Contains(s, danger) {
				t.Errorf("message contains raw %q: %s", danger, s)
			}
		}
	}
}

// BlocksJSON is m's blocks as Slack receives them: encoding/json's HTML
// escaping would hide a raw "<!channel>" as "\u003c!channel".
func BlocksJSON(t testing.TB, m render.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Blocks); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// Only is the one message an answer must be, failing t when it is more or
// none.
func Only(t testing.TB, msgs []render.Message) render.Message {
	t.Helper()
	if len(msgs) != 1 {
		t.Fatalf("the answer is %d messages, want 1", len(msgs))
	}
	return msgs[0]
}
