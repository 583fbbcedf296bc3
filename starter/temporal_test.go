package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/testenv"
)

// queueConfig is the configuration of a CLI on a task queue of its own on
// the test server.
func queueConfig(t *testing.T, queue string) (config.Config, client.Client) {
	t.Helper()
	cfg := config.Default()
	cfg.Temporal.Address = testenv.Temporal(t)
	cfg.Temporal.TaskQueue = queue + "-" + time.Now().Format("150405.000000000")
	c, err := client.Dial(client.Options{HostPort: cfg.Temporal.Address})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return cfg, c
}

func idleWorkflow(ctx workflow.Context) error { return nil }

// startPoller starts a worker on cfg's queue and waits until the server
// has seen it poll.
func startPoller(t *testing.T, c client.Client, cfg config.Config) worker.Worker {
	t.Helper()
	w := worker.New(c, cfg.Temporal.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(idleWorkflow, workflow.RegisterOptions{Name: "IdleWorkflow"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if last, ok := lastPoll(t.Context(), c, cfg.Temporal.TaskQueue); ok && !last.IsZero() {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never polled")
		}
	}
}

// TestRequireWorker: before starting a run, the CLI asks the server who
// polls the task queue. Nobody (a queue no worker ever polled, on the real
// dev server): it fails at once saying so, with the queue, the server and
// what to do — or, with --wait, says so and goes on. A live worker: it
// says nothing.
func TestRequireWorker(t *testing.T) {
	cfg, c := queueConfig(t, "nobody")
	var stderr bytes.Buffer
	cli := &cli{stderr: &stderr}
	start := time.Now()
	missing, err := cli.requireWorker(t.Context(), c, cfg, false, false)
	var nw *noWorkerError
	if !missing || !errors.As(err, &nw) || time.Since(start) > workerGrace+5*time.Second {
		t.Fatalf("no worker: %v after %v, want a noWorkerError after the %v grace", err, time.Since(start), workerGrace)
	}
	want := "no worker is polling task queue " + cfg.Temporal.TaskQueue + " on " + cfg.Temporal.Address +
		", namespace default (none in the last 5 minutes); start one (distroscope-worker, with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and DISTROSCOPE_TASK_QUEUE) or pass --wait"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	if missing, err := cli.requireWorker(t.Context(), c, cfg, true, false); !missing || err != nil || !strings.Contains(stderr.String(), "; waiting for one (start distroscope-worker") {
		t.Errorf("with --wait: %v, printed %q; want nil and a note", err, stderr.String())
	}
	stderr.Reset()
	if missing, err := cli.requireWorker(t.Context(), c, cfg, false, true); !missing || err != nil || !strings.Contains(stderr.String(), "; the runs stay queued until one does") {
		t.Errorf("with --detach: %v, printed %q; want nil and a note", err, stderr.String())
	}

	startPoller(t, c, cfg).Stop()
	stderr.Reset()
	if missing, err := cli.requireWorker(t.Context(), c, cfg, false, false); missing || err != nil || stderr.Len() > 0 {
		t.Errorf("a worker that just polled: %v, printed %q", err, stderr.String())
	}
	// Its last poll ages: once past the staleness bound it is gone.
	time.Sleep(1500 * time.Millisecond)
	err = checkWorker(t.Context(), c, cfg, time.Second, false)
	if !errors.As(err, &nw) || !strings.Contains(err.Error(), "(last poll 2 s ago)") && !strings.Contains(err.Error(), "(last poll 1 s ago)") {
		t.Errorf("a stopped worker: %v, want a noWorkerError with its last poll", err)
	}
}

// TestWatchWorkers: while the CLI follows runs, a task queue whose workers
// all stop polling ends its wait with the noWorkerError, unless it was
// asked to wait — then it says so once, and again when a worker is back.
func TestWatchWorkers(t *testing.T) {
	cfg, c := queueConfig(t, "watch")
	w := startPoller(t, c, cfg)
	const every, stale = 100 * time.Millisecond, time.Second

	var stderr bytes.Buffer
	out := &lockedWriters{stderr: &stderr}
	ctx, giveUp := context.WithCancelCause(t.Context())
	defer giveUp(nil)
	done := make(chan struct{})
	go func() {
		watchWorkersEvery(ctx, c, cfg, false, false, out, giveUp, every, stale)
		close(done)
	}()
	stopped := time.Now()
	w.Stop()
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the wait did not end")
	}
	<-done
	took := time.Since(stopped)
	if nw := noWorker(ctx); nw == nil || took > stale+5*time.Second {
		t.Errorf("the wait ended %v after the worker stopped, with %v; want a noWorkerError within about %v", took, context.Cause(ctx), stale)
	}

	// With --wait: a note, the wait goes on, and a note when a worker is back.
	ctx2, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	go watchWorkersEvery(ctx2, c, cfg, true, false, out, cancel, every, stale)
	waitForText(t, out, "; waiting for one")
	if ctx2.Err() != nil {
		t.Fatalf("with --wait the wait ended: %v", context.Cause(ctx2))
	}
	startPoller(t, c, cfg).Stop()
	waitForText(t, out, "a worker polls task queue "+cfg.Temporal.TaskQueue+" again")
	if n := strings.Count(text(out), "no worker is polling"); n != 1 {
		t.Errorf("said %d times that no worker polls:\n%s", n, text(out))
	}
}

func text(out *lockedWriters) string {
	out.Lock()
	defer out.Unlock()
	return out.stderr.(*bytes.Buffer).String()
}

func waitForText(t *testing.T, out *lockedWriters, s string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(text(out), s); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never printed %q; printed:\n%s", s, text(out))
		}
	}
}
