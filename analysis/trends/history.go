package trends

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version"
	"github.com/distroscope/distroscope/version/upstream"
)

// snapshotAt is one snapshot as the history records it: its id and its
// Release's date.
type snapshotAt struct {
	ID   string
	Date time.Time
}

// comparators caches each format's version ordering.
type comparators map[string]version.Comparator

func (c comparators) of(format string) (version.Comparator, error) {
	if cmp, ok := c[format]; ok {
		return cmp, nil
	}
	if format == "" {
		return nil, fmt.Errorf("a row without a format (a packages v1 file?)")
	}
	cmp, err := version.ForFormat(format)
	if err != nil {
		return nil, err
	}
	c[format] = cmp
	return cmp, nil
}

// compare orders versions a and b of format the format's own way.
func (c comparators) compare(format, a, b string) (int, error) {
	cmp, err := c.of(format)
	if err != nil {
		return 0, err
	}
	return cmp.Compare(a, b)
}

// keyOrder returns cur's rows in the history's order — package, index
// architecture, version text — one row per (package, index architecture,
// version): a package listed twice at one version (in two components) is
// one history row. Of rows that repeat a version, the one with the least
// source is kept, so the choice does not depend on the file's order.
func keyOrder(cur *entries) []int32 {
	rows := make([]int32, cur.n)
	for i := range rows {
		rows[i] = int32(i)
	}
	slices.SortFunc(rows, func(a, b int32) int {
		if c := compareEntryKeys(cur, int(a), int(b)); c != 0 {
			return c
		}
		if c := strings.Compare(cur.version.at(int(a)), cur.version.at(int(b))); c != 0 {
			return c
		}
		return strings.Compare(cur.sourceAt(int(a)), cur.sourceAt(int(b)))
	})
	return slices.CompactFunc(rows, func(a, b int32) bool {
		return compareEntryKeys(cur, int(a), int(b)) == 0 && cur.version.at(int(a)) == cur.version.at(int(b))
	})
}

func compareEntryKeys(e *entries, i, j int) int {
	if c := strings.Compare(e.pkg.at(i), e.pkg.at(j)); c != 0 {
		return c
	}
	return strings.Compare(e.arch.at(i), e.arch.at(j))
}

// pair is a source package at one upstream version.
type pair struct{ source, upstream string }

// advance computes the state as of snapshot at from prev, the state as of
// the previous snapshot (nil for the first), and cur, at's packages. It
// hands every history row of the new state to emit, in the table's order
// (the row and its strings are reused: emit copies what it keeps), and
// returns the trend row's own counts: every field but PreviousSnapshot,
// LogicalDate and the lag's.
//
// The unit of the counts and deltas is the (package, index architecture)
// entry, classified by its highest version with the format's own ordering
// (a repository may keep several): upgraded, downgraded, added (also an
// entry that comes back after leaving) and removed. The first state has
// no previous snapshot, so every entry is added and every upstream version
// new: over a series, the sum of Added minus the sum of Removed is the
// last point's Packages.
func advance(prev *history, cur *entries, at snapshotAt, emit func(*datasets.PackageHistoryRow) error) (datasets.PackageTrendRow, error) {
	if prev == nil {
		prev = &history{}
	}
	s := &stepper{prev: prev, cur: cur, order: keyOrder(cur), at: at, atMilli: at.Date.UnixMilli(), emit: emit,
		cmps: comparators{}, sources: map[string]struct{}{}, candidates: map[pair]struct{}{}}
	s.trend.ReleaseDate = at.Date
	i, j := 0, 0
	for i < prev.n || j < len(s.order) {
		// The next group is the least (package, index architecture) of
		// either side.
		var pkg, arch string
		if j < len(s.order) {
			r := int(s.order[j])
			pkg, arch = cur.pkg.at(r), cur.arch.at(r)
		}
		if i < prev.n {
			if c := strings.Compare(prev.pkg.at(i), pkg); j == len(s.order) || c < 0 || c == 0 && prev.arch.at(i) < arch {
				pkg, arch = prev.pkg.at(i), prev.arch.at(i)
			}
		}
		i1 := i
		for i1 < prev.n && prev.pkg.at(i1) == pkg && prev.arch.at(i1) == arch {
			i1++
		}
		j1 := j
		for j1 < len(s.order) && cur.pkg.at(int(s.order[j1])) == pkg && cur.arch.at(int(s.order[j1])) == arch {
			j1++
		}
		if err := s.group(i, i1, j, j1); err != nil {
			return datasets.PackageTrendRow{}, fmt.Errorf("trends: package %s (%s): %w", pkg, arch, err)
		}
		i, j = i1, j1
	}
	s.trend.Sources = int64(len(s.sources))
	s.trend.NewUpstream = s.newUpstream()
	s.trend.VersionAgeMeanDays, s.trend.VersionAgeMedianDays, s.trend.VersionAgeP90Days = ageStats(s.ages)
	return s.trend, nil
}

// stepper is one run of advance.
type stepper struct {
	prev    *history
	cur     *entries
	order   []int32
	at      snapshotAt
	atMilli int64
	emit    func(*datasets.PackageHistoryRow) error
	cmps    comparators

	row     datasets.PackageHistoryRow
	trend   datasets.PackageTrendRow
	lastPkg string
	sources map[string]struct{}
	// candidates are the (source, upstream) pairs of versions the history
	// did not have: new upstream versions unless another package had them.
	candidates map[pair]struct{}
	ages       []float64 // days
}

