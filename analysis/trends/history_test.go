package trends

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
)

// entriesOf holds rows as Apply reads a packages file.
func entriesOf(rows ...datasets.PackageRow) *entries {
	e := &entries{}
	for _, r := range rows {
		e.pkg.append(r.Package)
		e.version.append(r.Version)
		e.source.append(r.Source)
		e.arch.append(r.IndexArchitecture)
		e.format.append(r.Format)
		e.n++
	}
	e.finish()
	return e
}

// historyOf holds rows as Apply reads a package_history file.
func historyOf(rows []datasets.PackageHistoryRow) *history {
	h := &history{}
	for _, r := range rows {
		for _, c := range []struct {
			dst *stringColumn
			v   string
		}{{&h.pkg, r.Package}, {&h.version, r.Version}, {&h.source, r.Source}, {&h.upstream, r.Upstream}} {
			c.dst.append(c.v)
		}
		h.arch.append(r.IndexArchitecture)
		h.format.append(r.Format)
		h.firstSnap.append(r.FirstSnapshot)
		h.lastSnap.append(r.LastSnapshot)
		h.firstSeen = append(h.firstSeen, r.FirstSeen.UnixMilli())
		h.lastSeen = append(h.lastSeen, r.LastSeen.UnixMilli())
		h.snapshots = append(h.snapshots, r.Snapshots)
		h.current = append(h.current, r.Current)
		h.n++
	}
	h.finish()
	return h
}

func pkg(name, arch, version, source, format string) datasets.PackageRow {
	return datasets.PackageRow{Package: name, IndexArchitecture: arch, Version: version, Source: source, Format: format}
}

// step runs advance and collects the rows it emits.
func step(t *testing.T, prev *history, cur *entries, id string, date time.Time) (datasets.PackageTrendRow, []datasets.PackageHistoryRow) {
	t.Helper()
	var rows []datasets.PackageHistoryRow
	trend, err := advance(prev, cur, snapshotAt{ID: id, Date: date}, func(r *datasets.PackageHistoryRow) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(rows, func(a, b datasets.PackageHistoryRow) int { return datasets.ComparePackageHistoryRows(&a, &b) }) {
		t.Errorf("%s: history rows out of order", id)
	}
	return trend, rows
}

// TestAdvanceOrdersVersionsByFormat: an entry's highest version is the
// format's, not the text's (1.10 sorts before 1.9 as text), and each
// format orders its own versions.
func TestAdvanceOrdersVersionsByFormat(t *testing.T) {
	d1, d2 := at(1, 0), at(3, 12)
	for _, tc := range []struct {
		name                 string
		first, second        []datasets.PackageRow
		upgraded, downgraded int64
		added, removed       int64
		newUpstream          int64
		medianAge            float64
	}{
		{"deb: two versions, the higher stays", []datasets.PackageRow{pkg("foo", "amd64", "1.9-1", "foo", "deb"), pkg("foo", "amd64", "1.10-1", "foo", "deb")},
			[]datasets.PackageRow{pkg("foo", "amd64", "1.10-1", "foo", "deb")}, 0, 0, 0, 0, 0, 2.5},
		{"deb: the higher goes", []datasets.PackageRow{pkg("foo", "amd64", "1.9-1", "foo", "deb"), pkg("foo", "amd64", "1.10-1", "foo", "deb")},
			[]datasets.PackageRow{pkg("foo", "amd64", "1.9-1", "foo", "deb")}, 0, 1, 0, 0, 0, 2.5},
		{"rpm: a release bump", []datasets.PackageRow{pkg("foo", "x86_64", "1.0-1.fc41", "foo", "rpm")},
			[]datasets.PackageRow{pkg("foo", "x86_64", "1.0-10.fc41", "foo", "rpm")}, 1, 0, 0, 0, 0, 0},
		{"apk: a new upstream", []datasets.PackageRow{pkg("foo", "x86_64", "1.9-r0", "foo", "apk")},
			[]datasets.PackageRow{pkg("foo", "x86_64", "1.10-r0", "foo", "apk")}, 1, 0, 0, 0, 1, 0},
		{"alpm: an epoch downgrade", []datasets.PackageRow{pkg("foo", "x86_64", "1:1.0-1", "foo", "alpm")},
			[]datasets.PackageRow{pkg("foo", "x86_64", "2.0-1", "foo", "alpm")}, 0, 1, 0, 0, 1, 0},
		{"a name moves between architectures", []datasets.PackageRow{pkg("foo", "amd64", "1.0-1", "foo", "deb")},
			[]datasets.PackageRow{pkg("foo", "arm64", "1.0-1", "foo", "deb")}, 0, 0, 1, 1, 0, 0},
		{"another source's upstream is new to this source", []datasets.PackageRow{pkg("foo", "amd64", "1.0-1", "foo", "deb"), pkg("bar", "amd64", "2.0-1", "bar", "deb")},
			[]datasets.PackageRow{pkg("foo", "amd64", "2.0-1", "foo", "deb"), pkg("bar", "amd64", "2.0-1", "bar", "deb")}, 1, 0, 0, 0, 1, 1.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, rows := step(t, nil, entriesOf(tc.first...), "s1", d1)
			if first.Added != first.Packages || first.NewUpstream != first.Sources || first.Removed+first.Upgraded+first.Downgraded != 0 {
				t.Errorf("first state = %+v: every entry added, every upstream new", first)
			}
			second, _ := step(t, historyOf(rows), entriesOf(tc.second...), "s2", d2)
			got := []int64{second.Upgraded, second.Downgraded, second.Added, second.Removed, second.NewUpstream}
			if want := []int64{tc.upgraded, tc.downgraded, tc.added, tc.removed, tc.newUpstream}; !slices.Equal(got, want) {
				t.Errorf("upgraded, downgraded, added, removed, new upstream = %v, want %v", got, want)
			}
			if second.VersionAgeMedianDays != tc.medianAge {
				t.Errorf("median age = %v days, want %v", second.VersionAgeMedianDays, tc.medianAge)
			}
		})
	}
}

