package chart

import (
	"bytes"
	"errors"
	"image/png"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's zoneinfo

	"gonum.org/v1/plot/plotter"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

var start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func hour(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }

// month is an org burning down for 30 days, topped up twice.
func month() *omni.BalanceSeries {
	s := &omni.BalanceSeries{ID: 4001, Name: "Acme Inc", Currency: "$", From: start, To: hour(30 * 24)}
	b := 5000.0
	for h := 0; h < 30*24; h += 6 {
		b -= 25
		if h == 9*24 || h == 20*24 {
			b += 3000
		}
		s.Points = append(s.Points, omni.BalancePoint{At: hour(h), Balance: b})
	}
	return s
}

func TestChartsArePNGsOfTheSizeAskedFor(t *testing.T) {
	days := month().Daily(time.UTC)
	for _, tc := range []struct {
		name string
		opts Options
		w, h int
	}{
		{"the zero options give the default size", Options{}, defaultWidth, defaultHeight},
		{"a size asked for is the size drawn", Options{Width: 640, Height: 400}, 640, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, draw := range map[string]func() ([]byte, error){
				"reseller": func() ([]byte, error) { return Reseller("Demo Reseller", "$", days, tc.opts) },
				"org":      func() ([]byte, error) { return Org(month(), tc.opts) },
			} {
				b, err := draw()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("%s: not a PNG: %v", name, err)
				}
				if got := img.Bounds().Size(); got.X != tc.w || got.Y != tc.h {
					t.Errorf("%s is %d × %d, want %d × %d", name, got.X, got.Y, tc.w, tc.h)
				}
			}
		})
	}
}

func TestResellerPlotsTheDaysGiven(t *testing.T) {
	days := []omni.Day{
		{Start: start, Balance: 1000, Spend: 20},
		{Start: start.AddDate(0, 0, 1), Balance: 1480, Spend: 40, TopUps: 520},
		{Start: start.AddDate(0, 0, 2), Balance: 1400, Spend: 80},
	}
	balance, spend := resellerSeries(days)
	wantBalance := plotter.XYs{{X: 0, Y: 1000}, {X: 1, Y: 1480}, {X: 2, Y: 1400}}
	wantSpend := plotter.XYs{{X: 0, Y: 20}, {X: 1, Y: 40}, {X: 2, Y: 80}}
	if !reflect.DeepEqual(balance, wantBalance) || !reflect.DeepEqual(spend, wantSpend) {
		t.Errorf("balance %v, spend %v; want %v, %v", balance, spend, wantBalance, wantSpend)
	}
}

