package trends

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

var (
	lagDay1 = time.Date(2026, 7, 11, 10, 16, 37, 0, time.UTC)
	lagDay2 = lagDay1.AddDate(0, 0, 1)
	lagDay3 = lagDay1.AddDate(0, 0, 2)
	lagDay4 = lagDay1.AddDate(0, 0, 3)
	lagDay5 = lagDay1.AddDate(0, 0, 4)
)

func lagPart(distro, release string) datasets.Partition {
	return datasets.Partition{Distro: distro, Release: release, Snapshot: "s1"}
}

// lagVersionsOf reads rows of the packages table as the lag reads them.
func lagVersionsOf(rows []datasets.PackageRow) []PackageVersion {
	out := make([]PackageVersion, len(rows))
	for i, r := range rows {
		out[i] = PackageVersion{Package: r.Package, Source: r.Source, Version: r.Version, Format: r.Format}
	}
	return out
}

// lagFixture reads testdata/lag/<name>: each distribution's packages,
// keyed "distro/release".
func lagFixture(t *testing.T, name string) (map[string][]PackageVersion, map[string]datasets.Partition) {
	t.Helper()
	f, err := os.Open("testdata/lag/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs, parts := map[string][]PackageVersion{}, map[string]datasets.Partition{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 7 {
			t.Fatalf("%s: bad line %q", name, sc.Text())
		}
		key := c[0] + "/" + c[1]
		parts[key] = datasets.Partition{Distro: c[0], Release: c[1], Snapshot: c[2]}
		pkgs[key] = append(pkgs[key], PackageVersion{Package: c[3], Source: c[4], Version: c[5], Format: c[6]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pkgs, parts
}

func checkLag(t *testing.T, rows []datasets.PackageLagRow, matched int64, want []datasets.PackageLagRow, wantMatched int64) {
	t.Helper()
	if matched != wantMatched {
		t.Errorf("matched = %d, want %d", matched, wantMatched)
	}
	if len(rows) != len(want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", rows, want)
	}
	for i := range rows {
		if fmt.Sprintf("%+v", rows[i]) != fmt.Sprintf("%+v", want[i]) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, rows[i], want[i])
		}
	}
}

// notComparable are the versions of libversion's vectors that ComputeLag
// skips as ordering nothing: no digit, or only zeros and no letter.
var notComparable = map[string]bool{
	"": true, "0": true, "0.0.0": true, "00000000000000000": true,
	"a": true, "A": true, "b": true, "p": true, "alpha": true, "beta": true,
	"foo": true, "prerelease": true, "hello.world": true, " .,:;~+-_ ": true,
}

