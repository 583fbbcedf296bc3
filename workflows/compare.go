package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
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
	// SnapshotWorkflowID is SnapshotRunID(*Spec, …), computed by the
	// starter so the child attaches to a snapshot of the same key and
	// identity already running (workflow code hashes nothing itself).
	SnapshotWorkflowID string `json:"snapshot_workflow_id,omitempty"`
	// Trust says which committed snapshots of the name this side may use:
	// those verified by the keys the catalogue names for the distribution,
	// or any with compare --allow-unverified. Nil, in runs started before
	// comparisons checked verification, takes any.
	Trust *compare.Trust `json:"trust,omitempty"`
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
// two names twice attaches to (or reuses) the first run. Starters use
// CompareRunID, which adds the run's identity.
func CompareWorkflowID(in CompareInput) string {
	return "compare/" + in.Old.String() + "/vs/" + in.New.String()
}

// CompareRunID is the workflow ID a start of a comparison uses: the
// business key, then a hash of what each side trusts, the task queue and
// the store, so that a comparison that accepts only verified snapshots
// never attaches to one that took unverified ones (see SnapshotRunID).
func CompareRunID(in CompareInput, id RunIdentity) string {
	var b strings.Builder
	for _, s := range []CompareSide{in.Old, in.New} {
		if t := s.Trust; t != nil {
			b.WriteString(fmt.Sprintf("keys=%s;allow-unverified=%t;", strings.Join(t.Keys, ","), t.AllowUnverified))
		} else {
			b.WriteString("any;")
		}
	}
	id.Policy = b.String() + id.Policy
	return CompareWorkflowID(in) + "/" + id.hash(nil)
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
	used := make([]compare.Located, 2)
	// Both sides are located at once.
	locates := make([]workflow.Future, len(sides))
	for i, side := range sides {
		locates[i] = workflow.ExecuteLocalActivity(locateCtx, a.LocateSnapshot, activities.LocateInput{
			Distro: side.Distro, Release: side.Release, Snapshot: side.Snapshot, Trust: side.Trust})
	}
	for i, side := range sides {
		var loc activities.LocateResult
		if err := locates[i].Get(ctx, &loc); err != nil {
			return activities.CompareResult{}, stepError("locate "+side.String(), err)
		}
		if loc.Found {
			parts[i] = loc.Partition
			used[i] = loc.Located
			used[i].Partition = loc.Partition // results of runs that recorded no Located
			continue
		}
		if side.Spec == nil || side.SnapshotWorkflowID == "" {
			err := fmt.Errorf("no committed snapshot %s, and nothing says how to take one", side)
			if side.Trust != nil && len(loc.Located.PassedOver) > 0 {
				err = side.Trust.Refusal(side.String(), loc.Located.PassedOver)
			}
			return activities.CompareResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeInvalid, err)
		}
		progress.Phase, progress.Side = "snapshotting", side.String()
		snap, err := runSnapshotChild(ctx, side.SnapshotWorkflowID, SnapshotInput{Source: *side.Spec}, "snapshot "+side.String()+" for compare "+in.Old.String()+" → "+in.New.String())
		if err != nil {
			return activities.CompareResult{}, stepError("snapshot "+side.String(), err)
		}
		parts[i] = snap.Partition
		used[i] = compare.Located{Candidate: compare.Candidate{Partition: snap.Partition, SignedBy: snap.Signers},
			Trust: side.Trust, PassedOver: loc.Located.PassedOver, Snapshotted: true}
		if t := side.Trust; t != nil {
			used[i].Trusted = t.Verifies(used[i].Verified())
			if !t.Accepts(used[i].Verified()) {
				// The spec snapshotted is the catalogue's own, verified by
				// its keyring; a run that was not is no side of a
				// comparison that asked for verified snapshots.
				err := fmt.Errorf("snapshot %s took %s, %s: not verified by %s", side, used[i], used[i].Verification(), t.By)
				return activities.CompareResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeInvalid, err)
			}
		}
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
	res.Old, res.New = used[0], used[1]
	progress.Phase = "done"
	workflow.SetCurrentDetails(ctx, CompareSummary(res))
	return res, nil
}
