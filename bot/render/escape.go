package render

import (
	"strings"
	"unicode/utf8"
)

// escape makes API text safe in Slack mrkdwn and top-level text: Slack
// parses <!channel>, <@U…>, <#C…> and <url|text> there, and &, < and > are
// the only characters it lets one escape.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeBold escapes text to sit between the asterisks of bold. mrkdwn has
// no escape for "*", so an asterisk in a name, which would end the bold
// early, becomes the look-alike "∗".
func escapeBold(s string) string {
	return strings.ReplaceAll(escape(s), "*", "∗")
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
