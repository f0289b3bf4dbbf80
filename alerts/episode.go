package alerts

import "strconv"

// An episode is an alert that is a state with a beginning and an end: a
// low balance lasts from the first low poll to the recovery, an outage from
// the notice to the API answering again. Everything said about one episode
// belongs to one Slack message, so each event of an episode carries the
// same key: the kind that opens it, the org when it is about one, and when
// it began (Event.Since), which the engine keeps for the episode's length.
//
// A new kind of episode is one case in episodeOf.

// episodeKind describes the kinds of event that take part in one kind of
// episode.
type episodeKind struct {
	// name starts the key; it is the opening kind's name.
	name string
	// perOrg is set when the episode is about one org, perUser when about
	// one of its users.
	perOrg, perUser bool
}

// episodeOf says which kind of episode events of kind k take part in, and
// whether k ends it; ok is false for one-off kinds.
func episodeOf(k Kind) (ep episodeKind, ends, ok bool) {
	switch k {
	case LowBalance:
		return episodeKind{name: string(LowBalance), perOrg: true}, false, true
	case BalanceRecovered:
		return episodeKind{name: string(LowBalance), perOrg: true}, true, true
	case APIOutage:
		return episodeKind{name: string(APIOutage)}, false, true
	case APIRecovered:
		return episodeKind{name: string(APIOutage)}, true, true
	case AccessExpiring:
		return episodeKind{name: string(AccessExpiring), perOrg: true, perUser: true}, false, true
	case AccessExpired, AccessExtended:
		return episodeKind{name: string(AccessExpiring), perOrg: true, perUser: true}, true, true
	}
	return episodeKind{}, false, false
}

// Episode returns the key of the episode e belongs to, "low_balance/4002/
// 1764612000", "access_expiring/4002/1234/1764612000" or
// "api_outage/1764612000", or "" when e is a one-off change.
// Keys are stable: the store files episodes under them.
func (e *Event) Episode() string {
	k, _, ok := episodeOf(e.Kind)
	if !ok || e.Since.IsZero() {
		return ""
	}
	key := k.name + "/"
	if k.perOrg {
		key += strconv.FormatInt(e.Org.ID, 10) + "/"
	}
	if k.perUser && e.User != nil {
		key += strconv.FormatInt(e.User.ID, 10) + "/"
	}
	return key + strconv.FormatInt(e.Since.Unix(), 10)
}

// Opens reports whether e opens its episode: the first notice, not a
// reminder nor the end.
func (e *Event) Opens() bool {
	_, ends, ok := episodeOf(e.Kind)
	return ok && !ends && !e.Reminder
}

// Ends reports whether e ends its episode (a recovery).
func (e *Event) Ends() bool {
	_, ends, ok := episodeOf(e.Kind)
	return ok && ends
}

// Family is the kind that names e for routing and counting: the kind that
// opens its episode (a recovery belongs with low_balance), or its own.
func (e *Event) Family() Kind {
	if k, _, ok := episodeOf(e.Kind); ok {
		return Kind(k.name)
	}
	return e.Kind
}
