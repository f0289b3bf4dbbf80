package render_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
)

// FuzzEscaping runs its seed corpus (f.Add and testdata/fuzz/FuzzEscaping/)
// in a plain `go test`, and explores with
//
//	go test -run '^$' -fuzz '^FuzzEscaping$' -fuzztime 5s ./bot/render

// FuzzEscaping renders every answer and every alert kind with API text from
// the input and checks that nothing in mrkdwn or the notification text can
// ping, link or mention (no "<" at all: the bot writes none itself, so any
// would be API text), that every "&" starts an escape, that Slack's limits
// hold and that the output is valid UTF-8. API text cannot shape the
// message either: no newline or control character from the input survives
// in any output (see checkBreaks), no formatting marker from it can pair up
// (see checkMarkers and checkBold), and every mrkdwn object is verbatim.
func FuzzEscaping(f *testing.F) {
	f.Add("Acme Inc", "Ann Lee", "ann@acme.example", "+15551234567", "admin", "is_sms_campaign_access", "$")
	f.Add("<!channel> *urgent* & <@U123>", "<!here>", "<mailto:a@b.c|x>", "<tel:+1>", "<#C123>", "is_<!everyone>_access", "<$>")
	f.Add("<https://evil.example|click>", "a&b", "&lt;", "&amp;amp;", "&", ">_<", "&#60;")
	f.Add("Smith & Sons", "O'Neil", "zoe@example.com", "", "", "is_café_menu_access", "€")
	f.Add("*_~`>", "```code```", "_x_", "~y~", "`z`", "is__access", "")
	f.Add("\x00\x1f\u2028\u202e", "\r\n<\n!channel>", "\t", "\ufeff", "\u200b<", "\x7f", "\U0001F4A9")
	f.Add("Ann\n✅ *Balance recovered*: https://evil.example/reset", "first_last@x.com", "_a_ *b* ~c~ `d`", "a_", "_b", "is_\n*x*_access", "\u0085\u2029")
	f.Add("x*", "*y", "snake_case_name", "__init__", "a_é", "is_a~b_access", "*")
	f.Fuzz(func(t *testing.T, orgName, userName, email, phone, access, flagKey, other string) {
		in := fuzzInput{orgName, userName, email, phone, access, flagKey, other}.valid()
		if !utf8.ValidString(omni.FlagLabel(in.flagKey)) {
			t.Errorf("omni.FlagLabel(%q) is not valid UTF-8", in.flagKey)
		}
		msgs := in.messages()
		for name, m := range msgs {
			checkMessage(t, name, m)
		}
		checkBold(t, in, msgs)
	})
}

type fuzzInput struct {
	orgName, userName, email, phone, access, flagKey, other string
}

// maxFuzzText bounds each string of a FuzzEscaping input: past Slack's
// limits (3,000 characters a section), short enough for thousands of runs
// a second.
const maxFuzzText = 4 << 10

// valid makes the input what omni's decoder hands over: valid UTF-8 (the
// JSON decoder replaces bad bytes). It marks every character that could
// break a line with a canary after it, for checkBreaks.
func (in fuzzInput) valid() fuzzInput {
	for _, s := range in.strings() {
		if len(*s) > maxFuzzText {
			*s = (*s)[:maxFuzzText]
		}
		*s = strings.ToValidUTF8(*s, "\uFFFD")
		*s = strings.ReplaceAll(*s, canary, "")
		var b strings.Builder
		for _, r := range *s {
			b.WriteRune(r)
			if breaksLine(r) {
				b.WriteString(canary)
			}
		}
		*s = b.String()
	}
	return in
}

func (in *fuzzInput) strings() []*string {
	return []*string{&in.orgName, &in.userName, &in.email, &in.phone, &in.access, &in.flagKey, &in.other}
}

// canary follows each line-breaking character of the input: wherever it
// shows, the character before it must have become something harmless.
const canary = "Ⓠ"

// breaksLine reports whether r could start a new line, or reorder one, in
// Slack or a console: Unicode's control characters, line and paragraph
// separators and the bidirectional overrides and isolates.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		'\u202a' <= r && r <= '\u202e' || '\u2066' <= r && r <= '\u2069'
}

