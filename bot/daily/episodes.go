package daily

import (
	"cmp"
	"slices"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/omni"
)

// StateEpisodes are the open alerts as the alert state knows them: each
// org announced low and not recovered, and an announced outage. The state
// keeps no snoozes or acknowledgements; alert episodes, when they are
// stored, replace it with their own Episodes.
type StateEpisodes struct {
	// Latest returns the latest snapshot (for the orgs' names) and the
	// alert state; (*poll.Poller).Latest is one.
	Latest func() (*omni.Snapshot, alerts.State, error)
}

// OpenEpisodes implements Episodes: outage first, then low balances,
// longest open first.
func (s StateEpisodes) OpenEpisodes() ([]render.Episode, error) {
	snap, st, err := s.Latest()
	if err != nil {
		return nil, err
	}
	var eps []render.Episode
	if st.OutageAnnounced {
		eps = append(eps, render.Episode{Kind: alerts.APIOutage, Since: st.FailingSince})
	}
	low := make([]render.Episode, 0, len(st.Low))
	for id, l := range st.Low {
		ref := alerts.OrgRef{ID: id}
		if snap != nil {
			if o := snap.Org(id); o != nil {
				ref.Name = o.Name
			}
		}
		low = append(low, render.Episode{Kind: alerts.LowBalance, Org: ref, Since: l.Since})
	}
	slices.SortFunc(low, func(a, b render.Episode) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Org.ID, b.Org.ID))
	})
	return append(eps, low...), nil
}