func TestOrgPlotsTheSeriesGiven(t *testing.T) {
	x := func(h int) float64 { return float64(hour(h).Unix()) }
	for _, tc := range []struct {
		name   string
		points []omni.BalancePoint
		runs   []plotter.XYs
		ups    plotter.XYs
	}{
		{
			name:   "a burn-down is one run of steps, closed at the last poll",
			points: []omni.BalancePoint{{At: hour(0), Balance: 100}, {At: hour(10), Balance: 80}},
			runs:   []plotter.XYs{{{X: x(0), Y: 100}, {X: x(10), Y: 80}, {X: x(48), Y: 80}}},
		},
		{
			name:   "a top-up is marked at the balance it rose to",
			points: []omni.BalancePoint{{At: hour(0), Balance: 100}, {At: hour(10), Balance: 80}, {At: hour(20), Balance: 580}},
			runs:   []plotter.XYs{{{X: x(0), Y: 100}, {X: x(10), Y: 80}, {X: x(20), Y: 580}, {X: x(48), Y: 580}}},
			ups:    plotter.XYs{{X: x(20), Y: 580}},
		},
		{
			name: "an org gone for a while is two runs, and coming back is no top-up",
			points: []omni.BalancePoint{{At: hour(0), Balance: 100}, {At: hour(10), Gone: true},
				{At: hour(30), Balance: 300}, {At: hour(40), Balance: 290}},
			runs: []plotter.XYs{
				{{X: x(0), Y: 100}, {X: x(10), Y: 100}},
				{{X: x(30), Y: 300}, {X: x(40), Y: 290}, {X: x(48), Y: 290}},
			},
		},
		{
			name:   "an org added mid-window starts where it was added",
			points: []omni.BalancePoint{{At: hour(0), Gone: true}, {At: hour(24), Balance: 50}},
			runs:   []plotter.XYs{{{X: x(24), Y: 50}, {X: x(48), Y: 50}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &omni.BalanceSeries{ID: 1, From: hour(0), To: hour(48), Points: tc.points}
			runs, ups, err := orgSeries(s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(runs, tc.runs) || !reflect.DeepEqual(ups, tc.ups) {
				t.Errorf("runs %v, top-ups %v;\nwant %v, %v", runs, ups, tc.runs, tc.ups)
			}
			if _, err := Org(s, Options{Width: 320, Height: 240}); err != nil {
				t.Errorf("Org: %v", err)
			}
		})
	}
}

// TestChartDataComesFromTheStore follows the data from polls through the
// store's history to what the charts plot.
func TestChartDataComesFromTheStore(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	snap := &omni.Snapshot{Orgs: []omni.Org{
		{ID: 1, Name: "Acme", Balance: 100, Currency: "$"},
		{ID: 2, Name: "Beta", Balance: 50, Currency: "$"},
	}}
	for _, poll := range []struct {
		hour       int
		acme, beta float64
	}{
		{0, 100, 50}, {12, 90, 50}, {30, 590, 45}, {40, 570, 45},
	} {
		snap.PolledAt = hour(poll.hour)
		snap.Orgs[0].Balance, snap.Orgs[1].Balance = poll.acme, poll.beta
		if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
			t.Fatal(err)
		}
	}
	series, err := s.Balances(start)
	if err != nil {
		t.Fatal(err)
	}
	days, err := omni.DailyTotal(series, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	balance, spend := resellerSeries(days)
	// Day 1 closes at 90 + 50 having spent 10; day 2 at 570 + 45, having
	// spent 20 + 5 and taken a top-up of 500 that is not spend.
	if want := (plotter.XYs{{X: 0, Y: 140}, {X: 1, Y: 615}}); !reflect.DeepEqual(balance, want) {
		t.Errorf("reseller balance %v, want %v", balance, want)
	}
	if want := (plotter.XYs{{X: 0, Y: 10}, {X: 1, Y: 25}}); !reflect.DeepEqual(spend, want) {
		t.Errorf("reseller spend %v, want %v", spend, want)
	}
	runs, ups, err := orgSeries(&series[0])
	if err != nil {
		t.Fatal(err)
	}
	x := func(h int) float64 { return float64(hour(h).Unix()) }
	if want := []plotter.XYs{{{X: x(0), Y: 100}, {X: x(12), Y: 90}, {X: x(30), Y: 590}, {X: x(40), Y: 570}}}; !reflect.DeepEqual(runs, want) {
		t.Errorf("Acme's balance %v, want %v", runs, want)
	}
	if want := (plotter.XYs{{X: x(30), Y: 590}}); !reflect.DeepEqual(ups, want) {
		t.Errorf("Acme's top-ups %v, want %v", ups, want)
	}
}

func TestTooLittleHistoryIsErrNoData(t *testing.T) {
	for _, tc := range []struct {
		name string
		draw func() ([]byte, error)
	}{
		{"a reseller with no days", func() ([]byte, error) { return Reseller("R", "$", nil, Options{}) }},
		{"a reseller with one day", func() ([]byte, error) {
			return Reseller("R", "$", []omni.Day{{Start: start, Balance: 5}}, Options{})
		}},
		{"an org with one poll", func() ([]byte, error) {
			return Org(&omni.BalanceSeries{From: start, To: start, Points: []omni.BalancePoint{{At: start, Balance: 5}}}, Options{})
		}},
		{"an org with no points", func() ([]byte, error) {
			return Org(&omni.BalanceSeries{From: start, To: hour(5)}, Options{})
		}},
		{"an org gone all along", func() ([]byte, error) {
			return Org(&omni.BalanceSeries{From: start, To: hour(5), Points: []omni.BalancePoint{{At: start, Gone: true}}}, Options{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := tc.draw(); !errors.Is(err, ErrNoData) {
				t.Errorf("got %d bytes, %v; want ErrNoData", len(b), err)
			}
		})
	}
}

func TestTitleText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"a name is the title", "Acme Inc", "Acme Inc: balance"},
		{"newlines and controls become single spaces", "Acme\n\tInc\x00 ", "Acme Inc: balance"},
		{"a long name is cut with an ellipsis", strings.Repeat("Ab", 40), strings.Repeat("Ab", 15) + "A…: balance"},
		{"a blank name falls back", " \n ", "Org 7: balance"},
		{"markup is drawn as it is", "<!channel> & *bold*", "<!channel> & *bold*: balance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := titleText(tc.in, "Org 7", ": balance"); got != tc.want {
				t.Errorf("titleText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMoneyLabels(t *testing.T) {
	for _, tc := range []struct {
		name         string
		v, step, top float64
		symbol, want string
	}{
		{"small amounts show whole units", 500, 250, 1000, "$", "$500"},
		{"thousands are grouped below ten thousand", 7000, 1000, 9000, "$", "$7,000"},
		{"tens of thousands are in k", 28000, 10000, 40000, "$", "$28k"},
		{"a step of half a k keeps a decimal", 2500, 2500, 25000, "€", "€2.5k"},
		{"millions are in M", 3_000_000, 1_000_000, 12_000_000, "$", "$3M"},
		{"cents show when the step needs them", 0.5, 0.25, 2, "$", "$0.50"},
		{"negatives put the sign before the symbol", -20, 10, 50, "₹", "-₹20"},
		{"zero has no sign", 0, 10, 50, "$", "$0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := money(tc.v, tc.step, tc.top, tc.symbol); got != tc.want {
				t.Errorf("money(%v, step %v, top %v) = %q, want %q", tc.v, tc.step, tc.top, got, tc.want)
			}
		})
	}
}

func TestTimeTicks(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a month is labelled with about five dates at local midnight", func(t *testing.T) {
		ticks := timeTicks{loc: kolkata}.Ticks(float64(start.Unix()), float64(start.AddDate(0, 0, 30).Unix()))
		var labels []string
		for _, tk := range ticks {
			at := time.Unix(int64(tk.Value), 0).In(kolkata)
			if at.Hour() != 0 || at.Minute() != 0 {
				t.Errorf("tick at %v, not at midnight in Kolkata", at)
			}
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if len(labels) < 4 || len(labels) > 6 || labels[0] != "Nov 2" {
			t.Errorf("labels %q, want about five dates from Nov 2", labels)
		}
	})
	t.Run("a few hours are labelled with times of day", func(t *testing.T) {
		ticks := timeTicks{loc: time.UTC}.Ticks(float64(hour(1).Unix()), float64(hour(9).Unix()))
		var labels []string
		for _, tk := range ticks {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if want := []string{"02:00", "04:00", "06:00", "08:00"}; !reflect.DeepEqual(labels, want) {
			t.Errorf("labels %q, want %q", labels, want)
		}
	})
}

func BenchmarkOrg30Days(b *testing.B) {
	s := month()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Org(s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReseller30Days(b *testing.B) {
	days := month().Daily(time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Reseller("Demo Reseller", "$", days, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
