package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/distroscope/distroscope/datasets"
)

// The trends report of one release: its series over a range of snapshots
// (the package_trends rows) and its outdated sources as of the last one
// (the package_lag rows), as one self-contained HTML page with a chart per
// series, one CSV per chart and the terminal summary. Like the compare
// report's page it has no script and fetches nothing: the charts are SVG
// laid out here (trends_svg.go), and every value, package names above all,
// is escaped by html/template.

// TrendsData is what a trends report shows.
type TrendsData struct {
	Distro, Release string
	// Points are in date order; the caller has already picked the last
	// snapshot of each day when asked for a daily series.
	Points []TrendPoint
	// Lag is the release's outdated sources as of the last point, in any
	// order: the report lists them longest outdated first.
	Lag         []datasets.PackageLagRow
	LagSnapshot string
	// Since and Until are the range asked for; zero means open.
	Since, Until time.Time
	Generated    time.Time
	Producer     string
	// MaxRows caps the outdated sources the HTML page lists (the CSV has
	// them all); zero means DefaultMaxRows.
	MaxRows int
}

// TrendPoint is one snapshot of the series.
type TrendPoint struct {
	Snapshot string
	Row      datasets.PackageTrendRow
}

// The files of a trends report. The page is FileTrendsHTML; each CSV is
// stored as "csv/<name>", as the compare report's are.
const (
	FileTrendsHTML = "trends.html"
	// One row per point: release_date, snapshot, logical_date, packages,
	// binary_names, sources.
	CSVTrendCounts = "counts.csv"
	// One row per point: release_date, snapshot, previous_snapshot, added,
	// removed, upgraded, downgraded (as the trends row has them, also for
	// the first snapshot of the history, which the chart leaves empty).
	CSVTrendDeltas = "deltas.csv"
	// One row per point: release_date, snapshot, previous_snapshot,
	// new_upstream.
	CSVTrendNewUpstream = "new_upstream.csv"
	// One row per point: release_date, snapshot, median_days, mean_days,
	// p90_days.
	CSVTrendVersionAge = "version_age.csv"
	// One row per point: release_date, snapshot, outdated, matched, peers
	// ("; "-separated distro/release/snapshot).
	CSVTrendLag = "lag.csv"
	// Every outdated source of TrendsData.Lag, longest outdated first:
	// source, project, version, upstream, newest_upstream, newest_version,
	// newest_distro, newest_release, outdated_since, outdated_days,
	// binaries ("; "-separated).
	CSVTrendOutdated = "outdated.csv"
)

// TrendsCSVNames are the CSV files of a trends report, in the order the
// page shows them.
var TrendsCSVNames = []string{CSVTrendCounts, CSVTrendDeltas, CSVTrendNewUpstream, CSVTrendVersionAge, CSVTrendLag, CSVTrendOutdated}

// trendsPrintTop is how many outdated sources PrintTrends lists.
const trendsPrintTop = 20

// timeCSV is how times are written in the CSVs: exact to the nanosecond,
// so that a CSV parses back to the very rows it was made of.
const timeCSV = time.RFC3339Nano

// dayLayout is how a point's date is shown.
const dayLayout = "2006-01-02"

//go:embed trends.html.tmpl
var trendsSource string

var trendsTemplate = template.Must(template.New("trends.html").Parse(trendsSource))

// RenderTrends renders the trends report into memory: every CSV as
// "csv/<name>" in TrendsCSVNames order, then FileTrendsHTML last, so that
// a store receiving them in order holds the page only once the rest is
// there. A year of daily points with a lag table of a whole release is a
// few megabytes, so the files are rendered whole rather than streamed.
func RenderTrends(d TrendsData) ([]File, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	lag := sortedLag(d.Lag)
	files := make([]File, 0, len(TrendsCSVNames)+1)
	for _, name := range TrendsCSVNames {
		var b bytes.Buffer
		if err := writeTrendsCSV(&b, name, d, lag); err != nil {
			return nil, fmt.Errorf("report: writing %s of the trends of %s/%s: %w", name, d.Distro, d.Release, err)
		}
		files = append(files, File{Name: "csv/" + name, Data: b.Bytes()})
	}
	var page bytes.Buffer
	if err := trendsTemplate.Execute(&page, newTrendsView(d, lag)); err != nil {
		return nil, fmt.Errorf("report: HTML of the trends of %s/%s: %w", d.Distro, d.Release, err)
	}
	return append(files, File{Name: FileTrendsHTML, Data: page.Bytes()}), nil
}

