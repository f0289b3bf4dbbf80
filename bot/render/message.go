package render

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

// txt and bold flatten their text: a newline in an org name must not start
// a line that reads like the bot's own, in any output.
func txt(s string) span  { return span{text: flatten(capSpan(s))} }
func bold(s string) span { return span{text: flatten(capSpan(s)), bold: true} }

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
	if len(l) == 1 {
		return l[0].text
	}
	n := 0
	for _, s := range l {
		n += len(s.text)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range l {
		b.WriteString(s.text)
	}
	return b.String()
}

// mrkdwn returns the line as Slack mrkdwn: API text escaped, bold marked.
func (l line) mrkdwn() string {
	n := 0
	for _, s := range l {
		n += len(s.text) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range l {
		if s.bold && strings.TrimSpace(s.text) != "" {
			b.WriteByte('*')
			b.WriteString(escape(s.text))
			b.WriteByte('*')
		} else {
			b.WriteString(escape(s.text))
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
	actionsBlock
)

type block struct {
	kind  blockKind
	lines []line // header and context: one line; section: several
	// mrkdwn, if set, is the lines' mrkdwn, kept from when the renderer
	// measured them so that they are not written twice.
	mrkdwn []string
	fields []field
	// id and buttons are an actions block's block_id and elements.
	id      string
	buttons []button
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

// measuredSection is section for lines whose mrkdwn the renderer has
// written already, to measure them.
func (d *doc) measuredSection(lines []line, mrkdwn []string) {
	d.blocks = append(d.blocks, block{kind: sectionBlock, lines: lines, mrkdwn: mrkdwn})
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
	// find it again (see delivery.Finder); empty for command answers.
	Key string
	// Channel, if set, is where a Sender posts the message instead of its
	// own channel (the alert channel): the daily digest's channel, the
	// audit channel for records of actions.
	Channel string
	// ThreadTS, if set, is the thread of Channel a Sender posts the message
	// in when it is given no reply-to of its own (an action's record, in
	// the thread of the alert it started from).
	ThreadTS string
	// Broadcast, for a thread reply, also shows it in the channel: an
	// episode's reminders are news for the channel, not only the thread.
	Broadcast bool
}

// render writes the doc out for both media, within Slack's limits: text
// beyond a limit is cut with an ellipsis, and blocks beyond 50 or beyond
// maxBlocksText are dropped for a note saying so. Renderers plan their docs
// to stay within the limits; this is the last line of defence, not the
// layout.
func (d *doc) render() Message {
	blocks, size := d.slackBlocks()
	return Message{Text: cut(d.notify.mrkdwn(), maxTopText), Blocks: blocks, Plain: d.plainText(size)}
}

// TextOnly is m as top-level text alone, for a receiver that refused its
// blocks: the plain text, escaped and within Slack's 40,000 characters, with
// the same Key so that it is found again after a crash.
func (m Message) TextOnly() Message {
	// Escape first: escaping lengthens the text, and cut keeps whole
	// entities.
	return Message{Text: cut(escape(m.Plain), 39000), Key: m.Key, Channel: m.Channel}
}

// cutShort ends a message that had to be cut.
const cutShort = "_This answer was cut short to fit in one Slack message._"

// slackBlocks writes the blocks as Block Kit, and counts the characters of
// text they hold.
func (d *doc) slackBlocks() ([]slack.Block, int) {
	out := make([]slack.Block, 0, min(len(d.blocks), maxBlocks))
	total := 0
	for _, b := range d.blocks {
		blocks, n := b.slack()
		if len(out)+len(blocks) > maxBlocks-1 || total+n > maxBlocksText-len(cutShort) {
			return append(out, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, cutShort, false, true))), total
		}
		out = append(out, blocks...)
		total += n
	}
	return out, total
}

// slack writes one block as Block Kit (a fields block may need several)
// and counts the characters of text it holds.
func (b *block) slack() ([]slack.Block, int) {
	switch b.kind {
	case headerBlock:
		t := cut(b.lines[0].plain(), maxHeaderText)
		return []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, t, true, false))}, utf8.RuneCountInString(t)
	case sectionBlock:
		t := mrkdwnObject(b.joinMrkdwn(), maxSectionText)
		return []slack.Block{slack.NewSectionBlock(t, nil, nil)}, utf8.RuneCountInString(t.Text)
	case fieldsBlock:
		var out []slack.Block
		n := 0
		for start := 0; start < len(b.fields); start += maxFields {
			end := min(start+maxFields, len(b.fields))
			objs := make([]*slack.TextBlockObject, 0, end-start)
			for _, f := range b.fields[start:end] {
				t := mrkdwnObject("*"+escape(flatten(f.label))+"*\n"+f.value.mrkdwn(), maxFieldText)
				objs = append(objs, t)
				n += utf8.RuneCountInString(t.Text)
			}
			out = append(out, slack.NewSectionBlock(nil, objs, nil))
		}
		return out, n
	case contextBlock:
		t := mrkdwnObject(b.lines[0].mrkdwn(), maxContextText)
		return []slack.Block{slack.NewContextBlock("", t)}, utf8.RuneCountInString(t.Text)
	case actionsBlock:
		return b.slackActions()
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
	// verbatim: Slack would otherwise turn a URL or an @name in API text
	// into a link or a mention.
	return slack.NewTextBlockObject(slack.MarkdownType, cut(s, limit), false, true)
}

// joinMrkdwn is a section's lines as mrkdwn, one a line.
func (b *block) joinMrkdwn() string {
	if b.mrkdwn != nil {
		return strings.Join(b.mrkdwn, "\n")
	}
	parts := make([]string, len(b.lines))
	for i, l := range b.lines {
		parts[i] = l.mrkdwn()
	}
	return strings.Join(parts, "\n")
}

// plainText writes the doc for the console; size, the characters of its
// Slack text, is about as long.
func (d *doc) plainText(size int) string {
	var b strings.Builder
	b.Grow(size + 64)
	for i, bl := range d.blocks {
		if i > 0 && bl.kind == headerBlock {
			b.WriteByte('\n')
		}
		switch bl.kind {
		case headerBlock:
			writePlain(&b, bl.lines[0])
			b.WriteByte('\n')
		case sectionBlock:
			for _, l := range bl.lines {
				writePlain(&b, l)
				b.WriteByte('\n')
			}
		case fieldsBlock:
			for _, f := range bl.fields {
				b.WriteString("  ")
				b.WriteString(flatten(f.label))
				b.WriteString(": ")
				writePlain(&b, f.value)
				b.WriteByte('\n')
			}
		case contextBlock:
			b.WriteString("  ")
			writePlain(&b, bl.lines[0])
			b.WriteByte('\n')
		case dividerBlock:
			b.WriteString("  ----\n")
		case actionsBlock:
			bl.plainActions(&b)
		}
	}
	return b.String()
}

// writePlain writes the text of a line without markup.
func writePlain(b *strings.Builder, l line) {
	for _, s := range l {
		b.WriteString(s.text)
	}
}
