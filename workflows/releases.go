package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
)

// ReleasesWorkflowName and ReleasesWorkflowID: there is one releases table,
// so one run at a time.
const (
	ReleasesWorkflowName = "ReleasesWorkflow"
	ReleasesWorkflowID   = "releases/sync"
)

// ReleasesWorkflow commits the releases table from distro-info-data.
func ReleasesWorkflow(ctx workflow.Context, in activities.SyncReleasesInput) (activities.SyncReleasesResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5,
			NonRetryableErrorTypes: []string{activities.ErrTypeCorrupt, activities.ErrTypeInvalid}},
	})
	var r *activities.Releases
	var res activities.SyncReleasesResult
	err := workflow.ExecuteActivity(ctx, r.SyncReleases, in).Get(ctx, &res)
	return res, err
}
