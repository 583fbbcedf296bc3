package trends

import (
	"context"
	"fmt"
	"time"

	"github.com/distroscope/distroscope/datasets"
)

// Series returns the committed package_trends rows of distro/release, in
// snapshot order, whose ReleaseDate is within [since, until] (a zero
// bound is open).
func (s Storage) Series(ctx context.Context, distro, release string, since, until time.Time) ([]Point, error) {
	ids, err := s.manifests(ctx, datasets.PackageTrends, distro, release)
	if err != nil {
		return nil, err
	}
	var out []Point
	for _, id := range ids {
		// The id is the Release date: rows outside the bounds are not read.
		if date, err := snapshotDate(id); err == nil && !within(date, since, until) {
			continue
		}
		p := datasets.Partition{Distro: distro, Release: release, Snapshot: id}
		row, err := s.readTrend(ctx, p)
		if err != nil {
			return nil, err
		}
		if within(row.ReleaseDate, since, until) {
			out = append(out, Point{Partition: p, Row: row})
		}
	}
	return out, nil
}

// within reports whether t is in [since, until], zero bounds open.
func within(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || !t.After(until))
}

// Daily keeps the last point of each UTC day of ReleaseDate, in order:
// a daily series from a release snapshotted several times a day. The
// counts of a day are its last snapshot's, but its changes are the day's:
// each point's deltas are against the snapshot just before it, so the
// added, removed, upgraded, downgraded and new-upstream counts of the
// points dropped that day are added to the one kept, and its previous
// snapshot becomes the previous day's. (A package added and removed the
// same day counts in both: churn, not the net change.)
func Daily(points []Point) []Point {
	var out []Point
	first := 0 // the day's first point
	for i, p := range points {
		if i+1 < len(points) && sameDay(p.Row.ReleaseDate, points[i+1].Row.ReleaseDate) {
			continue
		}
		for _, q := range points[first:i] {
			addChanges(&p.Row, q.Row)
		}
		p.Row.PreviousSnapshot = points[first].Row.PreviousSnapshot
		out = append(out, p)
		first = i + 1
	}
	return out
}

// addChanges adds the changes of r to sum.
func addChanges(sum *datasets.PackageTrendRow, r datasets.PackageTrendRow) {
	sum.Added += r.Added
	sum.Removed += r.Removed
	sum.Upgraded += r.Upgraded
	sum.Downgraded += r.Downgraded
	sum.NewUpstream += r.NewUpstream
}

func sameDay(a, b time.Time) bool {
	a, b = a.UTC(), b.UTC()
	return a.YearDay() == b.YearDay() && a.Year() == b.Year()
}

// Lag returns the package_lag rows of the committed state p, by source.
func (s Storage) Lag(ctx context.Context, p datasets.Partition) ([]datasets.PackageLagRow, error) {
	if _, ok, err := datasets.Committed(ctx, s.Store, datasets.PackageTrends, p); err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	} else if !ok {
		return nil, fmt.Errorf("trends: state %s: %w", partitionName(p), ErrNotCommitted)
	}
	return readRows[datasets.PackageLagRow](ctx, s, datasets.PackageLag, p)
}