// messages renders every answer and every alert for the input.
func (in fuzzInput) messages() map[string]render.Message {
	out := map[string]render.Message{}
	var menus omni.Flags
	menus.Set(omni.KnownFlags()[0].Key, true)
	menus.Set(in.flagKey, true)
	var scope omni.Flags
	scope.Set(omni.KnownFlags()[0].Key, true)
	user := omni.User{ID: 1110, Name: in.userName, Email: in.email, Phone: in.phone, Active: true,
		AccessLevel: in.access, Menus: menus, LastLogin: now.Add(-time.Hour), Expiry: now.Add(48 * time.Hour)}
	unnamed := omni.User{ID: 1111, Email: in.other, Phone: in.email, AccessLevel: in.other, Menus: menus}
	snap := &omni.Snapshot{
		PolledAt: now,
		Reseller: omni.Reseller{ID: 5678, Name: in.other, ConcurrentCallLimit: 10},
		Scope:    scope,
		Orgs: []omni.Org{
			{ID: 4001, Name: in.orgName, Balance: 13, CostPerMin: 0.2, Currency: in.other, ConcurrentCallLimit: 5,
				Timezone: in.access, Created: now.Add(-24 * time.Hour), Users: []omni.User{user, unnamed}},
			{ID: 4002, Name: in.userName, Balance: -4.5, CostPerMin: 0, Currency: in.phone, Timezone: in.other},
			{ID: 4003, Name: in.email, Balance: 24442.6, CostPerMin: 0.09, Currency: "$"},
		},
	}
	snap.Normalize()
	cmds := commands.New(alerts.DefaultRules().LowBalance, func() time.Time { return now })
	cmds.SetSnapshot(snap)
	cmds.SetHealth(commands.Health{Failures: 2, FailingSince: now.Add(-10 * time.Minute), LastError: in.other})
	for _, c := range [][2]string{
		{"/orgs", ""}, {"/orgs", "low"}, {"/orgs", "page 2"}, {"/orgs", in.other},
		{"/org", in.orgName}, {"/org", "4001"}, {"/org", "4002"}, {"/org", in.userName}, {"/org", in.email},
		{"/org", in.other}, {"/org", in.orgName + "x"}, {"/org", ""}, {"/orgs", "help"},
	} {
		for i, m := range cmds.Handle(c[0], c[1]) {
			out[fmt.Sprintf("%s %s (%d)", c[0], c[1], i+1)] = m
		}
	}

	// Many orgs with the same name make a candidate list.
	many := &omni.Snapshot{PolledAt: now}
	for i := range 30 {
		many.Orgs = append(many.Orgs, omni.Org{ID: int64(100 + i), Name: in.orgName, Balance: float64(i), CostPerMin: 0.1, Currency: in.other})
	}
	cmds.SetSnapshot(many)
	out["/org candidates"] = cmds.Handle("/org", in.orgName)[0]
	out["/orgs many"] = cmds.Handle("/orgs", "")[0]

	events := in.events()
	for i := range events {
		b := render.Batch{PolledAt: now, Events: events[i : i+1]}
		out[fmt.Sprintf("card %d %s", i, events[i].Kind)] = b.Render(now)
	}
	for i, b := range render.Batches(events, now) {
		out[fmt.Sprintf("digest part %d", i+1)] = b.Render(now)
	}
	return out
}

