package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/trends"
)

// TrendsWorkflowName is the trends run's registered name.
const TrendsWorkflowName = "TrendsWorkflow"

// DefaultTrendsStepsPerRun is how many states one run of TrendsWorkflow
// computes before it continues as new: each is three events, so a year of
// daily snapshots recomputed from scratch stays far below the history's
// limits.
const DefaultTrendsStepsPerRun = 500

// TrendsInput names the release whose trends to bring up to date, the
// releases of other distributions its lag is measured against, and the
// logical dates of snapshots a nightly took (snapshot id → date).
type TrendsInput struct {
	Release      trends.Release       `json:"release"`
	Peers        []trends.Release     `json:"peers,omitempty"`
	LogicalDates map[string]time.Time `json:"logical_dates,omitempty"`
	// StepsPerRun: continue as new after this many states
	// (DefaultTrendsStepsPerRun if 0).
	StepsPerRun int `json:"steps_per_run,omitempty"`
	// Done carries the counts of earlier runs through continue-as-new.
	Done *TrendsResult `json:"done,omitempty"`
}

// TrendsResult is what a trends run did.
type TrendsResult struct {
	Release string `json:"release"` // DISTRO/RELEASE
	// Snapshots is how many trusted committed snapshots the series has;
	// Computed and Reused count the states this run committed and found
	// committed; Stale the states it removed because a snapshot was
	// inserted before them.
	Snapshots int `json:"snapshots"`
	Computed  int `json:"computed"`
	Reused    int `json:"reused"`
	Stale     int `json:"stale"`
	// Last is the newest state, when the series has one.
	Last *trends.Applied `json:"last,omitempty"`
}

// TrendsProgress answers the trends run's progress query.
type TrendsProgress struct {
	Phase   string `json:"phase"` // planning, removing, computing, done
	Release string `json:"release"`
	Steps   int    `json:"steps"`
	Done    int    `json:"done"`
	Current string `json:"current,omitempty"`
}

// RegisterTrends registers TrendsWorkflow and its activities.
func RegisterTrends(w worker.Registry, a *activities.Trends) {
	w.RegisterWorkflowWithOptions(TrendsWorkflow, workflow.RegisterOptions{Name: TrendsWorkflowName})
	w.RegisterActivity(a)
}

// TrendsWorkflowID is the business key of a release's trends: one update
// of a release runs at a time, and a second start attaches to it.
func TrendsWorkflowID(distro, release string) string { return "trends/" + distro + "/" + release }

// TrendsWorkflow brings a release's trends up to date: it plans from the
// committed snapshots and trends states, removes the states a backfilled
// snapshot made stale, then computes one state per snapshot in order, each
// from the one before, in one heartbeating activity each. Every state is
// committed on its own, so a run killed half-way resumes at the first
// snapshot without one.
func TrendsWorkflow(ctx workflow.Context, in TrendsInput) (TrendsResult, error) {
	name := in.Release.Distro + "/" + in.Release.Release
	progress := TrendsProgress{Phase: "planning", Release: name}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (TrendsProgress, error) { return progress, nil }); err != nil {
		return TrendsResult{}, err
	}
	res := TrendsResult{Release: name}
	if in.Done != nil {
		res = *in.Done
	}
	var a *activities.Trends
	var plan trends.Plan
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, planTrendsOptions), a.PlanTrends, activities.PlanTrendsInput{
		Release: in.Release, Peers: in.Peers, LogicalDates: in.LogicalDates}).Get(ctx, &plan); err != nil {
		return res, stepError("plan the trends of "+name, err)
	}
	res.Snapshots = plan.Snapshots
	if len(plan.Stale) > 0 {
		progress.Phase = "removing"
		var removed int
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, removeTrendsOptions), a.RemoveTrendsStates,
			plan.Stale).Get(ctx, &removed); err != nil {
			return res, stepError("remove the stale trends states of "+name, err)
		}
		res.Stale += removed
	}
	progress.Phase, progress.Steps = "computing", len(plan.Steps)
	perRun := in.StepsPerRun
	if perRun <= 0 {
		perRun = DefaultTrendsStepsPerRun
	}
	info := workflow.GetInfo(ctx)
	applyCtx := workflow.WithActivityOptions(ctx, applyTrendsOptions)
	for i, step := range plan.Steps {
		if i == perRun {
			next := in
			next.Done = &res
			return res, workflow.NewContinueAsNewError(ctx, TrendsWorkflowName, next)
		}
		progress.Current = step.Target.Snapshot
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("**trends of %s** — %d of %d states, computing %s", name, i, len(plan.Steps), step.Target.Snapshot))
		var applied trends.Applied
		if err := workflow.ExecuteActivity(applyCtx, a.ApplyTrends, activities.ApplyTrendsInput{
			Step: step, WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		}).Get(ctx, &applied); err != nil {
			return res, stepError("trends of "+name+" as of "+step.Target.Snapshot, err)
		}
		if applied.Reused {
			res.Reused++
		} else {
			res.Computed++
		}
		res.Last = &applied
		progress.Done = i + 1
	}
	progress.Phase, progress.Current = "done", ""
	workflow.SetCurrentDetails(ctx, TrendsSummary(res))
	return res, nil
}

// TrendsSummary is one line on a trends run.
func TrendsSummary(r TrendsResult) string {
	line := fmt.Sprintf("trends of %s: %d snapshots, %d states computed, %d already committed", r.Release, r.Snapshots, r.Computed, r.Reused)
	if r.Stale > 0 {
		line += fmt.Sprintf(", %d stale removed", r.Stale)
	}
	if l := r.Last; l != nil {
		t := l.Trend
		line += fmt.Sprintf("; as of %s: %s packages, +%s −%s ↑%s, %s of %s sources behind a peer", l.Partition.Snapshot,
			thousands(t.Packages), thousands(t.Added), thousands(t.Removed), thousands(t.Upgraded), thousands(t.LagOutdated), thousands(t.LagMatched))
	}
	return line
}
