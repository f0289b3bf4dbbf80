package omni

import (
	"errors"
	"fmt"
	"time"
)

// ErrBeyondHistory is returned for a window that starts before a series'
// history or ends after its last poll: what happened there is unknown, and
// counting it as nothing would report a silent zero.
var ErrBeyondHistory = errors.New("window reaches beyond the history")

// BalancePoint is one step of an org's balance over time: from At until the
// next point the balance was Balance, or, if Gone, the org did not exist.
type BalancePoint struct {
	At      time.Time
	Balance float64
	// Gone marks the org as absent from At on: not added yet, or removed.
	Gone bool
}

// BalanceSeries is one org's balance as successive polls saw it: a step
// function over [From, To]. Only polls that changed the balance, or added or
// removed the org, make a point, so a month of polls of a quiet org is a
// handful of points.
//
// Polls see balances, not payments: a balance that rose between two polls
// is taken as a top-up of the difference, and one that fell as spend, even
// when the org both spent and topped up in between.
type BalanceSeries struct {
	ID int64
	// Name and Currency (the symbol) are the org's as last seen.
	Name     string
	Currency string
	// From is the earliest time the series speaks for; before it the
	// history knows nothing. To is the last poll.
	From, To time.Time
	// Points are in time order, the first at From.
	Points []BalancePoint
}

// TopUp is a rise in balance between two polls.
type TopUp struct {
	// At is the poll that saw the rise.
	At time.Time
	// Amount is how much the balance rose; Balance is what it rose to.
	Amount  float64
	Balance float64
}

// Day is one calendar day of a balance history in some time zone.
type Day struct {
	// Start is the day's midnight in the zone asked for.
	Start time.Time
	// From and To are the part of the day the history covers: the whole
	// day (Start to the next midnight), except on the first day of a series
	// (from its From) and the last (to its To, the last poll).
	From, To time.Time
	// Balance is the balance at To, summed over the Orgs orgs that existed
	// then: for one org's day, Orgs is 1, or 0 when the org was gone.
	Balance float64
	Orgs    int
	// Spend and TopUps sum the day's falls and rises, each poll's change
	// counting towards the day it ended in: one at midnight closes the day
	// before.
	Spend  float64
	TopUps float64
}

// Spend is the sum of the balance's falls at polls after from up to and
// including to. Rises are top-ups, not negative spend, and an org appearing
// or vanishing is neither. The window must lie within [From, To], or the
// error is ErrBeyondHistory.
func (s *BalanceSeries) Spend(from, to time.Time) (float64, error) {
	var spend float64
	err := s.changes(from, to, func(_ BalancePoint, d float64) {
		if d < 0 {
			spend -= d
		}
	})
	return spend, err
}

// TopUps lists the balance's rises at polls after from up to and including
// to, oldest first. The window must lie within [From, To], or the error is
// ErrBeyondHistory.
func (s *BalanceSeries) TopUps(from, to time.Time) ([]TopUp, error) {
	var ups []TopUp
	err := s.changes(from, to, func(p BalancePoint, d float64) {
		if d > 0 {
			ups = append(ups, TopUp{At: p.At, Amount: d, Balance: p.Balance})
		}
	})
	return ups, err
}

// BalanceAt is the balance at t, including a change made by a poll at t.
// ok is false when the org did not exist then, or t is outside [From, To].
func (s *BalanceSeries) BalanceAt(t time.Time) (balance float64, ok bool) {
	if t.Before(s.From) || t.After(s.To) {
		return 0, false
	}
	for i := len(s.Points) - 1; i >= 0; i-- {
		if p := s.Points[i]; !p.At.After(t) {
			return p.Balance, !p.Gone
		}
	}
	return 0, false
}

// changes calls fn for each change of balance at a poll in (from, to], with
// the point the poll made and the rise (positive) or fall.
func (s *BalanceSeries) changes(from, to time.Time, fn func(p BalancePoint, d float64)) error {
	if from.Before(s.From) || to.After(s.To) || to.Before(from) {
		return fmt.Errorf("org %d: %s to %s, history %s to %s: %w", s.ID,
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339),
			s.From.UTC().Format(time.RFC3339), s.To.UTC().Format(time.RFC3339), ErrBeyondHistory)
	}
	for i := 1; i < len(s.Points); i++ {
		prev, p := s.Points[i-1], s.Points[i]
		if p.At.After(to) {
			break
		}
		if p.At.After(from) && !prev.Gone && !p.Gone {
			fn(p, p.Balance-prev.Balance)
		}
	}
	return nil
}

// Daily splits the series into calendar days in loc, from the day of From
// to the day of To, each with its closing balance, spend and top-ups.
func (s *BalanceSeries) Daily(loc *time.Location) []Day {
	var days []Day
	s.eachDay(loc, func(_ int, d Day) { days = append(days, d) })
	return days
}

// DailyTotal sums the daily figures of several orgs, as Daily gives them for
// each, into the reseller's: closing balances of the orgs that existed,
// their spend and their top-ups. An org removed during the window lowers the
// total balance without counting as spend. The series must cover the same
// [From, To], as those of one Store.Balances call do; the caller keeps
// currencies apart. No series give no days.
func DailyTotal(series []BalanceSeries, loc *time.Location) ([]Day, error) {
	var total []Day
	for i := range series {
		s := &series[i]
		if first := &series[0]; !s.From.Equal(first.From) || !s.To.Equal(first.To) {
			return nil, fmt.Errorf("org %d covers %s to %s, org %d %s to %s: series must cover the same time",
				s.ID, s.From.UTC().Format(time.RFC3339), s.To.UTC().Format(time.RFC3339),
				first.ID, first.From.UTC().Format(time.RFC3339), first.To.UTC().Format(time.RFC3339))
		}
		s.eachDay(loc, func(j int, d Day) {
			if j == len(total) {
				total = append(total, Day{Start: d.Start, From: d.From, To: d.To})
			}
			t := &total[j]
			t.Balance += d.Balance
			t.Orgs += d.Orgs
			t.Spend += d.Spend
			t.TopUps += d.TopUps
		})
	}
	return total, nil
}

// eachDay hands fn the series' days in order, numbered from 0.
func (s *BalanceSeries) eachDay(loc *time.Location, fn func(i int, d Day)) {
	if len(s.Points) == 0 || s.To.Before(s.From) {
		return
	}
	cur, next := s.Points[0], 1
	y, m, d := s.From.In(loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	for i := 0; ; i++ {
		y, m, d := start.Date()
		end := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		day := Day{Start: start, From: later(start, s.From), To: earlier(end, s.To)}
		for ; next < len(s.Points) && !s.Points[next].At.After(day.To); next++ {
			p := s.Points[next]
			switch ch := p.Balance - cur.Balance; {
			case cur.Gone || p.Gone:
			case ch < 0:
				day.Spend -= ch
			case ch > 0:
				day.TopUps += ch
			}
			cur = p
		}
		if !cur.Gone {
			day.Balance, day.Orgs = cur.Balance, 1
		}
		fn(i, day)
		if !end.Before(s.To) {
			return
		}
		start = end
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
