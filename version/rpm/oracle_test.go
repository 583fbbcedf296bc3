package rpm

import (
	"slices"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/version/internal/oracle"
)

// rpmGrammar draws rpm-looking versions: '~' pre-releases, '^' snapshots,
// dist tags, epochs and releases.
var rpmGrammar = oracle.Grammar{
	Separators: ".-_~^+",
	Rare:       "!%,=@/#&*:;|",
	Words:      append(slices.Clone(oracle.Words), "fc", "el", "git", "lp", "mga", "centos", "module"),
	Epoch:      0.2,
	Revision:   0.6,
}

// rpmCases are rpm-flavoured versions (Fedora, RHEL, openSUSE, Mageia
// style) and edge cases of rpmvercmp and parseEVR.
var rpmCases = []string{
	"1.0", "1.0^git1", "1.0^20240101git1234abc", "1.0^git1~rc1", "1.0~rc1", "1.0~rc1^git2", "2.0~rc1", "2.0",
	"1:2.3-4.fc40", "2.3-4.fc40", "0:2.3-4.fc40", "2.3-4.fc41", "2.3-4.el9", "2.3-4.el9_3", "2.3-4.el9_3.1",
	"5.14.0-362.8.1.el9_3", "5.14.0-362.24.1.el9_3", "2.02-0.87.el7.centos.6", "1.0.0-0.1.beta1.fc40",
	"1.0.0-0.2.rc1.fc40", "1.0.0-1.fc40", "1.2.3-1.mga9", "15.5-lp155.1.2", "1.0-1", "1.0-1.1", "1.0-01",
	"1.0-", "1.0--1", "-1", ":1", "1:", "01:1.0", "1:01.0", "10:1", "2:0", "1.0^", "1.0^^", "1.0^~", "1.0~^",
	"1.0~~", "1.0~", "1.0a", "1.0.a", "1.0b", "1.0.1", "1..0", "1.0_1", "1.0.", "1.0+", "a", "A", "1A", "1a",
	"0001", "1.0001", "12345678901234567890123", "12345678901234567890124", "~", "^", "", ".", "1.0-1^x",
	"1:1:1", "1-2:3", "abc-1", "1.0.0-1~rc1", "1.0.0-1^post",
}

func corpusVersions(t *testing.T) ([]oracle.Entry, []string) {
	t.Helper()
	entries, err := oracle.LoadCorpus(oracle.CorpusPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3000 {
		t.Fatalf("only %d corpus entries", len(entries))
	}
	return entries, oracle.Versions(entries)
}

func evrOrError(a, b string) int {
	c, err := CompareEVR(a, b)
	if err != nil {
		return oracle.Refused
	}
	return c
}

// TestAgainstRPM compares Compare with rpmvercmp and CompareEVR with
// rpm.vercmp and with rpm.ver ordering, in one `rpm --eval` Lua loop per
// set, on the corpus of real Debian archive versions (valid rpm input
// too), rpm-flavoured cases, mutations and grammar-generated versions.
func TestAgainstRPM(t *testing.T) {
	oracle.Require(t, testenv.RPM, oracle.RPMAvailable())
	entries, versions := corpusVersions(t)
	all := append(slices.Clone(versions), rpmCases...)
	var cross []oracle.Pair
	for _, a := range rpmCases {
		for _, b := range rpmCases {
			cross = append(cross, oracle.Pair{A: a, B: b})
		}
	}
	sets := []struct {
		name  string
		pairs []oracle.Pair
	}{
		{"corpus", oracle.CorpusPairs(entries, 1, 20000)},
		{"sorted neighbours (rpmvercmp)", oracle.SortedNeighbours(all, Compare)},
		{"sorted neighbours (EVR)", oracle.SortedNeighbours(all, evrOrError)},
		{"rpm cases", cross},
		{"mutations", rpmGrammar.MutatedPairs(2, append(slices.Clone(all), all...))},
		{"grammar", rpmGrammar.Pairs(3, 30000)},
	}
	dir := t.TempDir()
	for _, set := range sets {
		wantPlain, wantEVR, wantObj, err := oracle.RPM(dir, set.pairs)
		if err != nil {
			t.Fatal(err)
		}
		gotPlain, gotEVR := make([]int, len(set.pairs)), make([]int, len(set.pairs))
		for i, p := range set.pairs {
			gotPlain[i] = Compare(p.A, p.B)
			if p.A == "" || p.B == "" {
				gotPlain[i] = oracle.Refused // rpm.ver has no object for "": TestAgainstLibrpmio checks these
			}
			gotEVR[i] = evrOrError(p.A, p.B)
		}
		oracle.Check(t, "rpmvercmp "+set.name, set.pairs, gotPlain, wantPlain)
		oracle.Check(t, "rpm.vercmp "+set.name, set.pairs, gotEVR, wantEVR)
		oracle.Check(t, "rpm.ver "+set.name, set.pairs, gotEVR, wantObj)
	}
}

// TestAgainstLibrpmio compares Compare with rpmvercmp called directly in
// rpm's librpmio, which, unlike the Lua route, takes the empty version.
func TestAgainstLibrpmio(t *testing.T) {
	oracle.Require(t, testenv.RPM, oracle.RPMAvailable())
	var pairs []oracle.Pair
	for _, a := range rpmCases {
		for _, b := range rpmCases {
			pairs = append(pairs, oracle.Pair{A: a, B: b})
		}
	}
	pairs = append(pairs, rpmGrammar.Pairs(5, 5000)...)
	want, err := oracle.Librpmio(pairs)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int, len(pairs))
	for i, p := range pairs {
		got[i] = Compare(p.A, p.B)
	}
	oracle.Check(t, "librpmio rpmvercmp", pairs, got, want)
}
