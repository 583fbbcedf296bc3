package compare

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

const (
	mainFixture    = "../../ecosystem/deb/testdata/bookworm-main-amd64.Packages"
	updatesFixture = "../../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages"
	baseFixture    = "testdata/bookworm-main-updated-packages-amd64.Packages"
	modified       = "testdata/modified-amd64.Packages"
	removedList    = "testdata/removed.txt"
)

// parseFile reads a Packages file into rows of the packages table, as
// the apt source does, in the main component of the amd64 index.
func parseFile(t testing.TB, path string) []datasets.PackageRow {
	return formatstest.ParsePackages(t, path, "main", "amd64")
}

// overlay replaces rows of base by name with those of top, adds the rest
// of top, and drops the names in drop.
func overlay(base, top []datasets.PackageRow, drop []string) []datasets.PackageRow {
	byName := map[string]bool{}
	for _, r := range top {
		byName[r.Package] = true
	}
	var out []datasets.PackageRow
	for _, r := range base {
		if !byName[r.Package] && !slices.Contains(drop, r.Package) {
			out = append(out, r)
		}
	}
	return append(out, top...)
}

func snapshotOf(t testing.TB, rows []datasets.PackageRow) *Snapshot {
	t.Helper()
	b := datasetstest.PackagesParquet(t, rows)
	s, err := ReadSnapshot(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixtureSides builds the two sides testdata/README.md describes.
func fixtureSides(t testing.TB) (oldRows, newRows []datasets.PackageRow) {
	main := parseFile(t, mainFixture)
	oldRows = append(slices.Clone(main), parseFile(t, baseFixture)...)
	drop, err := os.ReadFile(removedList)
	if err != nil {
		t.Fatal(err)
	}
	newRows = overlay(main, parseFile(t, modified), strings.Fields(string(drop)))
	newRows = append(newRows, parseFile(t, updatesFixture)...)
	return oldRows, newRows
}

func TestReadSnapshot(t *testing.T) {
	rows := parseFile(t, mainFixture)
	s := snapshotOf(t, rows)
	if s.Len() != len(rows) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(rows))
	}
	slices.SortFunc(rows, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
	// The writer sorts each row group; the fixture fits in one, so the
	// snapshot is in the same order.
	for i, r := range rows {
		got := s.Row(i)
		want := PackageRef{Package: r.Package, IndexArchitecture: r.IndexArchitecture, Architecture: r.Architecture,
			Version: r.Version, Source: r.Source, SourceVersion: r.SourceVersion, Section: r.Section,
			Priority: r.Priority, Essential: r.Essential, Format: r.Format}
		if got != want {
			t.Fatalf("row %d = %+v, want %+v", i, got, want)
		}
		if deps := append(slices.Clone(r.Depends), r.PreDepends...); !slices.Equal(s.Depends(i), deps) {
			t.Fatalf("row %d (%s) depends = %q, want %q", i, r.Package, s.Depends(i), deps)
		}
	}
}

func TestCompareFixtures(t *testing.T) {
	oldRows, newRows := fixtureSides(t)
	res, err := Compare(snapshotOf(t, oldRows), snapshotOf(t, newRows), Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]datasets.PackageChangeRow{}
	for _, r := range res.Changes {
		byName[r.Package] = r
	}
	// Hand-checked cases: see testdata/README.md for each edit.
	for _, tc := range []struct {
		pkg, kind string
		rebuild   bool
	}{
		{"0ad", KindUpgraded, false},         // 0.0.26-3 -> 0.0.26-4
		{"0ad-data", KindSame, false},        // Architecture all -> amd64, same version
		{"2048-qt", KindUpgraded, true},      // binNMU +b2 -> +b3
		{"a56", KindUpgraded, false},         // epoch 1: beats a higher upstream
		{"aaphoto", KindDowngraded, false},   // 0.45-1+b1 -> 0.45~rc1-1: ~ sorts before
		{"abgate", KindUpgraded, false},      // 1.2.0 -> 2.0.0
		{"zstd", KindAdded, false},           // only in the new side
		{"abook", KindRemoved, false},        // dropped by removed.txt
		{"tzdata", KindDowngraded, false},    // bookworm-updates' 2025b is older than bookworm's 2026b
		{"openssl", KindDowngraded, false},   // 3.0.20-1~deb12u2 -> 3.0.17-1~deb12u2
		{"ca-certificates", KindSame, false}, // both 20230311+deb12u1
		{"bash", KindSame, false},            // untouched
	} {
		got, ok := byName[tc.pkg]
		if !ok {
			t.Errorf("%s: no change row", tc.pkg)
			continue
		}
		if got.Kind != tc.kind || got.Rebuild != tc.rebuild {
			t.Errorf("%s: kind %s rebuild %v (%s -> %s), want %s rebuild %v", tc.pkg, got.Kind, got.Rebuild, got.OldVersion, got.NewVersion, tc.kind, tc.rebuild)
		}
	}
	ad := byName["0ad"]
	if want := []string{"libzstd1 (>= 1.5.2)"}; !slices.Equal(ad.DependsAdded, want) {
		t.Errorf("0ad depends added = %q, want %q", ad.DependsAdded, want)
	}
	if want := []string{"libenet7"}; !slices.Equal(ad.DependsRemoved, want) {
		t.Errorf("0ad depends removed = %q, want %q", ad.DependsRemoved, want)
	}
	if want := []string{
		"0ad-data (<= 0.0.26-3) -> 0ad-data (<= 0.0.27-1)",
		"0ad-data (>= 0.0.26) -> 0ad-data (>= 0.0.27)",
		"libc6 (>= 2.34) -> libc6 (>= 2.36)",
	}; !slices.Equal(ad.DependsChanged, want) {
		t.Errorf("0ad depends changed = %q, want %q", ad.DependsChanged, want)
	}
	if r := byName["2048-qt"]; len(r.DependsAdded)+len(r.DependsRemoved)+len(r.DependsChanged) != 0 {
		t.Errorf("2048-qt: dependency delta %+v for unchanged Depends", r)
	}

	// Counts, recomputed from the rows' kinds.
	var want datasets.CompareSummaryRow
	for i := range res.Changes {
		count(&want, &res.Changes[i])
	}
	if res.Summary != want {
		t.Errorf("summary %+v, want %+v", res.Summary, want)
	}
	if res.Summary.Added != 1 || res.Summary.Removed != 1 || res.Summary.Rebuilds != 1 {
		t.Errorf("summary %+v: want 1 added (zstd), 1 removed (abook), 1 rebuild (2048-qt)", res.Summary)
	}
	if n := int64(len(res.Changes)); n != res.Summary.Added+res.Summary.Removed+res.Summary.Upgraded+res.Summary.Downgraded+res.Summary.Same {
		t.Errorf("%d rows, summary %+v", n, res.Summary)
	}
	if !slices.IsSortedFunc(res.Changes, func(a, b datasets.PackageChangeRow) int { return datasets.ComparePackageChangeRows(&a, &b) }) {
		t.Error("changes not sorted by datasets.ComparePackageChangeRows")
	}

	// Source roll-up.
	src := map[string]datasets.SourceChangeRow{}
	for _, s := range res.Sources {
		src[s.Source] = s
	}
	if s := src["2048-qt"]; s.Kind != KindUpgraded || !s.Rebuild || s.OldVersion != "0.1.6-2" || s.NewVersion != "0.1.6-2" {
		t.Errorf("source 2048-qt = %+v, want a rebuild of 0.1.6-2", s)
	}
	if s := src["samba"]; s.Kind != KindDowngraded || len(s.Binaries) < 20 || !slices.Contains(s.Binaries, "libldb2") {
		t.Errorf("source samba = %+v, want downgraded with its ~27 binaries", s)
	}
	if s := src["libzstd"]; s.Kind != KindAdded || !slices.Equal(s.Binaries, []string{"zstd"}) {
		t.Errorf("source libzstd = %+v, want zstd added", s)
	}
}

func TestCompareErrors(t *testing.T) {
	rows := parseFile(t, updatesFixture)
	deb := snapshotOf(t, rows)

	rpmRows := slices.Clone(rows)
	arm := slices.Clone(rows)
	for i := range rpmRows {
		rpmRows[i].Format = "rpm"
		arm[i].IndexArchitecture = "arm64"
	}
	if _, err := Compare(deb, snapshotOf(t, rpmRows), Options{}); !errors.Is(err, ErrCrossDistro) {
		t.Errorf("deb vs rpm: err = %v, want ErrCrossDistro", err)
	}
	if _, err := Compare(deb, snapshotOf(t, arm), Options{}); !errors.Is(err, ErrNoCommonArchitecture) {
		t.Errorf("amd64 vs arm64: err = %v, want ErrNoCommonArchitecture", err)
	}
	b := datasetstest.PackagesParquet(t, rows)
	for name, corrupt := range map[string][]byte{
		"truncated":   b[:len(b)/2],
		"not parquet": []byte("Package: foo\nVersion: 1\n"),
	} {
		if _, err := ReadSnapshot(context.Background(), bytes.NewReader(corrupt), int64(len(corrupt))); err == nil || !strings.HasPrefix(err.Error(), "compare: ") {
			t.Errorf("%s: err = %v, want a compare: error", name, err)
		}
	}
	var snaps bytes.Buffer
	w := datasets.NewWriter(&snaps, datasets.Snapshots, datasets.CompareSnapshotRows, 0)
	if err := w.Write(&datasets.SnapshotRow{IndexPath: "main/binary-amd64/Packages"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSnapshot(context.Background(), bytes.NewReader(snaps.Bytes()), int64(snaps.Len())); err == nil || !strings.Contains(err.Error(), `no column "package"`) {
		t.Errorf("snapshots table: err = %v, want a missing column", err)
	}
}

// TestCompareAgreesWithApt checks every upgraded, downgraded and same pair
// against apt's own version comparison (python3-apt, the same ordering as
// dpkg --compare-versions), in one batch.
func TestCompareAgreesWithApt(t *testing.T) {
	oldRows, newRows := fixtureSides(t)
	res, err := Compare(snapshotOf(t, oldRows), snapshotOf(t, newRows), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkWithApt(t, res.Changes)
}

const aptScript = `
import sys, apt_pkg
apt_pkg.init_system()
lines = sys.stdin.read().split("\n")
out = []
for i in range(0, len(lines) - 1, 2):
    r = apt_pkg.version_compare(lines[i], lines[i + 1])
    out.append("1" if r > 0 else "-1" if r < 0 else "0")
sys.stdout.write("\n".join(out) + "\n")
`

func checkWithApt(t *testing.T, changes []datasets.PackageChangeRow) {
	t.Helper()
	python := testenv.Require(t, testenv.PythonApt)
	var in bytes.Buffer
	var pairs []datasets.PackageChangeRow
	for _, r := range changes {
		if r.Kind == KindUpgraded || r.Kind == KindDowngraded || r.Kind == KindSame {
			in.WriteString(r.OldVersion + "\n" + r.NewVersion + "\n")
			pairs = append(pairs, r)
		}
	}
	cmd := exec.Command(python, "-c", aptScript)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	answers := strings.Fields(string(out))
	if len(answers) != len(pairs) {
		t.Fatalf("apt answered %d of %d pairs", len(answers), len(pairs))
	}
	want := map[string]string{"-1": KindUpgraded, "1": KindDowngraded, "0": KindSame}
	kinds := map[string]int{}
	for i, p := range pairs {
		kinds[p.Kind]++
		if w := want[answers[i]]; p.Kind != w {
			t.Errorf("%s: %s -> %s classified %s, apt says %s", p.Package, p.OldVersion, p.NewVersion, p.Kind, w)
		}
	}
	t.Logf("%d pairs agree with apt: %v", len(pairs), kinds)
}
