package store_test

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

func hours(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }

func bal(hour, balance float64) omni.BalancePoint {
	return omni.BalancePoint{At: hours(hour), Balance: balance}
}

func absent(hour float64) omni.BalancePoint { return omni.BalancePoint{At: hours(hour), Gone: true} }

func removeOrg(s *omni.Snapshot, id int64) {
	s.Orgs = slices.DeleteFunc(s.Orgs, func(o omni.Org) bool { return o.ID == id })
}

func addOrg(s *omni.Snapshot, o omni.Org) {
	s.Orgs = append(s.Orgs, o)
	s.Normalize()
}

// commitPolls commits the sample at t0, then one poll an hour, each after
// its edit.
func commitPolls(t *testing.T, s *store.Store, edits ...func(*omni.Snapshot)) {
	t.Helper()
	snap := sample(t0)
	for i := -1; i < len(edits); i++ {
		if i >= 0 {
			snap = snap.Clone()
			edits[i](snap)
		}
		snap.PolledAt = hours(float64(i + 1))
		if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBalances(t *testing.T) {
	for _, tc := range []struct {
		name  string
		polls []func(*omni.Snapshot)
		since time.Time
		ids   []int64
		from  time.Time
		want  map[int64][]omni.BalancePoint
	}{
		{
			name: "each poll that changed a balance is a point; one that changed only users is not",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { s.Org(4002).Balance = 10 },
				func(s *omni.Snapshot) {
					s.Org(4002).Users = nil
					s.Org(4001).Balance = 24000
				},
				func(s *omni.Snapshot) { s.Org(4002).Balance = 510 },
			},
			since: t0,
			from:  t0,
			want: map[int64][]omni.BalancePoint{
				4001: {bal(0, 24442.6), bal(2, 24000)},
				4002: {bal(0, 13), bal(1, 10), bal(3, 510)},
				4003: {bal(0, -4.5)},
			},
		},
		{
			name: "an org added mid-window is absent until its poll; one removed is absent from its poll on",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { addOrg(s, omni.Org{ID: 4004, Name: "New Org", Balance: 50, Currency: "$"}) },
				func(s *omni.Snapshot) { removeOrg(s, 4001) },
				func(s *omni.Snapshot) { s.Org(4004).Balance = 40 },
			},
			since: t0,
			from:  t0,
			want: map[int64][]omni.BalancePoint{
				4001: {bal(0, 24442.6), absent(2)},
				4002: {bal(0, 13)},
				4003: {bal(0, -4.5)},
				4004: {absent(0), bal(1, 50), bal(3, 40)},
			},
		},
		{
			name: "an org that vanished for a poll and came back has a gap",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { removeOrg(s, 4003) },
				func(s *omni.Snapshot) {
					addOrg(s, omni.Org{ID: 4003, Name: "<!channel> & Co", Balance: 20, Currency: "€"})
				},
			},
			since: t0,
			from:  t0,
			ids:   []int64{4003},
			want:  map[int64][]omni.BalancePoint{4003: {bal(0, -4.5), absent(1), bal(2, 20)}},
		},
		{
			name: "an org removed with nothing left still goes absent",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { s.Org(4003).Balance = 0 },
				func(s *omni.Snapshot) { removeOrg(s, 4003) },
			},
			since: t0,
			from:  t0,
			ids:   []int64{4003},
			want:  map[int64][]omni.BalancePoint{4003: {bal(0, -4.5), bal(1, 0), absent(2)}},
		},
		{
			name: "a start between polls begins with the balance then",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { s.Org(4002).Balance = 10 },
				func(s *omni.Snapshot) { s.Org(4002).Balance = 8 },
				func(s *omni.Snapshot) { s.Org(4002).Balance = 508 },
			},
			since: hours(1.5),
			from:  hours(1.5),
			ids:   []int64{4002},
			want:  map[int64][]omni.BalancePoint{4002: {bal(1.5, 10), bal(2, 8), bal(3, 508)}},
		},
		{
			name: "a start before the history begins at the first poll, and From says so",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { s.Org(4002).Balance = 10 },
			},
			since: t0.Add(-30 * 24 * time.Hour),
			from:  t0,
			ids:   []int64{4002},
			want:  map[int64][]omni.BalancePoint{4002: {bal(0, 13), bal(1, 10)}},
		},
		{
			name: "only the orgs asked for come back, and an unknown one is left out",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { s.Org(4001).Balance = 1; s.Org(4002).Balance = 2 },
			},
			since: t0,
			from:  t0,
			ids:   []int64{4002, 9999},
			want:  map[int64][]omni.BalancePoint{4002: {bal(0, 13), bal(1, 2)}},
		},
		{
			name: "a start after the latest poll gives the latest balances alone",
			polls: []func(*omni.Snapshot){
				func(s *omni.Snapshot) { s.Org(4002).Balance = 10 },
			},
			since: hours(5),
			from:  hours(1),
			ids:   []int64{4002},
			want:  map[int64][]omni.BalancePoint{4002: {bal(1, 10)}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{})
			commitPolls(t, s, tc.polls...)
			got, err := s.Balances(tc.since, tc.ids...)
			if err != nil {
				t.Fatal(err)
			}
			to := hours(float64(len(tc.polls)))
			var ids []int64
			for _, ser := range got {
				ids = append(ids, ser.ID)
				if !ser.From.Equal(tc.from) || !ser.To.Equal(to) {
					t.Errorf("org %d covers %v to %v, want %v to %v", ser.ID, ser.From, ser.To, tc.from, to)
				}
				if want := tc.want[ser.ID]; !samePoints(ser.Points, want) {
					t.Errorf("org %d:\n got %+v\nwant %+v", ser.ID, ser.Points, want)
				}
			}
			if len(ids) != len(tc.want) || !slices.IsSorted(ids) {
				t.Errorf("orgs %v, want the %d of %v in ID order", ids, len(tc.want), tc.want)
			}
		})
	}
}