// validate checks the promise the charts rely on: points in date order.
func (d *TrendsData) validate() error {
	for i := 1; i < len(d.Points); i++ {
		if d.Points[i].Row.ReleaseDate.Before(d.Points[i-1].Row.ReleaseDate) {
			return fmt.Errorf("report: trends of %s/%s: point %d (%s, %s) is dated before point %d (%s, %s): points must be in date order",
				d.Distro, d.Release, i, d.Points[i].Snapshot, d.Points[i].Row.ReleaseDate.Format(timeCSV),
				i-1, d.Points[i-1].Snapshot, d.Points[i-1].Row.ReleaseDate.Format(timeCSV))
		}
	}
	return nil
}

// sortedLag is a copy of lag, longest outdated first, then by source: the
// caller's rows keep their order.
func sortedLag(lag []datasets.PackageLagRow) []*datasets.PackageLagRow {
	out := make([]*datasets.PackageLagRow, len(lag))
	for i := range lag {
		out[i] = &lag[i]
	}
	slices.SortStableFunc(out, func(a, b *datasets.PackageLagRow) int {
		if c := a.OutdatedSince.Compare(b.OutdatedSince); c != 0 {
			return c
		}
		return strings.Compare(a.Source, b.Source)
	})
	return out
}

// lagDate is the date the outdated days are counted to: the last point's,
// else when the report was made.
func (d *TrendsData) lagDate() time.Time {
	if n := len(d.Points); n > 0 {
		return d.Points[n-1].Row.ReleaseDate
	}
	return d.Generated
}

// outdatedDays is how many whole days a source has been outdated at the
// report's lag date.
func outdatedDays(since, at time.Time) int64 {
	if at.Before(since) {
		return 0
	}
	return int64(at.Sub(since) / (24 * time.Hour))
}

// isFirst says whether a point is the first of the release's history: its
// deltas are against nothing, so the charts leave them out.
func isFirst(p TrendPoint) bool { return p.Row.PreviousSnapshot == "" }

// Headers of the per-point CSVs.
var (
	countsHeader      = []string{"release_date", "snapshot", "logical_date", "packages", "binary_names", "sources"}
	deltasHeader      = []string{"release_date", "snapshot", "previous_snapshot", "added", "removed", "upgraded", "downgraded"}
	newUpstreamHeader = []string{"release_date", "snapshot", "previous_snapshot", "new_upstream"}
	versionAgeHeader  = []string{"release_date", "snapshot", "median_days", "mean_days", "p90_days"}
	lagSeriesHeader   = []string{"release_date", "snapshot", "outdated", "matched", "peers"}
	outdatedHeader    = []string{"source", "project", "version", "upstream", "newest_upstream", "newest_version",
		"newest_distro", "newest_release", "outdated_since", "outdated_days", "binaries"}
)

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeCSV)
}

func csvInt(n int64) string { return strconv.FormatInt(n, 10) }

