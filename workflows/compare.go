package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
)

// CompareWorkflowName is the registered name of CompareWorkflow.
const CompareWorkflowName = "CompareWorkflow"

// CompareSide is one side of a comparison: a committed snapshot by name
// (distro, release, optional snapshot id), and what to snapshot first when
// none is committed yet.
type CompareSide struct {
	Distro   string     `json:"distro"`
	Release  string     `json:"release"`
	Snapshot string     `json:"snapshot,omitempty"`
	Spec     *repo.Spec `json:"spec,omitempty"`
	// SnapshotWorkflowID is SnapshotWorkflowID(*Spec), computed by the
	// starter so the child attaches to a snapshot of the same key already
	// running (workflow code hashes nothing itself).
	SnapshotWorkflowID string `json:"snapshot_workflow_id,omitempty"`
}

func (s CompareSide) String() string {
	out := s.Distro + "/" + s.Release
	if s.Snapshot != "" {
		out += "/" + s.Snapshot
	}
	return out
}

// CompareInput compares Old with New.
type CompareInput struct {
	Old CompareSide `json:"old"`
	New CompareSide `json:"new"`
}

// CompareProgress answers the progress query of a comparison.
type CompareProgress struct {
	Phase string `json:"phase"` // locating, snapshotting, comparing, done
	// Side is the side being snapshotted ("debian/trixie"), while Phase is
	// snapshotting.
	Side string `json:"side,omitempty"`
}

// RegisterCompare registers CompareWorkflow and the comparison activities,
// with a's dependencies, on w. A comparison snapshots a missing side first
// as a child SnapshotWorkflow, which RegisterSnapshot registers.
func RegisterCompare(w worker.Registry, a *activities.Compare) {
	w.RegisterWorkflowWithOptions(CompareWorkflow, workflow.RegisterOptions{Name: CompareWorkflowName})
	w.RegisterActivity(a)
}

// CompareWorkflowID is the comparison's business key: comparing the same
// two names twice attaches to (or reuses) the first run.
func CompareWorkflowID(in CompareInput) string {
	return "compare/" + in.Old.String() + "/vs/" + in.New.String()
}

// CompareWorkflow makes sure both snapshots exist — a side with no committed
// snapshot is taken first, as a child SnapshotWorkflow in the same durable
// run — then compares them in one heartbeating activity that commits the
// package_changes and compare_summaries datasets. The same two snapshots
// compared again reuse the committed result.
func CompareWorkflow(ctx workflow.Context, in CompareInput) (activities.CompareResult, error) {
	progress := CompareProgress{Phase: "locating"}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (CompareProgress, error) { return progress, nil }); err != nil {
		return activities.CompareResult{}, err
	}
	// Locating a snapshot reads a few manifests: a local activity, run in
	// the workflow task itself, without a round trip through the server
	// before the comparison can start.
	locateCtx := workflow.WithLocalActivityOptions(ctx, locateOptions)
	var a *activities.Compare
	sides := []*CompareSide{&in.Old, &in.New}
	parts := make([]datasets.Partition, 2)
	// Both sides are located at once.
	locates := make([]workflow.Future, len(sides))
	for i, side := range sides {
		locates[i] = workflow.ExecuteLocalActivity(locateCtx, a.LocateSnapshot, activities.LocateInput{
			Distro: side.Distro, Release: side.Release, Snapshot: side.Snapshot})
	}
	for i, side := range sides {
		var loc activities.LocateResult
		if err := locates[i].Get(ctx, &loc); err != nil {
			return activities.CompareResult{}, stepError("locate "+side.String(), err)
		}
		if loc.Found {
			parts[i] = loc.Partition
			continue
		}
		if side.Spec == nil || side.SnapshotWorkflowID == "" {
			err := fmt.Errorf("no committed snapshot %s, and nothing says how to take one", side)
			return activities.CompareResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeInvalid, err)
		}
		progress.Phase, progress.Side = "snapshotting", side.String()
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: side.SnapshotWorkflowID})
		var snap SnapshotResult
		if err := workflow.ExecuteChildWorkflow(child, SnapshotWorkflowName, SnapshotInput{Source: *side.Spec}).Get(ctx, &snap); err != nil {
			return activities.CompareResult{}, stepError("snapshot "+side.String(), err)
		}
		parts[i] = snap.Partition
	}
	progress.Phase, progress.Side = "comparing", ""
	compareCtx := workflow.WithActivityOptions(ctx, compareOptions)
	info := workflow.GetInfo(ctx)
	var res activities.CompareResult
	if err := workflow.ExecuteActivity(compareCtx, a.CompareSnapshots, activities.CompareInput{
		Old: parts[0], New: parts[1], WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
	}).Get(ctx, &res); err != nil {
		return res, stepError("compare", err)
	}
	progress.Phase = "done"
	return res, nil
}
