package alerts

import (
	"cmp"
	"slices"

	"github.com/resellerbot/resellerbot/omni"
)

// Baseline returns the snapshot the next poll must be compared with while
// removals are held: prev, with every org and user whose removal st holds
// put back as before had them. before is the snapshot of the last poll that
// still held them, the one at st.HeldFrom; callers read it from history.
//
// Without it, a poll that returns only part of the reseller becomes the
// comparison for the next one, and whatever changed in the missing orgs
// during the gap (a user added, a permission flipped, a price changed) is
// never announced: the orgs only look "back". With it they are diffed as
// usual against what was last seen of them.
//
// Baseline does not modify prev or before. It returns prev itself when
// nothing is held or before is nil.
func Baseline(prev, before *omni.Snapshot, st State) *omni.Snapshot {
	if prev == nil || before == nil || len(st.Held) == 0 {
		return prev
	}
	out := *prev
	out.Orgs = slices.Clone(prev.Orgs)
	restored := false
	for _, ev := range st.Held {
		was := before.Org(ev.Org.ID)
		if was == nil {
			continue
		}
		switch ev.Kind {
		case OrgRemoved:
			if out.Org(ev.Org.ID) != nil {
				continue
			}
			o := *was
			o.Users = slices.Clone(was.Users)
			out.Orgs = append(out.Orgs, o)
			sortOrgs(out.Orgs)
			restored = true
		case UserRemoved:
			o := out.Org(ev.Org.ID)
			u := was.User(ev.User.ID)
			if o == nil || u == nil || o.User(ev.User.ID) != nil {
				continue
			}
			// out.Orgs shares prev's user slices: replace, never append in
			// place.
			users := make([]omni.User, 0, len(o.Users)+1)
			users = append(append(users, o.Users...), *u)
			slices.SortFunc(users, func(a, b omni.User) int { return cmp.Compare(a.ID, b.ID) })
			o.Users = users
			restored = true
		}
	}
	if !restored {
		return prev
	}
	return &out
}

func sortOrgs(orgs []omni.Org) {
	slices.SortFunc(orgs, func(a, b omni.Org) int { return cmp.Compare(a.ID, b.ID) })
}
