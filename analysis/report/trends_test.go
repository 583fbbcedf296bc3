package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/distroscope/distroscope/datasets"
)

// The trends fixture of testdata/trends/README.md: 30 daily points of
// Debian trixie whose numbers follow formulas written here, so that every
// chart, table and CSV can be checked against numbers known in advance.

var trendsStart = time.Date(2026, 3, 1, 20, 12, 39, 0, time.UTC)

// trendsDay is the fixture's i-th day: March 2026, with the 17th missing
// (no snapshot that day), so the series spans 31 days.
func trendsDay(i int) time.Time {
	if i >= 16 {
		i++
	}
	return trendsStart.AddDate(0, 0, i)
}

func snapshotOf(t time.Time, i int) string {
	return datasets.SnapshotID(t, fmt.Sprintf("%012x", 0x5eed0000+i*7919))
}

// trendPoints is n points of the fixture's formulas (n may exceed 30:
// the days go on), the first the first snapshot of the history.
func trendPoints(n int) []TrendPoint {
	pts := make([]TrendPoint, n)
	packages, prev := int64(61834), ""
	for i := range pts {
		day := trendsDay(i)
		r := datasets.PackageTrendRow{ReleaseDate: day, PreviousSnapshot: prev}
		if i == 0 {
			// The first snapshot of the history: everything is new.
			r.Added, r.NewUpstream = packages, 14210
		} else {
			r.Added, r.Removed, r.Upgraded = int64(10+(i*7)%13), int64(3+(i*5)%7), int64(40+(i*11)%37)
			if i%10 == 3 {
				r.Downgraded = 1
			}
			r.NewUpstream = r.Upgraded / 4
			packages += r.Added - r.Removed
		}
		if i >= 5 { // the nightly started on the sixth day
			r.LogicalDate = day.Truncate(24 * time.Hour)
		}
		r.Packages, r.BinaryNames, r.Sources = packages, packages*52/100, packages*22/100
		r.VersionAgeMedianDays = 118.5 + float64(i)*0.75
		r.VersionAgeMeanDays = 201.25 + float64(i)/3
		r.VersionAgeP90Days = 402 + float64(i%9)
		r.LagMatched, r.LagOutdated = int64(3402+i), int64(611-2*(i%60)+i%5)
		r.Peers = []string{"fedora/42/" + snapshotOf(day.Add(-3*time.Hour), 1000+i), "alpine/v3.22/" + snapshotOf(day.Add(-5*time.Hour), 2000+i)}
		pts[i] = TrendPoint{Snapshot: snapshotOf(day, i), Row: r}
		prev = pts[i].Snapshot
	}
	return pts
}

// outdated builds a lag row outdated since the given day of March 2026.
func outdated(source, project, version, upstream, newest, newestUp, distro, release string, day int, binaries ...string) datasets.PackageLagRow {
	return datasets.PackageLagRow{Source: source, Project: project, Version: version, Upstream: upstream,
		NewestUpstream: newestUp, NewestVersion: newest, NewestDistro: distro, NewestRelease: release,
		OutdatedSince: time.Date(2026, 3, day, 20, 12, 39, 0, time.UTC), Binaries: binaries}
}

// trendLag is the fixture's outdated sources as of its last point, in
// source order as the package_lag dataset keeps them. Versions are those
// of the real packages in spring 2026, trimmed to a dozen.
func trendLag() []datasets.PackageLagRow {
	return []datasets.PackageLagRow{
		outdated("curl", "curl", "8.14.1-2", "8.14.1", "8.15.0-1.fc42", "8.15.0", "fedora", "42", 4, "curl", "libcurl4t64", "libcurl3t64-gnutls", "libcurl4-openssl-dev"),
		outdated("ffmpeg", "ffmpeg", "7:7.1.1-1+b2", "7.1.1", "7.1.2-r0", "7.1.2", "alpine", "v3.22", 22, "ffmpeg", "libavcodec61", "libavformat61"),
		outdated("firefox-esr", "firefox", "128.13.0esr-1", "128.13.0", "141.0-1.fc42", "141.0", "fedora", "42", -40, "firefox-esr"),
		outdated("gimp", "gimp", "3.0.4-3", "3.0.4", "3.0.4-r2", "3.0.4", "alpine", "v3.22", 30, "gimp"),
		outdated("linux-signed-amd64", "linux", "6.12.38+deb13u1", "6.12.38", "6.15.9-201.fc42", "6.15.9", "fedora", "42", -100, "linux-image-amd64"),
		outdated("nginx", "nginx", "1.26.3-3", "1.26.3", "1.28.0-r3", "1.28.0", "alpine", "v3.22", 1, "nginx", "nginx-common", "libnginx-mod-http-geoip"),
		outdated("openssl", "openssl", "3.5.1-1", "3.5.1", "3.5.2-1.fc42", "3.5.2", "fedora", "42", 12, "openssl", "libssl3t64", "libssl-dev"),
		outdated("python3.13", "python", "3.13.5-2", "3.13.5", "3.13.6-r0", "3.13.6", "alpine", "v3.22", 12, "python3.13", "libpython3.13"),
		outdated("rust-ripgrep", "ripgrep", "14.1.1-1", "14.1.1", "14.1.1-r3", "14.1.1", "alpine", "v3.22", 31, "ripgrep"),
		outdated("sqlite3", "sqlite", "3.46.1-7", "3.46.1", "3.50.4-1.fc42", "3.50.4", "fedora", "42", -200, "sqlite3", "libsqlite3-0", "libsqlite3-dev"),
		outdated("vim", "vim", "2:9.1.1230-2", "9.1.1230", "9.1.1623-r0", "9.1.1623", "alpine", "v3.22", 9, "vim", "vim-common", "vim-runtime", "xxd"),
		outdated("zstd", "zstd", "1.5.7+dfsg-1", "1.5.7", "1.5.7-r1", "1.5.7", "alpine", "v3.22", 28, "zstd", "libzstd1"),
	}
}

