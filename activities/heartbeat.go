package activities

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/repo"
)

// HeartbeatInterval is how often a running activity records a heartbeat.
// The beats come from their own goroutine, not from the work's progress
// callbacks, so a step that reports nothing for a while — a server-side
// copy, a Parquet merge, a slow mirror's first byte, the collector on a
// loaded machine — still proves the worker alive. The SDK sends them to
// the server at most once per throttle interval (workflows.HeartbeatThrottle),
// and the server gives an attempt up when none arrived for its heartbeat
// timeout (workflows/options.go): a killed worker costs that, not the
// start-to-close timeout.
//
// The beats are also how a live attempt learns that it is no longer
// wanted. The server refuses the heartbeat of an attempt it gave up (its
// heartbeat timeout passed, its run was terminated or reset), and answers
// one whose run was cancelled with a cancellation; either way the SDK then
// cancels the activity's context, and the work — every fetch, store call
// and pipeline stage runs under it — stops and frees its worker slot. So an
// abandoned attempt runs on for at most one HeartbeatThrottle after the
// server stopped wanting it (integration/stuck_test.go measures it), not
// until its start-to-close timeout.
const HeartbeatInterval = time.Second

// Progress is what a long activity's heartbeats carry, shown under its
// pending activity in the Temporal UI: the step, and while a file is
// fetched its URL and the bytes received so far — a stuck transfer shows as
// a count that stops growing, a trickle as one that crawls.
type Progress struct {
	Step  string `json:"step"`
	URL   string `json:"url,omitempty"`
	Bytes int64  `json:"bytes,omitempty"`
	Size  int64  `json:"size,omitempty"` // of the file fetched, when known
	Rows  int64  `json:"rows,omitempty"`
}

// heartbeat records a heartbeat every HeartbeatInterval until stop, with
// the latest progress the work reported.
type heartbeat struct {
	ctx     context.Context
	backoff Backoff
	mu      sync.Mutex
	p       Progress
	done    chan struct{}
	exited  chan struct{}
}

// startHeartbeat records the first heartbeat at once, then keeps beating
// from its own goroutine until finish, which the activity defers:
//
//	hb := startHeartbeat(ctx, "resolving")
//	defer hb.finish(&err)
//
// Transient failures are retried after DefaultBackoff.
func startHeartbeat(ctx context.Context, step string) *heartbeat {
	return startHeartbeatBackoff(ctx, step, DefaultBackoff)
}

// startHeartbeatBackoff is startHeartbeat with the backoff of the
// activity's transient failures.
func startHeartbeatBackoff(ctx context.Context, step string, b Backoff) *heartbeat {
	h := &heartbeat{ctx: ctx, backoff: b, p: Progress{Step: step}, done: make(chan struct{}), exited: make(chan struct{})}
	activity.RecordHeartbeat(ctx, h.p)
	go func() {
		defer close(h.exited)
		t := time.NewTicker(HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				h.mu.Lock()
				p := h.p
				h.mu.Unlock()
				activity.RecordHeartbeat(ctx, p)
			}
		}
	}()
	return h
}

// report starts the next step; its beats say only its name until the work
// reports more.
func (h *heartbeat) report(step string) {
	h.mu.Lock()
	h.p = Progress{Step: step}
	h.mu.Unlock()
}

// rows sets the rows an ingest has parsed.
func (h *heartbeat) rows(n int64) {
	h.mu.Lock()
	h.p.Rows = n
	h.mu.Unlock()
}

// transfer sets the file being fetched and how much of it has arrived;
// it is the Fetcher's OnTransfer.
func (h *heartbeat) transfer(t repo.Transfer) {
	h.mu.Lock()
	h.p.URL, h.p.Bytes, h.p.Size = t.URL, t.Bytes, t.Size
	h.mu.Unlock()
}

// finish ends the beats — waiting for the goroutine, so none is recorded
// after the activity returned — reports an attempt whose context ended
// before its work as interrupted, and gives a transient failure the delay
// of its next attempt (retryAfter).
func (h *heartbeat) finish(err *error) {
	close(h.done)
	<-h.exited
	*err = retryAfter(h.ctx, interrupted(h.ctx, *err), h.backoff)
}

// Backoff is how long an activity waits after a transient failure — a
// mirror's 5xx, a refused connection, a trickle, a store that did not
// answer — before its next attempt: First after the first attempt, doubling
// with each attempt up to Max, each at random within ±25 %.
//
// Temporal's own retry policy has no jitter: the indexes of one snapshot,
// failing together when their mirror hiccups, would all come back in the
// same second, as would every snapshot of that mirror. The activity knows
// which failures are transient, so it sets each one's delay itself
// (temporal.ApplicationErrorOptions.NextRetryDelay); the workflows' policies
// size the number of attempts (workflows/options.go) and still time the
// retries of what the activity cannot report, a timeout.
type Backoff struct {
	First, Max time.Duration
}

// DefaultBackoff waits 2, 4, 8, 16, 32 s, then a minute between attempts:
// nine failures span about five minutes, a mirror's restart or a sync's
// worst moment.
var DefaultBackoff = Backoff{First: 2 * time.Second, Max: time.Minute}

// InterruptedRetryDelay is the delay of an attempt its worker stopped
// (ErrTypeInterrupted): nothing is wrong with the work, so another worker
// takes it at once. It is not zero, which would mean the policy's interval,
// growing with the attempt.
const InterruptedRetryDelay = 100 * time.Millisecond

// Delay is the wait after the given (1-based) attempt failed, before
// jitter: First, doubled per attempt, at most Max.
func (b Backoff) Delay(attempt int32) time.Duration {
	d := b.First
	for i := int32(1); i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// jittered is d, moved at random by up to a quarter either way.
func jittered(d time.Duration) time.Duration {
	return d*3/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryAfter sets the delay of err's next attempt: InterruptedRetryDelay
// for an interrupted one, b's jittered delay for any other retryable
// failure. Final failures, and errors that already carry a delay, are left
// as they are. The message, type and cause stay what Temporal would have
// made of err, so the workflows and the CLI read it as before.
func retryAfter(ctx context.Context, err error, b Backoff) error {
	if err == nil {
		return nil
	}
	var cancelled *temporal.CanceledError
	if errors.As(err, &cancelled) {
		return err // the run was cancelled: reported as such, never retried
	}
	delay := jittered(b.Delay(activity.GetInfo(ctx).Attempt))
	if ae, ok := err.(*temporal.ApplicationError); ok {
		if ae.NonRetryable() || ae.NextRetryDelay() > 0 {
			return err
		}
		if ae.Type() == ErrTypeInterrupted {
			delay = InterruptedRetryDelay
		}
		return temporal.NewApplicationErrorWithOptions(ae.Message(), ae.Type(),
			temporal.ApplicationErrorOptions{Cause: errors.Unwrap(ae), NextRetryDelay: delay, Category: ae.Category()})
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), errType(err),
		temporal.ApplicationErrorOptions{Cause: errors.Unwrap(err), NextRetryDelay: delay})
}

// errType is the type Temporal gives a plain Go error: its type's name,
// "" for errors.New's.
func errType(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "errorString" {
		return ""
	}
	return t.Name()
}
