package omni_test

import (
	"errors"
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // the zone test must not depend on the machine's zoneinfo

	"github.com/resellerbot/resellerbot/omni"
)

// day0 is a Monday midnight in UTC; hours below count from it.
var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func h(n float64) time.Time { return day0.Add(time.Duration(n * float64(time.Hour))) }

func pt(hour, balance float64) omni.BalancePoint {
	return omni.BalancePoint{At: h(hour), Balance: balance}
}

func gone(hour float64) omni.BalancePoint { return omni.BalancePoint{At: h(hour), Gone: true} }

// series is one org over [h(from), h(to)].
func series(from, to float64, points ...omni.BalancePoint) omni.BalanceSeries {
	return omni.BalanceSeries{ID: 4001, Name: "Acme", Currency: "$", From: h(from), To: h(to), Points: points}
}

func TestSpendAndTopUps(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        omni.BalanceSeries
		from, to float64
		spend    float64
		topUps   []omni.TopUp
	}{
		{
			name: "a steady burn is the sum of the falls",
			s:    series(0, 24, pt(0, 100), pt(6, 90), pt(12, 75), pt(18, 70)),
			from: 0, to: 24,
			spend: 30,
		},
		{
			name: "a top-up between polls is a top-up, not negative spend",
			s:    series(0, 24, pt(0, 100), pt(6, 90), pt(7, 590), pt(12, 580)),
			from: 0, to: 24,
			spend:  20,
			topUps: []omni.TopUp{{At: h(7), Amount: 500, Balance: 590}},
		},
		{
			name: "the window counts polls after its start up to and including its end",
			s:    series(0, 24, pt(0, 100), pt(6, 90), pt(12, 80), pt(18, 70)),
			from: 6, to: 12,
			spend: 10,
		},
		{
			name: "a quiet stretch between polls (a gap) counts once, as the poll after it saw it",
			s:    series(0, 72, pt(0, 100), pt(60, 40)),
			from: 0, to: 72,
			spend: 60,
		},
		{
			name: "an org added mid-window spends only from its first balance on; appearing is not a top-up",
			s:    series(0, 24, gone(0), pt(10, 500), pt(20, 450)),
			from: 0, to: 24,
			spend: 50,
		},
		{
			name: "an org removed mid-window spent until it went; vanishing is not spend",
			s:    series(0, 24, pt(0, 100), pt(5, 80), gone(9)),
			from: 0, to: 24,
			spend: 20,
		},
		{
			name: "an org removed and back again: neither change counts, what it did either side does",
			s:    series(0, 24, pt(0, 100), pt(2, 90), gone(4), pt(8, 300), pt(10, 320)),
			from: 0, to: 24,
			spend:  10,
			topUps: []omni.TopUp{{At: h(10), Amount: 20, Balance: 320}},
		},
		{
			name: "a window without changes spends nothing",
			s:    series(0, 24, pt(0, 100), pt(20, 90)),
			from: 1, to: 19,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spend, err := tc.s.Spend(h(tc.from), h(tc.to))
			if err != nil {
				t.Fatal(err)
			}
			if spend != tc.spend {
				t.Errorf("Spend = %v, want %v", spend, tc.spend)
			}
			ups, err := tc.s.TopUps(h(tc.from), h(tc.to))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ups, tc.topUps) {
				t.Errorf("TopUps = %+v, want %+v", ups, tc.topUps)
			}
		})
	}
}

func TestWindowsBeyondTheHistoryAreErrors(t *testing.T) {
	s := series(10, 20, pt(10, 100), pt(15, 90))
	for _, tc := range []struct {
		name     string
		from, to float64
	}{
		{"a window starting before the history began", 0, 20},
		{"a window ending after the last poll", 10, 30},
		{"a window ending before it starts", 18, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if spend, err := s.Spend(h(tc.from), h(tc.to)); !errors.Is(err, omni.ErrBeyondHistory) {
				t.Errorf("Spend = %v, %v; want ErrBeyondHistory", spend, err)
			}
			if ups, err := s.TopUps(h(tc.from), h(tc.to)); !errors.Is(err, omni.ErrBeyondHistory) {
				t.Errorf("TopUps = %v, %v; want ErrBeyondHistory", ups, err)
			}
		})
	}
	t.Run("the whole history is a valid window", func(t *testing.T) {
		if spend, err := s.Spend(s.From, s.To); err != nil || spend != 10 {
			t.Errorf("Spend = %v, %v; want 10", spend, err)
		}
	})
}