func trendsFixture() TrendsData {
	pts := trendPoints(30)
	return TrendsData{Distro: "debian", Release: "trixie", Points: pts, Lag: trendLag(), LagSnapshot: pts[len(pts)-1].Snapshot,
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Generated: time.Date(2026, 4, 1, 2, 3, 4, 0, time.UTC), Producer: "distroscope test"}
}

// renderTrends renders d and returns its files by name.
func renderTrends(t *testing.T, d TrendsData) map[string][]byte {
	t.Helper()
	files, err := RenderTrends(d)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Name] = f.Data
	}
	return out
}

func parseTrendsHTML(t *testing.T, d TrendsData) (*html.Node, string) {
	t.Helper()
	page := renderTrends(t, d)[FileTrendsHTML]
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc, string(page)
}

// trendsGolden names the golden file of a rendered file.
func trendsGolden(name string) string {
	return filepath.Join("trends", strings.TrimPrefix(name, "csv/")+".golden")
}

// TestTrendsGolden: every file of the fixture's report, and its terminal
// summary, is byte for byte its golden file.
func TestTrendsGolden(t *testing.T) {
	d := trendsFixture()
	files, err := RenderTrends(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		golden(t, trendsGolden(f.Name), f.Data)
	}
	var b bytes.Buffer
	if err := PrintTrends(&b, d); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("trends", "print.txt.golden"), b.Bytes())
}

// TestTrendsNoStaleGoldenFiles: each golden file in testdata/trends is a
// file of the report (or the terminal summary) that TestTrendsGolden
// compares.
func TestTrendsNoStaleGoldenFiles(t *testing.T) {
	compared := map[string]bool{trendsGolden(FileTrendsHTML): true, filepath.Join("trends", "print.txt.golden"): true}
	for _, name := range TrendsCSVNames {
		compared[trendsGolden("csv/"+name)] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "trends", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(compared) {
		t.Errorf("testdata/trends has %d golden files, the report %d", len(files), len(compared))
	}
	for _, f := range files {
		if rel, _ := filepath.Rel("testdata", f); !compared[rel] {
			t.Errorf("%s is compared by no test: remove it", f)
		}
	}
}

// TestTrendsFiles: the CSVs first, in TrendsCSVNames order, the page last.
func TestTrendsFiles(t *testing.T) {
	files, err := RenderTrends(trendsFixture())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if len(f.Data) == 0 {
			t.Errorf("%s is empty", f.Name)
		}
	}
	want := []string{"csv/counts.csv", "csv/deltas.csv", "csv/new_upstream.csv", "csv/version_age.csv", "csv/lag.csv", "csv/outdated.csv", "trends.html"}
	if !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
}

// readCSV parses a rendered CSV and checks its header.
func readCSV(t *testing.T, data []byte, header []string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], header) {
		t.Fatalf("header %q, want %q", recs[0], header)
	}
	return recs[1:]
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func parseInt(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "; ")
}

