package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/distroscope/distroscope/workflows"
)

// Failures as the server hands them to the client; errorOf turns them into
// the errors run.Get returns, through the SDK's own converter.

func appFailure(msg, typ string, cause *failurepb.Failure) *failurepb.Failure {
	return &failurepb.Failure{Message: msg, Cause: cause, FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
		ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: typ}}}
}

func activityFailure(activity string, cause *failurepb.Failure) *failurepb.Failure {
	return &failurepb.Failure{Message: "activity error", Cause: cause, FailureInfo: &failurepb.Failure_ActivityFailureInfo{
		ActivityFailureInfo: &failurepb.ActivityFailureInfo{ScheduledEventId: 5, StartedEventId: 6, Identity: "1234@worker",
			ActivityType: &commonpb.ActivityType{Name: activity}, ActivityId: "5", RetryState: enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED}}}
}

func childFailure(workflowType, id string, cause *failurepb.Failure) *failurepb.Failure {
	return &failurepb.Failure{Message: "child workflow execution error", Cause: cause, FailureInfo: &failurepb.Failure_ChildWorkflowExecutionFailureInfo{
		ChildWorkflowExecutionFailureInfo: &failurepb.ChildWorkflowExecutionFailureInfo{Namespace: "default",
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-2"}, WorkflowType: &commonpb.WorkflowType{Name: workflowType},
			InitiatedEventId: 7, StartedEventId: 8, RetryState: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE}}}
}

func timeoutFailure(msg string, tt enumspb.TimeoutType) *failurepb.Failure {
	return &failurepb.Failure{Message: msg, FailureInfo: &failurepb.Failure_TimeoutFailureInfo{
		TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: tt}}}
}

func withCause(f, cause *failurepb.Failure) *failurepb.Failure { f.Cause = cause; return f }

func errorOf(f *failurepb.Failure) error {
	return temporal.GetDefaultFailureConverter().FailureToError(f)
}

// workflowFailed wraps a run's failure the way the client's
// WorkflowExecutionError does: tags, then the cause's Error().
func workflowFailed(cause error) error {
	return fmt.Errorf("workflow execution error (type: SnapshotWorkflow, workflowID: snapshot/bookworm/0123456789ab, runID: run-1): %w", cause)
}

func TestRootCause(t *testing.T) {
	refused := appFailure("fetch http://127.0.0.1:9/dists/bookworm/InRelease: dial tcp 127.0.0.1:9: connect: connection refused", "wrapError", nil)
	timedOut := activityFailure("IngestIndex", timeoutFailure("activity StartToClose timeout", enumspb.TIMEOUT_TYPE_START_TO_CLOSE))
	childCause := appFailure("resolve trixie: Release: 404 Not Found", "NotFound", activityFailure("ResolveRelease", appFailure("Release: 404 Not Found", "NotFound", nil)))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"a step wrapping an activity's application error",
			workflowFailed(errorOf(appFailure("resolve bookworm: "+refused.Message, "wrapError", activityFailure("ResolveRelease", refused)))),
			"resolve bookworm: fetch http://127.0.0.1:9/dists/bookworm/InRelease: dial tcp 127.0.0.1:9: connect: connection refused"},
		{"a step that quoted an activity timeout's Error()",
			workflowFailed(errorOf(appFailure("ingest main/amd64: "+errorOf(timedOut).Error(), "StepFailed", timedOut))),
			"ingest main/amd64: activity StartToClose timeout"},
		{"a comparison whose child snapshot failed",
			workflowFailed(errorOf(appFailure("snapshot debian/trixie: "+errorOf(childFailure("SnapshotWorkflow", "snapshot/trixie/0123456789ab", childCause)).Error(), "StepFailed",
				childFailure("SnapshotWorkflow", "snapshot/trixie/0123456789ab", childCause)))),
			"snapshot debian/trixie: resolve trixie: Release: 404 Not Found"},
		{"a message that is its cause's text",
			workflowFailed(errorOf(appFailure("no committed snapshot debian/sid, and nothing says how to take one", "InvalidInput",
				appFailure("no committed snapshot debian/sid, and nothing says how to take one", "errorString", nil)))),
			"no committed snapshot debian/sid, and nothing says how to take one"},
		{"a message and a cause it does not quote",
			workflowFailed(errorOf(appFailure("commit debian/bookworm", "CommitFailed", appFailure("disk full", "errorString", nil)))),
			"commit debian/bookworm: disk full"},
		{"an empty message says its cause",
			workflowFailed(errorOf(appFailure("", "", appFailure("disk full", "errorString", nil)))),
			"disk full"},
		{"a timeout after a failed attempt", workflowFailed(errorOf(activityFailure("IngestIndex", withCause(
			timeoutFailure("activity StartToClose timeout", enumspb.TIMEOUT_TYPE_START_TO_CLOSE), appFailure("read: connection reset by peer", "wrapError", nil))))),
			"activity StartToClose timeout: read: connection reset by peer"},
		{"the whole run timed out", workflowFailed(errorOf(timeoutFailure("", enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE))), "schedule-to-close timeout"},
		{"canceled", workflowFailed(temporal.NewCanceledError()), "canceled"},
		{"an application error built in Go", temporal.NewNonRetryableApplicationError("compare: no architecture in common", "InvalidInput", nil),
			"compare: no architecture in common"},
		{"not Temporal's", fmt.Errorf("compare: %w", context.DeadlineExceeded), "compare: context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rootCause(tc.err); got != tc.want {
				t.Errorf("rootCause = %q\nwant        %q\n(Error() is %q)", got, tc.want, tc.err.Error())
			}
		})
	}
}

