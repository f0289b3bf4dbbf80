package chart

import (
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"

	"github.com/resellerbot/resellerbot/omni"
)

// moneyTicks labels a money axis compactly, "$12.5k", so that the labels
// stay short in large type.
type moneyTicks struct{ symbol string }

// Ticks implements plot.Ticker.
func (m moneyTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	var major []float64
	for _, t := range ticks {
		if t.Label != "" {
			major = append(major, t.Value)
		}
	}
	step := 0.0
	if len(major) > 1 {
		step = major[1] - major[0]
	}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = money(ticks[i].Value, step, max(math.Abs(lo), math.Abs(hi)), m.symbol)
		}
	}
	return ticks
}

// money formats v in the unit that suits an axis reaching top (k for
// thousands, M for millions, B for billions), with as many decimals (up to
// two) as it takes to tell ticks step apart.
func money(v, step, top float64, symbol string) string {
	unit, suffix := 1.0, ""
	switch {
	case top >= 1e10:
		unit, suffix = 1e9, "B"
	case top >= 1e7:
		unit, suffix = 1e6, "M"
	case top >= 1e4:
		unit, suffix = 1e3, "k"
	}
	decimals := 0
	for ; decimals < 2 && step > 0; decimals++ {
		scaled := step / unit * math.Pow10(decimals)
		if math.Abs(scaled-math.Round(scaled)) < 1e-6*scaled {
			break
		}
	}
	sign := ""
	if v < 0 && math.Round(-v/unit*math.Pow10(decimals)) != 0 {
		sign = "-"
	}
	return sign + symbol + thousands(strconv.FormatFloat(math.Abs(v)/unit, 'f', decimals, 64)) + suffix
}

// thousands puts commas between the thousands of a formatted number.
func thousands(num string) string {
	whole := len(num)
	if dot := strings.IndexByte(num, '.'); dot >= 0 {
		whole = dot
	}
	for i := whole - 3; i > 0; i -= 3 {
		num = num[:i] + "," + num[i:]
	}
	return num
}

// dayTicks labels an axis whose x is the index of a day in days, with
// about five dates; blank keeps the positions but drops the labels, for a
// panel above another that shows them.
type dayTicks struct {
	days  []omni.Day
	blank bool
}

// Ticks implements plot.Ticker.
func (d dayTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, (len(d.days)+4)/5)
	var ticks []plot.Tick
	for i := 0; i < len(d.days); i++ {
		if float64(i) < lo || float64(i) > hi {
			continue
		}
		t := plot.Tick{Value: float64(i)}
		if i%step == 0 && !d.blank {
			t.Label = d.days[i].Start.Format("Jan 2")
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// timeTicks labels an axis of Unix seconds in loc: dates at midnight for a
// span of days, times of day for a shorter one, about five labels either
// way.
type timeTicks struct{ loc *time.Location }

// Ticks implements plot.Ticker.
func (tt timeTicks) Ticks(lo, hi float64) []plot.Tick {
	from := time.Unix(int64(math.Ceil(lo)), 0).In(tt.loc)
	to := time.Unix(int64(math.Floor(hi)), 0).In(tt.loc)
	span := to.Sub(from)
	var ticks []plot.Tick
	if span >= 48*time.Hour {
		step := max(1, int(math.Ceil(span.Hours()/24/5)))
		y, m, d := from.Date()
		for day := 0; ; day++ {
			t := time.Date(y, m, d+day, 0, 0, 0, 0, tt.loc)
			if t.Before(from) {
				continue
			}
			if t.After(to) {
				return ticks
			}
			tick := plot.Tick{Value: float64(t.Unix())}
			if len(ticks)%step == 0 {
				tick.Label = t.Format("Jan 2")
			}
			ticks = append(ticks, tick)
		}
	}
	step := time.Hour
	for _, h := range []time.Duration{1, 2, 3, 4, 6, 12, 24} {
		if step = h * time.Hour; span/step <= 5 {
			break
		}
	}
	t := from.Truncate(time.Hour)
	for ; !t.After(to); t = t.Add(time.Hour) {
		if t.Before(from) {
			continue
		}
		tick := plot.Tick{Value: float64(t.Unix())}
		if t.Hour()%int(step/time.Hour) == 0 {
			tick.Label = t.Format("15:04")
		}
		ticks = append(ticks, tick)
	}
	return ticks
}