// TestTrendsCSVRoundTrip: each per-point CSV parses back to exactly the
// fields of the points it was made of, and outdated.csv to the lag rows,
// longest outdated first, with the days counted to the last point.
func TestTrendsCSVRoundTrip(t *testing.T) {
	d := trendsFixture()
	// a time that is not a whole second, and a float that is not a short
	// decimal, must survive too
	d.Points[7].Row.ReleaseDate = d.Points[7].Row.ReleaseDate.Add(123456789 * time.Nanosecond)
	d.Points[8].Row.VersionAgeMeanDays = 1.0 / 3
	files := renderTrends(t, d)

	got := make([]TrendPoint, len(d.Points))
	// Each CSV fills in its fields; the first, counts, makes the points.
	for i, rec := range readCSV(t, files["csv/"+CSVTrendCounts], countsHeader) {
		got[i] = TrendPoint{Snapshot: rec[1], Row: datasets.PackageTrendRow{ReleaseDate: parseTime(t, rec[0]), LogicalDate: parseTime(t, rec[2]),
			Packages: parseInt(t, rec[3]), BinaryNames: parseInt(t, rec[4]), Sources: parseInt(t, rec[5])}}
	}
	// every later CSV names the same point in its first two columns
	same := func(name string, i int, rec []string) *datasets.PackageTrendRow {
		if i >= len(got) || !parseTime(t, rec[0]).Equal(got[i].Row.ReleaseDate) || rec[1] != got[i].Snapshot {
			t.Fatalf("%s row %d is %q, %q, not point %d", name, i, rec[0], rec[1], i)
		}
		return &got[i].Row
	}
	deltas := readCSV(t, files["csv/"+CSVTrendDeltas], deltasHeader)
	for i, rec := range deltas {
		r := same(CSVTrendDeltas, i, rec)
		r.PreviousSnapshot = rec[2]
		r.Added, r.Removed, r.Upgraded, r.Downgraded = parseInt(t, rec[3]), parseInt(t, rec[4]), parseInt(t, rec[5]), parseInt(t, rec[6])
	}
	fresh := readCSV(t, files["csv/"+CSVTrendNewUpstream], newUpstreamHeader)
	for i, rec := range fresh {
		r := same(CSVTrendNewUpstream, i, rec)
		if rec[2] != r.PreviousSnapshot {
			t.Errorf("new_upstream.csv row %d previous %q, deltas.csv %q", i, rec[2], r.PreviousSnapshot)
		}
		r.NewUpstream = parseInt(t, rec[3])
	}
	ages := readCSV(t, files["csv/"+CSVTrendVersionAge], versionAgeHeader)
	for i, rec := range ages {
		r := same(CSVTrendVersionAge, i, rec)
		r.VersionAgeMedianDays, r.VersionAgeMeanDays, r.VersionAgeP90Days = parseFloat(t, rec[2]), parseFloat(t, rec[3]), parseFloat(t, rec[4])
	}
	lag := readCSV(t, files["csv/"+CSVTrendLag], lagSeriesHeader)
	for i, rec := range lag {
		r := same(CSVTrendLag, i, rec)
		r.LagOutdated, r.LagMatched, r.Peers = parseInt(t, rec[2]), parseInt(t, rec[3]), splitList(rec[4])
	}
	for name, n := range map[string]int{CSVTrendDeltas: len(deltas), CSVTrendNewUpstream: len(fresh), CSVTrendVersionAge: len(ages), CSVTrendLag: len(lag)} {
		if n != len(d.Points) {
			t.Errorf("%s has %d rows, want %d", name, n, len(d.Points))
		}
	}
	for i := range d.Points {
		w, g := d.Points[i], got[i]
		if g.Snapshot != w.Snapshot || !g.Row.ReleaseDate.Equal(w.Row.ReleaseDate) || !g.Row.LogicalDate.Equal(w.Row.LogicalDate) {
			t.Errorf("point %d from the CSVs: %s %v %v, want %s %v %v", i, g.Snapshot, g.Row.ReleaseDate, g.Row.LogicalDate, w.Snapshot, w.Row.ReleaseDate, w.Row.LogicalDate)
		}
		// the times compared, the rest is compared whole
		g.Row.ReleaseDate, g.Row.LogicalDate, w.Row.ReleaseDate, w.Row.LogicalDate = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if fmt.Sprintf("%#v", g.Row) != fmt.Sprintf("%#v", w.Row) {
			t.Errorf("point %d from the CSVs:\n %+v\nwant\n %+v", i, g.Row, w.Row)
		}
	}

	// outdated.csv: every lag row, longest outdated first (then by
	// source), sorted here by hand.
	want := trendLag()
	slices.SortStableFunc(want, func(a, b datasets.PackageLagRow) int {
		if !a.OutdatedSince.Equal(b.OutdatedSince) {
			if a.OutdatedSince.Before(b.OutdatedSince) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Source, b.Source)
	})
	last := d.Points[len(d.Points)-1].Row.ReleaseDate
	rows := readCSV(t, files["csv/"+CSVTrendOutdated], outdatedHeader)
	if len(rows) != len(want) {
		t.Fatalf("outdated.csv has %d rows, want %d", len(rows), len(want))
	}
	for i, rec := range rows {
		g := datasets.PackageLagRow{Source: rec[0], Project: rec[1], Version: rec[2], Upstream: rec[3], NewestUpstream: rec[4],
			NewestVersion: rec[5], NewestDistro: rec[6], NewestRelease: rec[7], OutdatedSince: parseTime(t, rec[8]), Binaries: splitList(rec[10])}
		w := want[i]
		if !g.OutdatedSince.Equal(w.OutdatedSince) {
			t.Errorf("outdated row %d since %v, want %v", i, g.OutdatedSince, w.OutdatedSince)
		}
		g.OutdatedSince, w.OutdatedSince = time.Time{}, time.Time{}
		if fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", w) {
			t.Errorf("outdated row %d:\n %+v\nwant\n %+v", i, g, w)
		}
		if days := int64(last.Sub(want[i].OutdatedSince).Hours() / 24); parseInt(t, rec[9]) != days {
			t.Errorf("outdated row %d (%s): %s days, want %d", i, rec[0], rec[9], days)
		}
	}
	if rows[0][0] != "sqlite3" || rows[len(rows)-1][0] != "rust-ripgrep" {
		t.Errorf("outdated.csv runs %s … %s, want sqlite3 (longest) … rust-ripgrep (newest)", rows[0][0], rows[len(rows)-1][0])
	}
}

