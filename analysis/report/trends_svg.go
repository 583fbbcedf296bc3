package report

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
)

// The trends charts: each series over time, laid out here in SVG user
// units and drawn by trends.html.tmpl, so that the page needs no script
// and html/template escapes every label. x is the point's Release date on
// a time scale (a gap in the snapshots shows as a gap), y a linear scale
// from zero to a round number above the largest value.

// Chart geometry, in SVG user units (CSS pixels at 100%).
const (
	trendW, trendH  = 960, 300
	trendLeft       = 64 // y-axis labels
	trendRight      = 44 // half an x label past the last tick
	trendTop        = 34 // legend
	trendBottom     = 28 // x-axis labels
	trendMarkerR    = 2.5
	trendMaxBarW    = 28
	trendMaxXTicks  = 8
	trendMaxYTicks  = 5
	trendLegendStep = 150
)

// trendSeries is one series of a chart.
type trendSeries struct {
	Key, Label string
	Value      func(*datasets.PackageTrendRow) float64
}

// trendChartSpec says what one chart draws.
type trendChartSpec struct {
	ID, Title, CSV string
	// Bars stacks the series as one bar per point; otherwise each series
	// is a line with a marker per point.
	Bars bool
	// Days says the values are days (one decimal), not counts.
	Days bool
	// Deltas says the values are against the previous snapshot: the first
	// snapshot of the history has none.
	Deltas bool
	Series []trendSeries
	// Note explains the chart under its title.
	Note string
}

func int64Value(f func(*datasets.PackageTrendRow) int64) func(*datasets.PackageTrendRow) float64 {
	return func(r *datasets.PackageTrendRow) float64 { return float64(f(r)) }
}

// trendCharts are the charts of a trends report, in page order; each has
// the CSV file of the same numbers.
var trendCharts = []trendChartSpec{
	{ID: "counts", Title: "Packages", CSV: CSVTrendCounts, Series: []trendSeries{
		{"packages", "packages", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.Packages })},
		{"binaries", "binary names", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.BinaryNames })},
		{"sources", "source packages", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.Sources })},
	}, Note: "Packages count each binary package once per index architecture; binary names and source packages count distinct names."},
	{ID: "deltas", Title: "Changes between consecutive snapshots", CSV: CSVTrendDeltas, Bars: true, Deltas: true, Series: []trendSeries{
		{"added", "added", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.Added })},
		{"removed", "removed", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.Removed })},
		{"upgraded", "upgraded", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.Upgraded })},
		{"downgraded", "downgraded", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.Downgraded })},
	}, Note: "Packages added, removed, upgraded and downgraded since the previous snapshot, by package and index architecture."},
	{ID: "new-upstream", Title: "New upstream versions", CSV: CSVTrendNewUpstream, Bars: true, Deltas: true, Series: []trendSeries{
		{"new-upstream", "new upstream versions", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.NewUpstream })},
	}, Note: "Source packages whose upstream version the release had never had before."},
	{ID: "version-age", Title: "Version age", CSV: CSVTrendVersionAge, Days: true, Series: []trendSeries{
		{"median", "median", func(r *datasets.PackageTrendRow) float64 { return r.VersionAgeMedianDays }},
		{"mean", "mean", func(r *datasets.PackageTrendRow) float64 { return r.VersionAgeMeanDays }},
		{"p90", "90th percentile", func(r *datasets.PackageTrendRow) float64 { return r.VersionAgeP90Days }},
	}, Note: "How long each package's current version has been in the release, in days."},
	{ID: "lag", Title: "Outdated against other distributions", CSV: CSVTrendLag, Series: []trendSeries{
		{"outdated", "outdated sources", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.LagOutdated })},
		{"matched", "sources matched elsewhere", int64Value(func(r *datasets.PackageTrendRow) int64 { return r.LagMatched })},
	}, Note: "Source packages whose project another tracked distribution also has, and those of them it has a newer upstream version of."},
}

// coord is an SVG coordinate, printed to a tenth of a unit.
type coord float64

func (c coord) String() string { return strconv.FormatFloat(float64(c), 'f', 1, 64) }

