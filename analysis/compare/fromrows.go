package compare

import "fmt"

// SnapshotOf builds a Snapshot from rows held in memory, for comparisons
// whose packages come from somewhere other than a packages file: the
// installed packages of an analysed image (analysis/imagecmp), which the
// cross-distro rules (analysis/crossmap) pair exactly as they pair two
// releases. The rows carry no relationships: Depends is empty for each.
//
// Every row needs a Format (the version format, "deb", "rpm", "apk",
// "alpm"), as a packages v2 file's rows have: the comparisons refuse rows
// without one.
func SnapshotOf(rows []PackageRef) (*Snapshot, error) {
	if len(rows) > maxSnapshotRows {
		return nil, fmt.Errorf("compare: %d rows, more than a snapshot has (at most %d)", len(rows), maxSnapshotRows)
	}
	s := &Snapshot{essential: make([]bool, 0, len(rows)), depends: listColumn{end: make([]uint32, 0, len(rows))}}
	for i, r := range rows {
		if r.Format == "" {
			return nil, fmt.Errorf("compare: row %d (%s): no version format", i, r.Package)
		}
		for _, sc := range []struct {
			dst *stringColumn
			v   string
		}{{&s.pkg, r.Package}, {&s.version, r.Version}, {&s.source, r.Source}, {&s.sourceVersion, r.SourceVersion}} {
			if err := sc.dst.append(sc.v); err != nil {
				return nil, fmt.Errorf("compare: row %d (%s): %w", i, r.Package, err)
			}
		}
		for _, ic := range []struct {
			dst *internedColumn
			v   string
		}{{&s.indexArch, r.IndexArchitecture}, {&s.arch, r.Architecture}, {&s.section, r.Section}, {&s.priority, r.Priority}, {&s.format, r.Format}} {
			if err := ic.dst.append(ic.v); err != nil {
				return nil, fmt.Errorf("compare: row %d (%s): %w", i, r.Package, err)
			}
		}
		s.essential = append(s.essential, r.Essential)
		s.depends.end = append(s.depends.end, 0)
		s.n++
	}
	s.finish()
	return s, nil
}
