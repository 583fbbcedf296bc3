package report

import (
	"bufio"
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version/upstream"
)

// corpus is version/testdata/debian-versions.tsv: real Debian versions,
// every version of 700 packages with several, as name/version pairs in
// the file's order (by name).
func corpus(t testing.TB) [][2]string {
	t.Helper()
	f, err := os.Open("../../version/testdata/debian-versions.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("corpus line %q has no tab", sc.Text())
		}
		out = append(out, [2]string{name, v})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 3000 {
		t.Fatalf("corpus has %d versions; the differential tests need the whole file", len(out))
	}
	return out
}

func TestMeasure(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want Distance
		says string
	}{
		// upstream versions of the sample's packages (deb/testdata)
		{"9.1", "9.1", Distance{Component: -1}, "none"},
		{"10.2.1", "12.2.0", Distance{Component: 0, Delta: 2, Numeric: true}, "+2 major"},
		{"3.0.17", "3.1.2", Distance{Component: 1, Delta: 1, Numeric: true}, "+1 minor"},
		{"4.3", "4.2.1", Distance{Component: 1, Delta: -1, Numeric: true}, "-1 minor"},
		{"3.0.16", "3.0.17", Distance{Component: 2, Delta: 1, Numeric: true}, "+1 patch"},
		{"9.2p1", "9.2p2", Distance{Component: 3, Delta: 1, Numeric: true}, "+1 component 4"},
		{"20230101", "20240105", Distance{Component: 0, Delta: 10004, Numeric: true}, "+10004 major"},
		// letters: a run of letters is a component; letters against
		// digits, or other letters, differ without a number
		{"2025a", "2025b", Distance{Component: 1}, "minor changed"},
		{"1.0a", "1.0.1", Distance{Component: 2}, "patch changed"},
		{"1.0rc1", "1.0", Distance{Component: 2}, "patch changed"},
		{"1.0RC1", "1.0rc1", Distance{Component: -1}, "none"}, // case is ignored
		{"abc", "abd", Distance{Component: 0}, "major changed"},
		// separators only separate; leading zeros do not count
		{"1.2.3", "1-2_3", Distance{Component: -1}, "none"},
		{"1.01", "1.1", Distance{Component: -1}, "none"},
		// missing components count as 0
		{"1.0", "1.0.0", Distance{Component: -1}, "none"},
		{"1.0", "1.0.0.2", Distance{Component: 3, Delta: 2, Numeric: true}, "+2 component 4"},
		{"", "", Distance{Component: -1}, "none"},
		{"", "1", Distance{Component: 0, Delta: 1, Numeric: true}, "+1 major"},
		{"2", "", Distance{Component: 0, Delta: -2, Numeric: true}, "-2 major"},
		// numbers past int64 compare as text, never overflowing
		{"99999999999999999999", "99999999999999999999", Distance{Component: -1}, "none"},
		{"1.99999999999999999999", "1.99999999999999999998", Distance{Component: 1}, "minor changed"},
		{"99999999999999999999", "1", Distance{Component: 0}, "major changed"},
		{"9223372036854775807", "0", Distance{Component: 0, Delta: -math.MaxInt64, Numeric: true}, "-9223372036854775807 major"},
		{"0", "9223372036854775807", Distance{Component: 0, Delta: math.MaxInt64, Numeric: true}, "+9223372036854775807 major"},
		{"9223372036854775808", "9223372036854775807", Distance{Component: 0}, "major changed"},
	} {
		t.Run(tc.a+"→"+tc.b, func(t *testing.T) {
			got := Measure(tc.a, tc.b)
			if got != tc.want {
				t.Errorf("Measure(%q, %q) = %+v, want %+v", tc.a, tc.b, got, tc.want)
			}
			if got.String() != tc.says {
				t.Errorf("Measure(%q, %q) says %q, want %q", tc.a, tc.b, got.String(), tc.says)
			}
		})
	}
}

// splitComponents and splitMeasure are Measure as it was before it walked
// both versions in step: split each into a slice, then compare. They are
// the oracle Measure must agree with.
func splitComponents(v string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(v); i++ {
		c := 0
		if i < len(v) {
			c = class(v[i])
		}
		if start >= 0 && (c == 0 || c != class(v[start])) {
			out = append(out, v[start:i])
			start = -1
		}
		if start < 0 && c != 0 {
			start = i
		}
	}
	return out
}

func splitMeasure(a, b string) Distance {
	ca, cb := splitComponents(a), splitComponents(b)
	for i := 0; i < max(len(ca), len(cb)); i++ {
		x, y := "0", "0"
		if i < len(ca) {
			x = ca[i]
		}
		if i < len(cb) {
			y = cb[i]
		}
		nx, errx := strconv.ParseInt(x, 10, 64)
		ny, erry := strconv.ParseInt(y, 10, 64)
		if errx == nil && erry == nil {
			if nx != ny {
				return Distance{Component: i, Delta: ny - nx, Numeric: true}
			}
			continue
		}
		if !strings.EqualFold(x, y) {
			return Distance{Component: i}
		}
	}
	return Distance{Component: -1}
}

