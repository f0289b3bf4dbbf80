package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
)

// kindInfo is how one kind of alert reads: its emoji, title, and the noun
// counting it in a digest's summary ("1 new user", "3 new users").
type kindInfo struct {
	emoji, title, one, many string
}

func infoOf(k alerts.Kind) kindInfo {
	switch k {
	case alerts.LowBalance:
		return kindInfo{"⚠️", "Low balance", "low balance", "low balance"}
	case alerts.BalanceRecovered:
		return kindInfo{"✅", "Balance recovered", "recovered", "recovered"}
	case alerts.NewUser:
		return kindInfo{"👤", "New user", "new user", "new users"}
	case alerts.UserRemoved:
		return kindInfo{"👤", "User removed", "user removed", "users removed"}
	case alerts.PermissionChange:
		return kindInfo{"🔐", "Permission change", "permission change", "permission changes"}
	case alerts.OrgAdded:
		return kindInfo{"🏢", "Org added", "org added", "orgs added"}
	case alerts.OrgRemoved:
		return kindInfo{"🏢", "Org removed", "org removed", "orgs removed"}
	case alerts.LimitsChanged:
		return kindInfo{"⚙️", "Limits changed", "limit change", "limit changes"}
	case alerts.ScopeChanged:
		return kindInfo{"🔐", "Reseller scope changed", "scope change", "scope changes"}
	case alerts.MassRemovalHeld:
		return kindInfo{"⏸️", "Removals held back", "held removal notice", "held removal notices"}
	case alerts.APIOutage:
		return kindInfo{"🛑", "OmniDimension API outage", "outage notice", "outage notices"}
	case alerts.APIRecovered:
		return kindInfo{"✅", "OmniDimension API reachable again", "API recovery", "API recoveries"}
	}
	return kindInfo{"🔔", string(k), string(k), string(k)}
}

// counted is "1 new user" or "3 new users".
func (k kindInfo) counted(n int) string {
	if n == 1 {
		return "1 " + k.one
	}
	return strconv.Itoa(n) + " " + k.many
}

// orgTitle is the org's name, or "org 4002" when it has none.
func orgTitle(o alerts.OrgRef) string {
	if strings.TrimSpace(o.Name) == "" {
		return "org " + strconv.FormatInt(o.ID, 10)
	}
	return o.Name
}

// orgName is "Beta Co (4002)", with the name as API text.
func orgName(o alerts.OrgRef, boldName bool) []span {
	s := txt(orgTitle(o))
	s.bold = boldName
	return []span{s, txt(" (" + strconv.FormatInt(o.ID, 10) + ")")}
}

// userName is "Ann Lee (ann@example.com)".
func userName(u *alerts.UserRef) []span {
	name := u.Name
	if strings.TrimSpace(name) == "" {
		name = "user " + strconv.FormatInt(u.ID, 10)
	}
	if u.Email == "" {
		return []span{txt(name)}
	}
	return []span{txt(name), txt(" (" + u.Email + ")")}
}

// runwayPhrase reads "about 1 hour of calls" or "calls are free".
func runwayPhrase(f *alerts.Figures) string {
	if !f.RunwayLimited {
		return "calls are free"
	}
	if f.Runway <= 0 {
		return "no calls left"
	}
	return Runway(f.Runway, true) + " of calls"
}

// changeValue shows a changed value the way support staff read it.
func changeValue(field, v, currency string) string {
	switch field {
	case alerts.FieldCostPerMin:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return v
		}
		return Rate(f, currency)
	case alerts.FieldAccessLevel:
		if v == "" {
			return "none"
		}
	case alerts.FieldActive:
		if v == "on" {
			return "active"
		}
		return "inactive"
	}
	return v
}

// fieldLabel names a changed field in words.
func fieldLabel(field string) string {
	switch field {
	case alerts.FieldCostPerMin:
		return "Cost per minute"
	case alerts.FieldConcurrency:
		return "Concurrent calls"
	case alerts.FieldActive:
		return "Status"
	case alerts.FieldAccessLevel:
		return "Access level"
	}
	return omni.FlagLabel(field)
}

// changeText is "Bulk calls off → on".
func changeText(c alerts.Change, currency string) string {
	return fieldLabel(c.Field) + " " + changeValue(c.Field, c.Old, currency) + " → " + changeValue(c.Field, c.New, currency)
}

func changesText(cs []alerts.Change, currency string, limit int) string {
	parts := make([]string, 0, min(len(cs), limit)+1)
	for i, c := range cs {
		if i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-limit))
			break
		}
		parts = append(parts, changeText(c, currency))
	}
	return strings.Join(parts, ", ")
}

