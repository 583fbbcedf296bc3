package dpkg

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/version/internal/oracle"
)

// debGrammar draws Debian-looking versions, with a rare character now and
// then (dpkg warns about those but still compares them).
var debGrammar = oracle.Grammar{
	Separators: ".+~-:",
	Rare:       "_^!%,=@/#&*",
	Words:      oracle.Words,
	Epoch:      0.15,
	Revision:   0.6,
}

// edgeCases are versions chosen for the rules of deb-version(5) and the
// checks of parseversion: tildes, epochs, letters against other
// characters, empty segments, leading zeros, runs of digits longer than 64
// bits, and every syntax error and warning.
var edgeCases = []string{
	"0", "00", "0.0", "1", "1.0", "1.00", "01.0", "1.0.0", "1..0", "1.0.", "1.0a", "1.0A", "1.0+", "1.0.a",
	"1.0~", "1.0~~", "1.0~~a", "1.0~a", "1.0~rc1", "1.0~rc1~1", "1.0~1", "1~", "1~~", "1~a", "1a~",
	"1.0-0", "1.0-00", "1.0-1", "1.0-1~", "1.0-1~bpo12+1", "1.0-1+b1", "1.0-1.1", "1.0-1ubuntu1", "1.0-a",
	"1.0-1-1", "1-2-3", "1.0-~", "1.0-0~",
	"0:1.0", "00:1.0", "1:1.0", "1:0", "2:0~", "10:1", "010:1", "2147483647:1", "+1:1.0", "1:2:3", "1:1:1-1",
	"1.0+dfsg", "1.0+dfsg-1", "1.0~dfsg-1", "1.0+really0.9-1", "1.0+git20240101.abcdef-1",
	"123456789012345678901234567890", "123456789012345678901234567891", "1.123456789012345678901234567890",
	"0001", "1.0001", "1.01", "1.1", "1.10", "1.9", "1.0b", "1.0Z", "1.0z",
	// Warnings: dpkg --compare-versions compares them all the same.
	"a", "a1", "A1", "~1", "~", ".1", "+1", "1_0", "1^git1", "1.0-a_b", "1.0-1:1", "1,0", "1.0!", "1.0=1",
	"<unknown>", "1:a", "1:~",
	// Syntax errors.
	"1.0-", ":1", "a:1", "1:", "1:-1", "1.0 x", " ", "\t", "2147483648:1", "99999999999999999999:1",
	"1-", "1.0--", "1:1.0-",
	// Blanks around a version are ignored.
	" 1.0", "1.0 ", "\t1.0\t",
	// The empty version.
	"",
}

func corpus(t *testing.T) []oracle.Entry {
	t.Helper()
	entries, err := oracle.LoadCorpus(oracle.CorpusPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3000 {
		t.Fatalf("only %d corpus entries", len(entries))
	}
	return entries
}

func mustCompare(a, b string) int {
	c, err := Compare(a, b)
	if err != nil {
		return 2
	}
	return c
}

// TestAgainstApt compares Compare with python3-apt's
// apt_pkg.version_compare (apt's copy of dpkg's verrevcmp) on the corpus of
// real archive versions, their neighbours in sorted order, mutations of
// them, edge cases and grammar-generated versions.
func TestAgainstApt(t *testing.T) {
	oracle.Require(t, testenv.PythonApt, oracle.AptAvailable())
	entries := corpus(t)
	versions := oracle.Versions(entries)

	sets := []struct {
		name  string
		pairs []oracle.Pair
	}{
		{"corpus", oracle.CorpusPairs(entries, 1, 20000)},
		{"corpus sorted neighbours", oracle.SortedNeighbours(versions, func(a, b string) int { return mustCompare(a, b) })},
		{"corpus mutations", debGrammar.MutatedPairs(2, append(slices.Clone(versions), versions...))},
		{"edge cases", crossPairs(edgeCases)},
		{"grammar", debGrammar.Pairs(3, 30000)},
	}
	for _, set := range sets {
		// apt compares any string; dpkg refuses some (and trims blanks,
		// and treats "" and "<unknown>" as no version): those are checked
		// against dpkg itself in TestAgainstDpkg.
		var pairs []oracle.Pair
		for _, p := range set.pairs {
			if aptComparable(p.A) && aptComparable(p.B) {
				pairs = append(pairs, p)
			}
		}
		want, err := oracle.Apt(pairs)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int, len(pairs))
		for i, p := range pairs {
			got[i] = mustCompare(p.A, p.B)
		}
		oracle.Check(t, "dpkg (apt_pkg) "+set.name, pairs, got, want)
	}
}