// csvFloat writes the shortest text that parses back to f exactly.
func csvFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func writeTrendsCSV(w io.Writer, name string, d TrendsData, lag []*datasets.PackageLagRow) error {
	cw := newCSVWriter(w)
	var err error
	switch name {
	case CSVTrendCounts:
		err = writeTable(cw, countsHeader, d.Points, func(rec []string, _ *lists, p TrendPoint) {
			r := &p.Row
			rec[0], rec[1], rec[2] = csvTime(r.ReleaseDate), p.Snapshot, csvTime(r.LogicalDate)
			rec[3], rec[4], rec[5] = csvInt(r.Packages), csvInt(r.BinaryNames), csvInt(r.Sources)
		})
	case CSVTrendDeltas:
		err = writeTable(cw, deltasHeader, d.Points, func(rec []string, _ *lists, p TrendPoint) {
			r := &p.Row
			rec[0], rec[1], rec[2] = csvTime(r.ReleaseDate), p.Snapshot, r.PreviousSnapshot
			rec[3], rec[4], rec[5], rec[6] = csvInt(r.Added), csvInt(r.Removed), csvInt(r.Upgraded), csvInt(r.Downgraded)
		})
	case CSVTrendNewUpstream:
		err = writeTable(cw, newUpstreamHeader, d.Points, func(rec []string, _ *lists, p TrendPoint) {
			rec[0], rec[1], rec[2], rec[3] = csvTime(p.Row.ReleaseDate), p.Snapshot, p.Row.PreviousSnapshot, csvInt(p.Row.NewUpstream)
		})
	case CSVTrendVersionAge:
		err = writeTable(cw, versionAgeHeader, d.Points, func(rec []string, _ *lists, p TrendPoint) {
			r := &p.Row
			rec[0], rec[1] = csvTime(r.ReleaseDate), p.Snapshot
			rec[2], rec[3], rec[4] = csvFloat(r.VersionAgeMedianDays), csvFloat(r.VersionAgeMeanDays), csvFloat(r.VersionAgeP90Days)
		})
	case CSVTrendLag:
		err = writeTable(cw, lagSeriesHeader, d.Points, func(rec []string, l *lists, p TrendPoint) {
			l.reset()
			rec[0], rec[1], rec[2], rec[3], rec[4] = csvTime(p.Row.ReleaseDate), p.Snapshot, csvInt(p.Row.LagOutdated), csvInt(p.Row.LagMatched), l.join(p.Row.Peers)
		})
	case CSVTrendOutdated:
		at := d.lagDate()
		err = writeTable(cw, outdatedHeader, lag, func(rec []string, l *lists, r *datasets.PackageLagRow) {
			l.reset()
			rec[0], rec[1], rec[2], rec[3], rec[4] = r.Source, r.Project, r.Version, r.Upstream, r.NewestUpstream
			rec[5], rec[6], rec[7], rec[8] = r.NewestVersion, r.NewestDistro, r.NewestRelease, csvTime(r.OutdatedSince)
			rec[9], rec[10] = csvInt(outdatedDays(r.OutdatedSince, at)), l.join(r.Binaries)
		})
	default:
		return fmt.Errorf("no trends CSV table %q", name)
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	return err
}

// PrintTrends writes the series for a terminal: one line per point (date,
// snapshot, packages, +added −removed ↑upgraded, new upstream versions,
// median version age, outdated/matched sources), then the sources
// outdated longest. Names come from repository metadata, so control
// characters in them are shown escaped rather than sent to the terminal.
func PrintTrends(w io.Writer, d TrendsData) error {
	if err := d.validate(); err != nil {
		return err
	}
	name := printable(d.Distro + "/" + d.Release)
	if len(d.Points) == 0 {
		_, err := fmt.Fprintf(w, "%s: no snapshot%s\n", name, rangeText(d.Since, d.Until))
		return err
	}
	first, last := d.Points[0].Row.ReleaseDate, d.Points[len(d.Points)-1].Row.ReleaseDate
	fmt.Fprintf(w, "%s: %s, %s → %s%s\n", name, plural(len(d.Points), "snapshot"), first.UTC().Format(dayLayout), last.UTC().Format(dayLayout), rangeText(d.Since, d.Until))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "date\tsnapshot\tpackages\tchanges\tnew upstream\tmedian age\toutdated/matched")
	for _, p := range d.Points {
		r := &p.Row
		changes, fresh := "first snapshot", "-"
		if !isFirst(p) {
			changes = fmt.Sprintf("+%d −%d ↑%d", r.Added, r.Removed, r.Upgraded)
			if r.Downgraded > 0 {
				changes += fmt.Sprintf(" ↓%d", r.Downgraded)
			}
			fresh = csvInt(r.NewUpstream)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s d\t%d/%d\n", r.ReleaseDate.UTC().Format(dayLayout), printable(p.Snapshot), r.Packages,
			changes, fresh, strconv.FormatFloat(r.VersionAgeMedianDays, 'f', 1, 64), r.LagOutdated, r.LagMatched)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lag := sortedLag(d.Lag)
	if len(lag) == 0 {
		_, err := fmt.Fprintf(w, "\nNo source is outdated%s.\n", asOf(d.LagSnapshot))
		return err
	}
	fmt.Fprintf(w, "\nOutdated sources%s, longest first (%d of %d; all in csv/%s):\n", asOf(d.LagSnapshot), min(len(lag), trendsPrintTop), len(lag), CSVTrendOutdated)
	at := d.lagDate()
	fmt.Fprintln(tw, "source\tversion\tnewest elsewhere\twhere\toutdated since\tdays\tbinaries")
	for _, r := range lag[:min(len(lag), trendsPrintTop)] {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", printable(r.Source), printable(r.Version), printable(r.NewestVersion),
			printable(r.NewestDistro+"/"+r.NewestRelease), r.OutdatedSince.UTC().Format(dayLayout), outdatedDays(r.OutdatedSince, at), len(r.Binaries))
	}
	return tw.Flush()
}

