package render

import (
	"strconv"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
)

// kind is how one kind of alert reads, everywhere it is shown: a card's
// header, its sentence and fields, the phone's one-line notification, a
// digest's line and the digest's summary count. A new kind of alert is one
// entry in kindOf and nothing elsewhere.
type kind struct {
	emoji, title string
	// reminder, if set, is the title of a repeated notice ("Still low
	// balance").
	reminder string
	// one and many count the kind in a digest's summary: "1 new user", "3
	// new users".
	one, many string
	// summary is what happened in one line, without the title or the org,
	// which a digest shows once above the org's lines.
	summary func(e *alerts.Event) line
	// notify is the notification, the whole story with the org, given the
	// title; nil reads "Title: summary".
	notify func(e *alerts.Event, title string, now time.Time) line
	// sentence tells a card's reader what happened to whom; nil is the
	// summary.
	sentence func(e *alerts.Event, now time.Time) line
	// fields are the figures a card shows; nil shows none.
	fields func(e *alerts.Event) []field
	// actions are the action_ids of the elements an open episode's message
	// of this kind offers, in order (see actions.go).
	actions []string
}

// kindOf returns how k reads, and false for a kind it does not know (one a
// newer version stored), which reads as its own name and detail.
func kindOf(k alerts.Kind) (kind, bool) {
	switch k {
	case alerts.LowBalance:
		return kind{emoji: "⚠️", title: "Low balance", reminder: "Still low balance", one: "low balance", many: "low balance",
			summary: lowBalanceSummary, notify: lowBalanceNotification, sentence: lowBalanceSentence, fields: figureFields,
			actions: []string{ActionTopUpOpen, ActionSnooze, ActionAck}}, true
	case alerts.BalanceRecovered:
		return kind{emoji: "✅", title: "Balance recovered", one: "recovered", many: "recovered",
			summary: recoveredSummary, notify: recoveredNotification, sentence: recoveredSentence, fields: figureFields}, true
	case alerts.NewUser:
		return kind{emoji: "👤", title: "New user", one: "new user", many: "new users",
			summary: newUserSummary, notify: newUserNotification, sentence: newUserSentence}, true
	case alerts.UserRemoved:
		return kind{emoji: "👤", title: "User removed", one: "user removed", many: "users removed",
			summary: userRemovedSummary, notify: userRemovedNotification, sentence: userRemovedSentence}, true
	case alerts.PermissionChange:
		return kind{emoji: "🔐", title: "Permission change", one: "permission change", many: "permission changes",
			summary: permissionSummary, notify: permissionNotification, sentence: permissionSentence, fields: changeFields}, true
	case alerts.OrgAdded:
		return kind{emoji: "🏢", title: "Org added", one: "org added", many: "orgs added",
			summary: orgAddedSummary, notify: orgNotification, sentence: orgAddedSentence, fields: figureFields}, true
	case alerts.OrgRemoved:
		return kind{emoji: "🏢", title: "Org removed", one: "org removed", many: "orgs removed",
			summary: orgRemovedSummary, notify: orgNotification, sentence: orgRemovedSentence, fields: figureFields}, true
	case alerts.LimitsChanged:
		return kind{emoji: "⚙️", title: "Limits changed", one: "limit change", many: "limit changes",
			summary: changesSummary, notify: limitsNotification, sentence: limitsSentence, fields: changeFields}, true
	case alerts.ScopeChanged:
		return kind{emoji: "🔐", title: "Reseller scope changed", one: "scope change", many: "scope changes",
			summary: changesSummary, notify: scopeNotification, sentence: scopeSentence, fields: changeFields}, true
	case alerts.MassRemovalHeld:
		return kind{emoji: "⏸️", title: "Removals held back", one: "held removal notice", many: "held removal notices",
			summary: heldSummary, sentence: heldSentence}, true
	case alerts.AccessExpiring:
		return kind{emoji: "⏳", title: "Access expiring", one: "access expiring", many: "accesses expiring",
			summary: expiringSummary, notify: expiringNotification, sentence: expiringSentence,
			actions: []string{ActionSnooze, ActionAck}}, true
	case alerts.AccessExpired:
		return kind{emoji: "⏳", title: "Access expired", one: "access expired", many: "accesses expired",
			summary: expiredSummary, notify: expiredNotification, sentence: expiredSentence}, true
	case alerts.AccessExtended:
		return kind{emoji: "⏳", title: "Access extended", one: "access extended", many: "accesses extended",
			summary: extendedSummary, notify: extendedNotification, sentence: extendedSentence}, true
	case alerts.APIOutage:
		return kind{emoji: "🛑", title: "OmniDimension API outage", one: "outage notice", many: "outage notices",
			summary: outageSummary, notify: outageNotification, sentence: outageSentence, actions: []string{ActionAck}}, true
	case alerts.APIRecovered:
		return kind{emoji: "✅", title: "OmniDimension API reachable again", one: "API recovery", many: "API recoveries",
			summary: apiRecoveredSummary, notify: apiRecoveredNotification, sentence: apiRecoveredSentence}, true
	}
	return kind{emoji: "🔔", title: string(k), one: string(k), many: string(k), summary: detailSummary}, false
}

