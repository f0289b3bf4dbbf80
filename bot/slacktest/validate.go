package slacktest

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Slack's documented message limits, enforced so tests catch a bot that
// would be rejected by the real Slack.
const (
	// MaxMessageText is the longest accepted message text, in characters;
	// longer text fails with msg_too_long.
	MaxMessageText = 40000
	// MaxBlocks is the most blocks a message may have; more fails with
	// invalid_blocks.
	MaxBlocks = 50
	// MaxSectionText is the longest section block text, in characters.
	MaxSectionText = 3000
	// MaxSectionFields is the most fields a section block may have.
	MaxSectionFields = 10
	// MaxSectionFieldText is the longest section field text, in characters.
	MaxSectionFieldText = 2000
	// MaxHeaderText is the longest header block text, in characters.
	MaxHeaderText = 150
	// MaxContextElements is the most elements a context block may have.
	MaxContextElements = 10
	// MaxActionsElements is the most elements an actions block may have.
	MaxActionsElements = 25
	// MaxBlockID is the longest block_id, in characters.
	MaxBlockID = 255
	// MaxBlocksText is the most text all of a message's blocks may hold
	// together, in characters; more fails with msg_blocks_too_long. Slack
	// does not document it: messages fail between about 13,100 and 13,300
	// characters depending on the blocks, so the fake refuses above 13,000.
	MaxBlocksText = 13000
)

// textObject is a Block Kit composition text object.
type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// block holds the fields of a Block Kit block that the limits concern.
type block struct {
	Type     string            `json:"type"`
	BlockID  string            `json:"block_id"`
	Text     *textObject       `json:"text"`
	Fields   []textObject      `json:"fields"`
	Elements []json.RawMessage `json:"elements"`
}

// validateMessage checks text and the blocks JSON against Slack's limits. It
// returns the blocks (nil when absent or empty) or a Slack error code.
func validateMessage(text, blocksJSON string) (json.RawMessage, string) {
	if utf8.RuneCountInString(text) > MaxMessageText {
		return nil, "msg_too_long"
	}
	return validateBlocks([]byte(blocksJSON))
}

// validateBlocks checks a blocks JSON array. Malformed JSON is
// invalid_blocks_format; a limit violation is invalid_blocks.
func validateBlocks(raw []byte) (json.RawMessage, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, ""
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, "invalid_blocks_format"
	}
	if len(blocks) == 0 {
		return nil, ""
	}
	if len(blocks) > MaxBlocks {
		return nil, "invalid_blocks"
	}
	total := 0
	for _, b := range blocks {
		if !validBlock(b) {
			return nil, "invalid_blocks"
		}
		total += blockText(b)
	}
	if total > MaxBlocksText {
		return nil, "msg_blocks_too_long"
	}
	return json.RawMessage(bytes.Clone(raw)), ""
}

// blockText counts the characters of text a block holds: its text, its
// fields and its elements' texts.
func blockText(raw json.RawMessage) int {
	var b block
	if json.Unmarshal(raw, &b) != nil {
		return 0
	}
	n := 0
	if b.Text != nil {
		n += utf8.RuneCountInString(b.Text.Text)
	}
	for _, f := range b.Fields {
		n += utf8.RuneCountInString(f.Text)
	}
	for _, e := range b.Elements {
		var t textObject
		if json.Unmarshal(e, &t) == nil {
			n += utf8.RuneCountInString(t.Text)
		}
	}
	return n
}

func validBlock(raw json.RawMessage) bool {
	var b block
	if err := json.Unmarshal(raw, &b); err != nil || b.Type == "" {
		return false
	}
	if utf8.RuneCountInString(b.BlockID) > MaxBlockID {
		return false
	}
	switch b.Type {
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return false
		}
		if b.Text != nil && !validText(*b.Text, MaxSectionText, false) {
			return false
		}
		if len(b.Fields) > MaxSectionFields {
			return false
		}
		for _, f := range b.Fields {
			if !validText(f, MaxSectionFieldText, false) {
				return false
			}
		}
	case "header":
		if b.Text == nil || !validText(*b.Text, MaxHeaderText, true) {
			return false
		}
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > MaxContextElements {
			return false
		}
	case "actions":
		if len(b.Elements) == 0 || len(b.Elements) > MaxActionsElements {
			return false
		}
	}
	return true
}

// validText reports whether t is a non-empty text object of at most max
// characters (plain_text only when plainOnly).
func validText(t textObject, max int, plainOnly bool) bool {
	switch t.Type {
	case "plain_text":
	case "mrkdwn":
		if plainOnly {
			return false
		}
	default:
		return false
	}
	n := utf8.RuneCountInString(t.Text)
	return n > 0 && n <= max
}
