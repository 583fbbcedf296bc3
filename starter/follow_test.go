package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/workflows"
)

// flakyResolve fails twice as a mirror that refuses connections does, then
// for good, as a Release that is not there.
func flakyResolve(ctx context.Context) error {
	if activity.GetInfo(ctx).Attempt < 3 {
		return errors.New("dial tcp 127.0.0.1:9: connect: connection refused")
	}
	return temporal.NewNonRetryableApplicationError("Release: 404 Not Found", "NotFound", nil)
}

// flakySnapshot answers the progress query and names its failing step the
// way SnapshotWorkflow does (keeping the activity's message and type).
func flakySnapshot(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, workflows.ProgressQuery, func() (workflows.SnapshotProgress, error) {
		return workflows.SnapshotProgress{Phase: "resolving"}, nil
	}); err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 1, MaximumAttempts: 4}})
	err := workflow.ExecuteActivity(ctx, "ResolveRelease").Get(ctx, nil)
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return temporal.NewApplicationErrorWithOptions("resolve bookworm: "+ae.Message(), ae.Type(),
			temporal.ApplicationErrorOptions{NonRetryable: ae.NonRetryable(), Cause: err})
	}
	return err
}

// flakyCompare waits on flakySnapshot as a child, as a comparison waits
// on the snapshot of a missing side.
func flakyCompare(ctx workflow.Context) error {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID + "-child"})
	err := workflow.ExecuteChildWorkflow(ctx, "FlakySnapshot").Get(ctx, nil)
	if err != nil {
		return temporal.NewApplicationErrorWithCause("snapshot debian/bookworm: "+err.Error(), "StepFailed", err)
	}
	return nil
}

// syncBuffer is a bytes.Buffer the follower and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestFollowShowsRetries runs a flaky activity on the real Temporal dev
// server and follows it as the CLI does: each retry is one line, with the
// backoff, the attempt and the failure's own message — also when the
// activity belongs to a child the run waits on — and the run's failure
// reads without Temporal's tags.
func TestFollowShowsRetries(t *testing.T) {
	addr := testenv.Temporal(t)
	quiet := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelError})))
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close) // after the parallel subtests, which a defer would not wait for
	queue := fmt.Sprintf("follow-%d", time.Now().UnixNano())
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(flakySnapshot, workflow.RegisterOptions{Name: "FlakySnapshot"})
	w.RegisterWorkflowWithOptions(flakyCompare, workflow.RegisterOptions{Name: "FlakyCompare"})
	w.RegisterActivityWithOptions(flakyResolve, activity.RegisterOptions{Name: "ResolveRelease"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	for _, tc := range []struct {
		name, workflow, label string
		// lineLabel matches what starts a retry line: the label, and for a
		// child's activity which child.
		lineLabel string
		progress  bool // the run itself answers the progress query
		cause     string
	}{
		{"the run's own activity", "FlakySnapshot", "bookworm", `bookworm`, true, "resolve bookworm: Release: 404 Not Found"},
		{"a child's activity", "FlakyCompare", "compare", `compare › \S+-FlakyCompare-child`, false, "snapshot debian/bookworm: resolve bookworm: Release: 404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queue + "-" + tc.workflow, TaskQueue: queue}, tc.workflow)
			if err != nil {
				t.Fatal(err)
			}
			var stderr syncBuffer
			done, followed := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(followed)
				follow(ctx, c, run, tc.label, &lockedWriters{stdout: &bytes.Buffer{}, stderr: &stderr}, done, func(p workflows.SnapshotProgress) string {
					return snapshotProgressLine(tc.label, p, 0)
				})
			}()
			err = run.Get(ctx, nil)
			close(done)
			<-followed
			if err == nil {
				t.Fatal("the run succeeded")
			}
			out := stderr.String()
			for attempt := 2; attempt <= 3; attempt++ {
				re := regexp.MustCompile(fmt.Sprintf(`(?m)^%s: retrying ResolveRelease( in [12] s)? \(attempt %d of 4\): dial tcp 127\.0\.0\.1:9: connect: connection refused$`,
					tc.lineLabel, attempt))
				if n := len(re.FindAllString(out, -1)); n != 1 {
					t.Errorf("%d lines for attempt %d, want 1:\n%s", n, attempt, out)
				}
			}
			if strings.Contains(out, "attempt 4") {
				t.Errorf("a fourth attempt reported; the third failed for good:\n%s", out)
			}
			if got := strings.Count(out, tc.label+": resolving"); got != map[bool]int{true: 1, false: 0}[tc.progress] {
				t.Errorf("%d progress lines:\n%s", got, out)
			}
			if got := rootCause(err); got != tc.cause {
				t.Errorf("rootCause = %q, want %q\n(Error() is %q)", got, tc.cause, err.Error())
			}
		})
	}
}
