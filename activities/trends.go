package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/membudget"
	"github.com/distroscope/distroscope/store"
)

// Trends holds the dependencies of the trends activities.
type Trends struct {
	Store    store.Store
	TempDir  string
	Producer string
	Now      func() time.Time
	// Rules map package names across distributions for the lag; nil
	// means the defaults shipped with distroscope.
	Rules *crossmap.Rules
	// Heap is the worker's heap budget, raised by an update's working set
	// while it runs; nil leaves the limit alone.
	Heap *membudget.Budget
}

// TrendsWorkingSet is the live heap one trends update keeps: the previous
// history state, the new snapshot and its peers, read column by column
// (see analysis/trends), about what a comparison keeps for the same bytes.
func TrendsWorkingSet(fileBytes int64) int64 { return 2 * fileBytes }

func (t *Trends) storage() trends.Storage {
	return trends.Storage{Store: t.Store, TempDir: t.TempDir, Producer: t.Producer, Now: t.Now, Rules: t.Rules}
}

// PlanTrendsInput names a release, the releases of other distributions
// its lag is measured against, and the logical dates of the snapshots a
// nightly took (by snapshot id).
type PlanTrendsInput struct {
	Release      trends.Release       `json:"release"`
	Peers        []trends.Release     `json:"peers,omitempty"`
	LogicalDates map[string]time.Time `json:"logical_dates,omitempty"`
}

// PlanTrends lists what updating a release's trends takes: the states to
// compute, in snapshot order, from the first snapshot without a valid one,
// and the states made stale by a snapshot inserted before them (a
// backfill). It reads manifests only.
func (t *Trends) PlanTrends(ctx context.Context, in PlanTrendsInput) (plan trends.Plan, err error) {
	hb := startHeartbeat(ctx, "planning "+in.Release.Distro+"/"+in.Release.Release)
	defer hb.finish(&err)
	plan, err = t.storage().Plan(ctx, in.Release, in.Peers, in.LogicalDates)
	if errors.Is(err, datasets.ErrCorrupt) {
		return plan, corrupt(err)
	}
	return plan, interrupted(ctx, err)
}

// RemoveTrendsStates un-commits and removes stale trends states, trends
// manifest first (datasets.Remove), so that a removal interrupted anywhere
// leaves each state committed and whole or not committed at all.
func (t *Trends) RemoveTrendsStates(ctx context.Context, parts []datasets.Partition) (removed int, err error) {
	hb := startHeartbeat(ctx, "removing stale trends states")
	defer hb.finish(&err)
	st := t.storage()
	for _, p := range parts {
		hb.report("removing " + p.Distro + "/" + p.Release + "/" + p.Snapshot)
		if err := st.Remove(ctx, p); err != nil {
			return removed, interrupted(ctx, fmt.Errorf("remove trends state %s/%s/%s: %w", p.Distro, p.Release, p.Snapshot, err))
		}
		removed++
	}
	return removed, nil
}

// ApplyTrendsInput is one step of a trends update and the run it is for.
type ApplyTrendsInput struct {
	Step       trends.Step `json:"step"`
	WorkflowID string      `json:"workflow_id,omitempty"`
	RunID      string      `json:"run_id,omitempty"`
}

// ApplyTrends computes and commits the trends state as of one snapshot
// from the state before it, or reports the one already committed. A
// snapshot or state that is not committed, or a corrupt file, fails
// without retries and commits nothing.
func (t *Trends) ApplyTrends(ctx context.Context, in ApplyTrendsInput) (out trends.Applied, err error) {
	p := in.Step.Target
	if err := p.Validate(); err != nil {
		return out, invalid(err)
	}
	hb := startHeartbeat(ctx, "trends of "+p.Distro+"/"+p.Release+"/"+p.Snapshot)
	defer hb.finish(&err)
	if size, err := t.inputBytes(ctx, in.Step); err == nil {
		defer t.Heap.Reserve(TrendsWorkingSet(size))()
	}
	start := time.Now()
	if in.WorkflowID != "" {
		in.Step.Run = trends.Run{WorkflowID: in.WorkflowID, RunID: in.RunID}
	}
	out, err = t.storage().Apply(ctx, in.Step, func(phase string) { hb.report(phase) })
	switch {
	case errors.Is(err, compare.ErrNotCommitted), errors.Is(err, trends.ErrNotCommitted):
		return out, invalid(err)
	case errors.Is(err, trends.ErrStale):
		// The state is committed on other inputs: the plan is out of date,
		// and only a new plan (the next run) can say what to do.
		return out, invalid(err)
	case errors.Is(err, datasets.ErrCorrupt), errors.Is(err, compare.ErrCorrupt):
		return out, corrupt(err)
	case err != nil:
		return out, interrupted(ctx, err)
	}
	activity.GetLogger(ctx).Info("trends committed", "partition", p.Distro+"/"+p.Release+"/"+p.Snapshot,
		"reused", out.Reused, "packages", out.Trend.Packages, "added", out.Trend.Added, "removed", out.Trend.Removed,
		"upgraded", out.Trend.Upgraded, "outdated", out.Trend.LagOutdated, "history_rows", out.HistoryRows,
		"ms", time.Since(start).Milliseconds())
	return out, nil
}

// inputBytes is the size of what one step reads: the snapshot's and the
// peers' packages files (the previous history state is of the same order).
func (t *Trends) inputBytes(ctx context.Context, s trends.Step) (int64, error) {
	st := compare.Storage{Store: t.Store}
	return st.InputBytes(ctx, append([]datasets.Partition{s.Target}, s.Peers...)...)
}
