package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/workflows"
)

// TestActivityOptions runs every workflow and checks what each activity
// was given: a long one heartbeats with workflows.HeartbeatTimeout, a
// short one has a start-to-close under a minute — either way a dead
// worker's attempt is given up in seconds, not minutes — and the
// heartbeat timeout leaves room for beats lost to a loaded machine.
func TestActivityOptions(t *testing.T) {
	var mu sync.Mutex
	got := map[string]activity.Info{}
	seen := func(ctx context.Context) {
		info := activity.GetInfo(ctx)
		mu.Lock()
		got[info.ActivityType.Name] = info
		mu.Unlock()
	}

	var s *activities.Snapshot
	env := newEnv(t)
	env.OnActivity(s.ResolveRelease, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.ResolveInput) (activities.ResolveResult, error) {
			seen(ctx)
			return resolved(), nil
		})
	env.OnActivity(s.IngestIndex, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.IngestInput) (activities.IngestResult, error) {
			seen(ctx)
			return activities.IngestResult{}, nil
		})
	env.OnActivity(s.CommitSnapshot, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.CommitInput) (activities.CommitResult, error) {
			seen(ctx)
			return activities.CommitResult{}, nil
		})
	env.ExecuteWorkflow(workflows.SnapshotWorkflow, workflows.SnapshotInput{Source: src})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}

	var c *activities.Compare
	env = newCompareEnv(t)
	env.OnActivity(c.LocateSnapshot, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.LocateInput) (activities.LocateResult, error) {
			seen(ctx)
			return locateFrom(bookworm, trixie)(ctx, in)
		})
	env.OnActivity(c.CompareSnapshots, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.CompareInput) (activities.CompareResult, error) {
			seen(ctx)
			return activities.CompareResult{}, nil
		})
	env.ExecuteWorkflow(workflows.CompareWorkflow, workflows.CompareInput{Old: side(bookworm), New: side(trixie)})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}

	env = newEnv(t)
	workflows.RegisterReleases(env, &activities.Releases{})
	var r *activities.Releases
	env.OnActivity(r.SyncReleases, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.SyncReleasesInput) (activities.SyncReleasesResult, error) {
			seen(ctx)
			return activities.SyncReleasesResult{}, nil
		})
	env.ExecuteWorkflow(workflows.ReleasesWorkflow, activities.SyncReleasesInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}

	if workflows.HeartbeatTimeout < 3*workflows.HeartbeatThrottle || workflows.HeartbeatThrottle < 3*activities.HeartbeatInterval {
		t.Errorf("heartbeat timeout %v, forwarded every %v, recorded every %v: a live attempt needs a few beats of margin",
			workflows.HeartbeatTimeout, workflows.HeartbeatThrottle, activities.HeartbeatInterval)
	}
	for _, tc := range []struct {
		activity   string
		heartbeats bool
	}{
		{"ResolveRelease", true},
		{"IngestIndex", true},
		{"CommitSnapshot", true},
		{"CompareSnapshots", true},
		{"LocateSnapshot", false},
		{"SyncReleases", false},
	} {
		info, ok := got[tc.activity]
		switch {
		case !ok:
			t.Errorf("%s did not run", tc.activity)
		case tc.heartbeats && info.HeartbeatTimeout != workflows.HeartbeatTimeout:
			t.Errorf("%s: heartbeat timeout %v, want %v", tc.activity, info.HeartbeatTimeout, workflows.HeartbeatTimeout)
		case !tc.heartbeats && (info.StartToCloseTimeout <= 0 || info.StartToCloseTimeout > time.Minute):
			t.Errorf("%s: start-to-close %v for a short activity, want tens of seconds", tc.activity, info.StartToCloseTimeout)
		}
	}
}
