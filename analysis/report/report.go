package report

import (
	"bytes"
	"io"
	"sync"

	"github.com/distroscope/distroscope/datasets"
)

// Report is a comparison's report with its tables derived once.
//
// A comparison of two Debian releases has ~77k package pairs; deriving
// the tables (filters, tallies, the largest jumps) costs as much as
// rendering one output, so HTML, Markdown and every CSV share one
// derivation instead of each redoing it. A Report is not changed after
// New, so its outputs may be rendered concurrently.
type Report struct {
	d                       Data // MaxRows and Jumps filled in
	bySection, byPriority   []Tally
	downgrades              []*datasets.PackageChangeRow
	deps, essential, orphan []*datasets.PackageChangeRow
	lag                     []Lag
	showLag                 bool
	sources                 []*datasets.SourceChangeRow // the MaxRows most changed sources
	changedSources          int                         // how many sources changed
	view                    view
}

// New derives the tables of d. The rows of d are referred to, not copied:
// they must not change while the Report is in use.
func New(d Data) *Report {
	if d.MaxRows <= 0 {
		d.MaxRows = DefaultMaxRows
	}
	r := &Report{d: d, showLag: d.Lag != nil || d.Summary.CrossDistro, lag: d.Lag}
	// The largest jumps normalise two versions per upgrade, the most
	// expensive derivation: it runs beside the others.
	var wg sync.WaitGroup
	jumps := d.Jumps
	if jumps == nil {
		wg.Go(func() { jumps = LargestJumps(d.Changes, d.Format, DefaultMaxJumps) })
	}
	if d.Lag == nil && d.Summary.CrossDistro {
		r.lag = VersionLag(d.Changes)
	}
	r.bySection = TallyBy(d.Changes, bySection)
	r.byPriority = TallyBy(d.Changes, byPriority)
	r.downgrades = Downgrades(d.Changes)
	r.deps = DependencyChanges(d.Changes)
	r.essential = EssentialChanges(d.Changes)
	r.orphan = Unmatched(d.Changes)
	r.sources, r.changedSources = ChangedSources(d.Sources, d.MaxRows)
	wg.Wait()
	r.d.Jumps = jumps
	r.view = newView(r)
	return r
}

// HTML writes the report as one self-contained HTML page: inline CSS, SVG
// charts, no scripts and nothing fetched. Key numbers carry DOM ids
// (count-added, count-removed, count-upgraded, count-rebuilds,
// count-downgraded, count-same, count-depends-changed, count-unmatched for
// cross-distro comparisons; rows-<table> for each table's row count).
func HTML(w io.Writer, d Data) error { return New(d).HTML(w) }

// Markdown writes the report as GitHub-flavoured Markdown with the same
// sections as HTML; the charts are bars of block characters in the tables.
func Markdown(w io.Writer, d Data) error { return New(d).Markdown(w) }

// WriteCSV writes the table named name (one of CSVNames) as CSV with a
// header line. Every table is written, even when it has no rows: the lag
// table of a comparison within one distribution has only its header.
func WriteCSV(w io.Writer, name string, d Data) error { return New(d).CSV(w, name) }

// Output is one output of a report: its name below the report's prefix
// ("csv/<table>.csv", "report.md", "report.html") and how to render it.
type Output struct {
	Name   string
	Render func(io.Writer) error
}

// File is a rendered output.
type File struct {
	Name string
	Data []byte
}

// Pages renders the readable reports — "report.md", then "report.html" —
// into memory (their tables are cut at MaxRows, so they are small), for a
// caller that renders them ahead of storing them.
func (r *Report) Pages() ([]File, error) {
	var md, page bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		return nil, err
	}
	if err := r.HTML(&page); err != nil {
		return nil, err
	}
	return []File{{FileMarkdown, md.Bytes()}, {FileHTML, page.Bytes()}}, nil
}

// Names of the readable reports among Outputs.
const (
	FileMarkdown = "report.md"
	FileHTML     = "report.html"
)

// Outputs lists every output in the order a store should receive them:
// every CSV as "csv/<name>" in CSVNames order, then "report.md", then
// "report.html" last, so that the page's presence implies the rest is
// there. Each renders straight into its writer: the CSVs of a release
// upgrade are ~30 MB, which a caller can stream into object storage
// instead of holding in memory.
func (r *Report) Outputs() []Output {
	outs := make([]Output, 0, len(CSVNames)+2)
	for _, name := range CSVNames {
		outs = append(outs, Output{Name: "csv/" + name, Render: func(w io.Writer) error { return r.CSV(w, name) }})
	}
	return append(outs, Output{Name: FileMarkdown, Render: r.Markdown}, Output{Name: FileHTML, Render: r.HTML})
}

// name names the comparison in errors, down to the snapshots.
func (r *Report) name() string { return snapshotName(r.d.Old) + " → " + snapshotName(r.d.New) }