// events is one event of every kind, reminders included, about API text
// from the input.
func (in fuzzInput) events() []alerts.Event {
	org := alerts.OrgRef{ID: 4001, Name: in.orgName, Currency: in.other}
	user := &alerts.UserRef{ID: 1110, Name: in.userName, Email: in.email}
	nameless := &alerts.UserRef{ID: 1111, Email: in.phone}
	figures := lowFigures(13, 0.2)
	free := lowFigures(-4.5, 0)
	paced := lowFigures(300, 0.2)
	paced.Pace, paced.PaceWindow = 9*time.Hour, 24*time.Hour
	changes := []alerts.Change{
		{Field: in.flagKey, Old: "off", New: "on"},
		{Field: alerts.FieldAccessLevel, Old: in.access, New: in.phone},
		{Field: alerts.FieldActive, Old: "on", New: "off"},
		{Field: alerts.FieldCostPerMin, Old: in.access, New: "0.12"},
		{Field: alerts.FieldConcurrency, Old: in.phone, New: in.access},
	}
	ev := []alerts.Event{
		{Kind: alerts.LowBalance, Org: org, Figures: figures, Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleLowBalanceBelow, Number: 50}}}, Since: now},
		{Kind: alerts.LowBalance, Org: org, Figures: free, Cause: &alerts.Cause{Text: in.other}, Reminder: true, Since: now.Add(-26 * time.Hour)},
		{Kind: alerts.BalanceRecovered, Org: org, Figures: lowFigures(1500, 0.2), Since: now.Add(-time.Hour)},
		{Kind: alerts.NewUser, Org: org, User: user, Figures: figures, Changes: changes},
		{Kind: alerts.NewUser, Org: org, User: nameless, Changes: changes[:1]},
		{Kind: alerts.UserRemoved, Org: org, User: user},
		{Kind: alerts.PermissionChange, Org: org, User: user, Changes: changes},
		{Kind: alerts.OrgAdded, Org: org, Figures: figures, Users: []alerts.UserRef{*user}},
		{Kind: alerts.OrgRemoved, Org: alerts.OrgRef{ID: 4002, Name: in.userName, Currency: in.phone}, Figures: free},
		{Kind: alerts.LimitsChanged, Org: org, Figures: figures, Changes: changes[3:]},
		{Kind: alerts.ScopeChanged, Changes: changes[:1]},
		{Kind: alerts.MassRemovalHeld, Count: 3, Detail: in.orgName, Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleMassRemovalShare, Number: 0.5}}}},
		{Kind: alerts.APIOutage, Since: now.Add(-15 * time.Minute), Count: 3, Detail: in.other, Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleFailuresBeforeNotice, Number: 3}}}},
		{Kind: alerts.APIRecovered, Since: now.Add(-time.Hour), Count: 8},
		{Kind: alerts.AccessExpiring, Org: org, User: user, Expires: now.Add(50 * time.Hour), Since: now},
		{Kind: alerts.AccessExpired, Org: org, User: nameless, Expires: now, Since: now.Add(-time.Hour)},
		{Kind: alerts.AccessExtended, Org: org, User: user, Since: now.Add(-time.Hour)},
		{Kind: alerts.LowBalance, Org: org, Figures: paced, Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleLowBalanceBurnWithin, Duration: 24 * time.Hour}}}, Since: now},
		{Kind: alerts.Kind(in.flagKey), Org: org, Detail: in.access},
	}
	for i := range ev {
		ev[i].At = now
	}
	return ev
}

// checkMessage asserts the escaping and limits contract on one message.
func checkMessage(t *testing.T, name string, m render.Message) {
	t.Helper()
	if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Plain) {
		t.Fatalf("%s: text or plain text is not valid UTF-8: %q", name, m.Text)
	}
	checkMrkdwn(t, name+": top-level text", m.Text)
	checkMarkers(t, name+": top-level text", m.Text)
	checkBreaks(t, name+": top-level text", m.Text, false)
	checkBreaks(t, name+": console text", m.Plain, true)
	// The text-only fallback, sent when Slack refuses the blocks, is
	// mrkdwn with no markup of the bot's: no marker may be active in it.
	only := m.TextOnly().Text
	checkMrkdwn(t, name+": text only", only)
	checkBreaks(t, name+": text only", only, true)
	if i := strings.IndexAny(only, "*~`"); i >= 0 {
		t.Fatalf("%s: text only holds a formatting marker: …%s…", name, excerptAround(only, i))
	}
	checkMarkers(t, name+": text only", only)
	if n := utf8.RuneCountInString(m.Text); n > render.MaxTopText {
		t.Fatalf("%s: top-level text has %d characters, limit %d", name, n, render.MaxTopText)
	}
	if len(m.Blocks) > render.MaxBlocks {
		t.Fatalf("%s: %d blocks, Slack allows %d", name, len(m.Blocks), render.MaxBlocks)
	}
	plainLTs := 0 // "<" in plain_text objects, where Slack parses nothing
	for i, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			checkText(t, fmt.Sprintf("%s: block %d (header)", name, i), b.Text, slack.PlainTextType, render.MaxHeaderText)
			plainLTs += strings.Count(b.Text.Text, "<")
		case *slack.SectionBlock:
			if b.Text == nil && len(b.Fields) == 0 {
				t.Fatalf("%s: block %d is an empty section", name, i)
			}
			if b.Text != nil {
				checkText(t, fmt.Sprintf("%s: block %d (section)", name, i), b.Text, "", render.MaxSectionText)
			}
			if len(b.Fields) > render.MaxFields {
				t.Fatalf("%s: block %d has %d fields, Slack allows %d", name, i, len(b.Fields), render.MaxFields)
			}
			for j, f := range b.Fields {
				checkText(t, fmt.Sprintf("%s: block %d field %d", name, i, j), f, "", render.MaxFieldText)
			}
		case *slack.ContextBlock:
			els := b.ContextElements.Elements
			if len(els) == 0 || len(els) > 10 {
				t.Fatalf("%s: block %d (context) has %d elements", name, i, len(els))
			}
			for j, el := range els {
				to, ok := el.(*slack.TextBlockObject)
				if !ok {
					t.Fatalf("%s: block %d element %d is a %T", name, i, j, el)
				}
				checkText(t, fmt.Sprintf("%s: block %d (context) element %d", name, i, j), to, "", render.MaxContextText)
			}
		case *slack.DividerBlock:
		case *slack.ActionBlock:
			els := b.Elements.ElementSet
			if len(els) == 0 || len(els) > 25 {
				t.Fatalf("%s: block %d (actions) has %d elements", name, i, len(els))
			}
			for j, el := range els {
				where := fmt.Sprintf("%s: block %d (actions) element %d", name, i, j)
				switch el := el.(type) {
				case *slack.ButtonBlockElement:
					checkText(t, where, el.Text, slack.PlainTextType, 75)
					plainLTs += strings.Count(el.Text.Text, "<")
					// The bot's own values, never API text.
					if strings.ContainsAny(el.Value, "<>&") || len(el.Value) > 2000 {
						t.Fatalf("%s has value %q", where, el.Value)
					}
				case *slack.SelectBlockElement:
					checkText(t, where, el.Placeholder, slack.PlainTextType, 150)
					if len(el.Options) == 0 || len(el.Options) > 100 {
						t.Fatalf("%s: %d options, Slack allows 1 to 100", where, len(el.Options))
					}
					for k, o := range el.Options {
						checkText(t, fmt.Sprintf("%s option %d", where, k), o.Text, slack.PlainTextType, 75)
						plainLTs += strings.Count(o.Text.Text, "<")
					}
				default:
					t.Fatalf("%s is an unexpected %T", where, el)
				}
			}
		default:
			t.Fatalf("%s: block %d is an unexpected %T", name, i, b)
		}
	}

	// What Slack receives: no "<" anywhere but in plain_text objects, so
	// the encoding holds exactly as many as the plain_text objects do.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Blocks); err != nil {
		t.Fatalf("%s: encoding blocks: %v", name, err)
	}
	// slack-go encodes select options itself, escaping "<" as \u003c.
	if got := bytes.Count(buf.Bytes(), []byte("<")) + bytes.Count(buf.Bytes(), []byte(`\u003c`)); got != plainLTs {
		t.Fatalf("%s: the blocks hold %d raw %q, %d of them in plain_text: %s", name, got, "<", plainLTs, buf.String())
	}
}