// group merges the history rows prev[i:i1] and the snapshot's rows
// order[j:j1] of one (package, index architecture), by version text,
// emits the group's new history rows and counts the entry.
func (s *stepper) group(i, i1, j, j1 int) error {
	prev, cur := s.prev, s.cur
	prevMax, curMax := -1, -1 // each side's highest current version
	var curMaxFirst int64     // when curMax's version was first seen
	var err error
	for a, b := i, j; a < i1 || b < j1; {
		c := 0
		switch {
		case a == i1:
			c = 1
		case b == j1:
			c = -1
		default:
			c = strings.Compare(prev.version.at(a), cur.version.at(int(s.order[b])))
		}
		if c <= 0 && prev.current[a] {
			if prevMax, err = s.higher(prev.format.at(a), prev.version.at, prevMax, a); err != nil {
				return err
			}
		}
		if c < 0 { // not in the snapshot: kept as it was, not current
			s.fromPrev(a)
			if err := s.emit(&s.row); err != nil {
				return err
			}
			a++
			continue
		}
		r := int(s.order[b])
		format, first := cur.format.at(r), s.atMilli
		if c == 0 { // seen again
			s.fromPrev(a)
			first = prev.firstSeen[a]
			if s.row.Format != format {
				s.row.Upstream = upstream.Normalize(format, s.row.Version)
			}
			s.row.Source, s.row.Format = cur.sourceAt(r), format
			s.row.LastSnapshot, s.row.LastSeen = s.at.ID, s.at.Date
			s.row.Snapshots++
			a++
		} else { // a version the history never had
			v := cur.version.at(r)
			s.row = datasets.PackageHistoryRow{Package: cur.pkg.at(r), IndexArchitecture: cur.arch.at(r), Version: v,
				Source: cur.sourceAt(r), Upstream: upstream.Normalize(format, v), Format: format,
				FirstSnapshot: s.at.ID, FirstSeen: s.at.Date, LastSnapshot: s.at.ID, LastSeen: s.at.Date, Snapshots: 1}
			s.candidates[pair{s.row.Source, s.row.Upstream}] = struct{}{}
		}
		s.row.Current = true
		if err := s.emit(&s.row); err != nil {
			return err
		}
		s.sources[s.row.Source] = struct{}{}
		if m, err := s.higher(format, func(k int) string { return cur.version.at(int(s.order[k])) }, curMax, b); err != nil {
			return err
		} else if m != curMax {
			curMax, curMaxFirst = m, first
		}
		b++
	}

	switch {
	case curMax < 0:
		if prevMax >= 0 {
			s.trend.Removed++
		}
		return nil
	case prevMax < 0:
		s.trend.Added++
	default:
		r := int(s.order[curMax])
		k, err := s.cmps.compare(cur.format.at(r), cur.version.at(r), prev.version.at(prevMax))
		if err != nil {
			return err
		}
		switch {
		case k > 0:
			s.trend.Upgraded++
		case k < 0:
			s.trend.Downgraded++
		}
	}
	s.trend.Packages++
	if pkg := cur.pkg.at(int(s.order[j])); pkg != s.lastPkg || s.trend.BinaryNames == 0 {
		s.trend.BinaryNames++
		s.lastPkg = pkg
	}
	s.ages = append(s.ages, float64(s.atMilli-curMaxFirst)/float64(24*time.Hour/time.Millisecond))
	return nil
}

// higher returns whichever of rows best and k has the higher version
// (k when best < 0).
func (s *stepper) higher(format string, versionAt func(int) string, best, k int) (int, error) {
	if best < 0 {
		return k, nil
	}
	c, err := s.cmps.compare(format, versionAt(k), versionAt(best))
	if err != nil {
		return 0, err
	}
	if c > 0 {
		return k, nil
	}
	return best, nil
}

// fromPrev sets s.row to history row i as it was.
func (s *stepper) fromPrev(i int) {
	p := s.prev
	s.row = datasets.PackageHistoryRow{
		Package: p.pkg.at(i), IndexArchitecture: p.arch.at(i), Version: p.version.at(i),
		Source: p.source.at(i), Upstream: p.upstream.at(i), Format: p.format.at(i),
		FirstSnapshot: p.firstSnap.at(i), FirstSeen: time.UnixMilli(p.firstSeen[i]).UTC(),
		LastSnapshot: p.lastSnap.at(i), LastSeen: time.UnixMilli(p.lastSeen[i]).UTC(),
		Snapshots: p.snapshots[i],
	}
}

// newUpstream counts the sources with a (source, upstream) pair no row
// of the previous history has: one scan of it, looking up the few pairs
// that versions new to the history brought.
func (s *stepper) newUpstream() int64 {
	if len(s.candidates) > 0 {
		for i := range s.prev.n {
			delete(s.candidates, pair{s.prev.source.at(i), s.prev.upstream.at(i)})
		}
	}
	sources := map[string]struct{}{}
	for p := range s.candidates {
		sources[p.source] = struct{}{}
	}
	return int64(len(sources))
}

// ageStats returns the mean, median and 90th percentile of days (0 for
// none). Percentiles interpolate linearly between the two nearest ranks,
// so the median of an even count is the mean of the middle two.
func ageStats(days []float64) (mean, median, p90 float64) {
	if len(days) == 0 {
		return 0, 0, 0
	}
	slices.Sort(days)
	var sum float64
	for _, d := range days {
		sum += d
	}
	return sum / float64(len(days)), quantile(days, 0.5), quantile(days, 0.9)
}

// quantile is the q-quantile of sorted values, linearly interpolated.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}
