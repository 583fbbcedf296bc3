package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/datasets"
)

// benchCache holds the Parquet snapshots `go tool task bench:compare`
// writes: Debian bookworm and trixie main/amd64. They are a local cache,
// not fixtures, so the benchmark skips without them.
const benchCache = "../../.cache/bench/compare"

// benchData compares the cached bookworm and trixie snapshots the way the
// compare activity does, so that the report renders a real release
// upgrade: ~77k pairs, tens of thousands of dependency deltas and sources.
func benchData(b *testing.B) report.Data {
	b.Helper()
	read := func(release string) *compare.Snapshot {
		path := filepath.Join(benchCache, release, "part-00000.parquet")
		buf, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			b.Skipf("no bench snapshot %s (go tool task bench:compare writes it)", path)
		}
		if err != nil {
			b.Fatal(err)
		}
		s, err := compare.ReadSnapshot(context.Background(), bytes.NewReader(buf), int64(len(buf)))
		if err != nil {
			b.Fatalf("%s: %v", path, err)
		}
		return s
	}
	old, nw := read("bookworm"), read("trixie")
	o := datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260711T101637Z-abcf5882746e"}
	n := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260711T101637Z-0d2c6f3a9b1e"}
	res, err := compare.Compare(old, nw, compare.Options{Old: o, New: n})
	if err != nil {
		b.Fatal(err)
	}
	return report.Data{Old: o, New: n, Summary: res.Summary, Changes: res.Changes, Sources: res.Sources, Format: res.Format,
		CSVLocation: "reports/compare/distro=debian/release=bookworm~trixie/csv/"}
}

// BenchmarkReport derives and renders every output of a bookworm → trixie
// report, as the compare activity does once per comparison (it streams
// them into the store; here they go to a counter).
func BenchmarkReport(b *testing.B) {
	d := benchData(b)
	b.ReportAllocs()
	var w countingWriter
	for b.Loop() {
		w = 0
		for _, o := range report.New(d).Outputs() {
			if err := o.Render(&w); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(w)/1e6, "output-MB")
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