// TestTrendsDoesNotChangeData: the lag rows keep the caller's order.
func TestTrendsDoesNotChangeData(t *testing.T) {
	d := trendsFixture()
	renderTrends(t, d)
	if fmt.Sprint(d.Lag) != fmt.Sprint(trendLag()) {
		t.Error("RenderTrends reordered or changed the caller's lag rows")
	}
}

// attr is the value of an element's attribute.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && slices.Contains(strings.Fields(attr(n, "class")), class)
}

// elements are the elements under n with the given tag and class ("" for
// any).
func elements(n *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	walk(n, func(c *html.Node) {
		if c.Type == html.ElementNode && c.Data == tag && (class == "" || hasClass(c, class)) {
			out = append(out, c)
		}
	})
	return out
}

func num(t *testing.T, n *html.Node, key string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(attr(n, key), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		t.Fatalf("<%s %s=%q>: not a finite number", n.Data, key, attr(n, key))
	}
	return v
}

// pathVertices are the points of a path's "M x,y L x,y …" data.
func pathVertices(t *testing.T, d string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	for _, f := range strings.Fields(d) {
		f = strings.TrimLeft(f, "ML")
		x, y, ok := strings.Cut(f, ",")
		a, err1 := strconv.ParseFloat(x, 64)
		b, err2 := strconv.ParseFloat(y, 64)
		if !ok || err1 != nil || err2 != nil || math.IsNaN(a+b) || math.IsInf(a+b, 0) {
			t.Fatalf("path vertex %q", f)
		}
		out = append(out, [2]float64{a, b})
	}
	return out
}

// affine checks that y = a + b·value for every (value, y) pair, with b
// < 0 (up is more), to the 0.1-unit precision of the coordinates: the
// slope is taken between the smallest and the largest value.
func affine(t *testing.T, what string, values, ys []float64) {
	t.Helper()
	if len(values) == 0 {
		return
	}
	lo, hi := 0, 0
	for k := range values {
		if values[k] < values[lo] {
			lo = k
		}
		if values[k] > values[hi] {
			hi = k
		}
	}
	if math.Abs(ys[hi]-ys[lo]) < 0.2 {
		// too close to tell apart: all drawn at one height
		for k := range ys {
			if math.Abs(ys[k]-ys[lo]) > 0.2 {
				t.Errorf("%s: values %v to %v drawn at %v and at %v", what, values[lo], values[hi], ys[lo], ys[k])
			}
		}
		return
	}
	b := (ys[hi] - ys[lo]) / (values[hi] - values[lo])
	if b >= 0 {
		t.Errorf("%s: a larger value is not drawn higher", what)
	}
	for k := range values {
		if want := ys[lo] + b*(values[k]-values[lo]); math.Abs(ys[k]-want) > 0.15 {
			t.Errorf("%s: value %v at y %v, want %v", what, values[k], ys[k], want)
		}
	}
}

