package trends

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// entries are the packages of one snapshot as the trends read them: the
// packages table's package, index_architecture, version, source and
// format columns, in file order.
type entries struct {
	n                    int
	pkg, version, source stringColumn
	arch, format         internedColumn
}

// packagesColumns are the columns of the packages table entries read.
var packagesColumns = []string{"package", "index_architecture", "version", "source", "format"}

func (e *entries) reserve(rows int, bytes map[string]int64) {
	e.pkg.reserve(rows, bytes["package"])
	e.version.reserve(rows, bytes["version"])
	e.source.reserve(rows, bytes["source"])
	e.arch.reserve(rows)
	e.format.reserve(rows)
}

func (e *entries) appendBatch(rec arrow.RecordBatch) error {
	if err := appendStrings(rec, stringDst{"package", &e.pkg}, stringDst{"version", &e.version}, stringDst{"source", &e.source}); err != nil {
		return err
	}
	if err := appendInterned(rec, internedDst{"index_architecture", &e.arch}, internedDst{"format", &e.format}); err != nil {
		return err
	}
	e.n += int(rec.NumRows())
	return nil
}

func (e *entries) finish() {
	e.pkg.finish()
	e.version.finish()
	e.source.finish()
	e.arch.finish()
	e.format.finish()
}

// sourceAt is row i's source package, its own name when the index names
// none (the formats fill it in; older files may not have).
func (e *entries) sourceAt(i int) string {
	if s := e.source.at(i); s != "" {
		return s
	}
	return e.pkg.at(i)
}

// history is a package_history state held column by column, in the
// table's order (datasets.ComparePackageHistoryRows).
type history struct {
	n                                 int
	pkg, version, source, upstream    stringColumn
	arch, format, firstSnap, lastSnap internedColumn
	firstSeen, lastSeen               []int64 // Unix milliseconds
	snapshots                         []int64
	current                           []bool
}

// historyColumns are every column of package_history: a new state
// carries each row over.
var historyColumns = []string{"package", "index_architecture", "version", "source", "upstream", "format",
	"first_snapshot", "first_seen", "last_snapshot", "last_seen", "snapshots", "current"}

func (h *history) reserve(rows int, bytes map[string]int64) {
	h.pkg.reserve(rows, bytes["package"])
	h.version.reserve(rows, bytes["version"])
	h.source.reserve(rows, bytes["source"])
	h.upstream.reserve(rows, bytes["upstream"])
	for _, c := range []*internedColumn{&h.arch, &h.format, &h.firstSnap, &h.lastSnap} {
		c.reserve(rows)
	}
	h.firstSeen = make([]int64, 0, rows)
	h.lastSeen = make([]int64, 0, rows)
	h.snapshots = make([]int64, 0, rows)
	h.current = make([]bool, 0, rows)
}

func (h *history) appendBatch(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	if err := appendStrings(rec, stringDst{"package", &h.pkg}, stringDst{"version", &h.version}, stringDst{"source", &h.source},
		stringDst{"upstream", &h.upstream}); err != nil {
		return err
	}
	if err := appendInterned(rec, internedDst{"index_architecture", &h.arch}, internedDst{"format", &h.format},
		internedDst{"first_snapshot", &h.firstSnap}, internedDst{"last_snapshot", &h.lastSnap}); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		dst  *[]int64
	}{{"first_seen", &h.firstSeen}, {"last_seen", &h.lastSeen}, {"snapshots", &h.snapshots}} {
		get, err := int64sOf(rec, c.name)
		if err != nil {
			return err
		}
		for i := range n {
			*c.dst = append(*c.dst, get(i))
		}
	}
	cur, err := boolsOf(rec, "current")
	if err != nil {
		return err
	}
	for i := range n {
		h.current = append(h.current, cur(i))
	}
	h.n += n
	return nil
}

func (h *history) finish() {
	for _, c := range []*stringColumn{&h.pkg, &h.version, &h.source, &h.upstream} {
		c.finish()
	}
	for _, c := range []*internedColumn{&h.arch, &h.format, &h.firstSnap, &h.lastSnap} {
		c.finish()
	}
}

// checkOrder reports the first pair of rows out of the table's order:
// the merge with a new snapshot relies on it, and a state out of order
// was not written by Apply.
func (h *history) checkOrder() error {
	for i := 1; i < h.n; i++ {
		if h.compareRows(i-1, i) >= 0 {
			return fmt.Errorf("rows %d and %d are out of order or repeat a version (%s %s %s)", i-1, i, h.pkg.at(i), h.arch.at(i), h.version.at(i))
		}
	}
	return nil
}

// compareRows orders rows i and j as datasets.ComparePackageHistoryRows
// does.
func (h *history) compareRows(i, j int) int {
	if c := strings.Compare(h.pkg.at(i), h.pkg.at(j)); c != 0 {
		return c
	}
	if c := strings.Compare(h.arch.at(i), h.arch.at(j)); c != 0 {
		return c
	}
	return strings.Compare(h.version.at(i), h.version.at(j))
}