// TestMeasureAgreesWithSplitting measures every adjacent pair of the
// corpus, raw and normalised, both ways round, against the splitting
// oracle, and checks that Measure allocates nothing.
func TestMeasureAgreesWithSplitting(t *testing.T) {
	vs := corpus(t)
	pairs := 0
	for i := 1; i < len(vs); i++ {
		a, b := vs[i-1][1], vs[i][1]
		for _, p := range [][2]string{{a, b}, {b, a}, {upstream.Normalize("deb", a), upstream.Normalize("deb", b)}} {
			pairs++
			if got, want := Measure(p[0], p[1]), splitMeasure(p[0], p[1]); got != want {
				t.Errorf("Measure(%q, %q) = %+v, the splitting oracle %+v", p[0], p[1], got, want)
			}
		}
	}
	t.Logf("%d pairs agree", pairs)
	if n := testing.AllocsPerRun(100, func() { Measure("1:2.36-9+deb12u14", "2.41.0~rc1-3") }); n != 0 {
		t.Errorf("Measure allocates %v times per call, want 0", n)
	}
}

// oldLargestJumps is LargestJumps as it was before it kept only the top
// n: measure every upgrade, stable-sort them all, cut.
func oldLargestJumps(changes []datasets.PackageChangeRow, format string, n int) []Jump {
	jumps := []Jump{}
	for i := range changes {
		r := &changes[i]
		if r.Kind != KindUpgraded && r.Kind != KindDowngraded {
			continue
		}
		o, nw := upstreams(r, format)
		d := splitMeasure(o, nw)
		if d.Component < 0 {
			continue
		}
		jumps = append(jumps, Jump{Package: r.Package, IndexArchitecture: r.IndexArchitecture, Kind: r.Kind,
			OldVersion: r.OldVersion, NewVersion: r.NewVersion, OldUpstream: o, NewUpstream: nw, Distance: d})
	}
	slices.SortStableFunc(jumps, func(a, b Jump) int {
		if c := bigger(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Package, b.Package), strings.Compare(a.IndexArchitecture, b.IndexArchitecture))
	})
	if n >= 0 && len(jumps) > n {
		jumps = jumps[:n]
	}
	return jumps
}

// corpusChanges pairs each corpus version with the next as one upgrade
// (or, every seventh, downgrade), so that one package name has several
// rows and many distances tie: ~3,900 candidates for LargestJumps.
func corpusChanges(t testing.TB) []datasets.PackageChangeRow {
	vs := corpus(t)
	var out []datasets.PackageChangeRow
	for i := 1; i < len(vs); i++ {
		kind := KindUpgraded
		if i%7 == 0 {
			kind = KindDowngraded
		}
		arch := []string{"amd64", "arm64", "all"}[i%3]
		out = append(out, datasets.PackageChangeRow{Kind: kind, Package: vs[i][0], IndexArchitecture: arch,
			OldVersion: vs[i-1][1], NewVersion: vs[i][1]})
		if i%11 == 0 { // rows LargestJumps must skip
			out = append(out, datasets.PackageChangeRow{Kind: KindAdded, Package: vs[i][0], NewVersion: vs[i][1]},
				datasets.PackageChangeRow{Kind: KindSame, Package: vs[i][0], OldVersion: "1", NewVersion: "99"})
		}
	}
	return out
}

func jumpNames(jumps []Jump) []string {
	out := make([]string, len(jumps))
	for i, j := range jumps {
		out[i] = j.Package + "/" + j.IndexArchitecture + " " + j.Distance.String()
	}
	return out
}

