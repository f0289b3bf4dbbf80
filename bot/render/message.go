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
	// maxBlocksText bounds the text of all of a message's blocks together.
	// Slack refuses more than about 13,200 characters with
	// msg_blocks_too_long, a limit it does not document; 12,000 leaves room.
	maxBlocksText = 12000
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

// doc is a message: the one-line notification and the blocks, and, for an
// answer longer than one message, the messages that follow it.
type doc struct {
	notify line
	blocks []block
	more   []*doc
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

// packer fills sections with lines, each section within Slack's 3,000
// characters, using at most room sections and budget characters, plus one
// section for a closing note. Lines added together stay in one section when
// they fit in one.
type packer struct {
	d      *doc
	room   int
	budget int
	lines  []line
	size   int
	full   bool
}

// newPacker returns a packer for the rest of d, keeping reserve blocks for
// what follows the packed sections (context lines).
func newPacker(d *doc, reserve int) *packer {
	return &packer{d: d, room: maxBlocks - len(d.blocks) - reserve - 1, budget: maxBlocksText - d.textLen() - 500}
}

// add adds lines, and reports false (adding nothing) when they no longer
// fit in the room left.
func (p *packer) add(lines ...line) bool {
	n := 0
	for _, l := range lines {
		n += l.len() + 1
	}
	if p.full || n > p.budget {
		p.full = true
		return false
	}
	if p.size > 0 && p.size+n > maxSectionText {
		if p.room <= 1 {
			p.full = true
			return false
		}
		p.flush()
	}
	p.lines = append(p.lines, lines...)
	p.size += n
	p.budget -= n
	return true
}

// note adds a closing line, even when the room is full: it may take one
// section more than room, and the reserve of the budget.
func (p *packer) note(l line) {
	if p.size+l.len()+1 > maxSectionText {
		p.flush()
	}
	p.lines = append(p.lines, l)
	p.size += l.len() + 1
}

// flush ends the current section.
func (p *packer) flush() {
	if len(p.lines) > 0 {
		p.d.section(p.lines...)
		p.room--
		p.lines, p.size = nil, 0
	}
}

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
// beyond a limit is cut with an ellipsis, and blocks beyond 50 or beyond
// maxBlocksText are dropped for a note saying so. Renderers plan their docs
// to stay within the limits; this is the last line of defence, not the
// layout.
func (d *doc) render() Message {
	return Message{Text: cut(d.notify.mrkdwn(), maxTopText), Blocks: d.slackBlocks(), Plain: d.plainText()}
}

// cutShort ends a message that had to be cut.
const cutShort = "_This answer was cut short to fit in one Slack message._"

func (d *doc) slackBlocks() []slack.Block {
	var out []slack.Block
	total := 0
	for _, b := range d.blocks {
		blocks, n := b.slack()
		if len(out)+len(blocks) > maxBlocks-1 || total+n > maxBlocksText-len(cutShort) {
			return append(out, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, cutShort, false, false)))
		}
		out = append(out, blocks...)
		total += n
	}
	return out
}

// slack writes one block as Block Kit (a fields block may need several)
// and counts the characters of text it holds.
func (b *block) slack() ([]slack.Block, int) {
	switch b.kind {
	case headerBlock:
		t := cut(b.lines[0].plain(), maxHeaderText)
		return []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, t, true, false))}, utf8.RuneCountInString(t)
	case sectionBlock:
		t := mrkdwnObject(joinMrkdwn(b.lines), maxSectionText)
		return []slack.Block{slack.NewSectionBlock(t, nil, nil)}, utf8.RuneCountInString(t.Text)
	case fieldsBlock:
		var out []slack.Block
		n := 0
		for start := 0; start < len(b.fields); start += maxFields {
			end := min(start+maxFields, len(b.fields))
			objs := make([]*slack.TextBlockObject, 0, end-start)
			for _, f := range b.fields[start:end] {
				t := mrkdwnObject("*"+Escape(f.label)+"*\n"+f.value.mrkdwn(), maxFieldText)
				objs = append(objs, t)
				n += utf8.RuneCountInString(t.Text)
			}
			out = append(out, slack.NewSectionBlock(nil, objs, nil))
		}
		return out, n
	case contextBlock:
		t := mrkdwnObject(b.lines[0].mrkdwn(), maxContextText)
		return []slack.Block{slack.NewContextBlock("", t)}, utf8.RuneCountInString(t.Text)
	}
	return []slack.Block{slack.NewDividerBlock()}, 0
}

// textLen is the characters of text the doc's blocks hold so far.
func (d *doc) textLen() int {
	n := 0
	for i := range d.blocks {
		_, k := d.blocks[i].slack()
		n += k
	}
	return n
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
