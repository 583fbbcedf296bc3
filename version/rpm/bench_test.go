package rpm

import (
	"testing"

	"github.com/distroscope/distroscope/version/internal/oracle"
)

func benchPairs(b *testing.B) []oracle.Pair {
	entries, err := oracle.LoadCorpus(oracle.CorpusPath)
	if err != nil {
		b.Fatal(err)
	}
	return oracle.CorpusPairs(entries, 1, 0)
}

// BenchmarkCompare runs rpmvercmp on the corpus' adjacent and
// same-package pairs of real archive versions.
func BenchmarkCompare(b *testing.B) {
	pairs := benchPairs(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pairs[i%len(pairs)]
		Compare(p.A, p.B)
	}
}

// BenchmarkCompareEVR runs rpmverCmp on the same pairs.
func BenchmarkCompareEVR(b *testing.B) {
	pairs := benchPairs(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pairs[i%len(pairs)]
		if _, err := CompareEVR(p.A, p.B); err != nil {
			b.Fatal(err)
		}
	}
}