// checkText checks one text object: its type (any when typ is ""), length,
// UTF-8 and, for mrkdwn, escaping.
func checkText(t *testing.T, where string, o *slack.TextBlockObject, typ string, limit int) {
	t.Helper()
	switch {
	case o == nil:
		t.Fatalf("%s: no text object", where)
	case typ != "" && o.Type != typ:
		t.Fatalf("%s: a %s object, want %s", where, o.Type, typ)
	case o.Type != slack.PlainTextType && o.Type != slack.MarkdownType:
		t.Fatalf("%s: a %q object", where, o.Type)
	case !utf8.ValidString(o.Text):
		t.Fatalf("%s: not valid UTF-8: %q", where, o.Text)
	}
	if n := utf8.RuneCountInString(o.Text); n == 0 || n > limit {
		t.Fatalf("%s: %d characters, Slack allows 1 to %d", where, n, limit)
	}
	checkBreaks(t, where, o.Text, o.Type == slack.MarkdownType)
	if o.Type == slack.MarkdownType {
		checkMrkdwn(t, where, o.Text)
		if !o.Verbatim {
			t.Fatalf("%s: a mrkdwn object that is not verbatim: Slack would link URLs and @names in it", where)
		}
		if o.Text != render.CutShort {
			checkMarkers(t, where, o.Text)
		}
	}
}

// checkBreaks fails on a control character other than the newlines the bot
// writes between lines (none where newlines is false), and on a canary
// right after a line-breaking character: one from the input survived.
func checkBreaks(t *testing.T, where, s string, newlines bool) {
	t.Helper()
	prev := ' '
	for i, r := range s {
		if breaksLine(r) && (r != '\n' || !newlines) {
			t.Fatalf("%s: %q in the output: …%s…", where, r, excerptAround(s, i))
		}
		if strings.HasPrefix(s[i:], canary) && breaksLine(prev) {
			t.Fatalf("%s: a %q from the input survived: …%s…", where, prev, excerptAround(s, i))
		}
		prev = r
	}
}

