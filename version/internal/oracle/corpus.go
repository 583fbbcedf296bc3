package oracle

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
)

// Entry is one line of the corpus: a package (or source package) name and
// one of its versions in the Debian archive.
type Entry struct{ Name, Version string }

// CorpusPath is the corpus of real Debian archive versions, relative to a
// package directory under version/ (see version/testdata/README.md).
const CorpusPath = "../testdata/debian-versions.tsv"

// LoadCorpus reads "name<TAB>version" lines.
func LoadCorpus(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []Entry
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		name, v, ok := strings.Cut(sc.Text(), "\t")
		if !ok || name == "" || v == "" {
			return nil, fmt.Errorf("oracle: %s line %d: want name<TAB>version, got %q", path, line, sc.Text())
		}
		entries = append(entries, Entry{name, v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("oracle: %s: %w", path, err)
	}
	return entries, nil
}

// Versions returns the corpus' distinct versions, in file order.
func Versions(entries []Entry) []string {
	seen := map[string]bool{}
	var vs []string
	for _, e := range entries {
		if !seen[e.Version] {
			seen[e.Version] = true
			vs = append(vs, e.Version)
		}
	}
	return vs
}

// CorpusPairs pairs the corpus deterministically:
//   - adjacent lines (neighbours in name order, often versions of one
//     package or of related ones);
//   - every two versions of the same name (the suites overlap, and a
//     binary's version differs from its source's after a binNMU);
//   - nRandom pairs drawn with a fixed seed;
//   - each version with itself.
func CorpusPairs(entries []Entry, seed uint64, nRandom int) []Pair {
	var pairs []Pair
	for i := 1; i < len(entries); i++ {
		pairs = append(pairs, Pair{entries[i-1].Version, entries[i].Version})
	}
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && entries[j].Name == entries[i].Name {
			j++
		}
		for x := i; x < j; x++ {
			for y := x + 1; y < j; y++ {
				pairs = append(pairs, Pair{entries[y].Version, entries[x].Version})
			}
		}
		i = j
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for range nRandom {
		a, b := entries[rng.IntN(len(entries))], entries[rng.IntN(len(entries))]
		pairs = append(pairs, Pair{a.Version, b.Version})
	}
	for _, v := range Versions(entries) {
		pairs = append(pairs, Pair{v, v})
	}
	return pairs
}

// SortedNeighbours sorts versions with cmp and pairs each with the next:
// the pairs an ordering is most likely to get wrong, since they are the
// closest. The sort itself also checks that cmp does not panic on the
// whole set.
func SortedNeighbours(versions []string, cmp func(a, b string) int) []Pair {
	vs := slices.Clone(versions)
	slices.SortStableFunc(vs, cmp)
	pairs := make([]Pair, 0, len(vs))
	for i := 1; i < len(vs); i++ {
		pairs = append(pairs, Pair{vs[i-1], vs[i]}, Pair{vs[i], vs[i-1]})
	}
	return pairs
}
