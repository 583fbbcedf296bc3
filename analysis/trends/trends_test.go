package trends

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/store/s3store"
)

// The fixture series (testdata/README.md): six snapshots of a release
// built from a real Debian index, whose day-to-day changes the test makes.
const (
	mainFixture = "../../ecosystem/deb/testdata/bookworm-main-amd64.Packages"
	zstdFixture = "testdata/zstd-amd64.Packages"
)

var (
	target = Release{Distro: "debian", Release: "trixie"}
	peer   = Release{Distro: "debian", Release: "forky"}
)

func at(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }

// partOf names a snapshot of r taken at date, as a snapshot's commit does.
func partOf(r Release, date time.Time) datasets.Partition {
	h := sha256.Sum256([]byte(r.String() + date.String()))
	return datasets.Partition{Distro: r.Distro, Release: r.Release, Snapshot: datasets.SnapshotID(date, hex.EncodeToString(h[:]))}
}

type fixtureSnapshot struct {
	p    datasets.Partition
	date time.Time
	rows []datasets.PackageRow
}

// edit returns a copy of rows where f has changed each row; rows for
// which f returns false are left out.
func edit(rows []datasets.PackageRow, f func(r *datasets.PackageRow) bool) []datasets.PackageRow {
	var out []datasets.PackageRow
	for _, r := range rows {
		if f(&r) {
			out = append(out, r)
		}
	}
	return out
}

func setVersion(pkg, v string) func(r *datasets.PackageRow) bool {
	return func(r *datasets.PackageRow) bool {
		if r.Package == pkg {
			r.Version, r.SourceVersion = v, v
		}
		return true
	}
}

func drop(pkg, arch string) func(r *datasets.PackageRow) bool {
	return func(r *datasets.PackageRow) bool { return r.Package != pkg || r.IndexArchitecture != arch }
}

func rowOf(t *testing.T, rows []datasets.PackageRow, pkg string) datasets.PackageRow {
	t.Helper()
	for _, r := range rows {
		if r.Package == pkg {
			return r
		}
	}
	t.Fatalf("fixture has no package %s", pkg)
	return datasets.PackageRow{}
}

// series is the fixture's six snapshots of target, S1 to S6:
//
//	S1 the real index: 182 packages of 108 sources
//	S2 zstd added (source libzstd); abook removed; abgate 1.2.0-1+b1 →
//	   2.0.0-1 (an upstream bump); 2048-qt 0.1.6-2+b2 → 0.1.6-2+b3 (a
//	   rebuild, the same upstream)
//	S3 abook back at its version; 0ad added in the arm64 index (a new
//	   entry, not a new name); aaphoto 0.45-1+b1 → 0.45~rc1-1 (a downgrade
//	   to an upstream never seen)
//	S4 unchanged
//	S5 a56 1.3+dfsg-9+b1 → 1:1.2-1 (an epoch: a lower upstream that is an
//	   upgrade); abgate listed at 2.0.0-1 and 2.1.0-1; abook removed again
//	S6 (the same day) abgate only at 2.0.0-1 again; 0ad gone from amd64,
//	   kept in arm64
func series(t *testing.T) []fixtureSnapshot {
	t.Helper()
	base := formatstest.ParsePackages(t, mainFixture, "main", "amd64")
	zstd := formatstest.ParsePackages(t, zstdFixture, "main", "amd64")
	s1 := slices.Clone(base)
	s2 := append(edit(s1, func(r *datasets.PackageRow) bool {
		return drop("abook", "amd64")(r) && setVersion("abgate", "2.0.0-1")(r) && setVersion("2048-qt", "0.1.6-2+b3")(r)
	}), zstd...)
	arm := rowOf(t, base, "0ad")
	arm.IndexArchitecture, arm.Architecture = "arm64", "arm64"
	s3 := append(edit(s2, setVersion("aaphoto", "0.45~rc1-1")), rowOf(t, base, "abook"), arm)
	s4 := slices.Clone(s3)
	abgate21 := rowOf(t, s4, "abgate")
	abgate21.Version, abgate21.SourceVersion = "2.1.0-1", "2.1.0-1"
	s5 := append(edit(s4, func(r *datasets.PackageRow) bool {
		return drop("abook", "amd64")(r) && setVersion("a56", "1:1.2-1")(r)
	}), abgate21)
	s6 := edit(s5, func(r *datasets.PackageRow) bool {
		return drop("0ad", "amd64")(r) && !(r.Package == "abgate" && r.Version == "2.1.0-1")
	})
	var out []fixtureSnapshot
	for i, rows := range [][]datasets.PackageRow{s1, s2, s3, s4, s5, s6} {
		date := []time.Time{at(1, 6), at(2, 6), at(3, 6), at(4, 6), at(5, 6), at(5, 18)}[i]
		out = append(out, fixtureSnapshot{p: partOf(target, date), date: date, rows: rows})
	}
	return out
}