// checkMarkers fails on a formatting marker that could open or close
// italic, strike or code: the bot writes none in mrkdwn (but CutShort's,
// which the caller leaves out), so it would be API text. "_" between two
// ASCII letters or digits is a word's, as in first_last@example.com, and
// Slack does not read it as italics.
func checkMarkers(t *testing.T, where, s string) {
	t.Helper()
	if i := strings.IndexAny(s, "~`"); i >= 0 {
		t.Fatalf("%s: a raw %q in mrkdwn: …%s…", where, s[i], excerptAround(s, i))
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && (i == 0 || i+1 == len(s) || !isWordByte(s[i-1]) || !isWordByte(s[i+1])) {
			t.Fatalf("%s: a %q that Slack could read as italics: …%s…", where, "_", excerptAround(s, i))
		}
	}
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// checkBold checks that no "*" from the input is bold markup: rendered
// again with every "*" of the input replaced by a letter that appears
// nowhere in it (so that matching, sorting by length and layout stay as
// they were), each message must hold exactly as many "*" as before, all of
// them the bot's.
func checkBold(t *testing.T, in fuzzInput, msgs map[string]render.Message) {
	t.Helper()
	var all strings.Builder
	for _, s := range in.strings() {
		all.WriteString(*s)
	}
	letter := ""
	for _, c := range "QJKZVWYGH" {
		if !strings.ContainsRune(all.String(), c) && !strings.ContainsRune(all.String(), unicode.ToLower(c)) {
			letter = string(c)
			break
		}
	}
	if letter == "" || !strings.Contains(all.String(), "*") {
		return
	}
	plain := in
	for _, s := range plain.strings() {
		*s = strings.ReplaceAll(*s, "*", letter)
	}
	wants := plain.messages()
	for name, got := range msgs {
		// Names quote the input too.
		want, ok := wants[strings.ReplaceAll(name, "*", letter)]
		if !ok {
			t.Fatalf("%s: rendered only with the input's asterisks", name)
		}
		if g, w := boldMarkers(t, got), boldMarkers(t, want); g != w {
			t.Fatalf("%s: %d asterisks, %d without the input's: the input's act as bold\n%s", name, g, w, got.Text)
		}
	}
}

// boldMarkers counts the "*" in a message's mrkdwn: its notification and
// every mrkdwn object of its blocks.
func boldMarkers(t *testing.T, m render.Message) int {
	t.Helper()
	n := strings.Count(m.Text, "*")
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				n += strings.Count(b.Text.Text, "*")
			}
			for _, f := range b.Fields {
				n += strings.Count(f.Text, "*")
			}
		case *slack.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if to, ok := el.(*slack.TextBlockObject); ok {
					n += strings.Count(to.Text, "*")
				}
			}
		}
	}
	return n
}

// checkMrkdwn fails on a "<" or on an "&" that does not start one of the
// three escapes Slack knows: each would be API text Slack could parse.
func checkMrkdwn(t *testing.T, where, s string) {
	t.Helper()
	if i := strings.IndexByte(s, '<'); i >= 0 {
		t.Fatalf("%s: a raw %q in mrkdwn: …%s…", where, "<", excerptAround(s, i))
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			continue
		}
		rest := s[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Fatalf("%s: an unescaped or cut %q in mrkdwn: …%s…", where, "&", excerptAround(s, i))
		}
	}
}

func excerptAround(s string, i int) string {
	from, to := max(0, i-40), min(len(s), i+40)
	return strings.ToValidUTF8(s[from:to], "?")
}

// TestEscapingAtSlackLimits is FuzzEscaping's check on text past every
// limit, kept out of the fuzz corpus so that the fuzzer mutates small,
// fast inputs.
func TestEscapingAtSlackLimits(t *testing.T) {
	in := fuzzInput{strings.Repeat("&<>", 1100), strings.Repeat("<!channel>", 320), strings.Repeat("é", 3100),
		strings.Repeat("<@U1>", 700), strings.Repeat(">", 3001), "is_" + strings.Repeat("x&", 200) + "_access", strings.Repeat("&", 2999)}
	for name, m := range in.valid().messages() {
		checkMessage(t, name, m)
	}
}

// TestFlagLabelKeepsANonASCIIFirstLetterWhole guards the label of an
// unknown flag key whose first letter is more than one byte: upper-casing
// only the first byte once put invalid UTF-8 into alerts and /org.
func TestFlagLabelKeepsANonASCIIFirstLetterWhole(t *testing.T) {
	for key, want := range map[string]string{"is_émoji_access": "Émoji", "is_ōkami_menu_access": "Ōkami", "is_sms_campaign_access": "Sms campaign"} {
		if got := omni.FlagLabel(key); got != want || !utf8.ValidString(got) {
			t.Errorf("FlagLabel(%q) = %q, want %q", key, got, want)
		}
	}
}