// titleOf is the title of e's kind, or of its reminder.
func (k kind) titleOf(e *alerts.Event) string {
	if e.Reminder && k.reminder != "" {
		return k.reminder
	}
	return k.title
}

// counted is "1 new user" or "3 new users".
func (k kind) counted(n int) string {
	if n == 1 {
		return "1 " + k.one
	}
	return strconv.Itoa(n) + " " + k.many
}

// notification is the one line a phone shows for a single event: the whole
// story, org included.
func (k kind) notification(e *alerts.Event, now time.Time) line {
	if k.notify == nil {
		return append(line{txt(k.titleOf(e) + ": ")}, k.summary(e)...)
	}
	return k.notify(e, k.titleOf(e), now)
}

// sentenceOf tells what happened to whom.
func (k kind) sentenceOf(e *alerts.Event, now time.Time) line {
	if k.sentence == nil {
		return k.summary(e)
	}
	return k.sentence(e, now)
}

// fieldsOf are the figures a card shows.
func (k kind) fieldsOf(e *alerts.Event) []field {
	if k.fields == nil {
		return nil
	}
	return k.fields(e)
}

// How each kind reads, kind by kind, in the order of kindOf.

func lowBalanceSummary(e *alerts.Event) line {
	return line{txt(Money(e.Figures.Balance, e.Org.Currency) + " left, " + paceOrRunway(e.Figures))}
}

func lowBalanceNotification(e *alerts.Event, title string, now time.Time) line {
	f := e.Figures
	l := line{txt(title + ": "), txt(orgTitle(e.Org)), txt(" has " + Money(f.Balance, e.Org.Currency) + " left (" + paceOrRunway(f) + ")")}
	if e.Reminder && !e.Since.IsZero() {
		l = append(l, txt(", low since "+ago(e.Since, now)))
	}
	return l
}

func lowBalanceSentence(e *alerts.Event, now time.Time) line {
	org := line(orgName(e.Org, true))
	f, cur := e.Figures, e.Org.Currency
	l := append(org, txt(" has "+Money(f.Balance, cur)+" left: "+runwayPhrase(f)+" at "+Rate(f.CostPerMin, cur)+"."))
	if !f.RunwayLimited {
		l = append(org, txt(" has "+Money(f.Balance, cur)+" left; its calls cost nothing per minute, so the balance itself is what is low."))
	}
	if p := pacePhrase(f); p != "" {
		l = append(l, txt(" At"+p[len("at"):]+"."))
	}
	if e.Reminder {
		l = append(l, txt(" Low since "+when(e.Since, now)+"."))
	}
	return l
}

func recoveredSummary(e *alerts.Event) line {
	return line{txt("now " + Money(e.Figures.Balance, e.Org.Currency) + ", " + runwayPhrase(e.Figures))}
}

func recoveredNotification(e *alerts.Event, title string, _ time.Time) line {
	f := e.Figures
	return line{txt(title + ": "), txt(orgTitle(e.Org)), txt(" has " + Money(f.Balance, e.Org.Currency) + " (" + runwayPhrase(f) + ")")}
}

func recoveredSentence(e *alerts.Event, now time.Time) line {
	return append(line(orgName(e.Org, true)),
		txt(" was topped up to "+Money(e.Figures.Balance, e.Org.Currency)+" after being low since "+when(e.Since, now)+"."))
}

func newUserSummary(e *alerts.Event) line {
	return append(line(userName(e.User)), txt(", menus: "+menusOn(e.Changes)))
}

func newUserNotification(e *alerts.Event, _ string, _ time.Time) line {
	return append(line{txt("New user in "), txt(orgTitle(e.Org)), txt(": ")}, userName(e.User)...)
}

func newUserSentence(e *alerts.Event, _ time.Time) line {
	l := append(line{txt("New user in ")}, orgName(e.Org, true)...)
	l = append(append(l, txt(": ")), boldFirst(userName(e.User))...)
	return append(l, txt(". Menus on: "+menusOn(e.Changes)+"."))
}

func userRemovedSummary(e *alerts.Event) line { return userName(e.User) }

func userRemovedNotification(e *alerts.Event, _ string, _ time.Time) line {
	return append(line{txt("User removed from "), txt(orgTitle(e.Org)), txt(": ")}, userName(e.User)...)
}

func userRemovedSentence(e *alerts.Event, _ time.Time) line {
	l := append(boldFirst(userName(e.User)), txt(" no longer has access to "))
	return append(append(l, orgName(e.Org, true)...), txt("."))
}

func permissionSummary(e *alerts.Event) line {
	return append(line(userName(e.User)), txt(": "+changesText(e.Changes, e.Org.Currency, 6)))
}

func permissionNotification(e *alerts.Event, _ string, _ time.Time) line {
	l := append(line{txt("Permissions changed for ")}, userName(e.User)...)
	return append(l, txt(" in "), txt(orgTitle(e.Org)), txt(": "+changesText(e.Changes, e.Org.Currency, 2)))
}

