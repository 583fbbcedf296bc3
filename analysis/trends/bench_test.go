package trends

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store/localfs"
)

// synthetic is a release of names packages in two index architectures
// (sid's size: 77k entries for 38.5k names), a source per three names;
// shift raises the upstream version of every hundredth package, so two
// snapshots differ where a day's snapshots of sid do.
func synthetic(names int, shift int, format string) []datasets.PackageRow {
	rows := make([]datasets.PackageRow, 0, 2*names)
	for i := range names {
		v := 1
		if shift > 0 && i%100 == 0 {
			v += shift
		}
		for _, arch := range []string{"amd64", "arm64"} {
			rows = append(rows, datasets.PackageRow{Component: "main", IndexArchitecture: arch, Architecture: arch,
				Package: fmt.Sprintf("package-%05d", i), Source: fmt.Sprintf("source-%05d", i/3),
				Version: fmt.Sprintf("%d.%d-1", v, i%7), Format: format})
		}
	}
	return rows
}

// commitHistory commits state p: cur's entries current, of 2*names current entries with old
// versions making it rows long: the history a year of daily snapshots
// leaves.
func commitHistory(b *testing.B, s Storage, p datasets.Partition, cur []datasets.PackageRow, rows int) {
	ctx := context.Background()
	date, _ := snapshotDate(p.Snapshot)
	old := (rows - len(cur)) / len(cur) // older versions per entry
	hist, err := stage(ctx, s, datasets.PackageHistory, p, "history", datasets.ComparePackageHistoryRows,
		func(write func(*datasets.PackageHistoryRow) error) error {
			for _, r := range cur {
				for k := 0; k <= old; k++ {
					v := r.Version
					if k < old {
						v = "0." + strconv.Itoa(k) + "-1"
					}
					seen := date.Add(-time.Duration(365-k) * 24 * time.Hour)
					h := datasets.PackageHistoryRow{Package: r.Package, IndexArchitecture: r.IndexArchitecture, Version: v,
						Source: r.Source, Upstream: strings.TrimSuffix(v, "-1"), Format: r.Format, FirstSnapshot: p.Snapshot,
						FirstSeen: seen, LastSnapshot: p.Snapshot, LastSeen: date, Snapshots: 10, Current: k == old}
					if err := write(&h); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		b.Fatal(err)
	}
	lag, err := stage(ctx, s, datasets.PackageLag, p, "lag", datasets.ComparePackageLagRows, writeAll[datasets.PackageLagRow](nil))
	if err != nil {
		b.Fatal(err)
	}
	trend, err := stage(ctx, s, datasets.PackageTrends, p, "trends", func(a, b *datasets.PackageTrendRow) int { return 0 },
		writeAll([]datasets.PackageTrendRow{{ReleaseDate: date}}))
	if err != nil {
		b.Fatal(err)
	}
	for _, st := range []struct {
		t    datasets.Table
		part datasets.StagedPart
	}{{datasets.PackageHistory, hist}, {datasets.PackageLag, lag}, {datasets.PackageTrends, trend}} {
		if _, err := datasets.Publish(ctx, s.Store, datasets.PublishInput{Table: st.t, Partition: p, Parts: []datasets.StagedPart{st.part}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply updates the trends of a release of sid's size (77k
// entries) over a history of ~260k rows for one new snapshot, against
// one peer of the same size; it reports the peak RSS of the update
// (VmHWM, reset before it).
func BenchmarkApply(b *testing.B) {
	const names = 38500
	s := Storage{Store: localStoreB(b), TempDir: b.TempDir()}
	prev := datasets.Partition{Distro: "debian", Release: "sid", Snapshot: datasets.SnapshotID(at(1, 6), "aaaa")}
	next := datasets.Partition{Distro: "debian", Release: "sid", Snapshot: datasets.SnapshotID(at(2, 6), "bbbb")}
	peerP := datasets.Partition{Distro: "ubuntu", Release: "devel", Snapshot: datasets.SnapshotID(at(2, 5), "cccc")}
	cur := synthetic(names, 0, "deb")
	datasetstest.CommitRelease(b, s.Store, prev, cur)
	datasetstest.CommitRelease(b, s.Store, next, synthetic(names, 1, "deb"))
	datasetstest.CommitRelease(b, s.Store, peerP, synthetic(names, 2, "deb"))
	commitHistory(b, s, prev, cur, 260000)
	cur = nil
	ctx := context.Background()
	step := Step{Target: next, Previous: prev.Snapshot, Peers: []datasets.Partition{peerP}}
	runtime.GC()
	b.ResetTimer()
	var peak int64
	for range b.N {
		b.StopTimer()
		if err := s.Remove(ctx, next); err != nil {
			b.Fatal(err)
		}
		debug.FreeOSMemory()
		resetPeakRSS()
		b.StartTimer()
		a, err := s.Apply(ctx, step, nil)
		if err != nil {
			b.Fatal(err)
		}
		if a.Reused || a.Trend.Upgraded != 2*((names+99)/100) {
			b.Fatalf("applied %+v", a)
		}
		peak = max(peak, peakRSS())
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
}

func localStoreB(b *testing.B) *localfs.Store {
	st, err := localfs.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// resetPeakRSS resets the kernel's peak RSS of this process (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak RSS in bytes since the last reset.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
