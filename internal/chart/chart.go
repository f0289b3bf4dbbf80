package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/resellerbot/resellerbot/omni"
)

// ErrNoData is returned when the history is too short for a chart: fewer
// than two days for the reseller, or no stretch of time with the org in
// it. A caller says so in words rather than posting an empty picture.
var ErrNoData = errors.New("chart: not enough history yet")

// Options size a chart. The zero value draws 1000 × 750 pixels with dates
// in UTC.
type Options struct {
	// Width and Height are in pixels; type scales with Width.
	Width, Height int
	// Location is the zone of an org chart's dates. The reseller chart's
	// days keep the zone omni.DailyTotal cut them in.
	Location *time.Location
}

const (
	defaultWidth  = 1000
	defaultHeight = 750
	// maxName caps the runes of a name in a title: names come from the
	// API, and a long one would shrink the title past reading.
	maxName = 32
)

// Reseller draws the reseller's total balance at the end of each day
// (above) and its spend per day (below, as bars), from days as
// omni.DailyTotal gives them for one currency. name is the reseller's.
func Reseller(name, currency string, days []omni.Day, opts Options) ([]byte, error) {
	if len(days) < 2 {
		return nil, fmt.Errorf("%d day of history: %w", len(days), ErrNoData)
	}
	balance, spend := resellerSeries(days)
	st := newStyle(opts)

	top := st.plot(titleText(name, "Reseller", ": balance & spend per day"))
	top.Y.Label.Text = "Balance"
	top.Y.Tick.Marker = moneyTicks{symbol: currency}
	top.X.Tick.Marker = dayTicks{days: days, blank: true}
	line, err := plotter.NewLine(balance)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	line.LineStyle = st.line(st.balance)
	top.Add(st.grid(), line)

	bottom := st.plot("")
	bottom.Y.Label.Text = "Spend per day"
	bottom.Y.Tick.Marker = moneyTicks{symbol: currency}
	bottom.X.Tick.Marker = dayTicks{days: days}
	bottom.X.Label.Text = "Day (" + days[0].Start.Location().String() + ")"
	values := make(plotter.Values, len(spend))
	for i, xy := range spend {
		values[i] = xy.Y
	}
	bars, err := plotter.NewBarChart(values, st.barWidth(len(days)))
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	bars.Color, bars.LineStyle.Width = st.spend, 0
	bottom.Add(st.grid(), bars)
	bottom.Y.Min = 0

	for _, p := range []*plot.Plot{top, bottom} {
		p.X.Min, p.X.Max = -0.5, float64(len(days))-0.5
	}
	return st.render([][]*plot.Plot{{top}, {bottom}})
}

// resellerSeries is what Reseller plots: day i's closing balance and its
// spend, at x = i.
func resellerSeries(days []omni.Day) (balance, spend plotter.XYs) {
	balance = make(plotter.XYs, len(days))
	spend = make(plotter.XYs, len(days))
	for i, d := range days {
		balance[i] = plotter.XY{X: float64(i), Y: d.Balance}
		spend[i] = plotter.XY{X: float64(i), Y: d.Spend}
	}
	return balance, spend
}

// Org draws one org's balance over its series as a step line, broken where
// the org did not exist, with a marker at each top-up. The title is the
// org's name.
func Org(s *omni.BalanceSeries, opts Options) ([]byte, error) {
	runs, ups, err := orgSeries(s)
	if err != nil {
		return nil, err
	}
	st := newStyle(opts)
	p := st.plot(titleText(s.Name, fmt.Sprintf("Org %d", s.ID), ": balance"))
	p.Y.Label.Text = "Balance"
	p.Y.Tick.Marker = moneyTicks{symbol: s.Currency}
	p.X.Tick.Marker = timeTicks{loc: st.loc}
	p.X.Label.Text = "Date (" + st.loc.String() + ")"
	p.X.Min, p.X.Max = unix(s.From), unix(s.To)
	p.Add(st.grid())
	for i, run := range runs {
		line, err := plotter.NewLine(run)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		line.StepStyle = plotter.PostStep
		line.LineStyle = st.line(st.balance)
		p.Add(line)
		if i == 0 && len(ups) > 0 {
			p.Legend.Add("Balance", line)
		}
	}
	if len(ups) > 0 {
		marks, err := plotter.NewScatter(ups)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		marks.GlyphStyle = draw.GlyphStyle{Color: st.topUp, Radius: st.px(11), Shape: draw.PyramidGlyph{}}
		p.Add(marks)
		p.Legend.Add("Top-up", marks)
	}
	return st.render([][]*plot.Plot{{p}})
}

