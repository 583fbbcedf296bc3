package datasets_test

import (
	"context"
	"slices"
	"testing"

	"github.com/distroscope/distroscope/datasets"
)

// BenchmarkPublishMerge publishes four staged parts of 30,000 rows each,
// the shape of a suite snapshotted for two components × two architectures.
func BenchmarkPublishMerge(b *testing.B) {
	ctx := context.Background()
	st := newStoreB(b)
	var parts []datasets.StagedPart
	for i, arch := range []string{"amd64", "arm64", "i386", "armhf"} {
		rows := randomRows(30000, uint64(i), arch)
		slices.SortFunc(rows, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
		parts = append(parts, stagePartB(b, st, datasets.StagingKey(datasets.Packages, part, arch), rows))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := part
		p.Snapshot = part.Snapshot + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: p, Parts: parts, TempDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(4*30000), "rows/op")
}
