package report

import (
	"fmt"
	"io"
	"strconv"
	"unsafe"

	"github.com/distroscope/distroscope/datasets"
)

// CSV tables, by file name. CSVNames lists them in the order the reports
// show them. Every table of the report has one; the full list of package
// pairs is not a report table but the package_changes dataset itself
// (Data.ChangesDataset), which every Parquet reader opens — a CSV copy of
// it (15 MB for a release upgrade) cost a comparison a fifth of its time.
const (
	CSVDowngrades        = "downgrades.csv"
	CSVBySection         = "by_section.csv"
	CSVByPriority        = "by_priority.csv"
	CSVDependencyChanges = "dependency_changes.csv"
	CSVEssentialChanges  = "essential_changes.csv"
	CSVLargestJumps      = "largest_jumps.csv"
	CSVLag               = "lag.csv"
	CSVUnmatched         = "unmatched.csv"
	CSVSources           = "sources.csv"
)

// CSVNames are the CSV files of a report, in the order they are shown.
var CSVNames = []string{CSVDowngrades, CSVBySection, CSVByPriority, CSVDependencyChanges,
	CSVEssentialChanges, CSVLargestJumps, CSVLag, CSVUnmatched, CSVSources}

// listSep joins a list cell. Dependency clauses of every format hold
// commas and "|" but never a semicolon.
const listSep = "; "

var changeHeader = []string{"kind", "rebuild", "package", "old_package", "index_architecture",
	"old_version", "new_version", "old_source", "new_source", "section", "priority", "essential",
	"old_upstream", "new_upstream", "upstream_order", "depends_added", "depends_removed", "depends_changed", "rule"}

// lists joins list cells into one buffer reused from record to record,
// instead of a strings.Join allocation per cell of two or more items
// (~30k per table of a release upgrade). The strings it returns alias
// the buffer, so they are good only until reset: each record is built,
// written (csvWriter copies it into its own buffer) and dropped before
// the next reset. A buffer outgrown mid-record is left to the strings
// that still point into it, never written again.
type lists struct{ buf []byte }

func (l *lists) reset() { l.buf = l.buf[:0] }

func (l *lists) join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	start := len(l.buf)
	for i, s := range items {
		if i > 0 {
			l.buf = append(l.buf, listSep...)
		}
		l.buf = append(l.buf, s...)
	}
	if len(l.buf) == start {
		return ""
	}
	return unsafe.String(&l.buf[start], len(l.buf)-start)
}

// changeRecord fills rec (len(changeHeader) cells) with r: the row's own
// strings, strconv's constants and list cells joined in l.
func changeRecord(rec []string, l *lists, r *datasets.PackageChangeRow) {
	l.reset()
	rec[0], rec[1], rec[2], rec[3], rec[4] = r.Kind, strconv.FormatBool(r.Rebuild), r.Package, r.OldPackage, r.IndexArchitecture
	rec[5], rec[6], rec[7], rec[8], rec[9], rec[10] = r.OldVersion, r.NewVersion, r.OldSource, r.NewSource, r.Section, r.Priority
	rec[11], rec[12], rec[13], rec[14] = strconv.FormatBool(r.Essential), r.OldUpstream, r.NewUpstream, strconv.Itoa(int(r.UpstreamOrder))
	rec[15], rec[16], rec[17], rec[18] = l.join(r.DependsAdded), l.join(r.DependsRemoved), l.join(r.DependsChanged), r.Rule
}

// tallyColumns follow a tally table's first column, its key.
var tallyColumns = []string{"changed", "added", "removed", "upgraded", "rebuilds", "downgraded", "same", "unmatched"}

func tallyHeader(key string) []string { return append([]string{key}, tallyColumns...) }

func tallyRecord(rec []string, _ *lists, t Tally) {
	rec[0] = t.Key
	for i, n := range [...]int64{t.Changed(), t.Added, t.Removed, t.Upgraded, t.Rebuilds, t.Downgraded, t.Same, t.Unmatched} {
		rec[i+1] = strconv.FormatInt(n, 10)
	}
}

