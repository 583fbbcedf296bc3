package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/datasets"
)

// CSV tables, by file name. CSVNames lists them in the order the reports
// show them.
const (
	CSVChanges           = "changes.csv"
	CSVBySection         = "by_section.csv"
	CSVByPriority        = "by_priority.csv"
	CSVDependencyChanges = "dependency_changes.csv"
	CSVEssentialChanges  = "essential_changes.csv"
	CSVLargestJumps      = "largest_jumps.csv"
	CSVLag               = "lag.csv"
	CSVUnmatched         = "unmatched.csv"
)

// CSVNames are the CSV files of a report, in the order they are shown.
var CSVNames = []string{CSVChanges, CSVBySection, CSVByPriority, CSVDependencyChanges,
	CSVEssentialChanges, CSVLargestJumps, CSVLag, CSVUnmatched}

// listSep joins a list cell. Dependency clauses of every format hold
// commas and "|" but never a semicolon.
const listSep = "; "

var changeHeader = []string{"kind", "rebuild", "package", "old_package", "index_architecture",
	"old_version", "new_version", "old_source", "new_source", "section", "priority", "essential",
	"old_upstream", "new_upstream", "upstream_order", "depends_added", "depends_removed", "depends_changed", "rule"}

func changeRecord(r *datasets.PackageChangeRow) []string {
	return []string{r.Kind, strconv.FormatBool(r.Rebuild), r.Package, r.OldPackage, r.IndexArchitecture,
		r.OldVersion, r.NewVersion, r.OldSource, r.NewSource, r.Section, r.Priority, strconv.FormatBool(r.Essential),
		r.OldUpstream, r.NewUpstream, strconv.Itoa(int(r.UpstreamOrder)),
		strings.Join(r.DependsAdded, listSep), strings.Join(r.DependsRemoved, listSep), strings.Join(r.DependsChanged, listSep), r.Rule}
}

var tallyHeader = []string{"", "changed", "added", "removed", "upgraded", "rebuilds", "downgraded", "same", "unmatched"}

func tallyRecord(t Tally) []string {
	out := []string{t.Key}
	for _, n := range []int64{t.Changed(), t.Added, t.Removed, t.Upgraded, t.Rebuilds, t.Downgraded, t.Same, t.Unmatched} {
		out = append(out, strconv.FormatInt(n, 10))
	}
	return out
}

// WriteCSV writes the table named name (one of CSVNames) as CSV with a
// header line. Every table is written, even when it has no rows: the lag
// table of a comparison within one distribution has only its header.
func WriteCSV(w io.Writer, name string, d Data) error {
	return writeCSV(w, name, derive(d))
}

func writeCSV(w io.Writer, name string, t tables) error {
	cw := csv.NewWriter(w)
	var records [][]string
	changes := func(header []string, rows []datasets.PackageChangeRow) {
		records = append(records, header)
		for i := range rows {
			records = append(records, changeRecord(&rows[i]))
		}
	}
	tallies := func(key string, rows []Tally) {
		records = append(records, append([]string{key}, tallyHeader[1:]...))
		for _, r := range rows {
			records = append(records, tallyRecord(r))
		}
	}
	switch name {
	case CSVChanges:
		changes(changeHeader, t.Changes)
	case CSVBySection:
		tallies("section", t.BySection)
	case CSVByPriority:
		tallies("priority", t.ByPriority)
	case CSVDependencyChanges:
		changes(changeHeader, t.Dependencies)
	case CSVEssentialChanges:
		changes(changeHeader, t.Essential)
	case CSVUnmatched:
		changes(changeHeader, t.Orphan)
	case CSVLargestJumps:
		records = append(records, []string{"package", "index_architecture", "kind", "old_version", "new_version",
			"old_upstream", "new_upstream", "distance", "component", "delta"})
		for _, j := range t.Jumps {
			records = append(records, []string{j.Package, j.IndexArchitecture, j.Kind, j.OldVersion, j.NewVersion,
				j.OldUpstream, j.NewUpstream, j.Distance.String(), strconv.Itoa(j.Component), delta(j.Distance)})
		}
	case CSVLag:
		records = append(records, []string{"old_package", "package", "old_version", "new_version",
			"old_upstream", "new_upstream", "newer", "distance", "component", "delta"})
		for _, l := range t.Lag {
			records = append(records, []string{l.OldPackage, l.Package, l.OldVersion, l.NewVersion,
				l.OldUpstream, l.NewUpstream, l.Newer, l.Distance.String(), strconv.Itoa(l.Component), delta(l.Distance)})
		}
	default:
		return fmt.Errorf("report: no CSV table %q", name)
	}
	if err := cw.WriteAll(records); err != nil {
		return fmt.Errorf("report: writing %s: %w", name, err)
	}
	return nil
}

func delta(d Distance) string {
	if !d.Numeric {
		return ""
	}
	return strconv.FormatInt(d.Delta, 10)
}

// CSVFiles renders every table of CSVNames, keyed by file name, for a
// caller that puts them in object storage.
func CSVFiles(d Data) (map[string][]byte, error) {
	t := derive(d)
	files := make(map[string][]byte, len(CSVNames))
	for _, name := range CSVNames {
		var b bytes.Buffer
		if err := writeCSV(&b, name, t); err != nil {
			return nil, err
		}
		files[name] = b.Bytes()
	}
	return files, nil
}