// orgSeries is what Org plots: the balance as runs of steps, one per
// stretch of time the org existed, each closed by a point at the stretch's
// end (unless a poll made one there); and the top-ups at the balance they
// rose to.
func orgSeries(s *omni.BalanceSeries) (runs []plotter.XYs, ups plotter.XYs, err error) {
	if !s.To.After(s.From) {
		return nil, nil, fmt.Errorf("org %d: one poll of history: %w", s.ID, ErrNoData)
	}
	var run plotter.XYs
	for i, p := range s.Points {
		end := s.To
		if i+1 < len(s.Points) {
			end = s.Points[i+1].At
		}
		if p.Gone {
			continue
		}
		run = append(run, plotter.XY{X: unix(p.At), Y: p.Balance})
		if i+1 == len(s.Points) || s.Points[i+1].Gone {
			if end.After(p.At) {
				run = append(run, plotter.XY{X: unix(end), Y: p.Balance})
			}
			runs = append(runs, run)
			run = nil
		}
	}
	if len(runs) == 0 {
		return nil, nil, fmt.Errorf("org %d did not exist in the history: %w", s.ID, ErrNoData)
	}
	topUps, err := s.TopUps(s.From, s.To)
	if err != nil {
		return nil, nil, fmt.Errorf("chart: %w", err)
	}
	for _, u := range topUps {
		ups = append(ups, plotter.XY{X: unix(u.At), Y: u.Balance})
	}
	return runs, ups, nil
}

func unix(t time.Time) float64 { return float64(t.Unix()) }

// titleText is "name: what", with name made safe to draw on one line and
// capped, or fallback when the name is blank.
func titleText(name, fallback, what string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if r := []rune(name); len(r) > maxName {
		name = strings.TrimSpace(string(r[:maxName-1])) + "…"
	}
	if name == "" {
		name = fallback
	}
	return name + what
}

// style holds one chart's sizes and colours, scaled to its width so that
// type stays large on a phone at any size asked for.
type style struct {
	w, h                  int
	scale                 float64
	loc                   *time.Location
	balance, spend, topUp color.Color
}

func newStyle(opts Options) *style {
	st := &style{w: opts.Width, h: opts.Height, loc: opts.Location,
		balance: color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff},
		spend:   color.RGBA{R: 0xd9, G: 0x5f, B: 0x0e, A: 0xff},
		topUp:   color.RGBA{R: 0x1a, G: 0x9a, B: 0x3a, A: 0xff},
	}
	if st.w <= 0 {
		st.w = defaultWidth
	}
	if st.h <= 0 {
		st.h = defaultHeight
	}
	if st.loc == nil {
		st.loc = time.UTC
	}
	st.scale = float64(st.w) / defaultWidth
	return st
}

// px is a length in pixels of the default width, scaled. The canvas is
// drawn at 72 dpi, where a point is a pixel.
func (st *style) px(n float64) vg.Length { return vg.Length(n * st.scale) }

func (st *style) font(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: st.px(size)}
}

// plot is an empty plot in the chart's type sizes, with title if not
// empty.
func (st *style) plot(title string) *plot.Plot {
	p := plot.New()
	if title != "" {
		p.Title.Text = title
		p.Title.TextStyle.Font = st.font(38)
		// Shrink a title that would not fit the width, rather than clip it.
		for p.Title.TextStyle.Font.Size > st.px(24) && p.Title.TextStyle.Width(title) > vg.Length(float64(st.w)*0.94) {
			p.Title.TextStyle.Font.Size -= st.px(2)
		}
		p.Title.Padding = st.px(16)
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = st.font(30)
		a.Label.Padding = st.px(8)
		a.Tick.Label.Font = st.font(28)
		a.Tick.Length = st.px(8)
		a.Tick.LineStyle.Width = st.px(2)
		a.LineStyle.Width = st.px(2)
		a.Padding = st.px(6)
	}
	p.Legend.TextStyle.Font = st.font(28)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.ThumbnailWidth = st.px(40)
	p.Legend.Padding = st.px(8)
	return p
}

func (st *style) line(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: st.px(5)}
}

func (st *style) grid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Width = 0
	g.Horizontal.Color = color.Gray{Y: 0xdd}
	g.Horizontal.Width = st.px(2)
	return g
}

// barWidth leaves a gap between a day's bar and the next, given roughly
// how wide the data area is once the money axis takes its share.
func (st *style) barWidth(days int) vg.Length {
	w := (float64(st.w) - 240*st.scale) / float64(days) * 0.7
	return vg.Length(max(w, 1))
}

// render draws the plots, one above the other, into a PNG.
func (st *style) render(rows [][]*plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(st.w), vg.Length(st.h)), vgimg.UseDPI(72))
	dc := draw.New(c)
	pad := st.px(20)
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad * 2, PadY: pad}
	for i, row := range plot.Align(rows, tiles, dc) {
		rows[i][0].Draw(row[0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: png: %w", err)
	}
	return buf.Bytes(), nil
}
