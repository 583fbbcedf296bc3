package crossmap

import (
	"testing"

	"github.com/distroscope/distroscope/analysis/compare"
)

// BenchmarkCompare compares the Debian fixture (main and updates) with the
// Alpine-style index; b.ReportMetric gives the cost per Debian package, to
// scale to a full index (~63k packages).
func BenchmarkCompare(b *testing.B) {
	rows := debRows(b, "../../ecosystem/deb/testdata/bookworm-main-amd64.Packages", "../../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages")
	old, new := snapshotOf(b, rows), snapshotOf(b, apkRows(b, "testdata/alpine-style.APKINDEX"))
	rules := DefaultRules()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compare(old, new, rules, compare.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/package")
}