func TestBalancesNameAndCurrency(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	commitPolls(t, s,
		func(s *omni.Snapshot) { s.Org(4002).Name = "Beta Company" },
		func(s *omni.Snapshot) { removeOrg(s, 4003) },
	)
	got, err := s.Balances(t0, 4002, 4003)
	if err != nil {
		t.Fatal(err)
	}
	type nc struct{ name, currency string }
	var names []nc
	for _, ser := range got {
		names = append(names, nc{ser.Name, ser.Currency})
	}
	want := []nc{{"Beta Company", "$"}, {"<!channel> & Co", "€"}}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names and currencies %+v, want the latest seen %+v", names, want)
	}
}

func TestBalancesBeforeAnyPoll(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	if got, err := s.Balances(t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Balances on an empty store = %v, %v; want ErrNotFound", got, err)
	}
}

func TestBalancesStartWhereRetentionLeftTheHistory(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{HistoryPolls: 2})
	var edits []func(*omni.Snapshot)
	for i := range 5 {
		edits = append(edits, func(s *omni.Snapshot) { s.Org(4002).Balance = float64(100 - i) })
	}
	commitPolls(t, s, edits...)
	got, err := s.Balances(t0, 4002)
	if err != nil {
		t.Fatal(err)
	}
	// Two deltas are kept (the polls at 4 h and 5 h), so the state from the
	// poll at 3 h on can be rebuilt.
	want := []omni.BalancePoint{bal(3, 98), bal(4, 97), bal(5, 96)}
	if len(got) != 1 || !got[0].From.Equal(hours(3)) || !samePoints(got[0].Points, want) {
		t.Fatalf("Balances = %+v, want From at 3 h and %+v", got, want)
	}
	if _, err := got[0].Spend(t0, got[0].To); !errors.Is(err, omni.ErrBeyondHistory) {
		t.Errorf("spend since the first poll, which retention dropped: %v, want ErrBeyondHistory", err)
	}
}

// TestBalancesAgreeWithAt checks the series against the store's own
// rebuild of each poll, over random changes, additions and removals.
func TestBalancesAgreeWithAt(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	r := rand.New(rand.NewPCG(1, 2))
	const polls = 40
	var edits []func(*omni.Snapshot)
	nextID := int64(5000)
	for range polls {
		edits = append(edits, func(snap *omni.Snapshot) {
			for range 1 + r.IntN(3) {
				switch o := &snap.Orgs[r.IntN(len(snap.Orgs))]; r.IntN(6) {
				case 0:
					o.Balance += float64(r.IntN(500))
				case 1:
					if len(snap.Orgs) > 2 {
						removeOrg(snap, o.ID)
					}
				case 2:
					nextID++
					addOrg(snap, omni.Org{ID: nextID, Name: "Org", Balance: float64(r.IntN(100)), Currency: "$"})
				default:
					o.Balance -= float64(r.IntN(20))
				}
			}
		})
	}
	commitPolls(t, s, edits...)
	got, err := s.Balances(t0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]*omni.BalanceSeries{}
	for i := range got {
		byID[got[i].ID] = &got[i]
	}
	for i := 0; i <= polls; i++ {
		at := hours(float64(i))
		snap, err := s.At(at)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range snap.Orgs {
			ser := byID[o.ID]
			if ser == nil {
				t.Fatalf("poll %d: org %d has no series", i, o.ID)
			}
			if b, ok := ser.BalanceAt(at); !ok || b != o.Balance {
				t.Errorf("poll %d: org %d series says %v (present %v), At says %v", i, o.ID, b, ok, o.Balance)
			}
		}
		for id, ser := range byID {
			if _, ok := ser.BalanceAt(at); ok && snap.Org(id) == nil {
				t.Errorf("poll %d: org %d has a balance in its series but is not in the snapshot", i, id)
			}
		}
	}
}

func samePoints(got, want []omni.BalancePoint) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].At.Equal(want[i].At) || got[i].Balance != want[i].Balance || got[i].Gone != want[i].Gone {
			return false
		}
	}
	return true
}