// svgChart is one chart laid out.
type svgChart struct {
	ID, Title, Desc, Note, CSV string
	Width, Height              int
	Left, Right, Top, Bottom   coord // the plot area
	TickEnd                    coord // where an x tick mark ends, below Bottom
	Bars                       bool
	XTicks, YTicks             []tick
	Legend                     []legendItem
	Lines                      []line
	BarGroups                  []barGroup
	Table                      chartTable
	// Empty says, inside the plot, why a chart of deltas draws nothing:
	// its only point is the first snapshot of the history.
	Empty string
}

type tick struct {
	At    coord // x for an x tick, y for a y tick
	Label string
}

type legendItem struct {
	Key, Label string
	X          coord
}

// line is one series drawn as a path through one marker per point.
type line struct {
	Key, Label, D string
	Markers       []marker
}

type marker struct {
	X, Y  coord
	Title string
}

// barGroup is one point's stacked bar; a point without values (the first
// snapshot of the history in a chart of deltas) has no rects.
type barGroup struct {
	Title string
	Rects []barRect
}

type barRect struct {
	Key        string
	X, Y, W, H coord
}

// chartTable is the numbers of a chart as a table, for readers who do not
// see the chart.
type chartTable struct {
	Header []string
	Rows   [][]string
}

// layoutTrendChart lays out one chart of d's points (at least one).
func layoutTrendChart(spec trendChartSpec, d TrendsData) svgChart {
	pts := d.Points
	c := svgChart{ID: "chart-" + spec.ID, Title: spec.Title, Note: spec.Note, CSV: "csv/" + spec.CSV, Width: trendW, Height: trendH,
		Left: trendLeft, Right: trendW - trendRight, Top: trendTop, Bottom: trendH - trendBottom, TickEnd: trendH - trendBottom + 5, Bars: spec.Bars}
	for i, s := range spec.Series {
		c.Legend = append(c.Legend, legendItem{Key: s.Key, Label: s.Label, X: coord(trendLeft + i*trendLegendStep)})
	}

	// values[s][i] is series s at point i; has[i] whether point i has
	// values at all.
	values := make([][]float64, len(spec.Series))
	has := make([]bool, len(pts))
	lo, hi := 0.0, 0.0
	for i := range pts {
		has[i] = !spec.Deltas || !isFirst(pts[i])
	}
	// raw[s][i] is what the table shows; values[s][i] what is drawn: a
	// value that is not a number (an age of no package, say) is drawn at
	// zero rather than poisoning the scale.
	raw := make([][]float64, len(spec.Series))
	for s, ser := range spec.Series {
		raw[s], values[s] = make([]float64, len(pts)), make([]float64, len(pts))
		for i := range pts {
			v := ser.Value(&pts[i].Row)
			raw[s][i] = v
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				values[s][i] = v
			}
		}
	}
	for i := range pts {
		if !has[i] {
			continue
		}
		if spec.Bars {
			sum := 0.0
			for s := range values {
				sum += values[s][i]
			}
			hi = max(hi, sum)
			continue
		}
		for s := range values {
			lo, hi = min(lo, values[s][i]), max(hi, values[s][i])
		}
	}

	xs := newTimeScale(pts, float64(c.Left), float64(c.Right))
	ys := newValueScale(lo, hi, !spec.Days, float64(c.Bottom), float64(c.Top))
	c.XTicks = xs.ticks()
	c.YTicks = ys.ticks

	format := func(v float64) string {
		if spec.Days {
			return strconv.FormatFloat(v, 'f', 1, 64)
		}
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	date := func(i int) string { return pts[i].Row.ReleaseDate.UTC().Format(dayLayout) }
	unit := ""
	if spec.Days {
		unit = " days"
	}

	if spec.Bars {
		bw := xs.barWidth()
		for i := range pts {
			x := xs.x(pts[i].Row.ReleaseDate)
			g := barGroup{Title: date(i) + ": no previous snapshot"}
			if has[i] {
				var parts []string
				base := 0.0
				for s, ser := range spec.Series {
					v := values[s][i]
					parts = append(parts, format(raw[s][i])+" "+ser.Label)
					if v == 0 {
						continue
					}
					y0, y1 := ys.y(base), ys.y(base+v)
					g.Rects = append(g.Rects, barRect{Key: ser.Key, X: coord(x - bw/2), Y: coord(y1), W: coord(bw), H: coord(y0 - y1)})
					base += v
				}
				g.Title = date(i) + ": " + strings.Join(parts, ", ")
			}
			c.BarGroups = append(c.BarGroups, g)
		}
	} else {
		for s, ser := range spec.Series {
			l := line{Key: ser.Key, Label: ser.Label}
			var d strings.Builder
			for i := range pts {
				x, y := coord(xs.x(pts[i].Row.ReleaseDate)), coord(ys.y(values[s][i]))
				if i == 0 {
					d.WriteString("M")
				} else {
					d.WriteString(" L")
				}
				d.WriteString(x.String() + "," + y.String())
				l.Markers = append(l.Markers, marker{X: x, Y: y, Title: date(i) + ": " + format(raw[s][i]) + unit + " " + ser.Label})
			}
			l.D = d.String()
			c.Lines = append(c.Lines, l)
		}
	}

	// The table of the same numbers, and the description that sums the
	// chart up for a screen reader.
	c.Table.Header = []string{"date", "snapshot"}
	for _, ser := range spec.Series {
		c.Table.Header = append(c.Table.Header, ser.Label)
	}
	for i := range pts {
		row := []string{date(i), pts[i].Snapshot}
		for s := range spec.Series {
			if has[i] {
				row = append(row, format(raw[s][i]))
			} else {
				row = append(row, "—")
			}
		}
		c.Table.Rows = append(c.Table.Rows, row)
	}
	if !slices.Contains(has, true) {
		c.Empty = "The first snapshot of the history: nothing to compare it with."
	}
	kind := "Line chart"
	if spec.Bars {
		kind = "Stacked bar chart"
	}
	labels := make([]string, len(spec.Series))
	last := make([]string, len(spec.Series))
	for s, ser := range spec.Series {
		labels[s] = ser.Label
		last[s] = format(raw[s][len(pts)-1]) + unit + " " + ser.Label
	}
	c.Desc = kind + " of " + strings.Join(labels, ", ") + " in " + d.Distro + "/" + d.Release + " at " + plural(len(pts), "snapshot") +
		" from " + date(0) + " to " + date(len(pts)-1) + ". "
	if has[len(pts)-1] {
		c.Desc += "At the last: " + strings.Join(last, ", ") + "."
	} else {
		c.Desc += "The only snapshot is the first of the history: nothing to compare it with."
	}
	return c
}