// drawn is the value a chart draws for v: zero for what is not a number.
func drawn(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// checkCharts checks every chart of d's page: one marker per point per
// line, a path with one vertex per point, one bar per point, every
// coordinate finite and inside the chart, heights proportional to the
// values, dated x ticks, and the table of numbers one row per point.
func checkCharts(t *testing.T, d TrendsData) {
	t.Helper()
	doc, _ := parseTrendsHTML(t, d)
	ids := byID(doc)
	n := len(d.Points)
	for _, spec := range trendCharts {
		fig := ids["chart-"+spec.ID]
		if fig == nil {
			t.Errorf("no chart %s", spec.ID)
			continue
		}
		svgs := elements(fig, "svg", "chart")
		if len(svgs) != 1 {
			t.Fatalf("chart %s has %d svg elements", spec.ID, len(svgs))
		}
		svg := svgs[0]
		w, h := num(t, svg, "width"), num(t, svg, "height")
		inside := func(e *html.Node, x, y float64) {
			if x < 0 || x > w || y < 0 || y > h {
				t.Errorf("chart %s: <%s> at (%v, %v) is outside the %vx%v chart", spec.ID, e.Data, x, y, w, h)
			}
		}
		if ts := elements(svg, "title", ""); len(ts) == 0 || text(ts[0]) != spec.Title {
			t.Errorf("chart %s: no <title> %q first", spec.ID, spec.Title)
		}
		if ds := elements(svg, "desc", ""); len(ds) != 1 || !strings.Contains(text(ds[0]), plural(n, "snapshot")) {
			t.Errorf("chart %s: <desc> does not say it has %s", spec.ID, plural(n, "snapshot"))
		}
		if got := attr(svg, "aria-labelledby"); got != "chart-"+spec.ID+"-title chart-"+spec.ID+"-desc" {
			t.Errorf("chart %s: aria-labelledby %q", spec.ID, got)
		}
		xt := elements(elements(svg, "g", "x")[0], "text", "")
		if len(xt) == 0 || len(xt) > trendMaxXTicks {
			t.Errorf("chart %s: %d x ticks, want 1 to %d", spec.ID, len(xt), trendMaxXTicks)
		}
		for _, e := range xt {
			if _, err := time.Parse(dayLayout[:len(text(e))], text(e)); err != nil {
				t.Errorf("chart %s: x tick %q is not a date", spec.ID, text(e))
			}
			inside(e, num(t, e, "x"), num(t, e, "y"))
		}
		if yt := elements(elements(svg, "g", "y")[0], "text", ""); len(yt) < 2 {
			t.Errorf("chart %s: %d y ticks, want at least 2", spec.ID, len(yt))
		}

		has := func(i int) bool { return !spec.Deltas || !isFirst(d.Points[i]) }
		empty := elements(svg, "text", "empty")
		if want := spec.Deltas && n == 1 && isFirst(d.Points[0]); (len(empty) == 1) != want {
			t.Errorf("chart %s: %d notes that it has nothing to show, want one: %v", spec.ID, len(empty), want)
		}
		if spec.Bars {
			groups := elements(svg, "g", "bar")
			if len(groups) != n {
				t.Fatalf("chart %s: %d bars, want %d (one per point)", spec.ID, len(groups), n)
			}
			var sums, tops []float64
			bottom := float64(trendH - trendBottom)
			for i, g := range groups {
				rects := elements(g, "rect", "")
				var sum float64
				for _, s := range spec.Series {
					sum += drawn(s.Value(&d.Points[i].Row))
				}
				if !has(i) {
					if len(rects) != 0 {
						t.Errorf("chart %s: the first snapshot of the history has a bar", spec.ID)
					}
					continue
				}
				top := bottom
				for _, r := range rects {
					x, y, rw, rh := num(t, r, "x"), num(t, r, "y"), num(t, r, "width"), num(t, r, "height")
					inside(r, x, y)
					inside(r, x+rw, y+rh)
					if rw < 1 || rh <= 0 {
						t.Errorf("chart %s: bar %d has a %vx%v rect", spec.ID, i, rw, rh)
					}
					top = min(top, y)
				}
				sums, tops = append(sums, sum), append(tops, top)
			}
			affine(t, "chart "+spec.ID+" bar tops", sums, tops)
		} else {
			lines := elements(svg, "g", "points")
			paths := elements(elements(svg, "g", "lines")[0], "path", "")
			if len(lines) != len(spec.Series) || len(paths) != len(spec.Series) {
				t.Fatalf("chart %s: %d marker groups and %d paths, want %d of each", spec.ID, len(lines), len(paths), len(spec.Series))
			}
			for s, g := range lines {
				circles := elements(g, "circle", "")
				vertices := pathVertices(t, attr(paths[s], "d"))
				if len(circles) != n || len(vertices) != n {
					t.Fatalf("chart %s series %s: %d markers, %d path vertices, want %d", spec.ID, spec.Series[s].Key, len(circles), len(vertices), n)
				}
				var values, ys []float64
				for i, c := range circles {
					x, y := num(t, c, "cx"), num(t, c, "cy")
					inside(c, x, y)
					if vertices[i] != [2]float64{x, y} {
						t.Errorf("chart %s: vertex %d %v, marker at (%v, %v)", spec.ID, i, vertices[i], x, y)
					}
					values, ys = append(values, drawn(spec.Series[s].Value(&d.Points[i].Row))), append(ys, y)
				}
				affine(t, "chart "+spec.ID+" "+spec.Series[s].Key, values, ys)
			}
		}

		// the table of the same numbers
		rows := tableRows(t, doc, "chart-"+spec.ID+"-numbers")
		if len(rows) != n {
			t.Fatalf("chart %s: %d table rows, want %d", spec.ID, len(rows), n)
		}
		for i, row := range rows {
			want := []string{d.Points[i].Row.ReleaseDate.UTC().Format(dayLayout), d.Points[i].Snapshot}
			for _, s := range spec.Series {
				v := s.Value(&d.Points[i].Row)
				switch {
				case !has(i):
					want = append(want, "—")
				case spec.Days:
					want = append(want, strconv.FormatFloat(v, 'f', 1, 64))
				default:
					want = append(want, strconv.FormatInt(int64(v), 10))
				}
			}
			if !slices.Equal(row, want) {
				t.Errorf("chart %s table row %d = %q, want %q", spec.ID, i, row, want)
			}
		}
	}
}

// TestTrendsCharts: the charts of the fixture, of one point, of two, of a
// year of daily points, of an all-zero series and of points crowded into
// one day all draw one mark per point inside the chart.
func TestTrendsCharts(t *testing.T) {
	zero := trendsFixture()
	for i := range zero.Points {
		r := &zero.Points[i].Row
		*r = datasets.PackageTrendRow{ReleaseDate: r.ReleaseDate, PreviousSnapshot: r.PreviousSnapshot}
	}
	notANumber := trendsFixture()
	notANumber.Points[3].Row.VersionAgeMedianDays = math.NaN()
	notANumber.Points[4].Row.VersionAgeP90Days = math.Inf(1)
	sameDay := trendsFixture()
	sameDay.Points = trendPoints(4)
	for i := range sameDay.Points {
		sameDay.Points[i].Row.ReleaseDate = trendsStart.Add(time.Duration(i) * time.Minute)
	}
	cases := []struct {
		name string
		d    TrendsData
	}{
		{"fixture", trendsFixture()},
		{"one point", withPoints(trendPoints(1))},
		{"one point after the first", withPoints(trendPoints(2)[1:])},
		{"two points", withPoints(trendPoints(2))},
		{"a year", withPoints(trendPoints(365))},
		{"all zero", zero},
		{"not a number", notANumber},
		{"one day", sameDay},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkCharts(t, c.d) })
	}
}

