package dpkg

import (
	"testing"

	"github.com/distroscope/distroscope/version/internal/oracle"
)

// BenchmarkCompare compares the corpus' adjacent and same-package pairs of
// real archive versions.
func BenchmarkCompare(b *testing.B) {
	entries, err := oracle.LoadCorpus(oracle.CorpusPath)
	if err != nil {
		b.Fatal(err)
	}
	pairs := oracle.CorpusPairs(entries, 1, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := pairs[i%len(pairs)]
		if _, err := Compare(p.A, p.B); err != nil {
			b.Fatal(err)
		}
	}
}
