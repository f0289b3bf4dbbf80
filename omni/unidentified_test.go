package omni_test

import (
	"context"
	"slices"
	"testing"

	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// TestOrgsWithoutAnIDAreLeftOutAndNamed: an org whose id is 0, null, ""
// or missing cannot be told from another such org, nor followed from one
// poll to the next, so it is left out of the snapshot, named in
// Unidentified for the caller to report, and the orgs with an id are kept
// whole.
func TestOrgsWithoutAnIDAreLeftOutAndNamed(t *testing.T) {
	s := startFake(t)
	ids := map[string]any{"Zero Id": int64(0), "Null Id": nil, "Empty Id": "", "Missing Id": omnitest.Omitted{}}
	s.Update(func(p *omnitest.Payload) {
		for _, name := range []string{"Zero Id", "Null Id", "Empty Id", "Missing Id"} {
			o := p.Orgs[0].Clone()
			o.Name, o.ID = name, 0
			if v := ids[name]; v != int64(0) {
				o.Extra = map[string]any{"id": v}
			}
			// First in the list too: an id-less org must not pass for
			// the lowest id of a list already in order.
			p.Orgs = append([]omnitest.Org{o}, p.Orgs...)
		}
	})
	want := len(s.Snapshot().Orgs) - 4
	snap, err := newTestClient(t, s.URL, liveKey).Organizations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Orgs) != want {
		t.Errorf("%d orgs, want the %d with an id", len(snap.Orgs), want)
	}
	for _, o := range snap.Orgs {
		if o.ID == 0 {
			t.Errorf("org %q kept with id 0", o.Name)
		}
	}
	got := slices.Sorted(slices.Values(snap.Unidentified))
	if wantNames := []string{"Empty Id", "Missing Id", "Null Id", "Zero Id"}; !slices.Equal(got, wantNames) {
		t.Errorf("Unidentified = %q, want %q", got, wantNames)
	}
}
