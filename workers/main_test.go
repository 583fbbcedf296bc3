package main

import (
	"context"
	"errors"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/workflows"
)

// unwind is how long the test's activity takes to return once its context
// ends: a real one is mid-request or mid-chunk and notices a moment later.
const unwind = 500 * time.Millisecond

// stopTestWorkflow runs stopTestActivity with the heartbeat timeout and
// retry policy of distroscope's long activities.
func stopTestWorkflow(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    workflows.HeartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
	var out string
	err := workflow.ExecuteActivity(ctx, "StopTestActivity").Get(ctx, &out)
	return out, err
}

// TestStopHandsBackRunningActivities: a worker stopped while an activity
// runs gives it the drain, then ends it and waits for its failure to reach
// the server before its client closes (as the binary's run does right
// after Stop), so a second worker retries it within seconds — its first
// attempt failed, it did not time out. With the SDK's stop timeout alone,
// the activity, still unwinding when Stop returns, would never report, and
// the retry would wait for the heartbeat timeout.
func TestStopHandsBackRunningActivities(t *testing.T) {
	addr := testenv.Temporal(t)
	queue := "stop-test-" + time.Now().Format("150405.000000000")
	started := make(chan struct{}, 1)
	activityFn := func(ctx context.Context) (string, error) {
		if activity.GetInfo(ctx).Attempt > 1 {
			return "done", nil
		}
		started <- struct{}{}
		for {
			select {
			case <-ctx.Done():
				time.Sleep(unwind)
				return "", ctx.Err()
			case <-time.After(time.Second):
				activity.RecordHeartbeat(ctx)
			}
		}
	}
	start := func() (client.Client, *drainingWorker) {
		c, err := client.Dial(client.Options{HostPort: addr})
		if err != nil {
			t.Fatal(err)
		}
		w := newWorker(c, queue, 2, time.Second)
		w.RegisterWorkflowWithOptions(stopTestWorkflow, workflow.RegisterOptions{Name: "StopTestWorkflow"})
		w.RegisterActivityWithOptions(activityFn, activity.RegisterOptions{Name: "StopTestActivity"})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return c, w
	}

	first, w1 := start()
	run, err := first.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: queue}, "StopTestWorkflow")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the activity did not start")
	}
	second, w2 := start()
	defer second.Close()
	defer w2.Stop()

	stopped := time.Now()
	w1.Stop()
	first.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out string
	if err := second.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &out); err != nil || out != "done" {
		t.Fatalf("run = %q, %v", out, err)
	}
	t.Logf("retried and done %v after Stop", time.Since(stopped).Round(time.Millisecond))

	it := second.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
			last := a.GetLastFailure()
			if a.GetAttempt() != 2 || last.GetApplicationFailureInfo() == nil {
				t.Errorf("attempt %d after %v; want the second, after the first failed", a.GetAttempt(), last)
			}
			return
		}
	}
	t.Error(errors.New("no activity started in the history"))
}