func permissionSentence(e *alerts.Event, _ time.Time) line {
	l := append(line{txt("Permissions of ")}, boldFirst(userName(e.User))...)
	l = append(append(l, txt(" in ")), orgName(e.Org, true)...)
	return append(l, txt(" changed."))
}

func orgAddedSummary(e *alerts.Event) line {
	f, cur := e.Figures, e.Org.Currency
	return line{txt(Plural(f.Users, "user") + ", " + Money(f.Balance, cur) + ", " + Rate(f.CostPerMin, cur))}
}

// orgNotification reads "Org added: Delta Dental (4005)".
func orgNotification(e *alerts.Event, title string, _ time.Time) line {
	return append(line{txt(title + ": ")}, orgName(e.Org, false)...)
}

func orgAddedSentence(e *alerts.Event, _ time.Time) line {
	return append(line(orgName(e.Org, true)), txt(" joined the reseller account."))
}

func orgRemovedSummary(e *alerts.Event) line {
	return line{txt("no longer in the reseller's list (had " + Plural(e.Figures.Users, "user") + ")")}
}

func orgRemovedSentence(e *alerts.Event, _ time.Time) line {
	return append(line(orgName(e.Org, true)), txt(" is no longer in the reseller's list of organizations."))
}

// changesSummary lists what changed: "Cost per minute $0.09/min →
// $0.12/min, Concurrent calls 1 → 3".
func changesSummary(e *alerts.Event) line {
	return line{txt(changesText(e.Changes, e.Org.Currency, 6))}
}

func limitsNotification(e *alerts.Event, _ string, _ time.Time) line {
	return line{txt("Limits changed for "), txt(orgTitle(e.Org)), txt(": " + changesText(e.Changes, e.Org.Currency, 2))}
}

func limitsSentence(e *alerts.Event, _ time.Time) line {
	return append(append(line{txt("Limits of ")}, orgName(e.Org, true)...), txt(" changed."))
}

func scopeNotification(e *alerts.Event, _ string, _ time.Time) line {
	return line{txt("Reseller scope changed: " + changesText(e.Changes, e.Org.Currency, 2))}
}

func scopeSentence(*alerts.Event, time.Time) line {
	return line{txt("The reseller's own menu access changed; users' menus beyond it are marked in /org.")}
}

func heldSummary(e *alerts.Event) line { return line{txt(e.Detail + "; checking again next poll")} }

func heldSentence(e *alerts.Event, _ time.Time) line {
	return line{txt(e.Detail + ". This looks like a partial answer from the API, so the " +
		Plural(e.Count, "removal") + " are held back; the next poll confirms or discards them.")}
}

func outageSummary(e *alerts.Event) line {
	return line{txt(Plural(e.Count, "failed poll") + " in a row: " + e.Detail)}
}

func outageNotification(e *alerts.Event, _ string, now time.Time) line {
	return line{txt("OmniDimension API failing for " + approx(now.Sub(e.Since)) + ": " + e.Detail)}
}

func outageSentence(e *alerts.Event, now time.Time) line {
	return line{txt("The last " + Plural(e.Count, "poll") + " failed, the first at " + when(e.Since, now) +
		". Alerts resume when the API answers; /orgs and /org show the last good data. Last error: " + e.Detail)}
}

func apiRecoveredSummary(e *alerts.Event) line {
	return line{txt("polls succeed again after " + Plural(e.Count, "failure"))}
}

func apiRecoveredNotification(e *alerts.Event, _ string, _ time.Time) line {
	return line{txt("OmniDimension API reachable again after " + Plural(e.Count, "failed poll"))}
}

func apiRecoveredSentence(e *alerts.Event, now time.Time) line {
	return line{txt("Polls succeed again after failing since " + when(e.Since, now) + ".")}
}

// detailSummary is all there is to say about a kind this version does not
// know.
func detailSummary(e *alerts.Event) line { return line{txt(e.Detail)} }

// figureFields are an org's figures: balance, runway, cost and users.
func figureFields(e *alerts.Event) []field {
	f, cur := e.Figures, e.Org.Currency
	fs := []field{
		{"Balance", line{txt(Money(f.Balance, cur))}},
		{"Runway", line{txt(runwayWords(f.Runway, f.RunwayLimited))}},
		{"Cost per minute", line{txt(Rate(f.CostPerMin, cur))}},
		{"Users", line{txt(strconv.Itoa(f.Users))}},
	}
	if f.Pace > 0 {
		fs = append(fs, field{"Forecast", line{txt(pacePhrase(f))}})
	}
	return fs
}

// changeFields are one field a change: "Bulk calls: off → on".
func changeFields(e *alerts.Event) []field {
	cur := e.Org.Currency
	fs := make([]field, 0, len(e.Changes))
	for _, c := range e.Changes {
		fs = append(fs, field{fieldLabel(c.Field), line{txt(changeValue(c.Field, c.Old, cur) + " → " + changeValue(c.Field, c.New, cur))}})
	}
	return fs
}