var jumpHeader = []string{"package", "index_architecture", "kind", "old_version", "new_version",
	"old_upstream", "new_upstream", "distance", "component", "delta"}

func jumpRecord(rec []string, _ *lists, j Jump) {
	rec[0], rec[1], rec[2], rec[3], rec[4] = j.Package, j.IndexArchitecture, j.Kind, j.OldVersion, j.NewVersion
	rec[5], rec[6], rec[7], rec[8], rec[9] = j.OldUpstream, j.NewUpstream, j.Distance.String(), strconv.Itoa(j.Component), delta(j.Distance)
}

var lagHeader = []string{"old_package", "package", "old_version", "new_version",
	"old_upstream", "new_upstream", "newer", "distance", "component", "delta"}

func lagRecord(rec []string, _ *lists, l Lag) {
	rec[0], rec[1], rec[2], rec[3], rec[4] = l.OldPackage, l.Package, l.OldVersion, l.NewVersion, l.OldUpstream
	rec[5], rec[6], rec[7], rec[8], rec[9] = l.NewUpstream, l.Newer, l.Distance.String(), strconv.Itoa(l.Component), delta(l.Distance)
}

var sourceHeader = []string{"source", "kind", "rebuild", "old_version", "new_version", "binaries",
	"changed", "added", "removed", "upgraded", "rebuilds", "downgraded", "same"}

func sourceRecord(rec []string, l *lists, s datasets.SourceChangeRow) {
	l.reset()
	rec[0], rec[1], rec[2], rec[3], rec[4] = s.Source, s.Kind, strconv.FormatBool(s.Rebuild), s.OldVersion, s.NewVersion
	rec[5] = l.join(s.Binaries)
	for i, n := range [...]int64{ChangedPairs(&s), s.Added, s.Removed, s.Upgraded, s.Rebuilds, s.Downgraded, s.Same} {
		rec[i+6] = strconv.FormatInt(n, 10)
	}
}

// CSV writes the table named name (one of CSVNames) as CSV with a header
// line. Records stream through the writer's buffer one at a time, reusing
// one record, so that the dependency changes of a whole release cost no
// more memory than their output.
func (r *Report) CSV(w io.Writer, name string) error {
	cw := newCSVWriter(w)
	var err error
	switch name {
	case CSVDowngrades:
		err = writeTable(cw, changeHeader, r.downgrades, changeRecord)
	case CSVBySection:
		err = writeTable(cw, tallyHeader("section"), r.bySection, tallyRecord)
	case CSVByPriority:
		err = writeTable(cw, tallyHeader("priority"), r.byPriority, tallyRecord)
	case CSVDependencyChanges:
		err = writeTable(cw, changeHeader, r.deps, changeRecord)
	case CSVEssentialChanges:
		err = writeTable(cw, changeHeader, r.essential, changeRecord)
	case CSVUnmatched:
		err = writeTable(cw, changeHeader, r.orphan, changeRecord)
	case CSVLargestJumps:
		err = writeTable(cw, jumpHeader, r.d.Jumps, jumpRecord)
	case CSVLag:
		err = writeTable(cw, lagHeader, r.lag, lagRecord)
	case CSVSources:
		// Every source row, changed or not, in the dataset's order (by
		// name), so that the file is the whole roll-up.
		err = writeTable(cw, sourceHeader, r.d.Sources, sourceRecord)
	default:
		return fmt.Errorf("report: no CSV table %q", name)
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		return fmt.Errorf("report: writing %s of %s: %w", name, r.name(), err)
	}
	return nil
}

// writeTable writes header, then one record per row, fill setting each
// cell of the one reused record (and joining list cells in l).
func writeTable[T any](cw *csvWriter, header []string, rows []T, fill func(rec []string, l *lists, row T)) error {
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	var l lists
	for _, row := range rows {
		fill(rec, &l, row)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

func delta(d Distance) string {
	if !d.Numeric {
		return ""
	}
	return strconv.FormatInt(d.Delta, 10)
}