func TestBalanceAt(t *testing.T) {
	s := series(0, 24, gone(0), pt(4, 100), pt(8, 90), gone(12))
	for _, tc := range []struct {
		name string
		at   float64
		want float64
		ok   bool
	}{
		{"before the org was added, there is no balance", 2, 0, false},
		{"a poll's change counts from the poll on", 8, 90, true},
		{"between polls, the last poll's balance holds", 10, 90, true},
		{"after the org was removed, there is no balance", 13, 0, false},
		{"before the history, nothing is known", -1, 0, false},
		{"after the last poll, nothing is known", 25, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := s.BalanceAt(h(tc.at))
			if got != tc.want || ok != tc.ok {
				t.Errorf("BalanceAt(%v h) = %v, %v; want %v, %v", tc.at, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestDaily(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	inBerlin := func(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, berlin) }
	for _, tc := range []struct {
		name string
		s    omni.BalanceSeries
		loc  *time.Location
		want []omni.Day
	}{
		{
			name: "days close with the last balance, partial at both ends of the history",
			s:    series(6, 54, pt(6, 100), pt(10, 80), pt(30, 580), pt(40, 560)),
			loc:  time.UTC,
			want: []omni.Day{
				{Start: h(0), From: h(6), To: h(24), Balance: 80, Orgs: 1, Spend: 20},
				{Start: h(24), From: h(24), To: h(48), Balance: 560, Orgs: 1, Spend: 20, TopUps: 500},
				{Start: h(48), From: h(48), To: h(54), Balance: 560, Orgs: 1},
			},
		},
		{
			name: "a poll at midnight closes the day before",
			s:    series(0, 30, pt(0, 100), pt(24, 90), pt(25, 85)),
			loc:  time.UTC,
			want: []omni.Day{
				{Start: h(0), From: h(0), To: h(24), Balance: 90, Orgs: 1, Spend: 10},
				{Start: h(24), From: h(24), To: h(30), Balance: 85, Orgs: 1, Spend: 5},
			},
		},
		{
			name: "days before an org was added and after it was removed hold no balance",
			s:    series(0, 72, gone(0), pt(30, 200), pt(40, 150), gone(50)),
			loc:  time.UTC,
			want: []omni.Day{
				{Start: h(0), From: h(0), To: h(24)},
				{Start: h(24), From: h(24), To: h(48), Balance: 150, Orgs: 1, Spend: 50},
				{Start: h(48), From: h(48), To: h(72)},
			},
		},
		{
			name: "days follow the zone asked for, across a daylight-saving change",
			// Europe/Berlin moves to summer time on 29 March 2026: that day
			// has 23 hours.
			s: omni.BalanceSeries{ID: 1, From: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 30, 1, 0, 0, 0, time.UTC),
				Points: []omni.BalancePoint{
					{At: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), Balance: 100},
					// 23:30 UTC on the 28th is 00:30 on the 29th in Berlin.
					{At: time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), Balance: 90},
					// 22:30 UTC on the 29th is 00:30 on the 30th (summer time).
					{At: time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC), Balance: 70},
				}},
			loc: berlin,
			want: []omni.Day{
				{Start: inBerlin(28), From: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), To: inBerlin(29), Balance: 100, Orgs: 1},
				{Start: inBerlin(29), From: inBerlin(29), To: inBerlin(30), Balance: 90, Orgs: 1, Spend: 10},
				{Start: inBerlin(30), From: inBerlin(30), To: time.Date(2026, 3, 30, 1, 0, 0, 0, time.UTC), Balance: 70, Orgs: 1, Spend: 20},
			},
		},
		{
			name: "a series of one poll is one day",
			s:    series(5, 5, pt(5, 42)),
			loc:  time.UTC,
			want: []omni.Day{{Start: h(0), From: h(5), To: h(5), Balance: 42, Orgs: 1}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.Daily(tc.loc)
			if len(got) != len(tc.want) {
				t.Fatalf("Daily gave %d days, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				if !sameDay(got[i], tc.want[i]) {
					t.Errorf("day %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDailyTotal(t *testing.T) {
	steady := series(0, 48, pt(0, 100), pt(12, 90), pt(36, 80))
	removed := series(0, 48, pt(0, 1000), pt(6, 900), gone(30))
	added := series(0, 48, gone(0), pt(20, 50), pt(40, 250))
	for _, tc := range []struct {
		name string
		in   []omni.BalanceSeries
		want []omni.Day
	}{
		{
			name: "the total sums closing balances, spend and top-ups; a removal lowers the balance but is not spend",
			in:   []omni.BalanceSeries{steady, removed, added},
			want: []omni.Day{
				{Start: h(0), From: h(0), To: h(24), Balance: 90 + 900 + 50, Orgs: 3, Spend: 10 + 100},
				{Start: h(24), From: h(24), To: h(48), Balance: 80 + 250, Orgs: 2, Spend: 10, TopUps: 200},
			},
		},
		{
			name: "no orgs give no days",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := omni.DailyTotal(tc.in, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("DailyTotal gave %d days, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				if !sameDay(got[i], tc.want[i]) {
					t.Errorf("day %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	t.Run("series covering different times are refused rather than misaligned", func(t *testing.T) {
		short := series(24, 48, pt(24, 5))
		if days, err := omni.DailyTotal([]omni.BalanceSeries{steady, short}, time.UTC); err == nil {
			t.Errorf("DailyTotal = %+v, want an error", days)
		}
	})
}

// sameDay compares days by instant, so a zone's name does not matter, and
// money to a millionth, so float sums do not.
func sameDay(a, b omni.Day) bool {
	near := func(x, y float64) bool { return x-y < 1e-6 && y-x < 1e-6 }
	return a.Start.Equal(b.Start) && a.From.Equal(b.From) && a.To.Equal(b.To) &&
		near(a.Balance, b.Balance) && a.Orgs == b.Orgs && near(a.Spend, b.Spend) && near(a.TopUps, b.TopUps)
}
