package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/workflows"
)

// dial connects to Temporal for any command, the same way: the shared
// configuration's address, namespace and credentials, with the SDK's own
// logging kept to warnings (its info lines would drown the progress lines).
func (c *cli) dial(cfg config.Config) (client.Client, error) {
	quiet := slog.New(slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return temporalclient.Dial(cfg.Temporal, quiet, nil)
}

// searchAttributesRegistered reports whether the namespace knows the
// Distroscope* search attributes; runs only set them when it does.
func searchAttributesRegistered(ctx context.Context, c client.Client, ns string) bool {
	return attributesRegistered(ctx, c, ns, workflows.SearchAttrDistro, workflows.SearchAttrRelease)
}

// nightlySearchAttributesRegistered reports whether the namespace knows
// the nightly's search attributes (plan, logical date, stage) and those of
// the snapshots it starts, which take the nightly's word for theirs: a
// workflow upserting one the namespace lacks fails its task, over and over.
func nightlySearchAttributesRegistered(ctx context.Context, c client.Client, ns string) bool {
	return attributesRegistered(ctx, c, ns, workflows.SearchAttrPlan, workflows.SearchAttrLogicalDate, workflows.SearchAttrStage,
		workflows.SearchAttrDistro, workflows.SearchAttrRelease)
}

// attributesRegistered reports whether the namespace has every one of the
// custom search attributes names; false when the server cannot say.
func attributesRegistered(ctx context.Context, c client.Client, ns string, names ...string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return false
	}
	for _, name := range names {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			return false
		}
	}
	return true
}

// A worker polls its task queue again as soon as a poll returns, and the
// server holds an idle poll for a minute, so a live worker's last poll is
// at most about a minute old; workerStale adds a margin for a loaded
// server. The server forgets pollers after five minutes. workerGrace is
// how long a start looks again before it says no worker polls: a worker
// started the moment before (the demo's) may not have reached the server.
const (
	workerStale         = 2 * time.Minute
	workerCheckInterval = 10 * time.Second
	workerGrace         = 2 * time.Second
)

// addWaitFlag adds --wait to a command that starts runs: without it, the
// command fails at once when no worker polls the task queue (or all stop
// polling while it follows its runs) instead of waiting in silence.
func addWaitFlag(cmd *cobra.Command, wait *bool) {
	cmd.Flags().BoolVar(wait, "wait", false, "keep waiting when no worker polls the task queue (default: fail, saying so)")
}

// noWorkerError says that no worker polls the task queue, since when, and
// what to do about it. wait is whether the user asked to wait.
type noWorkerError struct {
	queue, address, namespace string
	last                      time.Time // the latest poll, zero when the server knows none
	wait, detach              bool      // what the user asked for: to wait for a worker, or not for the runs
}

func (e *noWorkerError) Error() string {
	since := "none in the last 5 minutes"
	if !e.last.IsZero() {
		since = "last poll " + humanWait(time.Since(e.last)) + " ago"
	}
	msg := fmt.Sprintf("no worker is polling task queue %s on %s, namespace %s (%s)", e.queue, e.address, e.namespace, since)
	switch {
	case e.detach:
		return msg + "; the runs stay queued until one does (distroscope-worker, with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and DISTROSCOPE_TASK_QUEUE)"
	case e.wait:
		return msg + "; waiting for one (start distroscope-worker with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and DISTROSCOPE_TASK_QUEUE)"
	}
	return msg + "; start one (distroscope-worker, with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and DISTROSCOPE_TASK_QUEUE) or pass --wait"
}

// lastPoll is the latest poll of the task queue by any worker, for
// workflow or activity tasks; zero when the server knows none. ok is false
// when the server cannot say (an old server, a key without the right to
// ask): then nothing is known, and nothing is claimed.
func lastPoll(ctx context.Context, tc client.Client, queue string) (last time.Time, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := tc.DescribeTaskQueue(ctx, queue, kind)
		if err != nil {
			return time.Time{}, false
		}
		for _, p := range resp.GetPollers() {
			if t := p.GetLastAccessTime().AsTime(); t.After(last) {
				last = t
			}
		}
	}
	return last, true
}

// checkWorker returns a *noWorkerError when no worker polled cfg's task
// queue within stale, else nil.
func checkWorker(ctx context.Context, tc client.Client, cfg config.Config, stale time.Duration, wait bool) error {
	last, ok := lastPoll(ctx, tc, cfg.Temporal.TaskQueue)
	if !ok || time.Since(last) < stale {
		return nil
	}
	return &noWorkerError{queue: cfg.Temporal.TaskQueue, address: cfg.Temporal.Address, namespace: cfg.Temporal.Namespace, last: last, wait: wait}
}

