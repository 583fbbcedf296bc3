package crossmap

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

func open(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func debRows(t testing.TB, paths ...string) []datasets.PackageRow {
	t.Helper()
	var rows []datasets.PackageRow
	for _, path := range paths {
		rows = append(rows, formatstest.ParsePackages(t, path, "main", "amd64")...)
	}
	return rows
}

// apkRows reads a plain-text APKINDEX fixture as a snapshot would read it
// served: packed into APKINDEX.tar.gz first.
func apkRows(t testing.TB, path string) []datasets.PackageRow {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "APKINDEX", Mode: 0o644, Size: int64(len(text))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(text); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		t.Fatal(err)
	}
	packed := filepath.Join(t.TempDir(), "APKINDEX.tar.gz")
	if err := os.WriteFile(packed, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return formatstest.Rows(t, repo.FormatAPK, packed, repo.Index{Component: "main", Architecture: "aarch64"})
}

func rpmRows(t testing.TB) []datasets.PackageRow {
	t.Helper()
	paths, err := filepath.Glob("../../ecosystem/rpm/testdata/repo/repodata/*-primary.xml.gz")
	if err != nil || len(paths) != 1 {
		t.Fatalf("primary.xml.gz: %v %v", paths, err)
	}
	return formatstest.Rows(t, repo.FormatRPMMD, paths[0], repo.Index{Component: "Everything", Architecture: "x86_64"})
}

func alpmRows(t testing.TB) []datasets.PackageRow {
	t.Helper()
	return formatstest.Rows(t, repo.FormatALPM, "../../ecosystem/alpm/testdata/repo/fixture.db.tar.gz", repo.Index{Component: "fixture", Architecture: "x86_64"})
}

// snapshotOf writes rows as a packages Parquet file and reads it back, as
// the compare activity does with committed snapshots.
func snapshotOf(t testing.TB, rows []datasets.PackageRow) *compare.Snapshot {
	t.Helper()
	data := datasetstest.PackagesParquet(t, rows)
	s, err := compare.ReadSnapshot(context.Background(), bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func distinctNames(rows []datasets.PackageRow) int {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Package] = true
	}
	return len(seen)
}

// pair is a hand-checked expectation of one matched row.
type pair struct {
	old, new string
	kind     string
	order    int32
	rule     string
}

func checkPairs(t *testing.T, res compare.Result, want []pair) {
	t.Helper()
	var got []pair
	for _, r := range res.Changes {
		if r.Kind == KindUnmatched {
			continue
		}
		old := r.OldPackage
		if old == "" {
			old = r.Package
		}
		got = append(got, pair{old, r.Package, r.Kind, r.UpstreamOrder, r.Rule})
		if r.OldUpstream == "" || r.NewUpstream == "" {
			t.Errorf("%s: upstream versions %q, %q", r.Package, r.OldUpstream, r.NewUpstream)
		}
	}
	slices.SortFunc(got, func(a, b pair) int { return compareStrings(a.new, b.new) })
	slices.SortFunc(want, func(a, b pair) int { return compareStrings(a.new, b.new) })
	if !slices.Equal(got, want) {
		t.Errorf("pairs:\n got %+v\nwant %+v", got, want)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkUnmatched(t *testing.T, res compare.Result, wantOld, wantNew int, mustHave map[string]bool) {
	t.Helper()
	var gotOld, gotNew int
	for _, r := range res.Changes {
		if r.Kind != KindUnmatched {
			continue
		}
		switch {
		case r.OldVersion != "" && r.NewVersion == "":
			gotOld++
		case r.NewVersion != "" && r.OldVersion == "":
			gotNew++
		default:
			t.Errorf("unmatched %s has versions %q and %q", r.Package, r.OldVersion, r.NewVersion)
		}
		delete(mustHave, r.Package)
	}
	if gotOld != wantOld || gotNew != wantNew {
		t.Errorf("unmatched old/new = %d/%d, want %d/%d", gotOld, gotNew, wantOld, wantNew)
	}
	if int64(gotOld+gotNew) != res.Summary.Unmatched {
		t.Errorf("Summary.Unmatched = %d, rows %d", res.Summary.Unmatched, gotOld+gotNew)
	}
	for name := range mustHave {
		t.Errorf("%s is not among the unmatched rows", name)
	}
}

func TestDebianAlpine(t *testing.T) {
	oldRows := debRows(t, "../../ecosystem/deb/testdata/bookworm-main-amd64.Packages", "../../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages")
	newRows := apkRows(t, "testdata/alpine-style.APKINDEX")
	opts := compare.Options{Old: datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "s1"},
		New: datasets.Partition{Distro: "alpine", Release: "v3.18", Snapshot: "s2"}}
	old, new := snapshotOf(t, oldRows), snapshotOf(t, newRows)
	if _, err := compare.Compare(old, new, opts); !errors.Is(err, compare.ErrCrossDistro) {
		t.Fatalf("compare.Compare err = %v, want ErrCrossDistro", err)
	}
	res, err := Compare(old, new, DefaultRules(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []pair{
		{"python3-abydos", "py3-abydos", compare.KindUpgraded, 1, "python-deb,python-apk"},
		{"python3-pyabpoa", "py3-pyabpoa", compare.KindSame, 0, "python-deb,python-apk"},
		{"python3-lib389", "py3-lib389", compare.KindDowngraded, -1, "python-deb,python-apk"},
		{"libssl3", "libssl3", compare.KindUpgraded, 1, "lib-soname"},
		{"libssl-dev", "openssl-dev", compare.KindUpgraded, 1, RuleSameSource},
		{"perl", "perl", compare.KindSame, 0, "perl-interpreter"},
	}
	checkPairs(t, res, want)
	checkUnmatched(t, res, distinctNames(oldRows)-len(want), 1,
		map[string]bool{"zlib": true, "openssl": true, "libssl-doc": true, "python3": true, "389-ds-base-dev": true})
	s := res.Summary
	if !s.CrossDistro || s.Upgraded != 3 || s.Same != 2 || s.Downgraded != 1 || s.Added != 0 || s.Removed != 0 {
		t.Errorf("summary = %+v", s)
	}
	if s.OldDistro != "debian" || s.NewDistro != "alpine" {
		t.Errorf("summary distros = %q, %q", s.OldDistro, s.NewDistro)
	}
	if res.Format != "deb~apk" {
		t.Errorf("Format = %q", res.Format)
	}
	if !slices.IsSortedFunc(res.Changes, func(a, b datasets.PackageChangeRow) int { return datasets.ComparePackageChangeRows(&a, &b) }) {
		t.Error("changes are not in package_changes order")
	}
	// libssl3: 3.0.17-1~deb12u2 against 3.1.2-r0 is a minor release behind.
	// The lag metric is the report's (report.VersionLag), the one the
	// cross-distro report shows.
	lags := report.VersionLag(res.Changes)
	if len(lags) != len(want) {
		t.Errorf("%d lags, want one per pair (%d)", len(lags), len(want))
	}
	i := slices.IndexFunc(lags, func(l report.Lag) bool { return l.Package == "libssl3" })
	if i < 0 {
		t.Fatal("no lag of libssl3")
	}
	if l := lags[i]; l.OldUpstream != "3.0.17" || l.NewUpstream != "3.1.2" || l.Distance != (report.Distance{Component: 1, Delta: 1, Numeric: true}) ||
		l.Newer != "new" || l.Distance.String() != "+1 minor" {
		t.Errorf("libssl3 lag = %+v", l)
	}
	// Equal upstream versions (perl, py3-pyabpoa) sort last.
	for _, l := range lags[len(lags)-2:] {
		if l.Component != -1 || l.Newer != "same" {
			t.Errorf("lag %+v: want an equal pair among the last two", l)
		}
	}
}

func TestArchFedoraUserRules(t *testing.T) {
	oldRows, newRows := alpmRows(t), rpmRows(t)
	old, new := snapshotOf(t, oldRows), snapshotOf(t, newRows)
	opts := compare.Options{}

	// The defaults map none of the fixtures' names onto each other.
	res, err := Compare(old, new, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkPairs(t, res, nil)
	checkUnmatched(t, res, distinctNames(oldRows), distinctNames(newRows), map[string]bool{"fixture-tools": true, "hello-tool": true})

	user, err := ParseRules(open(t, "testdata/user-rules.yaml"), "user-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err = Compare(old, new, Layer(DefaultRules(), user), opts)
	if err != nil {
		t.Fatal(err)
	}
	// fixture-tools 1:2.4.1-3 is a newer upstream than hello-tool 2:1.2.3-4:
	// epochs do not count across distributions. The -docs and -doc
	// packages pair as the one doc package of the hello-tool project.
	want := []pair{
		{"fixture-tools", "hello-tool", compare.KindDowngraded, -1, "fixture-tools-is-hello-tool"},
		{"fixture-tools-docs", "hello-tool-doc", compare.KindDowngraded, -1, "fixture-tools-is-hello-tool"},
	}
	checkPairs(t, res, want)
	checkUnmatched(t, res, distinctNames(oldRows)-2, distinctNames(newRows)-2, map[string]bool{"caret-pkg": true, "fixture-data": true})
	// fixture-tools 2.4.1 is a major release ahead of hello-tool 1.2.3.
	lags := report.VersionLag(res.Changes)
	if len(lags) != 2 || lags[0].Distance != (report.Distance{Component: 0, Delta: -1, Numeric: true}) || lags[0].Newer != "old" ||
		lags[0].OldPackage != "fixture-tools" || lags[0].Package != "hello-tool" {
		t.Errorf("lags = %+v", lags)
	}
}

func TestSnapshotWithoutFormat(t *testing.T) {
	rows := debRows(t, "../../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages")
	rows[0].Format = ""
	_, err := Compare(snapshotOf(t, rows), snapshotOf(t, apkRows(t, "testdata/alpine-style.APKINDEX")), nil, compare.Options{})
	if err == nil || !strings.Contains(err.Error(), "crossmap: old snapshot: package "+rows[0].Package) {
		t.Errorf("err = %v", err)
	}
}

func TestLoadRules(t *testing.T) {
	r, err := LoadRules(open(t, "testdata/user-rules.yaml"), "user-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Map("alpm", "fixture-tools", true).Name; got != "hello-tool" {
		t.Errorf("user rule: %s", got)
	}
	if got := r.Map("apk", "py3-abydos", false).Name; got != "python:abydos" {
		t.Errorf("default rule: %s", got)
	}
	if _, err := LoadRules(strings.NewReader("rules:\n  - bogus: 1\n"), "bad.yaml"); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("bad file: err = %v", err)
	}
}