func withPoints(pts []TrendPoint) TrendsData {
	d := trendsFixture()
	d.Points = pts
	d.LagSnapshot = pts[len(pts)-1].Snapshot
	return d
}

// TestTrendsTicks: a time axis is ticked at the finest step with at most
// trendMaxXTicks ticks, labelled by what the step resolves.
func TestTrendsTicks(t *testing.T) {
	at := func(days int) []TrendPoint {
		pts := trendPoints(2)
		pts[1].Row.ReleaseDate = pts[0].Row.ReleaseDate.AddDate(0, 0, days)
		return pts
	}
	for _, c := range []struct {
		name string
		pts  []TrendPoint
		want []string
	}{
		{"one point", trendPoints(1), []string{"2026-03-01"}},
		{"a week", trendPoints(7), []string{"2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"}},
		{"a month", trendPoints(30), []string{"2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"}},
		{"a year", trendPoints(365), []string{"2026-05", "2026-07", "2026-09", "2026-11", "2027-01", "2027-03"}},
		// two points ten years apart: five years of room either side
		{"ten years", at(3650), []string{"2025", "2030", "2035", "2040"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, tk := range newTimeScale(c.pts, trendLeft, trendW-trendRight).ticks() {
				got = append(got, tk.Label)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("ticks %q, want %q", got, c.want)
			}
		})
	}
}

// TestTrendsValueScale: y ticks are round, start at zero, cover the
// largest value, and an all-zero series still has an axis.
func TestTrendsValueScale(t *testing.T) {
	for _, c := range []struct {
		hi     float64
		counts bool
		want   []string
	}{
		{0, true, []string{"0", "1"}},
		{3, true, []string{"0", "1", "2", "3"}},
		{61834, true, []string{"0", "20k", "40k", "60k", "80k"}},
		{0.4, false, []string{"0", "0.1", "0.2", "0.3", "0.4"}},
		{431.5, false, []string{"0", "100", "200", "300", "400", "500"}},
		{2.5e6, true, []string{"0", "500k", "1M", "1.5M", "2M", "2.5M"}},
	} {
		var got []string
		for _, tk := range newValueScale(0, c.hi, c.counts, 266, 34).ticks {
			got = append(got, tk.Label)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("ticks up to %v = %q, want %q", c.hi, got, c.want)
		}
	}
}

