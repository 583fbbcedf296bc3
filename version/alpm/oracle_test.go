package alpm

import (
	"slices"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/version/internal/oracle"
)

// alpmGrammar draws pacman-looking versions: pkgver with the .r123.gabcdef
// of VCS packages, epochs and pkgrels (and separators libalpm treats alike
// but counts).
var alpmGrammar = oracle.Grammar{
	Separators: ".-_~^+:",
	Rare:       "!%,=@/#&*;|",
	Words:      append(slices.Clone(oracle.Words), "r", "g", "gabcdef", "arch", "x"),
	Epoch:      0.2,
	Revision:   0.7,
}

// alpmCases are Arch-flavoured versions and edge cases of libalpm's
// rpmvercmp and parseEVR.
var alpmCases = []string{
	"1.0", "1.0-1", "1.0-2", "1.0-1.1", "1:1.0-1", "2:0.1-1", "0:1.0-1", ":1.0", "1:", "1.0-", "-1", "",
	"1.0rc1-1", "1.0.rc1", "1.0alpha", "1.0a", "1.0.a", "1.0b", "1.0.1", "1.0.0", "1..0", "1...0", "1.0.", "1.0+",
	"1.0_1", "1.0~rc1", "1.0^git1", "1.0.r12.gabcdef1-1", "1.0.r13.g0123456-1", "20240101.r3.gabc-2",
	"1.0+2+gabcdef-1", "6.6.1.arch1-1", "6.6.1.arch2-1", "6.6.10.arch1-1", "1.2.3-1.1", "1.2.3-0.1",
	"0001", "1.0001", "1.1", "12345678901234567890123", "12345678901234567890124", "a", "a1", "1a", "A",
	"1.0-1-1", "1-2:3", "1:2:3", "01:1", "1:01", "1.0\xc3\xa9", "1.0.\xff", "1.0-1\xc3\xa9",
}

func corpus(t *testing.T) ([]oracle.Entry, []string) {
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

func cross(vs []string) []oracle.Pair {
	var pairs []oracle.Pair
	for _, a := range vs {
		for _, b := range vs {
			pairs = append(pairs, oracle.Pair{A: a, B: b})
		}
	}
	return pairs
}

func results(pairs []oracle.Pair) []int {
	got := make([]int, len(pairs))
	for i, p := range pairs {
		got[i] = Compare(p.A, p.B)
	}
	return got
}

// TestAgainstLibalpm compares Compare with alpm_pkg_vercmp in libalpm
// itself, called through ctypes from one Python process, on the corpus of
// real Debian archive versions, Arch-flavoured cases, mutations and
// grammar-generated versions.
func TestAgainstLibalpm(t *testing.T) {
	oracle.Require(t, testenv.Vercmp, oracle.AlpmAvailable())
	entries, versions := corpus(t)
	all := append(slices.Clone(versions), alpmCases...)
	for _, set := range []struct {
		name  string
		pairs []oracle.Pair
	}{
		{"corpus", oracle.CorpusPairs(entries, 1, 20000)},
		{"sorted neighbours", oracle.SortedNeighbours(all, Compare)},
		{"pacman cases", cross(alpmCases)},
		{"mutations", alpmGrammar.MutatedPairs(2, append(slices.Clone(all), all...))},
		{"grammar", alpmGrammar.Pairs(3, 30000)},
	} {
		want, err := oracle.Alpm(set.pairs)
		if err != nil {
			t.Fatal(err)
		}
		oracle.Check(t, "libalpm "+set.name, set.pairs, results(set.pairs), want)
	}
}

// TestAgainstVercmp checks a sample against /usr/bin/vercmp, the program
// pacman ships (a process per pair).
func TestAgainstVercmp(t *testing.T) {
	oracle.Require(t, testenv.Vercmp, oracle.AlpmAvailable())
	entries, _ := corpus(t)
	var pairs []oracle.Pair
	corpusPairs := oracle.CorpusPairs(entries, 7, 0)
	for i := 0; i < len(corpusPairs); i += len(corpusPairs) / 400 {
		pairs = append(pairs, corpusPairs[i])
	}
	for i, p := range cross(alpmCases) {
		if i%5 == 0 {
			pairs = append(pairs, p)
		}
	}
	pairs = append(pairs, alpmGrammar.Pairs(8, 400)...)
	pairs = slices.DeleteFunc(pairs, func(p oracle.Pair) bool { return p.A == "-h" || p.A == "--help" })
	want, err := oracle.Vercmp(pairs)
	if err != nil {
		t.Fatal(err)
	}
	oracle.Check(t, "vercmp", pairs, results(pairs), want)
}
