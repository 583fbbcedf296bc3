package compare

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version"
)

// rollUp groups changes by source and sets each source's highest source
// version on each side from the rows of the snapshots.
//
// It gives each source a number in one map pass, then lays all binaries
// out in one slice by source, so a roll-up of ~35k sources allocates a
// few slices rather than a slice per source.
func rollUp(changes []datasets.PackageChangeRow, old *Snapshot, oldRows []int32, new *Snapshot, newRows []int32, vc version.Comparator) ([]datasets.SourceChangeRow, error) {
	ids := make(map[string]int32, len(changes)/2)
	rowSource := make([]int32, len(changes))
	var names []string
	for i := range changes {
		name := cmpOr(changes[i].NewSource, changes[i].OldSource)
		id, ok := ids[name]
		if !ok {
			id = int32(len(names))
			ids[name] = id
			names = append(names, name)
		}
		rowSource[i] = id
	}
	// Renumber the sources in name order, so the rows are built where
	// they belong instead of being sorted (moved) afterwards.
	order := make([]int32, len(names))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
	rank := make([]int32, len(names))
	for pos, id := range order {
		rank[id] = int32(pos)
	}
	sizes := make([]int32, len(names))
	for i, id := range rowSource {
		rowSource[i] = rank[id]
		sizes[rank[id]]++
	}
	for name, id := range ids {
		ids[name] = rank[id]
	}
	slices.Sort(names)
	// Binaries: one backing slice, each source's part sized by its rows.
	starts := make([]int32, len(names)+1)
	for id, n := range sizes {
		starts[id+1] = starts[id] + n
	}
	binaries := make([]string, len(changes))
	fill := slices.Clone(starts[:len(names)])
	sources := make([]datasets.SourceChangeRow, len(names))
	for i := range changes {
		row, sc := &changes[i], &sources[rowSource[i]]
		id := rowSource[i]
		// Changes come sorted by package: a binary's index architectures
		// are adjacent, so one look back removes its repeats.
		if fill[id] == starts[id] || binaries[fill[id]-1] != row.Package {
			binaries[fill[id]] = row.Package
			fill[id]++
		}
		switch row.Kind {
		case KindAdded:
			sc.Added++
		case KindRemoved:
			sc.Removed++
		case KindUpgraded:
			sc.Upgraded++
			if row.Rebuild {
				sc.Rebuilds++
			}
		case KindDowngraded:
			sc.Downgraded++
		case KindSame:
			sc.Same++
		}
	}
	for id := range sources {
		sc := &sources[id]
		sc.Source = names[id]
		sc.Binaries = binaries[starts[id]:fill[id]:fill[id]]
		sc.Kind = dominant(sc)
		sc.Rebuild = sc.Kind == KindUpgraded && sc.Rebuilds == sc.Upgraded
	}
	// The two sides' versions go to different fields: one goroutine each.
	var oldErr, newErr error
	var wg sync.WaitGroup
	wg.Go(func() { oldErr = sourceVersions(sources, ids, old, oldRows, true, vc) })
	newErr = sourceVersions(sources, ids, new, newRows, false, vc)
	wg.Wait()
	if err := cmp.Or(oldErr, newErr); err != nil {
		return nil, err
	}
	return sources, nil
}

func dominant(c *datasets.SourceChangeRow) string {
	kind, best := KindSame, int64(-1)
	for _, k := range []struct {
		name string
		n    int64
	}{{KindUpgraded, c.Upgraded}, {KindDowngraded, c.Downgraded}, {KindAdded, c.Added}, {KindRemoved, c.Removed}, {KindSame, c.Same}} {
		if k.n > best {
			kind, best = k.name, k.n
		}
	}
	return kind
}

type sourceRef struct{ Source, SourceVersion string }

// sourceVersions sets each source's highest source version on one side
// from the rows of s. (A binary whose source was renamed is grouped under
// its new source; its old source's version is not carried over.)
func sourceVersions(sources []datasets.SourceChangeRow, ids map[string]int32, s *Snapshot, rows []int32, old bool, vc version.Comparator) error {
	for _, r := range rows {
		p := sourceRef{s.source.at(int(r)), s.sourceVersion.at(int(r))}
		id, ok := ids[p.Source]
		if !ok || p.SourceVersion == "" {
			continue // a paired binary whose source was renamed: grouped under the new name
		}
		dst := &sources[id].NewVersion
		if old {
			dst = &sources[id].OldVersion
		}
		if *dst == "" || *dst == p.SourceVersion {
			*dst = p.SourceVersion
			continue
		}
		c, err := vc.Compare(p.SourceVersion, *dst)
		if err != nil {
			return fmt.Errorf("compare: source %s of %s: %w", p.Source, s.pkg.at(int(r)), err)
		}
		if c > 0 {
			*dst = p.SourceVersion
		}
	}
	return nil
}
