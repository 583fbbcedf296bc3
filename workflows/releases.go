package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
)

// ReleasesWorkflowName and ReleasesWorkflowID: there is one releases table,
// so one run at a time.
const (
	ReleasesWorkflowName = "ReleasesWorkflow"
	ReleasesWorkflowID   = "releases/sync"
)

// RegisterReleases registers ReleasesWorkflow and the releases activity,
// with a's dependencies, on w.
func RegisterReleases(w worker.Registry, a *activities.Releases) {
	w.RegisterWorkflowWithOptions(ReleasesWorkflow, workflow.RegisterOptions{Name: ReleasesWorkflowName})
	w.RegisterActivity(a)
}

// ReleasesWorkflow commits the releases table from distro-info-data.
func ReleasesWorkflow(ctx workflow.Context, in activities.SyncReleasesInput) (activities.SyncReleasesResult, error) {
	ctx = workflow.WithActivityOptions(ctx, syncReleasesOptions)
	var r *activities.Releases
	var res activities.SyncReleasesResult
	err := workflow.ExecuteActivity(ctx, r.SyncReleases, in).Get(ctx, &res)
	return res, err
}
