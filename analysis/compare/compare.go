package compare

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

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

// Options parameterise Compare.
type Options struct {
	// Old and New name the two snapshots; they fill the summary row.
	Old, New datasets.Partition
}

// Result is one comparison.
type Result struct {
	// Changes has one row per package pair, ordered by
	// datasets.ComparePackageChangeRows.
	Changes []datasets.PackageChangeRow
	// Summary counts Changes. Upgraded includes the rebuilds, which
	// Rebuilds counts again.
	Summary datasets.CompareSummaryRow
	// Sources rolls Changes up by source package, ordered by name
	// (datasets.CompareSourceChangeRows). Cross-distro comparisons leave
	// it empty: their source names belong to two naming schemes.
	Sources []datasets.SourceChangeRow
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
	// The merge yields pairs in (package, index architecture) order, which
	// is datasets.ComparePackageChangeRows' order: the rows need no sort.
	pairs := merge(old, oldRows, new, newRows)
	res.Changes = make([]datasets.PackageChangeRow, len(pairs))
	if err := classify(res.Changes, pairs, format, cmp, old, new); err != nil {
		return Result{}, err
	}
	for i := range res.Changes {
		count(&res.Summary, &res.Changes[i])
	}
	if res.Sources, err = rollUp(res.Changes, old, oldRows, new, newRows, cmp); err != nil {
		return Result{}, err
	}
	return res, nil
}

// pair is one row of the comparison: a row number on each side, -1 for a
// side without the package.
type pair struct{ old, new int32 }

// merge joins the two key-ordered row lists into pairs, in key order.
func merge(old *Snapshot, oldRows []int32, new *Snapshot, newRows []int32) []pair {
	pairs := make([]pair, 0, max(len(oldRows), len(newRows))+len(newRows)/8)
	i, j := 0, 0
	for i < len(oldRows) || j < len(newRows) {
		var c int
		switch {
		case i == len(oldRows):
			c = 1
		case j == len(newRows):
			c = -1
		default:
			c = compareKeys(old, int(oldRows[i]), new, int(newRows[j]))
		}
		switch {
		case c < 0:
			pairs = append(pairs, pair{oldRows[i], -1})
			i++
		case c > 0:
			pairs = append(pairs, pair{-1, newRows[j]})
			j++
		default:
			pairs = append(pairs, pair{oldRows[i], newRows[j]})
			i++
			j++
		}
	}
	return pairs
}

// minChunk is the fewest pairs classify hands one goroutine: below it
// the goroutines cost more than they save.
const minChunk = 4096

// classify fills out[k] from pairs[k]: the version comparisons and
// dependency diffs, which are most of a comparison's work, split into
// contiguous ranges over the machine's cores. Each range writes only its
// own rows, so the result does not depend on the schedule; of several
// errors the first range's is returned.
func classify(out []datasets.PackageChangeRow, pairs []pair, format string, cmp version.Comparator, old, new *Snapshot) error {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(pairs)/minChunk))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := len(pairs)*w/workers, len(pairs)*(w+1)/workers
		wg.Go(func() {
			var d differ
			for k := lo; k < hi; k++ {
				p := pairs[k]
				switch {
				case p.new < 0:
					removedRow(&out[k], old.Row(int(p.old)))
				case p.old < 0:
					addedRow(&out[k], new.Row(int(p.new)))
				default:
					if err := d.pairRow(&out[k], format, cmp, old, int(p.old), new, int(p.new)); err != nil {
						errs[w] = err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

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

// keyOrder returns s's row numbers ordered by (package, index
// architecture), one per key: of duplicates, the highest version's.
// A packages file of one index is already in that order (the writer sorts
// by it), so the sort only runs when a check finds it is needed.
func keyOrder(s *Snapshot, cmp version.Comparator) ([]int32, error) {
	rows := make([]int32, s.n)
	sorted := true
	for i := range rows {
		rows[i] = int32(i)
		if sorted && i > 0 && compareKeys(s, i-1, s, i) > 0 {
			sorted = false
		}
	}
	if !sorted {
		slices.SortStableFunc(rows, func(a, b int32) int { return compareKeys(s, int(a), s, int(b)) })
	}
	out := rows[:0]
	for _, r := range rows {
		if len(out) > 0 && compareKeys(s, int(out[len(out)-1]), s, int(r)) == 0 {
			last := out[len(out)-1]
			c, err := cmp.Compare(s.version.at(int(r)), s.version.at(int(last)))
			if err != nil {
				return nil, fmt.Errorf("package %s: %w", s.pkg.at(int(r)), err)
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

// removedRow, addedRow and pairRow fill a row of the result in place:
// the rows are large (~300 bytes, a dozen strings), and building one to
// copy it costs more than filling it.

func removedRow(row *datasets.PackageChangeRow, p PackageRef) {
	*row = datasets.PackageChangeRow{
		Kind: KindRemoved, Package: p.Package, IndexArchitecture: p.IndexArchitecture,
		OldVersion: p.Version, OldSource: p.Source,
		Section: p.Section, Priority: p.Priority, Essential: p.Essential,
		DependsAdded: empty, DependsRemoved: empty, DependsChanged: empty,
	}
}

func addedRow(row *datasets.PackageChangeRow, p PackageRef) {
	*row = datasets.PackageChangeRow{
		Kind: KindAdded, Package: p.Package, IndexArchitecture: p.IndexArchitecture,
		NewVersion: p.Version, NewSource: p.Source,
		Section: p.Section, Priority: p.Priority, Essential: p.Essential,
		DependsAdded: empty, DependsRemoved: empty, DependsChanged: empty,
	}
}

// pairRow classifies one pair. Section and priority are the new side's
// (the old side's where the new leaves them empty); Essential is set when
// either side is essential, so a package that stops being essential is
// still among the essential packages that changed.
func (d *differ) pairRow(row *datasets.PackageChangeRow, format string, cmp version.Comparator, old *Snapshot, o int, new *Snapshot, n int) error {
	op, np := old.Row(o), new.Row(n)
	*row = datasets.PackageChangeRow{
		Package: np.Package, IndexArchitecture: np.IndexArchitecture,
		OldVersion: op.Version, NewVersion: np.Version, OldSource: op.Source, NewSource: np.Source,
		Section: cmpOr(np.Section, op.Section), Priority: cmpOr(np.Priority, op.Priority),
		Essential: op.Essential || np.Essential,
	}
	c, err := cmp.Compare(op.Version, np.Version)
	if err != nil {
		return fmt.Errorf("compare: package %s (%s): %w", np.Package, np.IndexArchitecture, err)
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
	row.DependsAdded, row.DependsRemoved, row.DependsChanged = d.diffDepends(old.depends.at(o), new.depends.at(n))
	return nil
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