func TestLargestJumps(t *testing.T) {
	sample := sampleChanges()
	// The same distance (+1 patch) on two architectures, the later
	// architecture first in the input, and a tie in everything but
	// input order.
	ties := []datasets.PackageChangeRow{
		{Kind: KindUpgraded, Package: "zz", IndexArchitecture: "arm64", OldVersion: "1.0.1-1", NewVersion: "1.0.2-1"},
		{Kind: KindUpgraded, Package: "zz", IndexArchitecture: "amd64", OldVersion: "1.0.1-1", NewVersion: "1.0.2-1"},
		{Kind: KindUpgraded, Package: "aa", IndexArchitecture: "amd64", OldVersion: "1.0.5-1", NewVersion: "1.0.4-1"},
		{Kind: KindUpgraded, Package: "aa", IndexArchitecture: "amd64", OldVersion: "1.0.5", NewVersion: "1.0.6", Rule: "second"},
		{Kind: KindUpgraded, Package: "mm", IndexArchitecture: "amd64", OldVersion: "1.0-1", NewVersion: "1.0-1+b1", Rebuild: true},
		{Kind: KindUpgraded, Package: "nn", IndexArchitecture: "amd64", OldUpstream: "2.0", NewUpstream: "4.0", OldVersion: "x", NewVersion: "y"},
	}
	for _, tc := range []struct {
		name    string
		changes []datasets.PackageChangeRow
		n       int
		want    []string
	}{
		// bash (a binNMU), base-files, ca-certificates, ldb-tools, samba
		// and openssh-client (stable updates: +debNuM only) moved no
		// upstream version; coreutils and the rest did not upgrade.
		{"sample", sample, -1, []string{"gcc/amd64 +2 major", "make/amd64 -1 minor", "tzdata/amd64 minor changed",
			"dpkg/amd64 +1 patch", "openssl/amd64 +1 patch"}},
		{"sample cut", sample, 3, []string{"gcc/amd64 +2 major", "make/amd64 -1 minor", "tzdata/amd64 minor changed"}},
		{"sample none", sample, 0, []string{}},
		{"sample no cut", sample, math.MaxInt, []string{"gcc/amd64 +2 major", "make/amd64 -1 minor", "tzdata/amd64 minor changed",
			"dpkg/amd64 +1 patch", "openssl/amd64 +1 patch"}},
		{"sample more than there are", sample, 50, []string{"gcc/amd64 +2 major", "make/amd64 -1 minor", "tzdata/amd64 minor changed",
			"dpkg/amd64 +1 patch", "openssl/amd64 +1 patch"}},
		// recorded upstream versions win over the package versions; ties
		// go by package, then architecture; equal rows keep their order
		{"ties", ties, -1, []string{"nn/amd64 +2 major", "aa/amd64 -1 patch", "aa/amd64 +1 patch", "zz/amd64 +1 patch", "zz/arm64 +1 patch"}},
		{"ties cut inside a tie", ties, 3, []string{"nn/amd64 +2 major", "aa/amd64 -1 patch", "aa/amd64 +1 patch"}},
		{"nothing", nil, 10, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LargestJumps(tc.changes, "deb", tc.n)
			if names := jumpNames(got); !slices.Equal(names, tc.want) {
				t.Errorf("LargestJumps(n=%d) =\n %q\nwant\n %q", tc.n, names, tc.want)
			}
			if want := oldLargestJumps(tc.changes, "deb", tc.n); !slices.Equal(got, want) {
				t.Errorf("LargestJumps(n=%d) differs from the full sort:\n got %+v\nwant %+v", tc.n, got, want)
			}
		})
	}
	// "aa" is listed twice with equal keys: the first in the input (the
	// downgrade of 1.0.5-1) must come first.
	if got := LargestJumps(ties, "deb", -1); got[1].OldVersion != "1.0.5-1" {
		t.Errorf("tied rows out of input order: %+v", got[1:3])
	}
}

// TestLargestJumpsAgreesWithFullSort keeps the top n of the corpus's
// ~3,900 pairs for n below, at and above the buffer's sizes and checks
// them against measuring everything and stable-sorting it.
func TestLargestJumpsAgreesWithFullSort(t *testing.T) {
	changes := corpusChanges(t)
	all := oldLargestJumps(changes, "deb", -1)
	if len(all) < 1000 {
		t.Fatalf("only %d jumps in the corpus; the test needs many ties", len(all))
	}
	for _, n := range []int{0, 1, 2, 7, 50, 51, 100, 499, len(all) - 1, len(all), len(all) + 1, -1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got, want := LargestJumps(changes, "deb", n), oldLargestJumps(changes, "deb", n)
			if !slices.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("n=%d: %d jumps, full sort %d; first difference at %d:\n got %+v\nwant %+v", n, len(got), len(want), i,
					got[i:min(i+2, len(got))], want[i:min(i+2, len(want))])
			}
		})
	}
}

func TestChangedSources(t *testing.T) {
	sources := sampleSources()
	names := func(rows []*datasets.SourceChangeRow) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = r.Source
		}
		return out
	}
	// apt and coreutils are "same"; openssh and samba changed two pairs
	// each, the rest one, and ties go by name.
	all := []string{"openssh", "samba", "2048-qt", "base-files", "bash", "ca-certificates", "csh", "dpkg",
		"gcc-defaults", "make-dfsg", "openssl", "tzdata"}
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{-1, all}, {math.MaxInt, all}, {len(all), all}, {100, all}, {6, all[:6]}, {3, all[:3]}, {1, all[:1]}, {0, []string{}},
	} {
		top, total := ChangedSources(sources, tc.n)
		if got := names(top); !slices.Equal(got, tc.want) {
			t.Errorf("ChangedSources(n=%d) = %q, want %q", tc.n, got, tc.want)
		}
		if total != len(all) {
			t.Errorf("ChangedSources(n=%d) counts %d changed sources, want %d", tc.n, total, len(all))
		}
	}
	if top, total := ChangedSources(nil, 10); len(top) != 0 || top == nil || total != 0 {
		t.Errorf("no sources: %v, %d; want an empty list and 0", top, total)
	}
}

func TestVersionLag(t *testing.T) {
	lag := VersionLag(crossChanges())
	var got []string
	for _, l := range lag {
		got = append(got, l.OldPackage+"→"+l.Package+" "+l.Newer+" "+l.Distance.String())
	}
	want := []string{"libc-bin→musl-utils old -1 major", "libssl3→libssl3 new +1 minor", "zlib1g→zlib same none"}
	if !slices.Equal(got, want) {
		t.Errorf("VersionLag = %q, want %q (unmatched rows left out)", got, want)
	}
}
