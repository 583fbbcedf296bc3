package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/aptmirror"
	"github.com/distroscope/distroscope/store/localfs"
)

// workerHeap is the worker's default memory limit (distroscope-worker),
// which the children run under as the activities do.
const workerHeap = 100 << 20

// childResult is what a child prints as JSON on stdout: its two runs
// (cold, warm) and its peak RSS.
type childResult struct {
	Times []time.Duration `json:"times"`
	VmHWM int64           `json:"vmhwm"`
	// The comparison's counts.
	Summary datasets.CompareSummaryRow `json:"summary,omitzero"`
	// The trends update's parts and what it wrote.
	Plan                []time.Duration          `json:"plan,omitempty"`
	Apply               []time.Duration          `json:"apply,omitempty"`
	PreviousHistoryRows int64                    `json:"previous_history_rows,omitempty"`
	HistoryRows         int64                    `json:"history_rows,omitempty"`
	LagRows             int64                    `json:"lag_rows,omitempty"`
	Trend               datasets.PackageTrendRow `json:"trend,omitzero"`
}

// trendsSpec is what the trends child updates: the release and its peers
// as the nightly names them, and the snapshot whose state it must find as
// the one step to compute.
type trendsSpec struct {
	Target  trends.Release     `json:"target"`
	Peers   []trends.Release   `json:"peers"`
	New     datasets.Partition `json:"new"`
	TempDir string             `json:"temp_dir"`
}

func child(kind string, args []string) error {
	heap := app.TuneGC(workerHeap)
	ctx := context.Background()
	var out childResult
	var err error
	switch kind {
	case "compare":
		if len(args) != 4 {
			return fmt.Errorf("usage: -child compare STORE TEMPDIR OLD NEW")
		}
		out, err = compareChild(ctx, heap, args)
	case "trends":
		if len(args) != 2 {
			return fmt.Errorf("usage: -child trends STORE SPEC")
		}
		out, err = trendsChild(ctx, heap, args)
	default:
		return fmt.Errorf("unknown child %q", kind)
	}
	if err != nil {
		return err
	}
	if out.VmHWM, err = measure.PeakRSS("self"); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

type heapBudget interface{ Reserve(int64) func() }

// compareChild does what activities.Compare.CompareSnapshots does, twice:
// the committed check, the working set reserved, LoadBoth, Compare,
// Commit; each comparison is removed again, untimed.
func compareChild(ctx context.Context, heap heapBudget, args []string) (childResult, error) {
	var out childResult
	st, err := localfs.New(args[0])
	if err != nil {
		return out, err
	}
	defer st.Close()
	var parts [2]datasets.Partition
	for i, name := range args[2:] {
		f := strings.Split(name, "/")
		if len(f) != 3 {
			return out, fmt.Errorf("snapshot %q is not DISTRO/RELEASE/SNAPSHOT", name)
		}
		parts[i] = datasets.Partition{Distro: f[0], Release: f[1], Snapshot: f[2]}
	}
	storage := compare.Storage{Store: st, TempDir: args[1], Producer: "distroscope bench/trends"}
	p := datasets.ComparePartition(parts[0], parts[1])
	for range 2 {
		start := time.Now()
		if _, ok, err := storage.Committed(ctx, p); err != nil || ok {
			return out, fmt.Errorf("comparison committed before the run: %v, %v", ok, err)
		}
		size, err := storage.InputBytes(ctx, parts[0], parts[1])
		if err != nil {
			return out, err
		}
		release := heap.Reserve(activities.CompareWorkingSet(size))
		o, n, err := storage.LoadBoth(ctx, parts[0], parts[1])
		if err != nil {
			return out, err
		}
		res, err := compare.Compare(o, n, compare.Options{Old: parts[0], New: parts[1]})
		if err != nil {
			return out, err
		}
		if _, err := storage.Commit(ctx, compare.Run{Old: parts[0], New: parts[1]}, res); err != nil {
			return out, err
		}
		release()
		out.Times = append(out.Times, time.Since(start))
		out.Summary = res.Summary
		if err := removeComparison(ctx, st, p); err != nil {
			return out, err
		}
	}
	return out, nil
}

// removeComparison deletes a committed comparison: its datasets, summary
// first, and its report.
func removeComparison(ctx context.Context, st *localfs.Store, p datasets.Partition) error {
	if err := datasets.Remove(ctx, st, p, datasets.CompareSummaries, datasets.PackageChanges, datasets.SourceChanges); err != nil {
		return err
	}
	objs, err := st.List(ctx, "reports/compare/")
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := st.Delete(ctx, o.Key); err != nil {
			return err
		}
	}
	return nil
}

