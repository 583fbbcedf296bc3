package compare

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/internal/aptmirror"
	"github.com/distroscope/distroscope/internal/testenv"
)

// The indexes apt keeps after "apt-get update" (lz4-compressed).
const (
	fullMainGlob    = "/var/lib/apt/lists/*_bookworm_main_binary-amd64_Packages.lz4"
	fullUpdatesGlob = "/var/lib/apt/lists/*_bookworm-updates_main_binary-amd64_Packages.lz4"
)

// fullIndex decompresses the first index matching glob into a temp file
// and parses it, or skips.
func fullIndex(t testing.TB, glob string) []datasets.PackageRow {
	t.Helper()
	m, _ := filepath.Glob(glob)
	if len(m) == 0 {
		testenv.Missing(t, testenv.AptLists, fmt.Errorf("no index matches %s", glob))
	}
	in, err := os.Open(m[0])
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(t.TempDir(), "Packages")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, lz4.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return parseFile(t, path)
}

// fullSides: old is bookworm main/amd64; new is the same with
// bookworm-updates overlaid and, deterministically, every 50th package
// dropped, every 10th given a binNMU ("+b1") and every 25th a new upstream
// version ("<version>.1"), so that every kind occurs thousands of times.
func fullSides(t testing.TB) (oldRows, newRows []datasets.PackageRow) {
	oldRows = fullIndex(t, fullMainGlob)
	updates := fullIndex(t, fullUpdatesGlob)
	perturbed := make([]datasets.PackageRow, 0, len(oldRows))
	for i, r := range oldRows {
		switch {
		case i%50 == 0:
			continue
		case i%10 == 0:
			r.Version += "+b1"
		case i%25 == 0:
			r.Version = r.Version + ".1"
			r.SourceVersion = r.Version
		}
		perturbed = append(perturbed, r)
	}
	return oldRows, overlay(perturbed, updates, nil)
}

func TestFullIndexAgreesWithApt(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	oldRows, newRows := fullSides(t)
	res, err := Compare(snapshotOf(t, oldRows), snapshotOf(t, newRows), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Rebuilds == 0 || res.Summary.Removed == 0 || res.Summary.Downgraded == 0 {
		t.Errorf("summary %+v: the perturbation should give rebuilds, removals and downgrades", res.Summary)
	}
	checkWithApt(t, res.Changes)
}

// TestBookwormTrixieAgreesWithApt compares the real Debian bookworm and
// trixie main/amd64 indexes (~60,000 packages in common), taken from this
// machine's apt mirror and ingested as the worker would (InRelease
// verified), and checks every upgraded, downgraded and same pair against
// apt's own version comparison in one batched python3-apt run. The
// indexes are cached under .cache/bench/compare, shared with
// `go tool task bench:compare`. Without an apt mirror to fetch from it
// skips, or fails under CI (testenv).
func TestBookwormTrixieAgreesWithApt(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	keyring := testenv.Require(t, testenv.DebianKeys)
	cache, err := filepath.Abs("../../.cache/bench/compare")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var snaps [2]*Snapshot
	var parts [2]datasets.Partition
	for i, suite := range []string{"bookworm", "trixie"} {
		side, err := aptmirror.Ingest(ctx, cache, suite, keyring)
		if err != nil {
			testenv.Missing(t, testenv.AptMirror, fmt.Errorf("%s from the machine's apt mirror: %w", suite, err))
		}
		f, err := os.Open(side.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if snaps[i], err = ReadSnapshot(ctx, f, st.Size()); err != nil {
			t.Fatal(err)
		}
		parts[i] = side.Partition
	}
	res, err := Compare(snaps[0], snaps[1], Options{Old: parts[0], New: parts[1]})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if common := s.Upgraded + s.Downgraded + s.Same; common < 50000 || s.Added == 0 || s.Removed == 0 || s.Rebuilds == 0 {
		t.Errorf("summary %+v: bookworm and trixie share ~60,000 packages, with additions, removals and rebuilds", s)
	}
	if !slices.IsSortedFunc(res.Changes, func(a, b datasets.PackageChangeRow) int { return datasets.ComparePackageChangeRows(&a, &b) }) {
		t.Error("changes are not in package_changes order")
	}
	checkWithApt(t, res.Changes)
}

// BenchmarkCompare reads two Parquet snapshots of Debian's size (bookworm
// main/amd64, ~63k packages, and a perturbed copy) and compares them end
// to end. peak-heap-MB is the largest live heap sampled during the runs.
func BenchmarkCompare(b *testing.B) {
	oldRows, newRows := fullSides(b)
	oldPQ, newPQ := datasetstest.PackagesParquet(b, oldRows), datasetstest.PackagesParquet(b, newRows)
	oldRows, newRows = nil, nil
	runtime.GC()

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	ctx := context.Background()
	b.ResetTimer()
	var res Result
	for b.Loop() {
		o, err := ReadSnapshot(ctx, bytes.NewReader(oldPQ), int64(len(oldPQ)))
		if err != nil {
			b.Fatal(err)
		}
		n, err := ReadSnapshot(ctx, bytes.NewReader(newPQ), int64(len(newPQ)))
		if err != nil {
			b.Fatal(err)
		}
		if res, err = Compare(o, n, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(res.Changes)), "pairs")
}
