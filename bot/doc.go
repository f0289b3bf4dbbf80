package bot

import (
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Everything the bot shows is built once as a doc, a small model of a Slack
// message, and then written out twice: as Block Kit for Slack and as plain
// text for the console. Text that came from the API is held in spans and
// escaped on the way out; the bot's own markup (bold) never passes through
// API text, so an org named "<!channel>" or "*" stays inert.

// Slack's limits on what one message may hold.
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxHeaderText  = 150
	maxFieldText   = 2000
	maxFields      = 10
	maxContextText = 2000
	maxTopText     = 3000 // Slack allows 40,000; a notification needs far less
)

// span is a run of text. Bold spans become *…* in mrkdwn.
type span struct {
	text string
	bold bool
}

// line is one line of rich text.
type line []span

func txt(s string) span  { return span{text: capSpan(s)} }
func bold(s string) span { return span{text: capSpan(s), bold: true} }

// maxSpan bounds one span. Nothing the bot writes comes near it; an API
// string that does (a 10 MB org name) is cut before it is escaped, measured
// and cut again at every step of rendering.
const maxSpan = 1000

func capSpan(s string) string {
	if len(s) <= maxSpan {
		return s
	}
	n := maxSpan
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// plain returns the text of a line without markup.
func (l line) plain() string {
	var b strings.Builder
	for _, s := range l {
		b.WriteString(s.text)
	}
	return b.String()
}

// mrkdwn returns the line as Slack mrkdwn: API text escaped, bold marked.
func (l line) mrkdwn() string {
	var b strings.Builder
	for _, s := range l {
		if s.bold && strings.TrimSpace(s.text) != "" {
			b.WriteByte('*')
			b.WriteString(escapeBold(s.text))
			b.WriteByte('*')
		} else {
			b.WriteString(Escape(s.text))
		}
	}
	return b.String()
}

// len is the length of the line's mrkdwn, the measure of Slack's limits.
func (l line) len() int { return utf8.RuneCountInString(l.mrkdwn()) }

type blockKind int

const (
	headerBlock blockKind = iota
	sectionBlock
	fieldsBlock
	contextBlock
	dividerBlock
)

type block struct {
	kind   blockKind
	lines  []line // header and context: one line; section: several
	fields []field
}

type field struct {
	label string
	value line
}

// doc is a message: the one-line notification and the blocks.
type doc struct {
	notify line
	blocks []block
}

func (d *doc) header(s string) {
	d.blocks = append(d.blocks, block{kind: headerBlock, lines: []line{{txt(s)}}})
}
func (d *doc) section(lines ...line) {
	d.blocks = append(d.blocks, block{kind: sectionBlock, lines: lines})
}
func (d *doc) fields(fs ...field) { d.blocks = append(d.blocks, block{kind: fieldsBlock, fields: fs}) }
func (d *doc) context(spans ...span) {
	d.blocks = append(d.blocks, block{kind: contextBlock, lines: []line{spans}})
}
func (d *doc) divider()               { d.blocks = append(d.blocks, block{kind: dividerBlock}) }
func (d *doc) notification(l ...span) { d.notify = l }

// Message is a rendered doc, ready for Slack or the console.
type Message struct {
	// Text is the notification: Slack's top-level text, mrkdwn-escaped.
	Text string
	// Blocks are the Block Kit blocks.
	Blocks []slack.Block
	// Plain is the console's plain-text form.
	Plain string
	// Key identifies an alert message across restarts, so a Sender can
	// find it again (see Finder); empty for command answers.
	Key string
}

// render writes the doc out for both media, within Slack's limits: text
// beyond a limit is cut with an ellipsis, blocks beyond 50 are dropped for a
// note saying so. Renderers plan their docs to stay within the limits; this
// is the last line of defence, not the layout.
func (d *doc) render() Message {
	return Message{Text: cut(d.notify.mrkdwn(), maxTopText), Blocks: d.slackBlocks(), Plain: d.plainText()}
}

func (d *doc) slackBlocks() []slack.Block {
	var out []slack.Block
	for _, b := range d.blocks {
		switch b.kind {
		case headerBlock:
			out = append(out, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, cut(b.lines[0].plain(), maxHeaderText), true, false)))
		case sectionBlock:
			out = append(out, slack.NewSectionBlock(mrkdwnObject(joinMrkdwn(b.lines), maxSectionText), nil, nil))
		case fieldsBlock:
			for start := 0; start < len(b.fields); start += maxFields {
				end := min(start+maxFields, len(b.fields))
				objs := make([]*slack.TextBlockObject, 0, end-start)
				for _, f := range b.fields[start:end] {
					objs = append(objs, mrkdwnObject("*"+Escape(f.label)+"*\n"+f.value.mrkdwn(), maxFieldText))
				}
				out = append(out, slack.NewSectionBlock(nil, objs, nil))
			}
		case contextBlock:
			out = append(out, slack.NewContextBlock("", mrkdwnObject(b.lines[0].mrkdwn(), maxContextText)))
		case dividerBlock:
			out = append(out, slack.NewDividerBlock())
		}
	}
	if len(out) > maxBlocks {
		out = append(out[:maxBlocks-1], slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
			"_This answer was cut short to fit in one Slack message._", false, false)))
	}
	return out
}

func mrkdwnObject(s string, limit int) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.MarkdownType, cut(s, limit), false, false)
}

func joinMrkdwn(lines []line) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = l.mrkdwn()
	}
	return strings.Join(parts, "\n")
}

func (d *doc) plainText() string {
	var b strings.Builder
	for i, bl := range d.blocks {
		if i > 0 && bl.kind == headerBlock {
			b.WriteByte('\n')
		}
		switch bl.kind {
		case headerBlock:
			b.WriteString(bl.lines[0].plain())
			b.WriteByte('\n')
		case sectionBlock:
			for _, l := range bl.lines {
				b.WriteString(l.plain())
				b.WriteByte('\n')
			}
		case fieldsBlock:
			for _, f := range bl.fields {
				b.WriteString("  ")
				b.WriteString(f.label)
				b.WriteString(": ")
				b.WriteString(f.value.plain())
				b.WriteByte('\n')
			}
		case contextBlock:
			b.WriteString("  ")
			b.WriteString(bl.lines[0].plain())
			b.WriteByte('\n')
		case dividerBlock:
			b.WriteString("  ----\n")
		}
	}
	return b.String()
}

// Escape makes API text safe in Slack mrkdwn and top-level text: Slack
// parses <!channel>, <@U…>, <#C…> and <url|text> there, and &, < and > are
// the only characters it lets one escape.
func Escape(s string) string {
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
	return strings.ReplaceAll(Escape(s), "*", "∗")
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
