package report

import (
	"bytes"
	"io"
	"sync"

	"github.com/distroscope/distroscope/datasets"
	"golang.org/x/sync/errgroup"
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

// File is one rendered output of a report, named by where it goes below
// the report's prefix: "csv/<table>.csv", "report.md", "report.html".
type File struct {
	Name string
	Data []byte
}

// Names of the readable reports among Files.
const (
	FileMarkdown = "report.md"
	FileHTML     = "report.html"
)

// Files renders every output, concurrently (the HTML+Markdown and the big
// CSVs on different goroutines), in the order a store should receive
// them: every CSV as "csv/<name>" in CSVNames order, then "report.md",
// then "report.html" last (so the page's presence implies the rest is
// there).
func (r *Report) Files() ([]File, error) {
	files := make([]File, len(CSVNames)+2)
	slot := make(map[string]int, len(CSVNames))
	for i, name := range CSVNames {
		files[i].Name = "csv/" + name
		slot[name] = i
	}
	pages := len(CSVNames)
	files[pages].Name, files[pages+1].Name = FileMarkdown, FileHTML
	var g errgroup.Group
	// The pages are small (their tables are cut at MaxRows): one goroutine
	// renders both while the big CSVs take the other core.
	g.Go(func() error {
		var md, page bytes.Buffer
		if err := r.Markdown(&md); err != nil {
			return err
		}
		if err := r.HTML(&page); err != nil {
			return err
		}
		files[pages].Data, files[pages+1].Data = md.Bytes(), page.Bytes()
		return nil
	})
	// The dependency changes are rows of the changes table: they are
	// copied from its encoding rather than encoded again.
	g.Go(func() error {
		changes, deps, err := r.changesAndDependencies()
		files[slot[CSVChanges]].Data, files[slot[CSVDependencyChanges]].Data = changes, deps
		return err
	})
	for i, name := range CSVNames {
		if name == CSVChanges || name == CSVDependencyChanges {
			continue
		}
		g.Go(func() error {
			b := bytes.NewBuffer(make([]byte, 0, r.csvSize(name)))
			if err := r.CSV(b, name); err != nil {
				return err
			}
			files[i].Data = b.Bytes()
			return nil
		})
	}
	// Each output's error names the output and the comparison.
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return files, nil
}

// name names the comparison in errors, down to the snapshots.
func (r *Report) name() string { return snapshotName(r.d.Old) + " → " + snapshotName(r.d.New) }