func asOf(snapshot string) string {
	if snapshot == "" {
		return ""
	}
	return " as of " + printable(snapshot)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// rangeText names the range asked for, in parentheses after a space, when
// one was.
func rangeText(since, until time.Time) string {
	if r := rangeWords(since, until); r != "" {
		return " (" + r + ")"
	}
	return ""
}

// rangeWords names the range asked for: "since D", "until D", "D to D",
// or "" when it is open at both ends.
func rangeWords(since, until time.Time) string {
	switch {
	case since.IsZero() && until.IsZero():
		return ""
	case until.IsZero():
		return "since " + since.UTC().Format(dayLayout)
	case since.IsZero():
		return "until " + until.UTC().Format(dayLayout)
	}
	return since.UTC().Format(dayLayout) + " to " + until.UTC().Format(dayLayout)
}

// printable escapes what a terminal would act on (escape sequences,
// carriage returns, tabs that would break the columns) as Go escapes.
func printable(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

// trendsView is what trends.html.tmpl renders.
type trendsView struct {
	Title               string
	Distro, Release     string
	Range               string
	Points              int
	First, Last         string
	Tiles               []count
	Charts              []svgChart
	Outdated            capped[outdatedRow]
	LagSnapshot         string
	LagDate             string
	Peers               []string
	Generated, Producer string
	CSVNames            []string
	FirstOfHistory      bool
}

// outdatedRow is one outdated source as the page lists it.
type outdatedRow struct {
	Source, Project          string
	Version, NewestVersion   string
	Upstream, NewestUpstream string
	Where, Since             string
	Days                     int64
	Binaries                 int
}

func newTrendsView(d TrendsData, lag []*datasets.PackageLagRow) trendsView {
	shown := d.MaxRows
	if shown <= 0 {
		shown = DefaultMaxRows
	}
	v := trendsView{
		Title:       "Trends of " + d.Distro + "/" + d.Release,
		Distro:      d.Distro,
		Release:     d.Release,
		Range:       rangeWords(d.Since, d.Until),
		Points:      len(d.Points),
		LagSnapshot: d.LagSnapshot,
		Producer:    d.Producer,
		CSVNames:    TrendsCSVNames,
	}
	if !d.Generated.IsZero() {
		v.Generated = d.Generated.UTC().Format(time.RFC3339)
	}
	at := d.lagDate()
	if !at.IsZero() {
		v.LagDate = at.UTC().Format(dayLayout)
	}
	rows := make([]outdatedRow, 0, min(len(lag), shown))
	for _, r := range lag[:min(len(lag), shown)] {
		rows = append(rows, outdatedRow{Source: r.Source, Project: r.Project, Version: r.Version, NewestVersion: r.NewestVersion,
			Upstream: r.Upstream, NewestUpstream: r.NewestUpstream, Where: r.NewestDistro + "/" + r.NewestRelease,
			Since: r.OutdatedSince.UTC().Format(dayLayout), Days: outdatedDays(r.OutdatedSince, at), Binaries: len(r.Binaries)})
	}
	v.Outdated = capped[outdatedRow]{Rows: rows, Total: len(lag), CSV: "csv/" + CSVTrendOutdated, ID: "outdated"}
	if len(d.Points) == 0 {
		return v
	}
	firstP, lastP := d.Points[0], d.Points[len(d.Points)-1]
	v.First, v.Last = firstP.Row.ReleaseDate.UTC().Format(dayLayout), lastP.Row.ReleaseDate.UTC().Format(dayLayout)
	v.FirstOfHistory = isFirst(firstP)
	v.Peers = lastP.Row.Peers
	r := &lastP.Row
	v.Tiles = []count{
		{"packages", "packages", r.Packages},
		{"sources", "source packages", r.Sources},
		{"outdated", "outdated sources", r.LagOutdated},
		{"matched", "matched in other distributions", r.LagMatched},
	}
	for _, spec := range trendCharts {
		v.Charts = append(v.Charts, layoutTrendChart(spec, d))
	}
	return v
}
