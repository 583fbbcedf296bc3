package compare

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version"
)

// Kinds of PackageChangeRow.Kind.
const (
	KindAdded      = "added"
	KindRemoved    = "removed"
	KindUpgraded   = "upgraded"
	KindDowngraded = "downgraded"
	KindSame       = "same"
)

// ErrCrossDistro is returned when the two snapshots' versions do not share
// one format: their versions cannot be ordered by one comparator.
var ErrCrossDistro = errors.New("cross-distro compare needs mapping rules")

// ErrNoCommonArchitecture is returned when the snapshots share no index
// architecture, so no package could pair.
var ErrNoCommonArchitecture = errors.New("no index architecture in common")

// DefaultTopJumps is how many version jumps Result.Jumps keeps when
// Options.TopJumps is 0.
const DefaultTopJumps = 20

// Options parameterise Compare.
type Options struct {
	// Old and New name the two snapshots; they fill the summary row.
	Old, New datasets.Partition
	// TopJumps is how many of the largest version jumps to keep:
	// 0 means DefaultTopJumps, a negative number all of them.
	TopJumps int
}

// Result is one comparison.
type Result struct {
	// Changes has one row per package pair, ordered by
	// datasets.ComparePackageChangeRows.
	Changes []datasets.PackageChangeRow
	// Summary counts Changes. Upgraded includes the rebuilds, which
	// Rebuilds counts again.
	Summary datasets.CompareSummaryRow
	// Sources rolls Changes up by source package, ordered by name.
	Sources []SourceChange
	// Jumps are the largest version jumps, largest first (see VersionJump).
	Jumps []VersionJump
	// Format is the version format both snapshots share ("deb", "rpm", ...).
	Format string
}

// Compare pairs the packages of old and new by (package name, index
// architecture) and classifies each pair with the exact comparator of their
// format (version.ForFormat). The index architecture, not the package's
// own, is the key, so a package that moves between Architecture: all and a
// real architecture is one package that changed.
//
// A snapshot that lists one (name, index architecture) more than once
// (several versions in one repository, or one package in two components)
// takes part with its highest version.
func Compare(old, new *Snapshot, opts Options) (Result, error) {
	format, err := sharedFormat(old, new)
	if err != nil {
		return Result{}, err
	}
	if err := commonArchitecture(old, new); err != nil {
		return Result{}, err
	}
	res := Result{Format: format}
	res.Summary = datasets.CompareSummaryRow{
		OldDistro: opts.Old.Distro, OldRelease: opts.Old.Release, OldSnapshot: opts.Old.Snapshot,
		NewDistro: opts.New.Distro, NewRelease: opts.New.Release, NewSnapshot: opts.New.Snapshot,
	}
	if format == "" { // both empty
		return res, nil
	}
	cmp, err := version.ForFormat(format)
	if err != nil {
		return Result{}, fmt.Errorf("compare: %w", err)
	}
	oldRows, err := keyOrder(old, cmp)
	if err != nil {
		return Result{}, fmt.Errorf("compare: old snapshot: %w", err)
	}
	newRows, err := keyOrder(new, cmp)
	if err != nil {
		return Result{}, fmt.Errorf("compare: new snapshot: %w", err)
	}

	res.Changes = make([]datasets.PackageChangeRow, 0, max(len(oldRows), len(newRows)))
	var jumps []VersionJump
	i, j := 0, 0
	for i < len(oldRows) || j < len(newRows) {
		var c int
		switch {
		case i == len(oldRows):
			c = 1
		case j == len(newRows):
			c = -1
		default:
			c = compareKeys(old, oldRows[i], new, newRows[j])
		}
		var row datasets.PackageChangeRow
		switch {
		case c < 0:
			row = removedRow(old.Row(oldRows[i]))
			i++
		case c > 0:
			row = addedRow(new.Row(newRows[j]))
			j++
		default:
			o, n := oldRows[i], newRows[j]
			i++
			j++
			if row, err = pairRow(format, cmp, old, o, new, n); err != nil {
				return Result{}, err
			}
			if jump, ok := versionJump(&row); ok {
				jumps = append(jumps, jump)
			}
		}
		res.Changes = append(res.Changes, row)
		count(&res.Summary, &row)
	}
	// The merge already yields (package, index architecture) order; the
	// sort is a no-op safeguard that keeps the contract in one place.
	if !slices.IsSortedFunc(res.Changes, cmpRows) {
		slices.SortFunc(res.Changes, cmpRows)
	}
	res.Sources = rollUp(res.Changes)
	if err := sourceVersions(res.Sources, old, oldRows, true, cmp); err != nil {
		return Result{}, err
	}
	if err := sourceVersions(res.Sources, new, newRows, false, cmp); err != nil {
		return Result{}, err
	}
	res.Jumps = topJumps(jumps, opts.TopJumps)
	return res, nil
}

func cmpRows(a, b datasets.PackageChangeRow) int { return datasets.ComparePackageChangeRows(&a, &b) }