// trendsChild does what the trends activities do for a nightly's new
// snapshot, twice: Plan (which must find exactly the new snapshot's state
// to compute), the working set reserved as ApplyTrends reserves it, and
// Apply; the state is removed again, untimed.
func trendsChild(ctx context.Context, heap heapBudget, args []string) (childResult, error) {
	var out childResult
	var spec trendsSpec
	if err := json.Unmarshal([]byte(args[1]), &spec); err != nil {
		return out, err
	}
	st, err := localfs.New(args[0])
	if err != nil {
		return out, err
	}
	defer st.Close()
	storage := trends.Storage{Store: st, TempDir: spec.TempDir, Producer: "distroscope bench/trends"}
	stopProfile, err := measure.CPUProfile()
	if err != nil {
		return out, err
	}
	defer stopProfile()
	if path := os.Getenv("BENCH_MEMPROFILE"); path != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	for range 2 {
		start := time.Now()
		plan, err := storage.Plan(ctx, spec.Target, spec.Peers, nil)
		if err != nil {
			return out, err
		}
		if len(plan.Steps) != 1 || plan.Steps[0].Target != spec.New || len(plan.Stale) != 0 {
			return out, fmt.Errorf("the plan is not the new snapshot's state alone: %d steps (first %+v), %d stale",
				len(plan.Steps), firstStep(plan), len(plan.Stale))
		}
		planned := time.Now()
		step := plan.Steps[0]
		size, err := compare.Storage{Store: st}.InputBytes(ctx, append([]datasets.Partition{step.Target}, step.Peers...)...)
		if err != nil {
			return out, err
		}
		release := heap.Reserve(activities.TrendsWorkingSet(size))
		a, err := storage.Apply(ctx, step, nil)
		if err != nil {
			return out, err
		}
		release()
		if a.Reused {
			return out, fmt.Errorf("the new snapshot's state was already committed")
		}
		out.Plan = append(out.Plan, planned.Sub(start))
		out.Apply = append(out.Apply, time.Since(planned))
		out.Times = append(out.Times, time.Since(start))
		out.HistoryRows, out.LagRows, out.Trend = a.HistoryRows, a.LagRows, a.Trend
		if step.Previous != "" {
			prev := step.Target
			prev.Snapshot = step.Previous
			if m, ok, err := datasets.Committed(ctx, st, datasets.PackageHistory, prev); err == nil && ok {
				out.PreviousHistoryRows = m.Rows
			}
		}
		if err := storage.Remove(ctx, step.Target); err != nil {
			return out, err
		}
	}
	return out, nil
}

func firstStep(p trends.Plan) any {
	if len(p.Steps) == 0 {
		return nil
	}
	return p.Steps[0].Target
}

// commitBoth makes dir a fresh folder store holding both snapshots of the
// comparison, committed as the worker commits them.
func commitBoth(ctx context.Context, dir, tmp string, sides ...aptmirror.Side) error {
	os.RemoveAll(dir)
	st, err := localfs.New(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, s := range sides {
		data, err := os.ReadFile(s.Path)
		if err != nil {
			return err
		}
		if err := publish(ctx, st, tmp, datasets.Packages, s.Partition, data, s.Rows); err != nil {
			return err
		}
		if err := publishSnapshotRow(ctx, st, tmp, s.Partition, s.Snapshot); err != nil {
			return err
		}
	}
	return nil
}
