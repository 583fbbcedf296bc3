package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/telemetry"
)

// NightlyPrefix is where the record of each nightly run is kept, one JSON
// object per plan and logical date:
// nightly_runs/plan=PLAN/date=20261206T013000Z.json.
const NightlyPrefix = "nightly_runs/"

// Nightly holds what the nightly workflow's own activities need: the store
// its records go to, and a Temporal client to wait for a run started
// elsewhere and to read its schedule's counters.
type Nightly struct {
	Store   store.Store
	Client  client.Client
	Metrics *telemetry.Metrics
}

// Outcome is what became of one stage of a nightly: a snapshot, a
// comparison, a release's trends or an image comparison.
type Outcome struct {
	Name       string `json:"name"`
	Status     string `json:"status"` // reused, done, failed, skipped
	WorkflowID string `json:"workflow_id,omitempty"`
	// Partition is the snapshot or comparison committed (DISTRO/RELEASE/SNAPSHOT).
	Partition string `json:"partition,omitempty"`
	Rows      int64  `json:"rows,omitempty"`
	Summary   string `json:"summary,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Outcome statuses.
const (
	StatusReused  = "reused"
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// NightlyRecord is what one nightly run of a plan committed, kept so that
// a second start for the same logical date reuses it and so that history
// can be read back per night.
type NightlyRecord struct {
	Plan        string    `json:"plan"`
	LogicalDate time.Time `json:"logical_date"`
	WorkflowID  string    `json:"workflow_id"`
	RunID       string    `json:"run_id"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Snapshots   []Outcome `json:"snapshots"`
	Comparisons []Outcome `json:"comparisons"`
	Trends      []Outcome `json:"trends,omitempty"`
	// Images are the plan's image comparisons, in plan order.
	Images []Outcome `json:"images,omitempty"`
	// Retention is the plan's retention applied after everything else,
	// when the plan has one.
	Retention *Outcome `json:"retention,omitempty"`
	// ScheduleID is the Temporal Schedule that started the run, if one did.
	ScheduleID string `json:"schedule_id,omitempty"`
}

// Outcomes are every stage's, in the record's order.
func (r NightlyRecord) Outcomes() []Outcome {
	out := append(append(append(append([]Outcome(nil), r.Snapshots...), r.Comparisons...), r.Trends...), r.Images...)
	if r.Retention != nil {
		out = append(out, *r.Retention)
	}
	return out
}

// Failed counts the stages that failed or were skipped because one did.
func (r NightlyRecord) Failed() int {
	n := 0
	for _, o := range r.Outcomes() {
		if o.Status == StatusFailed || o.Status == StatusSkipped {
			n++
		}
	}
	return n
}

// NightlyKey is the key of the record of plan's run for logical.
func NightlyKey(plan string, logical time.Time) string {
	return fmt.Sprintf("%splan=%s/date=%s.json", NightlyPrefix, plan, logical.UTC().Format("20060102T150405Z"))
}

// FindNightlyInput names a record.
type FindNightlyInput struct {
	Plan        string    `json:"plan"`
	LogicalDate time.Time `json:"logical_date"`
}

// FindNightly returns the record of plan's run for the logical date, or
// nil when none was committed.
func (n *Nightly) FindNightly(ctx context.Context, in FindNightlyInput) (*NightlyRecord, error) {
	key := NightlyKey(in.Plan, in.LogicalDate)
	r, err := n.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer r.Close()
	var rec NightlyRecord
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&rec); err != nil {
		return nil, corrupt(fmt.Errorf("nightly record %s: %w", key, err))
	}
	return &rec, nil
}

// RecordNightly commits the run's record (one atomic Put: readers see the
// old record or the new one) and updates the worker's nightly metrics.
func (n *Nightly) RecordNightly(ctx context.Context, rec NightlyRecord) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return invalid(err)
	}
	key := NightlyKey(rec.Plan, rec.LogicalDate)
	if err := n.Store.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	if n.Metrics != nil {
		n.Metrics.NightlyRecorded(rec.Plan, rec.Failed(), rec.Finished)
		if rec.ScheduleID != "" && n.Client != nil {
			n.scheduleCounters(ctx, rec.Plan, rec.ScheduleID)
		}
	}
	return nil
}

// scheduleCounters exports what the schedule itself counts and no run can:
// the actions it skipped because a run was still going past the buffer,
// and those it missed because no server was up within the catch-up window.
func (n *Nightly) scheduleCounters(ctx context.Context, plan, id string) {
	d, err := n.Client.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
	if err != nil {
		return // the record is what matters; the counters come next night
	}
	n.Metrics.ScheduleCounters(plan, int64(d.Info.NumActionsSkippedOverlap), int64(d.Info.NumActionsMissedCatchupWindow))
}

// AwaitInput names a run started elsewhere.
type AwaitInput struct {
	WorkflowID string `json:"workflow_id"`
}

// AwaitRun waits for the latest run of a workflow ID to close and returns
// its result as JSON: a child whose ID is already taken by a running
// snapshot — a comparison's, or a user's `distroscope snapshot` — attaches
// to that run through this activity instead of failing. It heartbeats
// while it waits, so a killed worker's wait is picked up by another.
func (n *Nightly) AwaitRun(ctx context.Context, in AwaitInput) (json.RawMessage, error) {
	hb := startHeartbeat(ctx, "awaiting "+in.WorkflowID)
	var err error
	defer hb.finish(&err)
	var out json.RawMessage
	err = n.Client.GetWorkflow(ctx, in.WorkflowID, "").Get(ctx, &out)
	var failed *temporal.WorkflowExecutionError
	if errors.As(err, &failed) {
		// The run itself failed: waiting again reads the same failure.
		err = temporal.NewNonRetryableApplicationError(fmt.Sprintf("run %s failed: %v", in.WorkflowID, errors.Unwrap(failed)), ErrTypeAwaitedRunFailed, err)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("wait for run %s: %w", in.WorkflowID, err)
	}
	return out, nil
}

// ErrTypeAwaitedRunFailed: the run AwaitRun waited for failed; its failure
// is the awaiting workflow's.
const ErrTypeAwaitedRunFailed = "AwaitedRunFailed"