// sharedFormat is the one version format of every row of both snapshots.
func sharedFormat(old, new *Snapshot) (string, error) {
	var format, where string
	for _, side := range []struct {
		name string
		s    *Snapshot
	}{{"old", old}, {"new", new}} {
		for _, f := range side.s.format.values {
			switch {
			case f == "":
				return "", fmt.Errorf("compare: %s snapshot has rows without a format (a packages v1 file?)", side.name)
			case format == "":
				format, where = f, side.name
			case f != format:
				return "", fmt.Errorf("compare: %s snapshot has %s versions, %s snapshot %s: %w", where, format, side.name, f, ErrCrossDistro)
			}
		}
	}
	return format, nil
}

func commonArchitecture(old, new *Snapshot) error {
	if old.n == 0 || new.n == 0 {
		return nil
	}
	for _, a := range old.indexArch.values {
		if slices.Contains(new.indexArch.values, a) {
			return nil
		}
	}
	return fmt.Errorf("compare: old snapshot has index architectures %s, new %s: %w",
		strings.Join(old.indexArch.values, ", "), strings.Join(new.indexArch.values, ", "), ErrNoCommonArchitecture)
}

// keyOrder returns s's row numbers ordered by (package, index architecture),
// one per key: of duplicates, the highest version's.
func keyOrder(s *Snapshot, cmp version.Comparator) ([]int, error) {
	rows := make([]int, s.n)
	for i := range rows {
		rows[i] = i
	}
	slices.SortStableFunc(rows, func(a, b int) int { return compareKeys(s, a, s, b) })
	out := rows[:0]
	for _, r := range rows {
		if len(out) > 0 && compareKeys(s, out[len(out)-1], s, r) == 0 {
			last := out[len(out)-1]
			c, err := cmp.Compare(s.version.at(r), s.version.at(last))
			if err != nil {
				return nil, fmt.Errorf("package %s: %w", s.pkg.at(r), err)
			}
			if c > 0 {
				out[len(out)-1] = r
			}
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func compareKeys(a *Snapshot, i int, b *Snapshot, j int) int {
	if c := strings.Compare(a.pkg.at(i), b.pkg.at(j)); c != 0 {
		return c
	}
	return strings.Compare(a.indexArch.at(i), b.indexArch.at(j))
}

func removedRow(p PackageRef) datasets.PackageChangeRow {
	return datasets.PackageChangeRow{
		Kind: KindRemoved, Package: p.Package, IndexArchitecture: p.IndexArchitecture,
		OldVersion: p.Version, OldSource: p.Source,
		Section: p.Section, Priority: p.Priority, Essential: p.Essential,
		DependsAdded: []string{}, DependsRemoved: []string{}, DependsChanged: []string{},
	}
}

func addedRow(p PackageRef) datasets.PackageChangeRow {
	return datasets.PackageChangeRow{
		Kind: KindAdded, Package: p.Package, IndexArchitecture: p.IndexArchitecture,
		NewVersion: p.Version, NewSource: p.Source,
		Section: p.Section, Priority: p.Priority, Essential: p.Essential,
		DependsAdded: []string{}, DependsRemoved: []string{}, DependsChanged: []string{},
	}
}

// pairRow classifies one pair. Section and priority are the new side's
// (the old side's where the new leaves them empty); Essential is set when
// either side is essential, so a package that stops being essential is
// still among the essential packages that changed.
func pairRow(format string, cmp version.Comparator, old *Snapshot, o int, new *Snapshot, n int) (datasets.PackageChangeRow, error) {
	op, np := old.Row(o), new.Row(n)
	row := datasets.PackageChangeRow{
		Package: np.Package, IndexArchitecture: np.IndexArchitecture,
		OldVersion: op.Version, NewVersion: np.Version, OldSource: op.Source, NewSource: np.Source,
		Section: cmpOr(np.Section, op.Section), Priority: cmpOr(np.Priority, op.Priority),
		Essential: op.Essential || np.Essential,
	}
	c, err := cmp.Compare(op.Version, np.Version)
	if err != nil {
		return row, fmt.Errorf("compare: package %s (%s): %w", np.Package, np.IndexArchitecture, err)
	}
	switch {
	case c < 0:
		row.Kind = KindUpgraded
		row.Rebuild = isRebuild(format, op, np)
	case c > 0:
		row.Kind = KindDowngraded
	default:
		row.Kind = KindSame
	}
	row.DependsAdded, row.DependsRemoved, row.DependsChanged = diffDepends(old.Depends(o), new.Depends(n))
	return row, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func count(s *datasets.CompareSummaryRow, row *datasets.PackageChangeRow) {
	switch row.Kind {
	case KindAdded:
		s.Added++
	case KindRemoved:
		s.Removed++
	case KindUpgraded:
		s.Upgraded++
		if row.Rebuild {
			s.Rebuilds++
		}
	case KindDowngraded:
		s.Downgraded++
	case KindSame:
		s.Same++
	}
	if len(row.DependsAdded)+len(row.DependsRemoved)+len(row.DependsChanged) > 0 {
		s.DependsDelta++
	}
}