// requireWorker is what a command that starts runs calls before starting
// them: with no worker polling the task queue (for workerGrace) it fails,
// saying so — or, with --wait or --detach (nothing waits for the runs
// then), says so and lets the command go on, with missing true.
func (c *cli) requireWorker(ctx context.Context, tc client.Client, cfg config.Config, wait, detach bool) (missing bool, err error) {
	for deadline := time.Now().Add(workerGrace); ; {
		err = checkWorker(ctx, tc, cfg, workerStale, wait)
		if err == nil {
			return false, nil
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(workerGrace / 4):
		}
	}
	if !wait && !detach {
		return true, err
	}
	var nw *noWorkerError
	if errors.As(err, &nw) {
		nw.detach = detach
	}
	fmt.Fprintln(c.stderr, err)
	return true, nil
}

// followWorkers starts watchWorkers beside the runs a command follows and
// returns the context to wait for them under: it ends with the
// *noWorkerError when every worker stopped polling (unless the user asked
// to wait; see noWorker). missing is requireWorker's.
func (c *cli) followWorkers(ctx context.Context, tc client.Client, cfg config.Config, wait, missing bool, out *lockedWriters) (context.Context, context.CancelFunc) {
	ctx, giveUp := context.WithCancelCause(ctx)
	go watchWorkersEvery(ctx, tc, cfg, wait, missing, out, giveUp, workerCheckInterval, workerStale)
	return ctx, func() { giveUp(nil) }
}

// watchWorkersEvery checks every so often, until ctx ends, that a worker
// polls cfg's task queue: when every worker stopped (for stale), it says
// so, once, and — unless the user asked to wait — ends the command's wait
// through giveUp with the *noWorkerError (the runs stay; a worker started
// later finishes them). When a worker is back it says that too. missing
// is whether none polled at the start (and that was said).
func watchWorkersEvery(ctx context.Context, tc client.Client, cfg config.Config, wait, missing bool, out *lockedWriters, giveUp context.CancelCauseFunc, every, stale time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := checkWorker(ctx, tc, cfg, stale, wait)
		switch {
		case err != nil && !wait:
			giveUp(err)
			return
		case err != nil && !missing:
			out.progress(err.Error())
			missing = true
		case err == nil && missing:
			out.progress("a worker polls task queue " + cfg.Temporal.TaskQueue + " again")
			missing = false
		}
	}
}

// noWorker is the *noWorkerError that ended ctx through watchWorkers'
// giveUp, if that is what ended it.
func noWorker(ctx context.Context) *noWorkerError {
	var nw *noWorkerError
	if errors.As(context.Cause(ctx), &nw) {
		return nw
	}
	return nil
}

// leftQueued says that a command gave up waiting for runs no worker
// takes: they stay queued, and a worker started later finishes them.
func leftQueued(nw *noWorkerError) error {
	return fmt.Errorf("%w; the runs stay queued, and a worker started later finishes them", nw)
}

// await follows one run to its end: progress lines from its query (follow,
// under label), the workers watched as followWorkers does, its result read
// into res. left is set when every worker went away while it waited (the
// run stays queued, leftQueued says so); err is the run's own.
func await[P comparable](c *cli, ctx context.Context, tc client.Client, cfg config.Config, run client.WorkflowRun, label string,
	wait, missing bool, line func(P) string, res any) (left, err error) {
	out := &lockedWriters{stdout: c.stdout, stderr: c.stderr}
	ctx, stopWatching := c.followWorkers(ctx, tc, cfg, wait, missing, out)
	defer stopWatching()
	done := make(chan struct{})
	go follow(ctx, tc, run, label, out, done, line)
	err = run.Get(ctx, res)
	close(done)
	if nw := noWorker(ctx); nw != nil {
		return leftQueued(nw), err
	}
	return nil, err
}

// withTemporal runs do with a client of the configured Temporal and a
// minute's deadline: the commands that only talk to the server (schedule,
// status) and finish in seconds.
func (c *cli) withTemporal(cmd *cobra.Command, do func(context.Context, client.Client, config.Config) error) error {
	cfg, err := c.config(cmd)
	if err != nil {
		return err
	}
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return do(ctx, tc, cfg)
}