// menusOn lists the labels of flags switched on by a new user's changes.
func menusOn(cs []alerts.Change) string {
	var labels []string
	for _, c := range cs {
		if c.New == "on" {
			labels = append(labels, omni.FlagLabel(c.Field))
		}
	}
	if len(labels) == 0 {
		return "no menus"
	}
	return strings.Join(labels, ", ")
}

// summary is what happened, in one line, without the kind's title and
// without the org (which digests show once above its lines).
func summary(e *alerts.Event) line {
	cur := e.Org.Currency
	switch e.Kind {
	case alerts.LowBalance, alerts.BalanceRecovered:
		f := e.Figures
		l := line{txt(Money(f.Balance, cur) + " left, " + runwayPhrase(f))}
		if e.Kind == alerts.BalanceRecovered {
			l = line{txt("now " + Money(f.Balance, cur) + ", " + runwayPhrase(f))}
		}
		return l
	case alerts.NewUser:
		return append(line(userName(e.User)), txt(", menus: "+menusOn(e.Changes)))
	case alerts.UserRemoved:
		return userName(e.User)
	case alerts.PermissionChange:
		return append(line(userName(e.User)), txt(": "+changesText(e.Changes, cur, 6)))
	case alerts.OrgAdded:
		f := e.Figures
		return line{txt(fmt.Sprintf("%s, %s, %s", plural(f.Users, "user"), Money(f.Balance, cur), Rate(f.CostPerMin, cur)))}
	case alerts.OrgRemoved:
		return line{txt("no longer in the reseller's list (had " + plural(e.Figures.Users, "user") + ")")}
	case alerts.LimitsChanged, alerts.ScopeChanged:
		return line{txt(changesText(e.Changes, cur, 6))}
	case alerts.MassRemovalHeld:
		return line{txt(e.Detail + "; checking again next poll")}
	case alerts.APIOutage:
		return line{txt(plural(e.Count, "failed poll") + " in a row: " + e.Detail)}
	case alerts.APIRecovered:
		return line{txt("polls succeed again after " + plural(e.Count, "failure"))}
	}
	return line{txt(e.Detail)}
}

// notification is the one line a phone shows for a single event: the whole
// story, org included.
func notification(e *alerts.Event, now time.Time) line {
	info := infoOf(e.Kind)
	title := info.title
	if e.Reminder {
		title = "Still low balance"
	}
	cur := e.Org.Currency
	var l line
	switch e.Kind {
	case alerts.LowBalance:
		f := e.Figures
		l = line{txt(title + ": "), txt(orgTitle(e.Org)), txt(" has " + Money(f.Balance, cur) + " left (" + runwayPhrase(f) + ")")}
		if e.Reminder && !e.Since.IsZero() {
			l = append(l, txt(", low since "+Ago(e.Since, now)))
		}
	case alerts.BalanceRecovered:
		f := e.Figures
		l = line{txt(title + ": "), txt(orgTitle(e.Org)), txt(" has " + Money(f.Balance, cur) + " (" + runwayPhrase(f) + ")")}
	case alerts.NewUser:
		l = append(line{txt("New user in "), txt(orgTitle(e.Org)), txt(": ")}, userName(e.User)...)
	case alerts.UserRemoved:
		l = append(line{txt("User removed from "), txt(orgTitle(e.Org)), txt(": ")}, userName(e.User)...)
	case alerts.PermissionChange:
		l = append(line{txt("Permissions changed for ")}, userName(e.User)...)
		l = append(l, txt(" in "), txt(orgTitle(e.Org)), txt(": "+changesText(e.Changes, cur, 2)))
	case alerts.OrgAdded, alerts.OrgRemoved:
		l = append(line{txt(title + ": ")}, orgName(e.Org, false)...)
	case alerts.LimitsChanged:
		l = line{txt("Limits changed for "), txt(orgTitle(e.Org)), txt(": " + changesText(e.Changes, cur, 2))}
	case alerts.ScopeChanged:
		l = line{txt("Reseller scope changed: " + changesText(e.Changes, cur, 2))}
	case alerts.APIOutage:
		l = line{txt("OmniDimension API failing for " + approx(now.Sub(e.Since)) + ": " + e.Detail)}
	case alerts.APIRecovered:
		l = line{txt("OmniDimension API reachable again after " + plural(e.Count, "failed poll"))}
	default:
		l = append(line{txt(title + ": ")}, summary(e)...)
	}
	return l
}

// card renders a single event as a full message: header, a sentence naming
// the org and what happened, the figures that matter, and a context line
// saying when and which rule fired.
func card(e *alerts.Event, now time.Time) *doc {
	info := infoOf(e.Kind)
	title := info.title
	if e.Reminder {
		title = "Still low balance"
	}
	d := &doc{}
	d.notification(notification(e, now)...)
	d.header(info.emoji + " " + title)
	d.section(sentence(e, now))
	if fs := eventFields(e); len(fs) > 0 {
		d.fields(fs...)
	}
	d.context(contextLine(e)...)
	return d
}