// TestTrendsHTMLSelfContained: like the compare report, the page opens
// offline: no script, nothing fetched, no URL, and a Content Security
// Policy that forbids loading anything should one slip in.
func TestTrendsHTMLSelfContained(t *testing.T) {
	doc, page := parseTrendsHTML(t, trendsFixture())
	checkSelfContained(t, doc, page)
	csp := ""
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "meta" && strings.EqualFold(attr(n, "http-equiv"), "content-security-policy") {
			csp = attr(n, "content")
		}
	})
	if !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q, want one starting default-src 'none'", csp)
	}
}

func checkSelfContained(t *testing.T, doc *html.Node, page string) {
	t.Helper()
	// any http but the meta element's http-equiv
	lower := strings.ToLower(page)
	for i := strings.Index(lower, "http"); i >= 0; {
		if !strings.HasPrefix(lower[i:], "http-equiv=") {
			t.Errorf("page mentions http at byte %d: %q", i, page[max(i-40, 0):min(i+40, len(page))])
		}
		j := strings.Index(lower[i+1:], "http")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if strings.Contains(page, "url(") || strings.Contains(page, "@import") {
		t.Error("CSS loads a resource")
	}
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject":
			t.Errorf("page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			switch strings.ToLower(a.Key) {
			case "src", "href", "xlink:href", "srcset", "action", "style":
				t.Errorf("<%s %s=%q> references a resource or styles inline", n.Data, a.Key, a.Val)
			}
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s> has an event handler %s", n.Data, a.Key)
			}
		}
	})
}

const hostileQuote = `x"' onmouseover="alert(3)`

// hostileTrends puts markup and quotes wherever a name from repository
// metadata or the catalogue lands.
func hostileTrends() TrendsData {
	d := trendsFixture()
	d.Release = `</title><script>alert(2)</script>`
	d.Points[3].Snapshot = hostile
	d.Points[29].Row.Peers = []string{hostile, hostileQuote}
	d.Lag = append(d.Lag, outdated(hostile, hostileQuote, `1.0"><img src=x onerror=alert(1)>`, "1.0", hostileQuote, "2.0",
		"<b>evil</b>", hostile, 2, hostile))
	d.Producer = hostileQuote
	return d
}

// TestTrendsHTMLEscapesHostileNames: markup and quotes in names stay
// text: no element, attribute or script comes of them.
func TestTrendsHTMLEscapesHostileNames(t *testing.T) {
	d := hostileTrends()
	doc, page := parseTrendsHTML(t, d)
	checkSelfContained(t, doc, page)
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "b" || n.Data == "img") {
			t.Errorf("hostile text became a <%s> element", n.Data)
		}
	})
	if strings.Contains(page, "<script") {
		t.Error("page holds a raw <script")
	}
	shown := text(byID(doc)["outdated"])
	for _, s := range []string{hostile, hostileQuote, `1.0"><img src=x onerror=alert(1)>`, "<b>evil</b>/" + hostile} {
		if !strings.Contains(shown, s) {
			t.Errorf("the outdated table does not show %q as text", s)
		}
	}
	if got := text(byID(doc)["title"]); !strings.Contains(got, d.Release) {
		t.Errorf("title %q does not show the release as text", got)
	}
	if got := tableRows(t, doc, "chart-counts-numbers")[3][1]; got != hostile {
		t.Errorf("the hostile snapshot shows as %q", got)
	}
	if !strings.Contains(text(byID(doc)["chart-counts"]), d.Release) {
		t.Error("the chart's description does not name the release as text")
	}
}

// TestPrintTrendsEscapesControls: a name cannot send escape sequences to
// the terminal or break the columns.
func TestPrintTrendsEscapesControls(t *testing.T) {
	d := trendsFixture()
	d.Lag = []datasets.PackageLagRow{outdated("evil\x1b[2J\rsource", "evil", "1.0\t2", "1.0", "2.0", "2.0", "fedora", "42", 3)}
	var b bytes.Buffer
	if err := PrintTrends(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\r") {
		t.Errorf("output holds a control character:\n%q", out)
	}
	if !strings.Contains(out, `evil\x1b[2J\rsource`) || !strings.Contains(out, `1.0\t2`) {
		t.Errorf("output does not show the names escaped:\n%s", out)
	}
}