// timeScale maps a date to x.
type timeScale struct {
	t0, t1 time.Time
	x0, x1 float64
	minGap time.Duration // between consecutive points; 0 for one point
	n      int
	first  time.Time
}

// newTimeScale spans the points' dates with half a point's slot of room
// on either side, so that the first and last bars fit; a single point (or
// points all at one time) is placed in its UTC day, from midnight to
// midnight, so that the one tick is its date.
func newTimeScale(pts []TrendPoint, x0, x1 float64) timeScale {
	first, last := pts[0].Row.ReleaseDate, pts[len(pts)-1].Row.ReleaseDate
	s := timeScale{x0: x0, x1: x1, n: len(pts), first: first}
	span := last.Sub(first)
	if span <= 0 {
		s.t0 = first.UTC().Truncate(24 * time.Hour)
		s.t1 = s.t0.Add(24 * time.Hour)
		return s
	}
	for i := 1; i < len(pts); i++ {
		if g := pts[i].Row.ReleaseDate.Sub(pts[i-1].Row.ReleaseDate); g > 0 && (s.minGap == 0 || g < s.minGap) {
			s.minGap = g
		}
	}
	pad := span / time.Duration(len(pts)-1) / 2
	s.t0, s.t1 = first.Add(-pad), last.Add(pad)
	return s
}