func TestRetryLine(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	refused := appFailure("dial tcp 127.0.0.1:9: connect: connection refused", "wrapError", nil)
	pending := func(attempt, max int32, next time.Duration, last *failurepb.Failure) *workflowpb.PendingActivityInfo {
		p := &workflowpb.PendingActivityInfo{ActivityId: "5", ActivityType: &commonpb.ActivityType{Name: "ResolveRelease"},
			Attempt: attempt, MaximumAttempts: max, LastFailure: last}
		if next != 0 {
			p.NextAttemptScheduleTime = timestamppb.New(now.Add(next))
		}
		return p
	}
	for _, tc := range []struct {
		name string
		p    *workflowpb.PendingActivityInfo
		want string
	}{
		{"waiting for the next attempt", pending(2, 5, 4*time.Second, refused),
			"bookworm: retrying ResolveRelease in 4 s (attempt 2 of 5): dial tcp 127.0.0.1:9: connect: connection refused"},
		{"backoff rounded to whole seconds", pending(3, 5, 1600*time.Millisecond, refused),
			"bookworm: retrying ResolveRelease in 2 s (attempt 3 of 5): dial tcp 127.0.0.1:9: connect: connection refused"},
		{"less than a second still says one", pending(2, 5, 200*time.Millisecond, refused),
			"bookworm: retrying ResolveRelease in 1 s (attempt 2 of 5): dial tcp 127.0.0.1:9: connect: connection refused"},
		{"long backoffs in minutes", pending(6, 6, 5*time.Minute, refused),
			"bookworm: retrying ResolveRelease in 5 min (attempt 6 of 6): dial tcp 127.0.0.1:9: connect: connection refused"},
		{"no limit on attempts", pending(3, 0, 4*time.Second, refused),
			"bookworm: retrying ResolveRelease in 4 s (attempt 3): dial tcp 127.0.0.1:9: connect: connection refused"},
		{"the attempt already running", pending(2, 5, 0, refused),
			"bookworm: retrying ResolveRelease (attempt 2 of 5): dial tcp 127.0.0.1:9: connect: connection refused"},
		{"a scheduled time already past", pending(2, 5, -time.Second, refused),
			"bookworm: retrying ResolveRelease (attempt 2 of 5): dial tcp 127.0.0.1:9: connect: connection refused"},
		{"a worker that died mid-attempt", pending(2, 6, 2*time.Second, timeoutFailure("activity Heartbeat timeout", enumspb.TIMEOUT_TYPE_HEARTBEAT)),
			"bookworm: retrying ResolveRelease in 2 s (attempt 2 of 6): activity Heartbeat timeout"},
		{"no failure recorded", pending(2, 5, 4*time.Second, nil), "bookworm: retrying ResolveRelease in 4 s (attempt 2 of 5)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryLine("bookworm", tc.p, now); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// Each attempt is said once, however many times the run is described
// while it waits; the same activity ID in a child is another activity.
func TestRetriesSayEachAttemptOnce(t *testing.T) {
	now := time.Now()
	act := func(wf, id string, attempt int32) pendingActivity {
		return pendingActivity{wf, &workflowpb.PendingActivityInfo{ActivityId: id, ActivityType: &commonpb.ActivityType{Name: "Ingest" + id},
			Attempt: attempt, MaximumAttempts: 6}}
	}
	r := retries{}
	for i, tc := range []struct {
		pending []pendingActivity
		want    []string
	}{
		{[]pendingActivity{act("w", "1", 1), act("w", "2", 1)}, nil},
		{[]pendingActivity{act("w", "1", 2), act("w", "2", 1)}, []string{"x: retrying Ingest1 (attempt 2 of 6)"}},
		{[]pendingActivity{act("w", "1", 2), act("w", "2", 1)}, nil},
		{[]pendingActivity{act("w", "1", 3), act("w", "2", 2), act("snapshot/debian/trixie/0a1b2c3d4e5f/f5e4d3c2b1a0", "1", 2)},
			[]string{"x: retrying Ingest1 (attempt 3 of 6)", "x: retrying Ingest2 (attempt 2 of 6)", "x › snapshot/debian/trixie: retrying Ingest1 (attempt 2 of 6)"}},
		{nil, nil}, // the server did not answer
		{[]pendingActivity{act("w", "1", 3), act("w", "2", 2), act("snapshot/debian/trixie/0a1b2c3d4e5f/f5e4d3c2b1a0", "1", 2)}, nil},
	} {
		if got := r.lines("x", "w", tc.pending, now); !slices.Equal(got, tc.want) {
			t.Errorf("poll %d: got %q, want %q", i, got, tc.want)
		}
	}
}

func TestProgressLines(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{snapshotProgressLine("bookworm", workflows.SnapshotProgress{Phase: "ingesting", Partition: "debian/bookworm/20250510T091228Z-abcf5882746e",
			IndexesTotal: 4, IndexesDone: 1, Rows: 63000}, 1234*time.Millisecond),
			"bookworm: ingesting  1/4 indexes  63000 rows  debian/bookworm/20250510T091228Z-abcf5882746e  1.2s"},
		{snapshotProgressLine("fedora/41", workflows.SnapshotProgress{Phase: "resolving"}, 0), "fedora/41: resolving  0/0 indexes  0 rows    0s"},
		{compareProgressLine(workflows.CompareProgress{Phase: "snapshotting", Side: "debian/trixie"}, 2*time.Second), "compare: snapshotting debian/trixie  2s"},
		{compareProgressLine(workflows.CompareProgress{Phase: "comparing"}, 2500*time.Millisecond), "compare: comparing  2.5s"},
		{compareProgressLine(workflows.CompareProgress{Phase: "done"}, time.Second), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
}

func TestTimeoutName(t *testing.T) {
	for tt, want := range map[enumspb.TimeoutType]string{enumspb.TIMEOUT_TYPE_START_TO_CLOSE: "start-to-close",
		enumspb.TIMEOUT_TYPE_HEARTBEAT: "heartbeat", enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START: "schedule-to-start"} {
		if got := timeoutName(tt); got != want {
			t.Errorf("%v: %q, want %q", tt, got, want)
		}
	}
	if !errors.Is(workflowFailed(context.Canceled), context.Canceled) {
		t.Fatal("workflowFailed must wrap")
	}
}
