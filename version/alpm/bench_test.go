package alpm

import (
	"testing"

	"github.com/distroscope/distroscope/version/internal/oracle"
)

// BenchmarkCompare runs alpm_pkg_vercmp's port on the corpus' adjacent and
// same-package pairs of real archive versions.
func BenchmarkCompare(b *testing.B) {
	entries, err := oracle.LoadCorpus(oracle.CorpusPath)
	if err != nil {
		b.Fatal(err)
	}
	pairs := oracle.CorpusPairs(entries, 1, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pairs[i%len(pairs)]
		Compare(p.A, p.B)
	}
}