// peerSeries is the peer release's snapshots: the real index with abgate
// at 3.0.0-1 (S2's day, before it), then also 2048-qt at 0.1.7-1 (S5's
// day, after S6).
func peerSeries(t *testing.T) []fixtureSnapshot {
	base := formatstest.ParsePackages(t, mainFixture, "main", "amd64")
	p1 := edit(base, setVersion("abgate", "3.0.0-1"))
	p2 := edit(p1, setVersion("2048-qt", "0.1.7-1"))
	return []fixtureSnapshot{{p: partOf(peer, at(2, 5)), date: at(2, 5), rows: p1}, {p: partOf(peer, at(5, 20)), date: at(5, 20), rows: p2}}
}

func localStore(t *testing.T) store.Store {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func storageOf(t *testing.T, st store.Store) Storage {
	return Storage{Store: st, TempDir: t.TempDir(), Producer: "test",
		Now: func() time.Time { return time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC) }}
}

// applyPlan removes the plan's stale states, then applies its steps.
func applyPlan(t *testing.T, s Storage, plan Plan) []Applied {
	t.Helper()
	ctx := context.Background()
	for _, p := range plan.Stale {
		if err := s.Remove(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	var out []Applied
	for _, step := range plan.Steps {
		a, err := s.Apply(ctx, step, nil)
		if err != nil {
			t.Fatalf("apply %s: %v", step.Target.Snapshot, err)
		}
		out = append(out, a)
	}
	return out
}

func plan(t *testing.T, s Storage, logical map[string]time.Time) Plan {
	t.Helper()
	pl, err := s.Plan(context.Background(), target, []Release{peer}, logical)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// incremental commits the series one snapshot at a time, with the peer
// snapshots of each one's day before it, planning and applying after each.
func incremental(t *testing.T, s Storage, snaps []fixtureSnapshot, logical map[string]time.Time) {
	t.Helper()
	peers := peerSeries(t)
	for k, snap := range snaps {
		for len(peers) > 0 && peers[0].date.Truncate(24*time.Hour).Compare(snap.date) <= 0 {
			datasetstest.CommitRelease(t, s.Store, peers[0].p, peers[0].rows)
			peers = peers[1:]
		}
		datasetstest.CommitRelease(t, s.Store, snap.p, snap.rows)
		pl := plan(t, s, logical)
		if pl.Snapshots != k+1 || pl.UpToDate != k || len(pl.Steps) != 1 || len(pl.Stale) != 0 || pl.Steps[0].Target != snap.p {
			t.Fatalf("plan after %s = %+v, want one step on %d up-to-date states", snap.p.Snapshot, pl, k)
		}
		if k > 0 && pl.Steps[0].Previous != snaps[k-1].p.Snapshot {
			t.Fatalf("step %s builds on %q, want %s", snap.p.Snapshot, pl.Steps[0].Previous, snaps[k-1].p.Snapshot)
		}
		applyPlan(t, s, pl)
	}
}

// fromScratch commits every snapshot, then plans and applies once.
func fromScratch(t *testing.T, s Storage, snaps []fixtureSnapshot, logical map[string]time.Time) []Applied {
	t.Helper()
	for _, snap := range append(peerSeries(t), snaps...) {
		datasetstest.CommitRelease(t, s.Store, snap.p, snap.rows)
	}
	pl := plan(t, s, logical)
	if pl.Snapshots != len(snaps) || pl.UpToDate != 0 || len(pl.Steps) != len(snaps) || len(pl.Stale) != 0 {
		t.Fatalf("plan = %+v, want every snapshot to compute", pl)
	}
	return applyPlan(t, s, pl)
}

// trendCounts are a trend row's counts the fixture knows exactly.
type trendCounts struct {
	packages, binaryNames, sources                 int64
	added, removed, upgraded, downgraded, newUpstr int64
	lagMatched, lagOutdated                        int64
}

func countsOf(r datasets.PackageTrendRow) trendCounts {
	return trendCounts{r.Packages, r.BinaryNames, r.Sources, r.Added, r.Removed, r.Upgraded, r.Downgraded, r.NewUpstream, r.LagMatched, r.LagOutdated}
}

// TestSeries computes the fixture series from scratch and checks every
// trend row against the changes the series made, the history's first and
// last seen, and the lag.
func TestSeries(t *testing.T) {
	snaps := series(t)
	s := storageOf(t, localStore(t))
	applied := fromScratch(t, s, snaps, nil)
	want := []trendCounts{
		{182, 182, 108, 182, 0, 0, 0, 108, 0, 0},
		{182, 182, 108, 1, 1, 2, 0, 2, 107, 1},
		{184, 183, 109, 2, 0, 0, 1, 1, 108, 2},
		{184, 183, 109, 0, 0, 0, 0, 0, 108, 2},
		{183, 182, 108, 0, 1, 2, 0, 2, 107, 4},
		{182, 182, 108, 0, 1, 0, 1, 0, 107, 4},
	}
	peers := peerSeries(t)
	wantPeers := [][]string{nil, {partitionName(peers[0].p)}, {partitionName(peers[0].p)}, {partitionName(peers[0].p)},
		{partitionName(peers[1].p)}, {partitionName(peers[1].p)}}
	ctx := context.Background()
	for k, a := range applied {
		row := a.Trend
		if got := countsOf(row); got != want[k] {
			t.Errorf("S%d counts = %+v, want %+v", k+1, got, want[k])
		}
		if !row.ReleaseDate.Equal(snaps[k].date) || a.Partition != snaps[k].p || a.Reused {
			t.Errorf("S%d: release date %s, partition %s, reused %v", k+1, row.ReleaseDate, a.Partition.Snapshot, a.Reused)
		}
		if wantPrev := ""; k > 0 && row.PreviousSnapshot != snaps[k-1].p.Snapshot || k == 0 && row.PreviousSnapshot != wantPrev {
			t.Errorf("S%d previous = %q", k+1, row.PreviousSnapshot)
		}
		if !slices.Equal(row.Peers, wantPeers[k]) {
			t.Errorf("S%d peers = %q, want %q", k+1, row.Peers, wantPeers[k])
		}
		// The stored row is the one Apply returned.
		stored, err := s.readTrend(ctx, snaps[k].p)
		if err != nil || !equalTrend(stored, row) {
			t.Errorf("S%d stored trend = %+v, %v; Apply returned %+v", k+1, stored, err, row)
		}
	}
	// Version ages: S1 all new; S2 one day on, three versions new; S3
	// two days on, zstd, abgate and 2048-qt one day old, 0ad (arm64) and
	// aaphoto new, abook back at the version first seen in S1.
	for k, w := range [][3]float64{{0, 0, 0}, {179.0 / 182, 1, 1}, {361.0 / 184, 2, 2}} {
		r := applied[k].Trend
		if got := [3]float64{r.VersionAgeMeanDays, r.VersionAgeMedianDays, r.VersionAgeP90Days}; got != w {
			t.Errorf("S%d version age mean, median, p90 = %v, want %v", k+1, got, w)
		}
	}

	hist, err := readRows[datasets.PackageHistoryRow](ctx, s, datasets.PackageHistory, snaps[5].p)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 189 {
		t.Errorf("S6 history has %d rows, want 189 (182 + 7 versions new since S1)", len(hist))
	}
	current := 0
	for i := range hist {
		if hist[i].Current {
			current++
		}
		if i > 0 && datasets.ComparePackageHistoryRows(&hist[i-1], &hist[i]) >= 0 {
			t.Errorf("history rows %d and %d out of order", i-1, i)
		}
	}
	if current != 182 {
		t.Errorf("S6 history has %d current rows, want 182", current)
	}
	id := func(k int) string { return snaps[k-1].p.Snapshot }
	for _, w := range []struct {
		pkg, arch, version string
		first, last        int // S1..S6
		snapshots          int64
		current            bool
		upstream           string
	}{
		{"abook", "amd64", "0.6.1-2+b1", 1, 4, 3, false, "0.6.1"},
		{"abgate", "amd64", "1.2.0-1+b1", 1, 1, 1, false, "1.2.0"},
		{"abgate", "amd64", "2.0.0-1", 2, 6, 5, true, "2.0.0"},
		{"abgate", "amd64", "2.1.0-1", 5, 5, 1, false, "2.1.0"},
		{"0ad", "amd64", "0.0.26-3", 1, 5, 5, false, "0.0.26"},
		{"0ad", "arm64", "0.0.26-3", 3, 6, 4, true, "0.0.26"},
		{"aaphoto", "amd64", "0.45-1+b1", 1, 2, 2, false, "0.45"},
		{"aaphoto", "amd64", "0.45~rc1-1", 3, 6, 4, true, "0.45~rc1"},
		{"2048-qt", "amd64", "0.1.6-2+b3", 2, 6, 5, true, "0.1.6"},
		{"a56", "amd64", "1:1.2-1", 5, 6, 2, true, "1.2"},
		{"zstd", "amd64", "1.5.4+dfsg2-5", 2, 6, 5, true, "1.5.4"},
		{"2048", "amd64", "0.20220905.1556-1", 1, 6, 6, true, "0.20220905.1556"},
	} {
		i := slices.IndexFunc(hist, func(r datasets.PackageHistoryRow) bool {
			return r.Package == w.pkg && r.IndexArchitecture == w.arch && r.Version == w.version
		})
		if i < 0 {
			t.Errorf("history has no %s %s %s", w.pkg, w.arch, w.version)
			continue
		}
		r := hist[i]
		if r.FirstSnapshot != id(w.first) || !r.FirstSeen.Equal(snaps[w.first-1].date) || r.LastSnapshot != id(w.last) ||
			!r.LastSeen.Equal(snaps[w.last-1].date) || r.Snapshots != w.snapshots || r.Current != w.current || r.Upstream != w.upstream || r.Format != "deb" {
			t.Errorf("history of %s %s %s = %+v, want first S%d, last S%d, %d snapshots, current %v, upstream %s",
				w.pkg, w.arch, w.version, r, w.first, w.last, w.snapshots, w.current, w.upstream)
		}
	}

	// The lag (its counts above): abgate behind the peer's 3.0.0 since S2,
	// at each of its own upstream versions since it had it; aaphoto's
	// 0.45~rc1 behind the peer's 0.45 from S3; a56's 1.2 behind 1.3 and
	// 2048-qt behind 0.1.7 from S5.
	for _, w := range []struct {
		k      int
		source string
		since  int
	}{{3, "abgate", 2}, {3, "aaphoto", 3}, {5, "abgate", 5}, {5, "2048-qt", 5}, {5, "a56", 5}, {6, "abgate", 6}, {6, "aaphoto", 3}, {6, "2048-qt", 5}} {
		rows, err := s.Lag(ctx, snaps[w.k-1].p)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(rows, func(r datasets.PackageLagRow) bool { return r.Source == w.source })
		if i < 0 || !rows[i].OutdatedSince.Equal(snaps[w.since-1].date) || rows[i].NewestDistro != "debian" || rows[i].NewestRelease != "forky" {
			t.Errorf("S%d lag of %s = %+v, want outdated since S%d behind debian/forky", w.k, w.source, rows, w.since)
		}
	}
}

// equalTrend compares trend rows as stored: Parquet keeps milliseconds,
// and an empty list reads back as nil.
func equalTrend(a, b datasets.PackageTrendRow) bool {
	if !a.ReleaseDate.Equal(b.ReleaseDate) || !a.LogicalDate.Equal(b.LogicalDate) || !slices.Equal(a.Peers, b.Peers) {
		return false
	}
	a.ReleaseDate, a.LogicalDate = b.ReleaseDate, b.LogicalDate
	a.Peers, b.Peers = nil, nil
	return reflect.DeepEqual(a, b)
}

// sameDatasets asserts that two stores hold the same trends states of
// snaps: byte-identical data objects, and manifests with the same inputs.
func sameDatasets(t *testing.T, a, b Storage, snaps []fixtureSnapshot) {
	t.Helper()
	ctx := context.Background()
	for _, snap := range snaps {
		for _, tb := range datasets.TrendsTables {
			ma, oka, erra := datasets.Committed(ctx, a.Store, tb, snap.p)
			mb, okb, errb := datasets.Committed(ctx, b.Store, tb, snap.p)
			if erra != nil || errb != nil || !oka || !okb {
				t.Fatalf("%s of %s: committed %v, %v (%v, %v)", tb.Name, snap.p.Snapshot, oka, okb, erra, errb)
			}
			if !slices.Equal(ma.Inputs, mb.Inputs) || ma.Rows != mb.Rows {
				t.Errorf("%s of %s: inputs %v, %d rows; other %v, %d rows", tb.Name, snap.p.Snapshot, ma.Inputs, ma.Rows, mb.Inputs, mb.Rows)
			}
			da, db := objectBytes(t, a.Store, tb.DataKey(snap.p)), objectBytes(t, b.Store, tb.DataKey(snap.p))
			if !bytes.Equal(da, db) {
				t.Errorf("%s: %d and %d bytes that differ", tb.DataKey(snap.p), len(da), len(db))
			}
		}
	}
}

func objectBytes(t *testing.T, st store.Store, key string) []byte {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestIncrementalEqualsFromScratch updates the trends after each new
// snapshot in one store and computes them all at once in another: the
// datasets are the same, byte for byte.
func TestIncrementalEqualsFromScratch(t *testing.T) {
	snaps := series(t)
	logical := map[string]time.Time{snaps[3].p.Snapshot: at(4, 1).Add(30 * time.Minute)}
	inc, all := storageOf(t, localStore(t)), storageOf(t, localStore(t))
	incremental(t, inc, snaps, logical)
	fromScratch(t, all, snaps, logical)
	sameDatasets(t, inc, all, snaps)
	row, err := inc.readTrend(context.Background(), snaps[3].p)
	if err != nil || !row.LogicalDate.Equal(logical[snaps[3].p.Snapshot]) {
		t.Errorf("S4 logical date = %s, %v; want the plan's", row.LogicalDate, err)
	}
	if pl := plan(t, inc, nil); len(pl.Steps) != 0 || len(pl.Stale) != 0 || pl.UpToDate != 6 || pl.Snapshots != 6 {
		t.Errorf("plan when up to date = %+v", pl)
	}
}

// TestBackfill inserts a snapshot between two whose states are committed:
// the states after it are stale, computed again from it, and end as a
// computation from scratch does; a stale state keeps its logical date.
func TestBackfill(t *testing.T) {
	snaps := series(t)
	logical := map[string]time.Time{snaps[3].p.Snapshot: at(4, 1)}
	s := storageOf(t, localStore(t))
	without := slices.Delete(slices.Clone(snaps), 2, 3) // S3 comes later
	incremental(t, s, without, logical)

	ctx := context.Background()
	datasetstest.CommitRelease(t, s.Store, snaps[2].p, snaps[2].rows)
	pl := plan(t, s, nil)
	var targets []datasets.Partition
	for _, st := range pl.Steps {
		targets = append(targets, st.Target)
	}
	wantStale := []datasets.Partition{snaps[3].p, snaps[4].p, snaps[5].p}
	if pl.Snapshots != 6 || pl.UpToDate != 2 || !slices.Equal(pl.Stale, wantStale) ||
		!slices.Equal(targets, []datasets.Partition{snaps[2].p, snaps[3].p, snaps[4].p, snaps[5].p}) || pl.Steps[0].Previous != snaps[1].p.Snapshot {
		t.Fatalf("plan after the backfill = %+v", pl)
	}
	if got := pl.Steps[1].LogicalDate; !got.Equal(at(4, 1)) {
		t.Errorf("stale S4 step's logical date = %s, want the one its trend row had", got)
	}
	// A stale state not removed first is refused, not reused.
	if _, err := s.Apply(ctx, pl.Steps[0], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, pl.Steps[1], nil); !errors.Is(err, ErrStale) {
		t.Fatalf("Apply on a stale state = %v, want ErrStale", err)
	}
	applyPlan(t, s, pl)
	all := storageOf(t, localStore(t))
	fromScratch(t, all, snaps, logical)
	sameDatasets(t, s, all, snaps)
}

// TestApplyReuses applies a step twice: the second finds the state
// committed and writes nothing.
func TestApplyReuses(t *testing.T) {
	snaps := series(t)[:2]
	s := storageOf(t, localStore(t))
	first := fromScratch(t, s, snaps, nil)
	before := objectBytes(t, s.Store, datasets.PackageTrends.ManifestKey(snaps[1].p))
	again, err := s.Apply(context.Background(), Step{Target: snaps[1].p, Previous: snaps[0].p.Snapshot,
		Peers: []datasets.Partition{peerSeries(t)[0].p}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || !equalTrend(again.Trend, first[1].Trend) || again.HistoryRows != first[1].HistoryRows ||
		again.LagRows != first[1].LagRows || again.HistoryRows != 185 {
		t.Errorf("second Apply = %+v, want the first's %+v, reused", again, first[1])
	}
	if after := objectBytes(t, s.Store, datasets.PackageTrends.ManifestKey(snaps[1].p)); !bytes.Equal(before, after) {
		t.Error("the second Apply rewrote the manifest")
	}
}

// TestApplyCompletesPartialState: an Apply that stopped after publishing
// package_history is completed on the same inputs, and removed and
// written again on others.
func TestApplyCompletesPartialState(t *testing.T) {
	snaps := series(t)[:2]
	s := storageOf(t, localStore(t))
	applied := fromScratch(t, s, snaps, nil)
	ctx := context.Background()
	// Un-commit S2 as a stopped Apply leaves it: trends and lag missing.
	for _, tb := range []datasets.Table{datasets.PackageTrends, datasets.PackageLag} {
		if err := s.Store.Delete(ctx, tb.ManifestKey(snaps[1].p)); err != nil {
			t.Fatal(err)
		}
	}
	step := Step{Target: snaps[1].p, Previous: snaps[0].p.Snapshot, Peers: []datasets.Partition{peerSeries(t)[0].p}}
	a, err := s.Apply(ctx, step, nil)
	if err != nil || a.Reused || !equalTrend(a.Trend, applied[1].Trend) {
		t.Fatalf("Apply on a partial state = %+v, %v", a, err)
	}
	// Partly written again, then applied without the peer: the history
	// published on the peer is not kept.
	for _, tb := range []datasets.Table{datasets.PackageTrends, datasets.PackageLag} {
		if err := s.Store.Delete(ctx, tb.ManifestKey(snaps[1].p)); err != nil {
			t.Fatal(err)
		}
	}
	step.Peers = nil
	if a, err = s.Apply(ctx, step, nil); err != nil || a.Reused || len(a.Trend.Peers) != 0 {
		t.Fatalf("Apply on a partial state of other inputs = %+v, %v", a, err)
	}
	m, _, err := datasets.Committed(ctx, s.Store, datasets.PackageHistory, snaps[1].p)
	if err != nil || len(m.Inputs) != 2 || m.Inputs[1].Path != datasets.Packages.DataKey(snaps[1].p) {
		t.Errorf("history manifest inputs = %+v, %v; want the previous state's and the snapshot's", m.Inputs, err)
	}
}

// TestApplyCorruptHistory: a previous state's history object that is not
// what was committed, or that does not decode, fails the step with an
// error naming the object.
func TestApplyCorruptHistory(t *testing.T) {
	snaps := series(t)[:3]
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, st store.Store, key string, data []byte)
	}{
		{"a flipped byte", func(t *testing.T, st store.Store, key string, data []byte) {
			data[len(data)/2] ^= 0xff
			if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
		}},
		{"not Parquet, manifest updated", func(t *testing.T, st store.Store, key string, data []byte) {
			data = bytes.Repeat([]byte("not parquet "), 100)
			if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
			p := snaps[1].p
			m, _, err := datasets.Committed(ctx, st, datasets.PackageHistory, p)
			if err != nil {
				t.Fatal(err)
			}
			d := datasets.NewDigest()
			d.Write(data)
			m.Files[0].Bytes, m.Files[0].SHA256 = int64(len(data)), d.SHA256()
			datasetstest.RewriteManifest(t, st, datasets.PackageHistory, m)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := storageOf(t, localStore(t))
			fromScratch(t, s, snaps, nil)
			if err := s.Remove(ctx, snaps[2].p); err != nil {
				t.Fatal(err)
			}
			key := datasets.PackageHistory.DataKey(snaps[1].p)
			tc.damage(t, s.Store, key, objectBytes(t, s.Store, key))
			_, err := s.Apply(ctx, Step{Target: snaps[2].p, Previous: snaps[1].p.Snapshot}, nil)
			if !errors.Is(err, datasets.ErrCorrupt) || !strings.Contains(err.Error(), key) {
				t.Fatalf("Apply = %v, want ErrCorrupt naming %s", err, key)
			}
		})
	}
}

// TestPlanTrust: only the snapshots the release's trust accepts are in
// the history; a peer without a snapshot by the target's day is left out.
func TestPlanTrust(t *testing.T) {
	snaps := series(t)[:3]
	s := storageOf(t, localStore(t))
	datasetstest.CommitRelease(t, s.Store, snaps[0].p, snaps[0].rows, "KEY")
	datasetstest.CommitRelease(t, s.Store, snaps[1].p, snaps[1].rows) // unsigned: an impostor
	datasetstest.CommitRelease(t, s.Store, snaps[2].p, snaps[2].rows, "KEY")
	peers := peerSeries(t)
	datasetstest.CommitRelease(t, s.Store, peers[1].p, peers[1].rows)
	trusted := target
	trusted.Trust = &compare.Trust{Keys: []string{"KEY"}, By: "test"}
	pl, err := s.Plan(context.Background(), trusted, []Release{peer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Snapshots != 2 || len(pl.Steps) != 2 || pl.Steps[0].Target != snaps[0].p || pl.Steps[1].Target != snaps[2].p ||
		pl.Steps[1].Previous != snaps[0].p.Snapshot || len(pl.Steps[0].Peers)+len(pl.Steps[1].Peers) != 0 {
		t.Fatalf("plan = %+v, want S1 and S3 without peers", pl)
	}
	// Once their states are committed, S1 and S3 are not read again:
	// with S1's snapshots file gone unreadable the plan still has nothing
	// to do, while the impostor S2, which has no state, is still checked.
	applyPlan(t, s, pl)
	ctx := context.Background()
	if err := s.Store.Put(ctx, datasets.Snapshots.DataKey(snaps[0].p), strings.NewReader("not parquet"), 11); err != nil {
		t.Fatal(err)
	}
	if pl, err = s.Plan(ctx, trusted, nil, nil); err != nil || pl.Snapshots != 2 || pl.UpToDate != 2 || len(pl.Steps) != 0 {
		t.Fatalf("plan once the states are committed = %+v, %v", pl, err)
	}
	trusted.Trust.AllowUnverified = true
	if pl, err = s.Plan(ctx, trusted, nil, nil); err != nil || pl.Snapshots != 3 {
		t.Fatalf("plan allowing unverified = %+v, %v", pl, err)
	}
}

// TestSeriesAndDaily reads the committed series back within bounds, and
// its daily points.
func TestSeriesAndDaily(t *testing.T) {
	snaps := series(t)
	s := storageOf(t, localStore(t))
	fromScratch(t, s, snaps, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         []int // S1..S6
		daily        []int
	}{
		{"all", time.Time{}, time.Time{}, []int{1, 2, 3, 4, 5, 6}, []int{1, 2, 3, 4, 6}},
		{"bounds included", at(2, 6), at(5, 6), []int{2, 3, 4, 5}, []int{2, 3, 4, 5}},
		{"from a day", at(5, 0), time.Time{}, []int{5, 6}, []int{6}},
		{"none", at(7, 0), time.Time{}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			points, err := s.Series(ctx, target.Distro, target.Release, tc.since, tc.until)
			if err != nil {
				t.Fatal(err)
			}
			ids := func(ps []Point) []int {
				var out []int
				for _, p := range ps {
					out = append(out, slices.IndexFunc(snaps, func(f fixtureSnapshot) bool { return f.p == p.Partition })+1)
				}
				return out
			}
			if got := ids(points); !slices.Equal(got, tc.want) {
				t.Errorf("Series = S%v, want S%v", got, tc.want)
			}
			if got := ids(Daily(points)); !slices.Equal(got, tc.daily) {
				t.Errorf("Daily = S%v, want S%v", got, tc.daily)
			}
		})
	}
}

// TestOnMinIO updates the series one snapshot at a time in MinIO, where
// every object read is spooled rather than read in place, and finds the
// datasets a local folder computes from scratch, byte for byte.
func TestOnMinIO(t *testing.T) {
	env := testenv.MinIO(t)
	ctx := context.Background()
	st, err := s3store.New(ctx, "distroscope-trends-test", "trends-"+strings.ToLower(rand.Text())[:12],
		s3store.Options{Endpoint: env.Endpoint, Region: env.Region, AccessKey: env.AccessKey, SecretKey: env.SecretKey, CreateBucket: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		objs, _ := st.List(ctx, "")
		for _, o := range objs {
			st.Delete(ctx, o.Key)
		}
	})
	snaps := series(t)
	remote, local := storageOf(t, st), storageOf(t, localStore(t))
	incremental(t, remote, snaps, nil)
	fromScratch(t, local, snaps, nil)
	sameDatasets(t, remote, local, snaps)
}

// TestRetainedSeriesStaysValid removes the oldest snapshots of a series
// and their superseded history as the plan's retention does
// (datasets.Retain): the oldest state kept, which carries the history of
// what was removed, stays valid, so a new snapshot is one step on top of
// it, and the kept trend rows are untouched.
func TestRetainedSeriesStaysValid(t *testing.T) {
	snaps := series(t)
	s := storageOf(t, localStore(t))
	incremental(t, s, snaps[:5], nil)
	ctx := context.Background()
	kept := objectBytes(t, s.Store, datasets.PackageTrends.DataKey(snaps[2].p))
	rep, err := datasets.Retain(ctx, s.Store, datasets.RetentionPolicy{
		Releases: []datasets.ReleaseName{{Distro: snaps[0].p.Distro, Release: snaps[0].p.Release}},
		MaxAge:   snaps[4].date.Sub(snaps[2].date) + time.Minute, Now: snaps[4].date}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Removed) == 0 {
		t.Fatalf("retention removed nothing: %+v", rep)
	}
	if pl := plan(t, s, nil); len(pl.Steps) != 0 || len(pl.Stale) != 0 {
		t.Fatalf("plan after retention = %+v, want nothing to do", pl)
	}
	datasetstest.CommitRelease(t, s.Store, snaps[5].p, snaps[5].rows)
	pl := plan(t, s, nil)
	if len(pl.Steps) != 1 || pl.Steps[0].Target != snaps[5].p || len(pl.Stale) != 0 {
		t.Fatalf("plan after a new snapshot = %+v, want one step", pl)
	}
	applyPlan(t, s, pl)
	// The new state is the one a full series gives: its history still
	// knows the removed snapshots.
	all := storageOf(t, localStore(t))
	fromScratch(t, all, snaps, nil)
	sameDatasets(t, s, all, snaps[5:])
	if got := objectBytes(t, s.Store, datasets.PackageTrends.DataKey(snaps[2].p)); !bytes.Equal(got, kept) {
		t.Error("a kept trend row changed")
	}
}

// TestDailySumsTheDaysChanges: the point Daily keeps for a day carries
// the changes of every snapshot of that day, against the day before.
func TestDailySumsTheDaysChanges(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	pt := func(id, prev string, at time.Time, added, removed, upgraded int64) Point {
		return Point{Partition: datasets.Partition{Snapshot: id}, Row: datasets.PackageTrendRow{ReleaseDate: at, PreviousSnapshot: prev,
			Packages: 100, Added: added, Removed: removed, Upgraded: upgraded, NewUpstream: upgraded}}
	}
	points := []Point{
		pt("a", "", day(1, 6), 100, 0, 0),
		pt("b", "a", day(2, 6), 1, 2, 3),
		pt("c", "b", day(2, 18), 4, 0, 5),
		pt("d", "c", day(3, 6), 0, 1, 0),
	}
	got := Daily(points)
	if len(got) != 3 || got[0].Partition.Snapshot != "a" || got[1].Partition.Snapshot != "c" || got[2].Partition.Snapshot != "d" {
		t.Fatalf("Daily = %+v", got)
	}
	if r := got[1].Row; r.PreviousSnapshot != "a" || r.Added != 5 || r.Removed != 2 || r.Upgraded != 8 || r.NewUpstream != 8 || r.Packages != 100 {
		t.Errorf("day 2 = %+v, want c's counts with b's and c's changes, against a", r)
	}
	if r := got[2].Row; r.PreviousSnapshot != "c" || r.Removed != 1 || r.Added != 0 {
		t.Errorf("day 3 = %+v", r)
	}
	if points[2].Row.Added != 4 {
		t.Error("Daily changed its input")
	}
}