// aptComparable leaves out what apt reads differently from dpkg: blanks
// (dpkg trims them), the absent version, and epochs that are not plain
// digits (apt compares the epoch as a version fragment, dpkg reads it with
// strtol, which takes a sign: "+1:1.0" is "1:1.0" to dpkg only).
func aptComparable(v string) bool {
	if v == "" || v == "<unknown>" || strings.ContainsAny(v, " \t\n") {
		return false
	}
	if epoch, _, ok := strings.Cut(v, ":"); ok && strings.Trim(epoch, "0123456789") != "" {
		return false
	}
	_, err := Parse(v)
	return err == nil
}

func crossPairs(vs []string) []oracle.Pair {
	var pairs []oracle.Pair
	for _, a := range vs {
		for _, b := range vs {
			pairs = append(pairs, oracle.Pair{A: a, B: b})
		}
	}
	return pairs
}

// TestAgainstDpkg checks against `dpkg --compare-versions` itself what apt
// cannot tell: which strings dpkg refuses (exit 2), which it only warns
// about, the blank handling, and a sample of orderings.
func TestAgainstDpkg(t *testing.T) {
	oracle.Require(t, testenv.Dpkg, oracle.DpkgAvailable())
	entries := corpus(t)

	validity := 0
	for _, v := range edgeCases {
		_, invalid, warned, err := oracle.DpkgCompare(v, v)
		if err != nil {
			t.Fatal(err)
		}
		validity++
		_, cerr := Compare(v, v)
		if (cerr != nil) != invalid {
			t.Errorf("Compare(%q, %q) error = %v, dpkg refuses it: %v", v, v, cerr, invalid)
		}
		if cerr != nil && !errors.Is(cerr, ErrInvalid) {
			t.Errorf("Compare(%q): error %v does not wrap ErrInvalid", v, cerr)
		}
		if invalid || v == "" || v == "<unknown>" {
			continue
		}
		_, serr := ParseStrict(v)
		if (serr != nil) != warned {
			t.Errorf("ParseStrict(%q) error = %v, dpkg warns: %v", v, serr, warned)
		}
	}
	t.Logf("dpkg --compare-versions: %d strings checked for validity and warnings", validity)

	var pairs []oracle.Pair
	for i := 0; i < len(entries); i += len(entries) / 20 {
		pairs = append(pairs, oracle.Pair{A: entries[i].Version, B: entries[(i*7+3)%len(entries)].Version})
	}
	for _, a := range []string{"", "<unknown>", "~", "0", "1.0", " 1.0 ", "a", "1_0", "1.0é", "1:1.0\xff", "+1:1.0", "\n1:1.0", "+0:1.0"} {
		for _, b := range []string{"", "~", "0", "1.0", "1.0a", "1.0+", "1.0~", "1:1.0", "1:0"} {
			pairs = append(pairs, oracle.Pair{A: a, B: b})
		}
	}
	for _, p := range debGrammar.Pairs(4, 100) {
		if !strings.HasPrefix(p.A, "-") && !strings.HasPrefix(p.B, "-") {
			pairs = append(pairs, p)
		}
	}
	got, want := make([]int, len(pairs)), make([]int, len(pairs))
	for i, p := range pairs {
		order, invalid, _, err := oracle.DpkgCompare(p.A, p.B)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = order
		if invalid {
			want[i] = 2
		}
		got[i] = mustCompare(p.A, p.B)
	}
	oracle.Check(t, "dpkg --compare-versions", pairs, got, want)
}
