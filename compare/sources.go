package compare

import (
	"fmt"
	"slices"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version"
)

// SourceChange is one source package of a comparison: its binaries' pairs
// rolled up.
type SourceChange struct {
	// Source is the new side's source name of its binaries (the old side's
	// for removed binaries).
	Source string
	// OldVersion and NewVersion are the highest of the binaries' source
	// versions on each side ("" when the side has none of them). For deb
	// these are the Source field's versions, so a binNMU leaves them equal.
	OldVersion, NewVersion string
	// Kind is the dominant kind of the binaries' pairs: the most frequent,
	// ties going to the more notable in the order upgraded, downgraded,
	// added, removed, same.
	Kind string
	// Rebuild is set when every upgraded pair is a rebuild and Kind is
	// upgraded: a binNMU of the whole source.
	Rebuild bool
	// Binaries are the distinct binary package names, sorted.
	Binaries []string
	// Counts counts the pairs (one per binary and index architecture).
	Counts KindCounts
}

// KindCounts counts pairs by kind; Rebuilds are also in Upgraded.
type KindCounts struct {
	Added, Removed, Upgraded, Downgraded, Same, Rebuilds int
}

// rollUp groups changes by source.
func rollUp(changes []datasets.PackageChangeRow) []SourceChange {
	bySource := map[string]*SourceChange{}
	var order []string
	for i := range changes {
		row := &changes[i]
		name := cmpOr(row.NewSource, row.OldSource)
		sc := bySource[name]
		if sc == nil {
			sc = &SourceChange{Source: name}
			bySource[name] = sc
			order = append(order, name)
		}
		if n := len(sc.Binaries); n == 0 || sc.Binaries[n-1] != row.Package {
			sc.Binaries = append(sc.Binaries, row.Package) // changes come sorted by package
		}
		switch row.Kind {
		case KindAdded:
			sc.Counts.Added++
		case KindRemoved:
			sc.Counts.Removed++
		case KindUpgraded:
			sc.Counts.Upgraded++
			if row.Rebuild {
				sc.Counts.Rebuilds++
			}
		case KindDowngraded:
			sc.Counts.Downgraded++
		case KindSame:
			sc.Counts.Same++
		}
	}
	slices.Sort(order)
	out := make([]SourceChange, 0, len(order))
	for _, name := range order {
		sc := bySource[name]
		sc.Binaries = slices.Compact(sc.Binaries)
		sc.Kind = dominant(sc.Counts)
		sc.Rebuild = sc.Kind == KindUpgraded && sc.Counts.Rebuilds == sc.Counts.Upgraded
		out = append(out, *sc)
	}
	return out
}

func dominant(c KindCounts) string {
	kind, best := KindSame, -1
	for _, k := range []struct {
		name string
		n    int
	}{{KindUpgraded, c.Upgraded}, {KindDowngraded, c.Downgraded}, {KindAdded, c.Added}, {KindRemoved, c.Removed}, {KindSame, c.Same}} {
		if k.n > best {
			kind, best = k.name, k.n
		}
	}
	return kind
}

// sourceVersions sets each source's highest source version on one side
// from the rows of s. (A binary whose source was renamed is grouped under
// its new source; its old source's version is not carried over.)
func sourceVersions(sources []SourceChange, s *Snapshot, rows []int, old bool, cmp version.Comparator) error {
	idx := make(map[string]int, len(sources))
	for i := range sources {
		idx[sources[i].Source] = i
	}
	for _, r := range rows {
		p := s.Row(r)
		i, ok := idx[p.Source]
		if !ok || p.SourceVersion == "" {
			continue // a paired binary whose source was renamed: grouped under the new name
		}
		dst := &sources[i].NewVersion
		if old {
			dst = &sources[i].OldVersion
		}
		if *dst == "" {
			*dst = p.SourceVersion
			continue
		}
		c, err := cmp.Compare(p.SourceVersion, *dst)
		if err != nil {
			return fmt.Errorf("compare: source %s of %s: %w", p.Source, p.Package, err)
		}
		if c > 0 {
			*dst = p.SourceVersion
		}
	}
	return nil
}
