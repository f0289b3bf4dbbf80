package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Look-alikes for the mrkdwn markers API text may not use. mrkdwn has no
// escape for them, so a marker that could open or close bold, italic,
// strike or code in the bot's own text is shown as a character that looks
// the same and means nothing to Slack.
const (
	boldLike   = "∗" // U+2217 ASTERISK OPERATOR
	italicLike = "＿" // U+FF3F FULLWIDTH LOW LINE
	strikeLike = "∼" // U+223C TILDE OPERATOR
	codeLike   = "ˋ" // U+02CB MODIFIER LETTER GRAVE ACCENT
)

// escape makes API text inert in Slack mrkdwn and top-level text.
//
// Slack parses <!channel>, <@U…>, <#C…> and <url|text> there, and &, < and
// > are the only characters it lets one escape. The formatting markers
// have no escape: "*", "~" and "`" always become look-alikes, since Slack
// does not document how they behave inside a word and names rarely hold
// them; "_" stays between two ASCII letters or digits, where Slack's parser
// cannot open or close italics with it, so that first_last@example.com
// reads and copies as it is, and becomes a look-alike anywhere else.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>*_~`") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '*':
			b.WriteString(boldLike)
		case '~':
			b.WriteString(strikeLike)
		case '`':
			b.WriteString(codeLike)
		case '_':
			if i > 0 && i+1 < len(s) && isWordByte(s[i-1]) && isWordByte(s[i+1]) {
				b.WriteByte('_')
			} else {
				b.WriteString(italicLike)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isWordByte reports whether c is an ASCII letter or digit: the characters
// next to which Slack treats "_" as part of a word. A byte of a multi-byte
// character is not one, so "_" next to "é" is replaced, to be safe.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// flatten turns what could break a line in API text into spaces: newlines,
// other control characters, Unicode's line and paragraph separators and
// the bidirectional overrides and isolates, which could make a name show
// as if it were the bot's text. One character becomes one space, so an org
// name keeps its length.
func flatten(s string) string {
	if strings.IndexFunc(s, breaksLine) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if breaksLine(r) {
			return ' '
		}
		return r
	}, s)
}

func breaksLine(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return r < 0x20 || r == 0x7f
	case r == '\u2028', r == '\u2029', '\u202a' <= r && r <= '\u202e', '\u2066' <= r && r <= '\u2069':
		return true
	}
	return unicode.IsControl(r)
}

// cut shortens s to at most n characters, ending in an ellipsis, without
// splitting an escape sequence such as &amp; or a character.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)[:n-1]
	// Do not leave half an entity: "&am" would show as text.
	if i := strings.LastIndexByte(string(runes), '&'); i >= 0 && !strings.Contains(string(runes)[i:], ";") {
		runes = []rune(string(runes)[:i])
	}
	return string(runes) + "…"
}