// TestLagLibversionVectors holds the lag to the upstream ordering's own
// test vectors: with cur at a and one peer at b, a source is outdated
// exactly when libversion says b > a, and matched unless either version
// is one the lag skips.
func TestLagLibversionVectors(t *testing.T) {
	f, err := os.Open("../../version/upstream/testdata/libversion-compare.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rules := crossmap.DefaultRules()
	sc := bufio.NewScanner(f)
	cases, outdated, skipped := 0, 0, 0
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		order, err := strconv.Atoi(c[2])
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct {
			cur, peer string
			peerNewer bool
		}{{c[0], c[1], order < 0}, {c[1], c[0], order > 0}} {
			cur := []PackageVersion{{Package: "hello", Source: "hello", Version: v.cur}}
			peers := []Peer{{Partition: lagPart("other", "r"), Packages: []PackageVersion{{Package: "hello", Source: "hello", Version: v.peer}}}}
			rows, matched := ComputeLag(lagDay1, cur, peers, nil, rules)
			comparable := !notComparable[v.cur] && !notComparable[v.peer]
			var want []datasets.PackageLagRow
			if comparable && v.peerNewer {
				want = []datasets.PackageLagRow{{Source: "hello", Project: "hello", Version: v.cur, Upstream: v.cur,
					NewestUpstream: v.peer, NewestVersion: v.peer, NewestDistro: "other", NewestRelease: "r",
					OutdatedSince: lagDay1, Binaries: []string{"hello"}}}
				outdated++
			}
			wantMatched := int64(0)
			if comparable {
				wantMatched = 1
			} else {
				skipped++
			}
			t.Run(fmt.Sprintf("%q<>%q", v.cur, v.peer), func(t *testing.T) { checkLag(t, rows, matched, want, wantMatched) })
			cases++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// Both ways of each of libversion's 176 cases; guards against a vector
	// file that silently shrank or a skip list that swallows everything.
	if cases != 352 || outdated < 100 || skipped > 60 {
		t.Fatalf("%d cases, %d outdated, %d skipped", cases, outdated, skipped)
	}
}

// TestLagRealIndexes runs real Debian bookworm-updates against real Alpine
// 3.18: both have openssl (Debian 3.0.17, Alpine 3.1.2), under source
// names the rules leave alone, and nothing else in common.
func TestLagRealIndexes(t *testing.T) {
	debian := lagVersionsOf(formatstest.ParsePackages(t, "../../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages", "main", "amd64"))
	alpine := lagVersionsOf(formatstest.Rows(t, repo.FormatAPK, "../../ecosystem/apk/testdata/alpine-3.18-aarch64.APKINDEX.tar.gz", repo.Index{Component: "main", Architecture: "aarch64"}))

	rows, matched := ComputeLag(lagDay1, debian, []Peer{{Partition: lagPart("alpine", "v3.18"), Packages: alpine}}, nil, nil)
	checkLag(t, rows, matched, []datasets.PackageLagRow{{
		Source: "openssl", Project: "openssl", Version: "3.0.17-1~deb12u2", Upstream: "3.0.17",
		NewestUpstream: "3.1.2", NewestVersion: "3.1.2-r0", NewestDistro: "alpine", NewestRelease: "v3.18",
		OutdatedSince: lagDay1, Binaries: []string{"libssl-dev", "libssl-doc", "libssl3", "openssl"},
	}}, 1)

	// The other way round Alpine's openssl is matched and newest.
	rows, matched = ComputeLag(lagDay1, alpine, []Peer{{Partition: lagPart("debian", "bookworm-updates"), Packages: debian}}, nil, nil)
	checkLag(t, rows, matched, nil, 1)
}

// TestLagNameRules matches Debian's python-requests with the other
// distributions' by the projects the default rules give its binaries: its
// source name maps to python-requests, like Fedora's, but Arch and Alpine
// only have python:requests.
func TestLagNameRules(t *testing.T) {
	pkgs, parts := lagFixture(t, "requests.tsv")
	rules := crossmap.DefaultRules()
	if got := rules.Map("deb", "python-requests", true).Name; got != "python-requests" {
		t.Fatalf("the default rules map Debian's source python-requests to %q: the fixture's premise changed", got)
	}
	peer := func(key string) Peer { return Peer{Partition: parts[key], Packages: pkgs[key]} }
	debian := func(newest, version, distro, release, project string) []datasets.PackageLagRow {
		return []datasets.PackageLagRow{{Source: "python-requests", Project: project, Version: "2.28.1+dfsg-1", Upstream: "2.28.1",
			NewestUpstream: newest, NewestVersion: version, NewestDistro: distro, NewestRelease: release,
			OutdatedSince: lagDay1, Binaries: []string{"python3-requests"}}}
	}
	for _, tc := range []struct {
		name        string
		cur         string
		peers       []string
		want        []datasets.PackageLagRow
		wantMatched int64
	}{
		// Alpine and Arch tie at 2.32.3: Alpine comes first by distro.
		{"debian vs all", "debian/bookworm", []string{"fedora/40", "archlinux/extra", "alpine/v3.20"},
			debian("2.32.3", "2.32.3-r0", "alpine", "v3.20", "python:requests"), 1},
		{"debian vs all reversed", "debian/bookworm", []string{"alpine/v3.20", "archlinux/extra", "fedora/40"},
			debian("2.32.3", "2.32.3-r0", "alpine", "v3.20", "python:requests"), 1},
		// Fedora's source and binary both match; the source's own project
		// comes first.
		{"debian vs fedora", "debian/bookworm", []string{"fedora/40"},
			debian("2.31.0", "2.31.0-3.fc40", "fedora", "40", "python-requests"), 1},
		{"debian vs arch", "debian/bookworm", []string{"archlinux/extra"},
			debian("2.32.3", "2.32.3-1", "archlinux", "extra", "python:requests"), 1},
		{"arch vs debian", "archlinux/extra", []string{"debian/bookworm", "fedora/40"}, nil, 1},
		{"alpine vs arch", "alpine/v3.20", []string{"archlinux/extra"}, nil, 1},
		{"fedora vs alpine", "fedora/40", []string{"alpine/v3.20"}, []datasets.PackageLagRow{{
			Source: "python-requests", Project: "python:requests", Version: "2.31.0-3.fc40", Upstream: "2.31.0",
			NewestUpstream: "2.32.3", NewestVersion: "2.32.3-r0", NewestDistro: "alpine", NewestRelease: "v3.20",
			OutdatedSince: lagDay1, Binaries: []string{"python3-requests"}}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var peers []Peer
			for _, p := range tc.peers {
				peers = append(peers, peer(p))
			}
			rows, matched := ComputeLag(lagDay1, pkgs[tc.cur], peers, nil, rules)
			checkLag(t, rows, matched, tc.want, tc.wantMatched)
		})
	}
}

// TestLagOutdatedSince follows one source over five days: the date it fell
// behind stays while its upstream version does (a Debian revision and a
// newer peer change nothing), and restarts with a new upstream version
// that is still behind, or after it caught up.
func TestLagOutdatedSince(t *testing.T) {
	deb := func(v string) []PackageVersion {
		return []PackageVersion{{Package: "curl", Source: "curl", Version: v, Format: "deb"}, {Package: "libcurl4", Source: "curl", Version: v, Format: "deb"}}
	}
	arch := func(v string) []Peer {
		return []Peer{{Partition: lagPart("archlinux", "core"), Packages: []PackageVersion{{Package: "curl", Source: "curl", Version: v, Format: "alpm"}}}}
	}
	row := func(version, up, newestVersion, newest string, since time.Time) datasets.PackageLagRow {
		return datasets.PackageLagRow{Source: "curl", Project: "curl", Version: version, Upstream: up,
			NewestUpstream: newest, NewestVersion: newestVersion, NewestDistro: "archlinux", NewestRelease: "core",
			OutdatedSince: since, Binaries: []string{"curl", "libcurl4"}}
	}
	var prev []datasets.PackageLagRow
	for _, step := range []struct {
		date      time.Time
		cur, peer string
		want      []datasets.PackageLagRow
	}{
		{lagDay1, "7.88.1-10+deb12u8", "8.11.0-1", []datasets.PackageLagRow{row("7.88.1-10+deb12u8", "7.88.1", "8.11.0-1", "8.11.0", lagDay1)}},
		{lagDay2, "7.88.1-10+deb12u9", "8.11.1-2", []datasets.PackageLagRow{row("7.88.1-10+deb12u9", "7.88.1", "8.11.1-2", "8.11.1", lagDay1)}},
		{lagDay3, "8.11.0-1", "8.11.1-2", []datasets.PackageLagRow{row("8.11.0-1", "8.11.0", "8.11.1-2", "8.11.1", lagDay3)}},
		{lagDay4, "8.11.1-1", "8.11.1-2", nil},
		{lagDay5, "8.11.1-1", "8.12.0-1", []datasets.PackageLagRow{row("8.11.1-1", "8.11.1", "8.12.0-1", "8.12.0", lagDay5)}},
	} {
		rows, matched := ComputeLag(step.date, deb(step.cur), arch(step.peer), prev, nil)
		t.Run(step.date.Format(time.DateOnly), func(t *testing.T) { checkLag(t, rows, matched, step.want, 1) })
		prev = rows
	}
}

// TestLagDeterministic gives the same entries in two orders: the row, its
// binaries (sorted, distinct across index architectures) and the peer that
// wins a tie are the same.
func TestLagDeterministic(t *testing.T) {
	cur := []PackageVersion{
		{Package: "zstd", Source: "libzstd", Version: "1.5.4+dfsg2-5", Format: "deb"},
		{Package: "libzstd1", Source: "libzstd", Version: "1.5.4+dfsg2-5", Format: "deb"},
		{Package: "libzstd-dev", Source: "libzstd", Version: "1.5.4+dfsg2-5", Format: "deb"},
		{Package: "zstd", Source: "libzstd", Version: "1.5.4+dfsg2-5", Format: "deb"}, // another index architecture
	}
	peers := []Peer{
		// Two Alpine snapshots and Arch at 1.5.6: the first in (distro,
		// release) order is alpine/v3.19.
		{Partition: lagPart("archlinux", "core"), Packages: []PackageVersion{{Package: "zstd", Source: "zstd", Version: "1.5.6-1", Format: "alpm"}}},
		{Partition: lagPart("alpine", "v3.20"), Packages: []PackageVersion{{Package: "zstd", Source: "zstd", Version: "1.5.6-r0", Format: "apk"}}},
		// Within a peer, equal upstream versions pick the greatest text.
		{Partition: lagPart("alpine", "v3.19"), Packages: []PackageVersion{
			{Package: "zstd-libs", Source: "zstd", Version: "1.5.6-r0", Format: "apk"},
			{Package: "zstd", Source: "zstd", Version: "1.5.6-r1", Format: "apk"},
			{Package: "zstd-dev", Source: "zstd", Version: "1.5.6-r0", Format: "apk"},
		}},
	}
	want := []datasets.PackageLagRow{{Source: "libzstd", Project: "zstd", Version: "1.5.4+dfsg2-5", Upstream: "1.5.4",
		NewestUpstream: "1.5.6", NewestVersion: "1.5.6-r1", NewestDistro: "alpine", NewestRelease: "v3.19",
		OutdatedSince: lagDay1, Binaries: []string{"libzstd-dev", "libzstd1", "zstd"}}}

	rows, matched := ComputeLag(lagDay1, cur, peers, nil, nil)
	checkLag(t, rows, matched, want, 1)

	slices.Reverse(cur)
	slices.Reverse(peers)
	for i := range peers {
		slices.Reverse(peers[i].Packages)
	}
	rows, matched = ComputeLag(lagDay1, cur, peers, nil, nil)
	checkLag(t, rows, matched, want, 1)
}

// TestLagSkips covers what is not compared: a project no peer has, a
// placeholder or wordless version on either side, and an older source of a
// project the snapshot also has newer (Repology's legacy).
func TestLagSkips(t *testing.T) {
	arch := func(pkgs ...PackageVersion) []Peer {
		return []Peer{{Partition: lagPart("archlinux", "extra"), Packages: pkgs}}
	}
	for _, tc := range []struct {
		name        string
		cur         []PackageVersion
		peers       []Peer
		want        []datasets.PackageLagRow
		wantMatched int64
	}{
		{"no peer has it", []PackageVersion{{Package: "2048-qt", Source: "2048-qt", Version: "0.1.6-2+b2", Format: "deb"}},
			arch(PackageVersion{Package: "2048", Source: "2048", Version: "0.9-1", Format: "alpm"}), nil, 0},
		{"no peers", []PackageVersion{{Package: "bash", Source: "bash", Version: "5.2.15-2+b7", Format: "deb"}}, nil, nil, 0},
		{"placeholder here", []PackageVersion{{Package: "meta", Source: "meta", Version: "0", Format: "deb"}},
			arch(PackageVersion{Package: "meta", Source: "meta", Version: "1.0-1", Format: "alpm"}), nil, 0},
		{"placeholder there", []PackageVersion{{Package: "meta", Source: "meta", Version: "1.0-1", Format: "deb"}},
			arch(PackageVersion{Package: "meta", Source: "meta", Version: "0.0.0-1", Format: "alpm"}), nil, 0},
		{"word there", []PackageVersion{{Package: "meta", Source: "meta", Version: "1.0-1", Format: "deb"}},
			arch(PackageVersion{Package: "meta", Source: "meta", Version: "latest-1", Format: "alpm"}), nil, 0},
		// A placeholder binary does not hide its source's real version.
		{"placeholder binary", []PackageVersion{
			{Package: "meta-data", Source: "meta", Version: "0", Format: "deb"},
			{Package: "meta", Source: "meta", Version: "1.0-1", Format: "deb"}},
			arch(PackageVersion{Package: "meta", Source: "meta", Version: "1.1-1", Format: "alpm"}),
			[]datasets.PackageLagRow{{Source: "meta", Project: "meta", Version: "1.0-1", Upstream: "1.0",
				NewestUpstream: "1.1", NewestVersion: "1.1-1", NewestDistro: "archlinux", NewestRelease: "extra",
				OutdatedSince: lagDay1, Binaries: []string{"meta", "meta-data"}}}, 1},
		// python3.11 and python3.12 are both python: only the newer one is
		// behind Arch's python; both are matched.
		{"legacy", []PackageVersion{
			{Package: "python3.11", Source: "python3.11", Version: "3.11.9-1", Format: "deb"},
			{Package: "python3.12", Source: "python3.12", Version: "3.12.6-1", Format: "deb"}},
			arch(PackageVersion{Package: "python", Source: "python", Version: "3.12.7-1", Format: "alpm"}),
			[]datasets.PackageLagRow{{Source: "python3.12", Project: "python", Version: "3.12.6-1", Upstream: "3.12.6",
				NewestUpstream: "3.12.7", NewestVersion: "3.12.7-1", NewestDistro: "archlinux", NewestRelease: "extra",
				OutdatedSince: lagDay1, Binaries: []string{"python3.12"}}}, 2},
		// Without a source, the binary rules name the project.
		{"no source", []PackageVersion{{Package: "zlib1g", Version: "1:1.2.13.dfsg-1", Format: "deb"}},
			arch(PackageVersion{Package: "zlib", Source: "zlib", Version: "1:1.3.1-2", Format: "alpm"}),
			[]datasets.PackageLagRow{{Source: "zlib1g", Project: "zlib", Version: "1:1.2.13.dfsg-1", Upstream: "1.2.13",
				NewestUpstream: "1.3.1", NewestVersion: "1:1.3.1-2", NewestDistro: "archlinux", NewestRelease: "extra",
				OutdatedSince: lagDay1, Binaries: []string{"zlib1g"}}}, 1},
		// … whatever flavor they give it: a package without a source is
		// its own source.
		{"no source, a flavor", []PackageVersion{{Package: "zlib1g-dev", Version: "1:1.2.13.dfsg-1", Format: "deb"}},
			arch(PackageVersion{Package: "zlib", Source: "zlib", Version: "1:1.3.1-2", Format: "alpm"}),
			[]datasets.PackageLagRow{{Source: "zlib1g-dev", Project: "zlib", Version: "1:1.2.13.dfsg-1", Upstream: "1.2.13",
				NewestUpstream: "1.3.1", NewestVersion: "1:1.3.1-2", NewestDistro: "archlinux", NewestRelease: "extra",
				OutdatedSince: lagDay1, Binaries: []string{"zlib1g-dev"}}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, matched := ComputeLag(lagDay1, tc.cur, tc.peers, nil, nil)
			checkLag(t, rows, matched, tc.want, tc.wantMatched)
		})
	}
}

// TestLagRowsSorted checks the rows come sorted by source, as the
// package_lag table is.
func TestLagRowsSorted(t *testing.T) {
	var cur, peer []PackageVersion
	for _, name := range []string{"zsh", "bash", "mksh", "dash", "tcsh"} {
		cur = append(cur, PackageVersion{Package: name, Source: name, Version: "1.0-1", Format: "deb"})
		peer = append(peer, PackageVersion{Package: name, Source: name, Version: "2.0-1", Format: "alpm"})
	}
	rows, matched := ComputeLag(lagDay1, cur, []Peer{{Partition: lagPart("archlinux", "core"), Packages: peer}}, nil, nil)
	if matched != 5 || len(rows) != 5 || !slices.IsSortedFunc(rows, func(a, b datasets.PackageLagRow) int { return datasets.ComparePackageLagRows(&a, &b) }) {
		t.Errorf("matched %d, rows %+v", matched, rows)
	}
}

// BenchmarkComputeLag is Debian's scale: 77k binaries of 35k sources
// against three peers of the same size (half the projects newer there).
func BenchmarkComputeLag(b *testing.B) {
	const sources, binaries = 35_000, 77_000
	snapshot := func(format string, version func(i int) string) []PackageVersion {
		out := make([]PackageVersion, binaries)
		for j := range out {
			i := j % sources
			out[j] = PackageVersion{Package: fmt.Sprintf("bin%d-%d", i, j/sources), Source: fmt.Sprintf("src%d", i), Version: version(i), Format: format}
		}
		return out
	}
	cur := snapshot("deb", func(i int) string { return fmt.Sprintf("1:%d.%d.0+dfsg-1", i%50+1, i%7) })
	peers := []Peer{
		{Partition: lagPart("alpine", "v3.20"), Packages: snapshot("apk", func(i int) string { return fmt.Sprintf("%d.%d.%d-r0", i%50+1, i%7, i%2) })},
		{Partition: lagPart("archlinux", "extra"), Packages: snapshot("alpm", func(i int) string { return fmt.Sprintf("%d.%d.0-1", i%50+1, i%7) })},
		{Partition: lagPart("fedora", "40"), Packages: snapshot("rpm", func(i int) string { return fmt.Sprintf("%d.%d.0-1.fc40", i%50+1, i%7) })},
	}
	rules := crossmap.DefaultRules()
	b.ReportAllocs()
	for b.Loop() {
		rows, matched := ComputeLag(lagDay1, cur, peers, nil, rules)
		if matched != sources || len(rows) != sources/2 {
			b.Fatalf("matched %d, %d rows", matched, len(rows))
		}
	}
}