func (s timeScale) x(t time.Time) float64 {
	return s.x0 + float64(t.Sub(s.t0))/float64(s.t1.Sub(s.t0))*(s.x1-s.x0)
}

// barWidth is seven tenths of the narrowest slot between two points, at
// least one unit so that every bar shows and at most trendMaxBarW.
func (s timeScale) barWidth() float64 {
	slot := (s.x1 - s.x0) / float64(s.n)
	if s.minGap > 0 {
		slot = min(slot, float64(s.minGap)/float64(s.t1.Sub(s.t0))*(s.x1-s.x0))
	}
	return min(max(slot*0.7, 1), trendMaxBarW)
}

// tickSteps are the date intervals a time axis may be ticked at, finest
// first, with how each labels its ticks.
var tickSteps = []struct {
	days, months int
	layout       string
}{
	{1, 0, dayLayout}, {2, 0, dayLayout}, {7, 0, dayLayout}, {14, 0, dayLayout},
	{0, 1, "2006-01"}, {0, 2, "2006-01"}, {0, 3, "2006-01"}, {0, 6, "2006-01"},
	{0, 12, "2006"}, {0, 24, "2006"}, {0, 60, "2006"}, {0, 120, "2006"}, {0, 600, "2006"},
}

// ticks are UTC midnights (days, Mondays for weeks) or firsts of months
// inside the scale, at the finest step that gives at most trendMaxXTicks.
// Points within one day may span no midnight: the first point's date is
// then the one tick.
func (s timeScale) ticks() []tick {
	for _, st := range tickSteps {
		var at []time.Time
		if st.days > 0 {
			day := s.t0.UTC().Truncate(24 * time.Hour)
			for ; day.Before(s.t1); day = day.Add(24 * time.Hour) {
				// Unix day 4 is a Monday: weeks start on Mondays.
				if n := day.Unix() / 86400; day.Before(s.t0) || (n-4)%int64(st.days) != 0 {
					continue
				}
				at = append(at, day)
				if len(at) > trendMaxXTicks {
					break
				}
			}
		} else {
			y, m, _ := s.t0.UTC().Date()
			for month := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); month.Before(s.t1); month = month.AddDate(0, 1, 0) {
				if month.Before(s.t0) || (month.Year()*12+int(month.Month())-1)%st.months != 0 {
					continue
				}
				at = append(at, month)
				if len(at) > trendMaxXTicks {
					break
				}
			}
		}
		if len(at) > trendMaxXTicks {
			continue
		}
		if len(at) == 0 {
			return []tick{{At: coord(s.x(s.first)), Label: s.first.UTC().Format(dayLayout)}}
		}
		out := make([]tick, len(at))
		for i, t := range at {
			out[i] = tick{At: coord(s.x(t)), Label: t.Format(st.layout)}
		}
		return out
	}
	return nil
}

// valueScale maps a value to y.
type valueScale struct {
	lo, hi float64
	y0, y1 float64 // y of lo and of hi
	ticks  []tick
}

// newValueScale spans [lo, hi] (zero included) rounded out to a step of
// 1, 2 or 5 times a power of ten, at most trendMaxYTicks steps; counts
// step by whole numbers. An all-zero series gets the axis 0 to 1.
func newValueScale(lo, hi float64, counts bool, y0, y1 float64) valueScale {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / trendMaxYTicks
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if counts {
		step = max(step, 1)
	}
	s := valueScale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step, y0: y0, y1: y1}
	// at most trendMaxYTicks steps, and one more for rounding
	for i := 0; i <= trendMaxYTicks+1; i++ {
		v := s.lo + float64(i)*step
		if v > s.hi+step/2 {
			break
		}
		s.ticks = append(s.ticks, tick{At: coord(s.y(v)), Label: compact(v)})
	}
	return s
}

func (s valueScale) y(v float64) float64 {
	return s.y0 + (v-s.lo)/(s.hi-s.lo)*(s.y1-s.y0)
}

// compact labels an axis value in at most five characters or so:
// 1200 → 1.2k, 77000 → 77k, 2500000 → 2.5M.
func compact(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e3:
		return strconv.FormatFloat(math.Round(v/100)/10, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}