// sentence tells what happened to whom.
func sentence(e *alerts.Event, now time.Time) line {
	org := line(orgName(e.Org, true))
	cur := e.Org.Currency
	switch e.Kind {
	case alerts.LowBalance:
		l := append(org, txt(" has "+Money(e.Figures.Balance, cur)+" left: "+runwayPhrase(e.Figures)+" at "+Rate(e.Figures.CostPerMin, cur)+"."))
		if !e.Figures.RunwayLimited {
			l = append(org, txt(" has "+Money(e.Figures.Balance, cur)+" left; its calls cost nothing per minute, so the balance itself is what is low."))
		}
		if e.Reminder {
			l = append(l, txt(" Low since "+When(e.Since, now)+"."))
		}
		return l
	case alerts.BalanceRecovered:
		return append(org, txt(" was topped up to "+Money(e.Figures.Balance, cur)+" after being low since "+When(e.Since, now)+"."))
	case alerts.NewUser:
		l := append(line{txt("New user in ")}, org...)
		l = append(append(l, txt(": ")), boldFirst(userName(e.User))...)
		return append(l, txt(". Menus on: "+menusOn(e.Changes)+"."))
	case alerts.UserRemoved:
		l := append(boldFirst(userName(e.User)), txt(" no longer has access to "))
		return append(append(l, org...), txt("."))
	case alerts.PermissionChange:
		l := append(line{txt("Permissions of ")}, boldFirst(userName(e.User))...)
		l = append(append(l, txt(" in ")), org...)
		return append(l, txt(" changed."))
	case alerts.OrgAdded:
		return append(org, txt(" joined the reseller account."))
	case alerts.OrgRemoved:
		return append(org, txt(" is no longer in the reseller's list of organizations."))
	case alerts.LimitsChanged:
		return append(append(line{txt("Limits of ")}, org...), txt(" changed."))
	case alerts.ScopeChanged:
		return line{txt("The reseller's own menu access changed; users' menus beyond it are marked in /org.")}
	case alerts.MassRemovalHeld:
		return line{txt(e.Detail + ". This looks like a partial answer from the API, so the " +
			plural(e.Count, "removal") + " are held back; the next poll confirms or discards them.")}
	case alerts.APIOutage:
		return line{txt("The last " + plural(e.Count, "poll") + " failed, the first at " + When(e.Since, now) +
			". Alerts resume when the API answers; /orgs and /org show the last good data. Last error: " + e.Detail)}
	case alerts.APIRecovered:
		return line{txt("Polls succeed again after failing since " + When(e.Since, now) + ".")}
	}
	return summary(e)
}

// boldFirst makes the first span bold (a user's name).
func boldFirst(spans []span) line {
	l := line(append([]span(nil), spans...))
	if len(l) > 0 {
		l[0].bold = true
	}
	return l
}

func eventFields(e *alerts.Event) []field {
	cur := e.Org.Currency
	switch e.Kind {
	case alerts.LowBalance, alerts.BalanceRecovered, alerts.OrgAdded, alerts.OrgRemoved:
		f := e.Figures
		return []field{
			{"Balance", line{txt(Money(f.Balance, cur))}},
			{"Runway", line{txt(Runway(f.Runway, f.RunwayLimited))}},
			{"Cost per minute", line{txt(Rate(f.CostPerMin, cur))}},
			{"Users", line{txt(strconv.Itoa(f.Users))}},
		}
	case alerts.PermissionChange, alerts.LimitsChanged, alerts.ScopeChanged:
		fs := make([]field, 0, len(e.Changes))
		for _, c := range e.Changes {
			fs = append(fs, field{fieldLabel(c.Field), line{txt(changeValue(c.Field, c.Old, cur) + " → " + changeValue(c.Field, c.New, cur))}})
		}
		return fs
	}
	return nil
}

func contextLine(e *alerts.Event) []span {
	s := "Polled " + Stamp(e.At)
	if e.Rule != "" {
		s += " · rule " + e.Rule
	}
	return []span{txt(s)}
}

// kindCounts counts events by kind in display order: "9 low balance, 3 new
// users".
func kindCounts(events []alerts.Event) string {
	counts := map[alerts.Kind]int{}
	for i := range events {
		counts[events[i].Kind]++
	}
	var parts []string
	for _, k := range alerts.Kinds() {
		if n := counts[k]; n > 0 {
			parts = append(parts, infoOf(k).counted(n))
		}
	}
	return strings.Join(parts, ", ")
}