// TestPrintTrends: one line per point with the point's numbers, the first
// of the history saying so, then the sources outdated longest.
func TestPrintTrends(t *testing.T) {
	d := trendsFixture()
	var b bytes.Buffer
	if err := PrintTrends(&b, d); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "debian/trixie: 30 snapshots, 2026-03-01 → 2026-03-31 (since 2026-03-01)") {
		t.Errorf("first line %q", lines[0])
	}
	for i, p := range d.Points {
		f := strings.Fields(lines[2+i])
		r := p.Row
		want := []string{r.ReleaseDate.Format(dayLayout), p.Snapshot, strconv.FormatInt(r.Packages, 10)}
		if i == 0 {
			want = append(want, "first", "snapshot", "-")
		} else {
			want = append(want, fmt.Sprintf("+%d", r.Added), fmt.Sprintf("−%d", r.Removed), fmt.Sprintf("↑%d", r.Upgraded))
			if r.Downgraded > 0 {
				want = append(want, fmt.Sprintf("↓%d", r.Downgraded))
			}
			want = append(want, strconv.FormatInt(r.NewUpstream, 10))
		}
		want = append(want, strconv.FormatFloat(r.VersionAgeMedianDays, 'f', 1, 64), "d", fmt.Sprintf("%d/%d", r.LagOutdated, r.LagMatched))
		if !slices.Equal(f, want) {
			t.Errorf("line of point %d = %q, want %q", i, f, want)
		}
	}
	rest := strings.Join(lines[2+len(d.Points):], "\n")
	if !strings.Contains(rest, "(12 of 12; all in csv/outdated.csv)") {
		t.Errorf("no count of the outdated sources in:\n%s", rest)
	}
	if i, j := strings.Index(rest, "sqlite3"), strings.Index(rest, "rust-ripgrep"); i < 0 || j < i {
		t.Errorf("outdated sources not longest first:\n%s", rest)
	}
}

// TestTrendsOutdatedCut: the page lists MaxRows outdated sources, longest
// first, and says how many there are; the CSV has them all.
func TestTrendsOutdatedCut(t *testing.T) {
	d := trendsFixture()
	d.MaxRows = 5
	doc, _ := parseTrendsHTML(t, d)
	rows := tableRows(t, doc, "outdated")
	if len(rows) != 5 {
		t.Fatalf("page lists %d outdated sources, want 5", len(rows))
	}
	want := [][]string{
		{"sqlite3 (sqlite)", "3.46.1-7", "3.50.4-1.fc42", "fedora/42", "2025-08-12", "231", "3"},
		{"linux-signed-amd64 (linux)", "6.12.38+deb13u1", "6.15.9-201.fc42", "fedora/42", "2025-11-20", "131", "1"},
		{"firefox-esr (firefox)", "128.13.0esr-1", "141.0-1.fc42", "fedora/42", "2026-01-19", "71", "1"},
		{"nginx", "1.26.3-3", "1.28.0-r3", "alpine/v3.22", "2026-03-01", "30", "3"},
		{"curl", "8.14.1-2", "8.15.0-1.fc42", "fedora/42", "2026-03-04", "27", "4"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("outdated rows\n %q\nwant\n %q", rows, want)
	}
	if got := text(byID(doc)["rows-outdated"]); got != "12" {
		t.Errorf("#rows-outdated = %q, want 12", got)
	}
	if n := len(readCSV(t, renderTrends(t, d)["csv/"+CSVTrendOutdated], outdatedHeader)); n != 12 {
		t.Errorf("outdated.csv has %d rows, want 12", n)
	}
}

// TestTrendsNoPoints: a range with no snapshot still gives a page saying
// so, and CSVs with their headers only.
func TestTrendsNoPoints(t *testing.T) {
	d := trendsFixture()
	d.Points, d.Lag, d.LagSnapshot = nil, nil, ""
	d.Until = d.Since.AddDate(0, 0, 1)
	files := renderTrends(t, d)
	doc, err := html.Parse(bytes.NewReader(files[FileTrendsHTML]))
	if err != nil {
		t.Fatal(err)
	}
	if byID(doc)["no-points"] == nil {
		t.Error("the page does not say there is no snapshot")
	}
	for _, name := range TrendsCSVNames {
		if lines := strings.Count(string(files["csv/"+name]), "\n"); lines != 1 {
			t.Errorf("%s has %d lines, want the header only", name, lines)
		}
	}
	var b bytes.Buffer
	if err := PrintTrends(&b, d); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "debian/trixie: no snapshot (2026-03-01 to 2026-03-02)\n" {
		t.Errorf("PrintTrends = %q", got)
	}
}

// TestTrendsPointsOutOfOrder: points not in date order are refused,
// naming the point.
func TestTrendsPointsOutOfOrder(t *testing.T) {
	d := trendsFixture()
	d.Points[4], d.Points[5] = d.Points[5], d.Points[4]
	_, err := RenderTrends(d)
	if err == nil || !strings.Contains(err.Error(), "point 5 ("+d.Points[5].Snapshot) {
		t.Errorf("RenderTrends: %v, want an error naming point 5", err)
	}
	if err := PrintTrends(new(bytes.Buffer), d); err == nil {
		t.Error("PrintTrends took points out of order")
	}
}
