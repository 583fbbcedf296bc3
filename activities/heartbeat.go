package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
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
const HeartbeatInterval = time.Second

// heartbeat records a heartbeat every HeartbeatInterval until stop, with
// the latest details the work reported (what it is doing, how far along).
type heartbeat struct {
	ctx     context.Context
	mu      sync.Mutex
	details any
	done    chan struct{}
	exited  chan struct{}
}

// startHeartbeat records the first heartbeat at once, then keeps beating
// from its own goroutine until finish, which the activity defers:
//
//	hb := startHeartbeat(ctx, "resolving")
//	defer hb.finish(&err)
func startHeartbeat(ctx context.Context, details any) *heartbeat {
	h := &heartbeat{ctx: ctx, details: details, done: make(chan struct{}), exited: make(chan struct{})}
	activity.RecordHeartbeat(ctx, details)
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
				d := h.details
				h.mu.Unlock()
				activity.RecordHeartbeat(ctx, d)
			}
		}
	}()
	return h
}

// report sets the details of the next beats.
func (h *heartbeat) report(details any) {
	h.mu.Lock()
	h.details = details
	h.mu.Unlock()
}

// finish ends the beats — waiting for the goroutine, so none is recorded
// after the activity returned — and reports an attempt whose context ended
// before its work as interrupted.
func (h *heartbeat) finish(err *error) {
	close(h.done)
	<-h.exited
	*err = interrupted(h.ctx, *err)
}