// TestAgeStats: the mean, and percentiles interpolated between ranks.
func TestAgeStats(t *testing.T) {
	for _, tc := range []struct {
		days              []float64
		mean, median, p90 float64
	}{
		{nil, 0, 0, 0},
		{[]float64{4}, 4, 4, 4},
		{[]float64{3, 1}, 2, 2, 2.8},
		{[]float64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 50, 50, 90},
		{[]float64{5, 0, 0, 0}, 1.25, 0, 3.5},
	} {
		mean, median, p90 := ageStats(slices.Clone(tc.days))
		if mean != tc.mean || median != tc.median || math.Abs(p90-tc.p90) > 1e-9 {
			t.Errorf("ageStats(%v) = %v, %v, %v; want %v, %v, %v", tc.days, mean, median, p90, tc.mean, tc.median, tc.p90)
		}
	}
}

// TestPeersOf: a peer's newest snapshot by the end of the target's UTC
// day, none when it has none yet.
func TestPeersOf(t *testing.T) {
	snaps := func(dates ...time.Time) []datasets.Partition {
		var out []datasets.Partition
		for _, d := range dates {
			out = append(out, partOf(peer, d))
		}
		return out
	}
	a := snaps(at(1, 23), at(2, 0), at(2, 23).Add(59*time.Minute+59*time.Second), at(3, 0))
	b := snaps(at(3, 0))
	for _, tc := range []struct {
		target time.Time
		want   []datasets.Partition
	}{
		{at(1, 0), []datasets.Partition{a[0]}},
		{at(2, 0), []datasets.Partition{a[2]}},
		{at(2, 23), []datasets.Partition{a[2]}},
		{at(3, 1), []datasets.Partition{a[3], b[0]}},
		{time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), nil},
	} {
		got, err := peersOf(partOf(target, tc.target), [][]datasets.Partition{a, b})
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("peers of a snapshot at %s = %v, %v; want %v", tc.target, got, err, tc.want)
		}
	}
}
