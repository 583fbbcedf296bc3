package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
)

// Names of the nightly run, shared by the worker, the CLI and the UI.
const (
	NightlyWorkflowName = "NightlyWorkflow"
	// Search attributes of nightly runs (registered by the dev stack, and
	// by `temporal operator search-attribute create` on a real cluster):
	// the plan, the logical date and the stage the run is in.
	SearchAttrPlan        = "DistroscopePlan"
	SearchAttrLogicalDate = "DistroscopeLogicalDate"
	SearchAttrStage       = "DistroscopeStage"
	// DefaultWindow is how many child runs a nightly keeps going at once.
	DefaultWindow = 8
	// retentionStage names the retention's outcome in a night's record.
	retentionStage = "retention"
	// DefaultMaxHistoryEvents is the history length after which a nightly
	// continues as new: a tenth of the server's 50K-event hard limit, and
	// well below its 10K warning.
	DefaultMaxHistoryEvents = 5000
)

var (
	planKey        = temporal.NewSearchAttributeKeyKeyword(SearchAttrPlan)
	logicalDateKey = temporal.NewSearchAttributeKeyTime(SearchAttrLogicalDate)
	stageKey       = temporal.NewSearchAttributeKeyKeyword(SearchAttrStage)
	// scheduledStartKey is set by Temporal on runs a Schedule starts
	// (backfills included): the time the run was scheduled for.
	scheduledStartKey = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")
	scheduledByKey    = temporal.NewSearchAttributeKeyKeyword("TemporalScheduledById")
)

// NightlySnapshot is one snapshot of a nightly: SOURCE/SUITE, the source's
// spec, and the workflow ID its run takes (SnapshotRunID, computed by the
// starter, so that a user's `distroscope snapshot` of the same suite and
// the nightly's child are one run).
type NightlySnapshot struct {
	Name       string    `json:"name"`
	Spec       repo.Spec `json:"spec"`
	WorkflowID string    `json:"workflow_id"`
}

// NightlyComparison compares two snapshots of the nightly, by name. Input
// carries each side's distro, release and trust; the nightly fills in the
// snapshots it took, so the comparison is of tonight's snapshots.
type NightlyComparison struct {
	Old   string       `json:"old"`
	New   string       `json:"new"`
	Input CompareInput `json:"input"`
}

// Name is "OLD → NEW".
func (c NightlyComparison) Name() string { return c.Old + " → " + c.New }

// NightlyTrends brings the trends of the release one snapshot of the
// nightly tracks up to date. The release is the partition the snapshot
// committed; its peers are the other snapshots' releases of other
// distributions.
type NightlyTrends struct {
	Snapshot string `json:"snapshot"`
	// Trust says which committed snapshots of the release the series may
	// use, as for a comparison's side.
	Trust *compare.Trust `json:"trust,omitempty"`
}

// Name is "trends of SOURCE/SUITE".
func (t NightlyTrends) Name() string { return "trends of " + t.Snapshot }

// NightlyImageComparison compares two images: Name is the stage's name in
// the night's record (the plan's "image LABEL" or "image A → B"), Input the
// comparison, references absolute as the worker reads them.
type NightlyImageComparison struct {
	Name  string            `json:"name"`
	Input ImageCompareInput `json:"input"`
}

// NightlyInput is a plan resolved by the starter.
type NightlyInput struct {
	Plan        string              `json:"plan"`
	Snapshots   []NightlySnapshot   `json:"snapshots"`
	Comparisons []NightlyComparison `json:"comparisons"`
	// Trends are updated once every snapshot of the night has ended.
	Trends []NightlyTrends `json:"trends,omitempty"`
	// Images are compared in the same window; they need no snapshot.
	Images []NightlyImageComparison `json:"images,omitempty"`
	// Retention, when set, removes the tracked releases' snapshots older
	// than it, as of the logical date, once everything else has ended.
	Retention time.Duration `json:"retention,omitempty"`
	// Identity is the run identity of the comparisons' IDs (CompareRunID).
	Identity RunIdentity `json:"identity"`
	// Window is how many children run at once (DefaultWindow if 0).
	Window int `json:"window,omitempty"`
	// LogicalDate is the night the run is for. Zero: the time its Schedule
	// scheduled it for (TemporalScheduledStartTime), or, for a run no
	// Schedule started, its start time.
	LogicalDate time.Time `json:"logical_date,omitzero"`
	// ScheduleID names the schedule, for its counters (metrics).
	ScheduleID          string `json:"schedule_id,omitempty"`
	SetSearchAttributes bool   `json:"set_search_attributes,omitempty"`
	// MaxHistoryEvents: continue as new past this many events
	// (DefaultMaxHistoryEvents if 0).
	MaxHistoryEvents int `json:"max_history_events,omitempty"`
	// State is what earlier runs of this nightly did, carried through
	// continue-as-new.
	State *NightlyState `json:"state,omitempty"`
}

// NightlyState is carried from one run of a nightly to the next when it
// continues as new: no child is running then, so it is complete.
type NightlyState struct {
	LogicalDate time.Time                     `json:"logical_date"`
	Started     time.Time                     `json:"started"`
	Outcomes    map[string]activities.Outcome `json:"outcomes"`
	// Generation counts continue-as-new.
	Generation int `json:"generation"`
}

// NightlyResult is what a nightly did: the record it committed, and
// whether it was that of an earlier run for the same logical date.
type NightlyResult struct {
	Record activities.NightlyRecord `json:"record"`
	Reused bool                     `json:"reused"`
}

// StageCounts counts a stage's children by status.
type StageCounts struct {
	Total   int `json:"total"`
	Reused  int `json:"reused"`
	Done    int `json:"done"`
	Running int `json:"running"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// NightlyProgress answers the nightly's progress query; `distroscope
// status` prints it.
type NightlyProgress struct {
	Plan        string      `json:"plan"`
	LogicalDate time.Time   `json:"logical_date"`
	Stage       string      `json:"stage"` // snapshots, comparisons, trends, images, retention, recording, done
	Snapshots   StageCounts `json:"snapshots"`
	Comparisons StageCounts `json:"comparisons"`
	Trends      StageCounts `json:"trends,omitzero"`
	Images      StageCounts `json:"images,omitzero"`
	Running     []string    `json:"running,omitempty"`
	// Failed lists the failed and skipped stages with their reasons.
	Failed     []string `json:"failed,omitempty"`
	Generation int      `json:"generation"`
}

// RegisterNightly registers NightlyWorkflow and its activities. Its
// children are SnapshotWorkflow, CompareWorkflow, TrendsWorkflow and
// ImageCompareWorkflow, registered by RegisterSnapshot, RegisterCompare,
// RegisterTrends and RegisterImage.
func RegisterNightly(w worker.Registry, a *activities.Nightly) {
	w.RegisterWorkflowWithOptions(NightlyWorkflow, workflow.RegisterOptions{Name: NightlyWorkflowName})
	w.RegisterActivity(a)
}

// RegisterRetention registers the retention activity a nightly ends with.
func RegisterRetention(w worker.Registry, a *activities.Retention) { w.RegisterActivity(a) }

// NightlyScheduleWorkflowID is the workflow ID a plan's schedule gives its
// runs; the server appends the scheduled time ("nightly/PLAN-2026-12-06T01:30:00Z").
func NightlyScheduleWorkflowID(plan string) string { return "nightly/" + plan }

// NightlyWorkflow takes a plan's snapshots and comparisons, and compares
// its image pairs: a sliding window of at most Window children at once — a
// plan of hundreds of sources never starts hundreds of runs — where a
// comparison starts as soon as both its snapshots are committed and an
// image pair whenever a slot is free. A failed child fails only its
// branch: the comparisons that need it are skipped, everything else goes
// on, and the run, once everything ended, records what happened and fails
// listing the failures. Past MaxHistoryEvents it stops starting children,
// waits for those running, and continues as new with what they did, so no
// child is lost or started twice. A second run for a logical date whose
// record says everything succeeded returns that record.
func NightlyWorkflow(ctx workflow.Context, in NightlyInput) (NightlyResult, error) {
	n := newNightly(ctx, in)
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (NightlyProgress, error) { return n.progress(), nil }); err != nil {
		return NightlyResult{}, err
	}
	if in.State == nil {
		var nightly *activities.Nightly
		var rec *activities.NightlyRecord
		findCtx := workflow.WithLocalActivityOptions(ctx, locateOptions)
		if err := workflow.ExecuteLocalActivity(findCtx, nightly.FindNightly, activities.FindNightlyInput{
			Plan: in.Plan, LogicalDate: n.state.LogicalDate}).Get(ctx, &rec); err != nil {
			return NightlyResult{}, stepError("find the record of "+n.title(), err)
		}
		if rec != nil && rec.Failed() == 0 {
			n.stage = "done"
			for _, o := range rec.Outcomes() {
				n.state.Outcomes[o.Name] = o
			}
			// Runs recorded before a reused night said its stage in the
			// search attributes did not (docs/VERSIONING.md).
			if workflow.GetVersion(ctx, "reused-night-upserts-stage", workflow.DefaultVersion, 1) >= 1 {
				n.upsert(ctx)
			}
			n.details(ctx)
			return NightlyResult{Record: *rec, Reused: true}, nil
		}
	}
	n.stage = "snapshots"
	n.upsert(ctx)
	n.details(ctx)
	if cont, err := n.run(ctx); err != nil || cont {
		if cont {
			next := in
			next.State = &n.state
			next.State.Generation++
			return NightlyResult{}, workflow.NewContinueAsNewError(ctx, NightlyWorkflowName, next)
		}
		return NightlyResult{}, err
	}

	if in.Retention > 0 {
		n.stage = "retention"
		n.upsert(ctx)
		n.details(ctx)
		n.retention(ctx)
	}
	n.stage = "recording"
	n.upsert(ctx)
	rec := n.record(ctx)
	recordCtx := workflow.WithActivityOptions(ctx, recordNightlyOptions)
	var nightly *activities.Nightly
	if err := workflow.ExecuteActivity(recordCtx, nightly.RecordNightly, rec).Get(ctx, nil); err != nil {
		return NightlyResult{}, stepError("record "+n.title(), err)
	}
	n.stage = "done"
	n.upsert(ctx)
	n.details(ctx)
	if failed := rec.Failed(); failed > 0 {
		return NightlyResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: %d of %d stages failed or were skipped: %s", n.title(), failed,
				len(rec.Outcomes()), strings.Join(n.progress().Failed, "; ")),
			"NightlyFailed", nil, rec)
	}
	return NightlyResult{Record: rec}, nil
}

// nightly is one run's scheduler state.
type nightly struct {
	in      NightlyInput
	state   NightlyState
	stage   string
	running map[string]bool
	// snapshots by name, for the comparisons.
	snapshots map[string]NightlySnapshot
}

func newNightly(ctx workflow.Context, in NightlyInput) *nightly {
	n := &nightly{in: in, running: map[string]bool{}, snapshots: map[string]NightlySnapshot{}}
	if in.State != nil {
		n.state = *in.State
	} else {
		n.state = NightlyState{LogicalDate: in.LogicalDate, Started: workflow.Now(ctx)}
		if n.state.LogicalDate.IsZero() {
			if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartKey); ok {
				n.state.LogicalDate = t
			} else {
				n.state.LogicalDate = workflow.GetInfo(ctx).WorkflowStartTime
			}
		}
		n.state.LogicalDate = n.state.LogicalDate.UTC()
	}
	if n.state.Outcomes == nil {
		n.state.Outcomes = map[string]activities.Outcome{}
	}
	for _, s := range in.Snapshots {
		n.snapshots[s.Name] = s
	}
	return n
}

func (n *nightly) title() string {
	return "nightly " + n.in.Plan + " of " + n.state.LogicalDate.Format(time.RFC3339)
}

// run keeps up to Window children going until every stage has an outcome.
// It returns true when the history is long enough to continue as new: no
// child is running then.
func (n *nightly) run(ctx workflow.Context) (continueAsNew bool, err error) {
	window := n.in.Window
	if window <= 0 {
		window = DefaultWindow
	}
	maxEvents := n.in.MaxHistoryEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxHistoryEvents
	}
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	draining := false
	for {
		if !draining {
			started := false
			for inFlight < window {
				start := n.next()
				if start == nil {
					break
				}
				n.running[start.name] = true
				f := start.run(ctx, n)
				inFlight++
				started = true
				sel.AddFuture(f, func(f workflow.Future) {
					var o activities.Outcome
					_ = f.Get(ctx, &o) // the child's future never fails: see startChild
					delete(n.running, o.Name)
					n.state.Outcomes[o.Name] = o
					inFlight--
				})
			}
			if started {
				// The UI says what runs now, not only what finished.
				n.details(ctx)
			}
		}
		if inFlight == 0 {
			n.skipUnreachable()
			if n.next() == nil {
				return false, nil
			}
			if draining {
				return true, nil
			}
			continue
		}
		sel.Select(ctx)
		n.skipUnreachable()
		n.details(ctx)
		if !draining && workflow.GetInfo(ctx).GetCurrentHistoryLength() > maxEvents {
			draining = true
		}
	}
}

// start is one child to start.
type start struct {
	name string
	run  func(ctx workflow.Context, n *nightly) workflow.Future
}

// next is the next child to start: a comparison whose snapshots are both
// committed first — it frees what it needs soonest — then the next
// snapshot in plan order; nil when nothing can start now.
func (n *nightly) next() *start {
	for _, c := range n.in.Comparisons {
		name := c.Name()
		if _, ok := n.state.Outcomes[name]; ok || n.running[name] {
			continue
		}
		old, okOld := n.state.Outcomes[c.Old]
		nw, okNew := n.state.Outcomes[c.New]
		if okOld && okNew && succeeded(old) && succeeded(nw) {
			return &start{name: name, run: func(ctx workflow.Context, n *nightly) workflow.Future { return n.compare(ctx, c, old, nw) }}
		}
	}
	if n.snapshotsEnded() {
		for _, t := range n.in.Trends {
			name := t.Name()
			if _, ok := n.state.Outcomes[name]; ok || n.running[name] {
				continue
			}
			if o := n.state.Outcomes[t.Snapshot]; succeeded(o) {
				return &start{name: name, run: func(ctx workflow.Context, n *nightly) workflow.Future { return n.trends(ctx, t) }}
			}
		}
	}
	for _, s := range n.in.Snapshots {
		if _, ok := n.state.Outcomes[s.Name]; ok || n.running[s.Name] {
			continue
		}
		return &start{name: s.Name, run: func(ctx workflow.Context, n *nightly) workflow.Future { return n.snapshot(ctx, s) }}
	}
	// Image comparisons come last: nothing waits for them, while every
	// snapshot has comparisons and trends waiting, so snapshots first
	// shortens the night; the images then fill the slots the snapshots
	// free, in plan order.
	for _, c := range n.in.Images {
		if _, ok := n.state.Outcomes[c.Name]; ok || n.running[c.Name] {
			continue
		}
		return &start{name: c.Name, run: func(ctx workflow.Context, n *nightly) workflow.Future { return n.imageCompare(ctx, c) }}
	}
	return nil
}

// snapshotsEnded tells whether every snapshot of the night has an outcome:
// trends wait for them all, so that each release's lag is measured against
// its peers' snapshots of the same night.
func (n *nightly) snapshotsEnded() bool {
	for _, s := range n.in.Snapshots {
		if _, ok := n.state.Outcomes[s.Name]; !ok {
			return false
		}
	}
	return true
}

func succeeded(o activities.Outcome) bool {
	return o.Status == activities.StatusDone || o.Status == activities.StatusReused
}

// skipUnreachable gives each comparison one of whose snapshots failed its
// outcome: skipped, naming the snapshot.
func (n *nightly) skipUnreachable() {
	for _, c := range n.in.Comparisons {
		if _, ok := n.state.Outcomes[c.Name()]; ok || n.running[c.Name()] {
			continue
		}
		for _, side := range []string{c.Old, c.New} {
			if o, ok := n.state.Outcomes[side]; ok && !succeeded(o) {
				n.state.Outcomes[c.Name()] = activities.Outcome{Name: c.Name(), Status: activities.StatusSkipped,
					Error: "snapshot " + side + " " + o.Status}
				break
			}
		}
	}
	for _, t := range n.in.Trends {
		if _, ok := n.state.Outcomes[t.Name()]; ok || n.running[t.Name()] {
			continue
		}
		if o, ok := n.state.Outcomes[t.Snapshot]; ok && !succeeded(o) {
			n.state.Outcomes[t.Name()] = activities.Outcome{Name: t.Name(), Status: activities.StatusSkipped,
				Error: "snapshot " + t.Snapshot + " " + o.Status}
		}
	}
}

// childRetry retries a failed child run once, a minute later: its
// activities already retried their transient failures for minutes, so what
// fails a run is a mirror down for longer, or bad input, which no retry
// fixes.
var childRetry = &temporal.RetryPolicy{InitialInterval: time.Minute, MaximumAttempts: 2, NonRetryableErrorTypes: nonRetryable}

// snapshot runs s as a child, or attaches to the run of its ID already
// going, and settles to its outcome.
func (n *nightly) snapshot(ctx workflow.Context, s NightlySnapshot) workflow.Future {
	f, settle := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		o := activities.Outcome{Name: s.Name, WorkflowID: s.WorkflowID}
		res, err := runSnapshotChild(ctx, s.WorkflowID, SnapshotInput{Source: s.Spec, SetSearchAttributes: n.in.SetSearchAttributes},
			fmt.Sprintf("snapshot %s (%s)", s.Name, n.title()))
		if err != nil {
			o.Status, o.Error = activities.StatusFailed, rootMessage(err)
		} else {
			o.Status = activities.StatusDone
			if res.Reused {
				o.Status = activities.StatusReused
			}
			o.Partition = res.Partition.Distro + "/" + res.Partition.Release + "/" + res.Partition.Snapshot
			o.Rows = res.Rows
			o.Summary = snapshotSummary(res)
		}
		settle.Set(o, nil)
	})
	return f
}

// compare runs c as a child, of the two snapshots this night took.
func (n *nightly) compare(ctx workflow.Context, c NightlyComparison, old, nw activities.Outcome) workflow.Future {
	f, settle := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		in := c.Input
		// The sides are the partitions the snapshots committed: the
		// distribution as its Release names itself, which need not be the
		// catalogue's name for the source.
		in.Old.Distro, in.Old.Release, in.Old.Snapshot = splitPartition(old.Partition)
		in.New.Distro, in.New.Release, in.New.Snapshot = splitPartition(nw.Partition)
		in.Old.Spec, in.New.Spec = nil, nil
		in.Old.SnapshotWorkflowID, in.New.SnapshotWorkflowID = "", ""
		id := CompareRunID(in, n.in.Identity)
		o := activities.Outcome{Name: c.Name(), WorkflowID: id}
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, RetryPolicy: childRetry,
			StaticSummary: fmt.Sprintf("compare %s (%s)", c.Name(), n.title())})
		var res activities.CompareResult
		if err := workflow.ExecuteChildWorkflow(child, CompareWorkflowName, in).Get(ctx, &res); err != nil {
			o.Status, o.Error = activities.StatusFailed, rootMessage(err)
		} else {
			o.Status = activities.StatusDone
			if res.Reused {
				o.Status = activities.StatusReused
			}
			o.Partition = res.Partition.Distro + "/" + res.Partition.Release + "/" + res.Partition.Snapshot
			o.Summary = CompareSummary(res)
		}
		settle.Set(o, nil)
	})
	return f
}

// trends brings the trends of t's release up to date, its lag measured
// against the releases of other distributions this night snapshotted.
func (n *nightly) trends(ctx workflow.Context, t NightlyTrends) workflow.Future {
	f, settle := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		own := n.state.Outcomes[t.Snapshot]
		distro, release, snapshot := splitPartition(own.Partition)
		in := TrendsInput{Release: trends.Release{Distro: distro, Release: release, Trust: t.Trust},
			LogicalDates: map[string]time.Time{snapshot: n.state.LogicalDate}}
		for _, peer := range n.in.Trends {
			o := n.state.Outcomes[peer.Snapshot]
			pd, pr, _ := splitPartition(o.Partition)
			if !succeeded(o) || pd == distro {
				continue
			}
			in.Peers = append(in.Peers, trends.Release{Distro: pd, Release: pr, Trust: peer.Trust})
		}
		id := TrendsWorkflowID(distro, release)
		o := activities.Outcome{Name: t.Name(), WorkflowID: id}
		res, err := runTrendsChild(ctx, id, in, fmt.Sprintf("trends of %s/%s (%s)", distro, release, n.title()))
		if err != nil {
			o.Status, o.Error = activities.StatusFailed, rootMessage(err)
		} else {
			o.Status = activities.StatusDone
			if res.Computed == 0 {
				o.Status = activities.StatusReused
			}
			if res.Last != nil {
				p := res.Last.Partition
				o.Partition = p.Distro + "/" + p.Release + "/" + p.Snapshot
			}
			o.Summary = TrendsSummary(res)
		}
		settle.Set(o, nil)
	})
	return f
}

// imageCompare runs c as a child, or, when a user's `distroscope image
// compare` of the same pair is running under its ID, waits for that run
// and then runs its own: cheap, as both analyses and the diff it committed
// are reused, and the night's outcome is then its own run's.
func (n *nightly) imageCompare(ctx workflow.Context, c NightlyImageComparison) workflow.Future {
	f, settle := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		id := ImageCompareWorkflowID(c.Input)
		o := activities.Outcome{Name: c.Name, WorkflowID: id}
		res, err := runAfterRunning[ImageCompareResult](ctx, ImageCompareWorkflowName, id, c.Input,
			fmt.Sprintf("%s (%s)", c.Name, n.title()))
		if err != nil {
			o.Status, o.Error = activities.StatusFailed, rootMessage(err)
		} else {
			o.Status = activities.StatusDone
			if res.Compare.Reused && res.A.Reused && res.B.Reused {
				o.Status = activities.StatusReused
			}
			p := res.Compare.Partition
			o.Partition = p.Distro + "/" + p.Release + "/" + p.Snapshot
			o.Summary = imageCompareSummary(res)
		}
		settle.Set(o, nil)
	})
	return f
}

// imageCompareSummary is one line on an image comparison: "debian/bookworm
// ⇄ debian/trixie: 1,204 packages, 12 settings differ", each side named by
// its reference when it has no os-release.
func imageCompareSummary(r ImageCompareResult) string {
	s := r.Compare.Summary
	side := func(distro, release, ref string) string {
		if distro == "" {
			return ref
		}
		return distro + "/" + release
	}
	return fmt.Sprintf("%s ⇄ %s: %s packages, %s settings differ", side(s.ADistro, s.ARelease, s.ARef),
		side(s.BDistro, s.BRelease, s.BRef), thousands(s.Packages), thousands(s.Settings))
}

// runTrendsChild runs a release's trends as a child under id, or, when a
// run of that ID is already going (a user's `distroscope trends`, a
// backfill's), waits for that run and then runs its own: the running one
// may have planned before tonight's snapshot was committed.
func runTrendsChild(ctx workflow.Context, id string, in TrendsInput, summary string) (TrendsResult, error) {
	return runAfterRunning[TrendsResult](ctx, TrendsWorkflowName, id, in, summary)
}

// runAfterRunning runs workflowName as a child under id; when a run of
// that ID is already going, it waits for that run to close, whatever
// became of it, and starts its own again (twice at most).
func runAfterRunning[R any](ctx workflow.Context, workflowName, id string, in any, summary string) (R, error) {
	child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, RetryPolicy: childRetry,
		StaticSummary: summary})
	var res R
	for attempt := 0; ; attempt++ {
		err := workflow.ExecuteChildWorkflow(child, workflowName, in).Get(ctx, &res)
		if err == nil || !isAlreadyStarted(err) || attempt == 2 {
			return res, err
		}
		// Whatever became of the other run, this one runs after it.
		var nightly *activities.Nightly
		err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, awaitOptions), nightly.AwaitRun,
			activities.AwaitInput{WorkflowID: id}).Get(ctx, nil)
		var app *temporal.ApplicationError
		if err != nil && !(errors.As(err, &app) && app.Type() == activities.ErrTypeAwaitedRunFailed) {
			return res, stepError("wait for the running "+id, err)
		}
	}
}

// retention applies the plan's retention, as of the logical date, to the
// releases tonight's snapshots committed and those the plan's earlier
// nights recorded, and settles its outcome: a failure fails the night, not
// the other stages.
func (n *nightly) retention(ctx workflow.Context) {
	o := activities.Outcome{Name: retentionStage}
	in := activities.RetentionInput{Plan: n.in.Plan, MaxAge: n.in.Retention, Now: n.state.LogicalDate}
	for _, s := range n.in.Snapshots {
		if out := n.state.Outcomes[s.Name]; succeeded(out) {
			distro, release, _ := splitPartition(out.Partition)
			in.Releases = append(in.Releases, datasets.ReleaseName{Distro: distro, Release: release})
		}
	}
	var r *activities.Retention
	var res activities.RetentionResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, retentionOptions), r.ApplyRetention, in).Get(ctx, &res); err != nil {
		o.Status, o.Error = activities.StatusFailed, rootMessage(err)
	} else {
		o.Status = activities.StatusDone
		o.Rows = int64(len(res.Removed))
		o.Summary = fmt.Sprintf("retention of %d days over %d releases: %d partitions removed, %d kept past it (each release's newest)",
			int(n.in.Retention/(24*time.Hour)), len(res.Releases), len(res.Removed), len(res.Kept))
	}
	n.state.Outcomes[retentionStage] = o
}

// splitPartition splits "DISTRO/RELEASE/SNAPSHOT".
func splitPartition(p string) (distro, release, snapshot string) {
	distro, rest, _ := strings.Cut(p, "/")
	release, snapshot, _ = strings.Cut(rest, "/")
	return distro, release, snapshot
}

// runSnapshotChild runs a snapshot as a child under id — the ID a user's
// `distroscope snapshot` of the same source takes too. If a run of that ID
// is already going (a user's, or another workflow's child), the start
// fails and the child attaches to that run instead, waiting for its result
// through an activity: two starts of one snapshot are one run.
func runSnapshotChild(ctx workflow.Context, id string, in SnapshotInput, summary string) (SnapshotResult, error) {
	child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, RetryPolicy: childRetry,
		StaticSummary: summary})
	var res SnapshotResult
	err := workflow.ExecuteChildWorkflow(child, SnapshotWorkflowName, in).Get(ctx, &res)
	if err == nil || !isAlreadyStarted(err) {
		return res, err
	}
	// Runs of CompareWorkflow started before this failed here; the marker
	// keeps their histories replaying (docs/VERSIONING.md).
	if workflow.GetVersion(ctx, "attach-running-snapshot", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return res, err
	}
	// AwaitRun returns the run's result as JSON; the data converter reads
	// it into the snapshot's result, as it would the child's.
	var nightly *activities.Nightly
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, awaitOptions), nightly.AwaitRun,
		activities.AwaitInput{WorkflowID: id}).Get(ctx, &res); err != nil {
		return res, stepError("wait for the running "+id, err)
	}
	return res, nil
}

func isAlreadyStarted(err error) bool {
	var started *temporal.ChildWorkflowExecutionAlreadyStartedError
	return errors.As(err, &started)
}

// rootMessage is what the UI and the record show for a failed child: the
// message of the child's own failure — its failing step, which names the
// cause ("ingest main/amd64: repo: …/Packages: SHA256 … does not match …")
// — or its timeout, without the layers that carried it; the innermost
// failure is often a bare sentinel ("corrupt repository metadata") that
// names nothing. A failure with neither is said by its innermost error.
func rootMessage(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch e := e.(type) {
		case *temporal.ApplicationError:
			return e.Message()
		case *temporal.TimeoutError:
			return fmt.Sprintf("timed out (%v)", e.TimeoutType())
		}
	}
	return innermost(err).Error()
}

// snapshotSummary is one line on a committed snapshot.
func snapshotSummary(r SnapshotResult) string {
	verb := "committed"
	if r.Reused {
		verb = "already committed"
	}
	return fmt.Sprintf("%s/%s/%s %s: %s rows from %d indexes", r.Partition.Distro, r.Partition.Release, r.Partition.Snapshot,
		verb, thousands(r.Rows), r.Indexes)
}

// CompareSummary is one line on a comparison: "debian/bookworm →
// debian/trixie: 14,001 added, 2,110 removed, 30,401 upgraded …", with
// the packages no rule paired when there are any or the comparison is
// across distributions — there, most of the packages may be just that,
// and "0 added, 0 removed, … 0 same" would say nothing happened.
func CompareSummary(r activities.CompareResult) string {
	s := r.Summary
	line := fmt.Sprintf("%s/%s → %s/%s: %s added, %s removed, %s upgraded, %s downgraded, %s same", s.OldDistro, s.OldRelease,
		s.NewDistro, s.NewRelease, thousands(s.Added), thousands(s.Removed), thousands(s.Upgraded), thousands(s.Downgraded), thousands(s.Same))
	if s.CrossDistro || s.Unmatched > 0 {
		line += ", " + thousands(s.Unmatched) + " unmatched"
	}
	return line
}

func thousands(n int64) string {
	// The sign is cut from the digits, not from n: -n overflows for the
	// smallest int64, which recursed until the stack overflowed.
	s, sign := fmt.Sprint(n), ""
	if n < 0 {
		s, sign = s[1:], "-"
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

// progress counts the outcomes and the running children.
func (n *nightly) progress() NightlyProgress {
	p := NightlyProgress{Plan: n.in.Plan, LogicalDate: n.state.LogicalDate, Stage: n.stage, Generation: n.state.Generation}
	count := func(c *StageCounts, name string) {
		c.Total++
		if n.running[name] {
			c.Running++
			p.Running = append(p.Running, name)
			return
		}
		o, ok := n.state.Outcomes[name]
		if !ok {
			return
		}
		switch o.Status {
		case activities.StatusReused:
			c.Reused++
		case activities.StatusDone:
			c.Done++
		case activities.StatusFailed:
			c.Failed++
			p.Failed = append(p.Failed, name+": "+o.Error)
		case activities.StatusSkipped:
			c.Skipped++
			p.Failed = append(p.Failed, name+": skipped, "+o.Error)
		}
	}
	for _, s := range n.in.Snapshots {
		count(&p.Snapshots, s.Name)
	}
	for _, c := range n.in.Comparisons {
		count(&p.Comparisons, c.Name())
	}
	for _, t := range n.in.Trends {
		count(&p.Trends, t.Name())
	}
	for _, c := range n.in.Images {
		count(&p.Images, c.Name)
	}
	if o, ok := n.state.Outcomes[retentionStage]; ok && o.Status == activities.StatusFailed {
		p.Failed = append(p.Failed, retentionStage+": "+o.Error)
	}
	if p.Stage == "snapshots" && p.Snapshots.Running == 0 {
		switch {
		case p.Trends.Running > 0:
			p.Stage = "trends"
		case p.Comparisons.Running > 0:
			p.Stage = "comparisons"
		case p.Images.Running > 0:
			p.Stage = "images"
		}
	}
	return p
}

// details sets the run's current details in the UI: the counts per stage,
// what is running and what failed.
func (n *nightly) details(ctx workflow.Context) {
	p := n.progress()
	var b strings.Builder
	b.WriteString(fmt.Sprintf("**%s** — %s\n\n", n.title(), p.Stage))
	for _, st := range []struct {
		name string
		c    StageCounts
	}{{"snapshots", p.Snapshots}, {"comparisons", p.Comparisons}, {"trends", p.Trends}, {"images", p.Images}} {
		if st.c.Total == 0 && (st.name == "trends" || st.name == "images") {
			continue
		}
		b.WriteString(fmt.Sprintf("- %s: %d of %d finished — %d reused, %d done, %d running, %d failed, %d skipped\n", st.name,
			st.c.Reused+st.c.Done+st.c.Failed+st.c.Skipped, st.c.Total, st.c.Reused, st.c.Done, st.c.Running, st.c.Failed, st.c.Skipped))
	}
	if len(p.Running) > 0 {
		b.WriteString(fmt.Sprintf("\nrunning: %s\n", strings.Join(p.Running, ", ")))
	}
	if len(p.Failed) > 0 {
		b.WriteString("\nfailed:\n")
		for _, f := range p.Failed {
			b.WriteString(fmt.Sprintf("- %s\n", f))
		}
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

// upsert sets the nightly's search attributes, when the namespace has them.
func (n *nightly) upsert(ctx workflow.Context) {
	if !n.in.SetSearchAttributes {
		return
	}
	// A failed upsert fails the workflow task, not the run: attributes the
	// starter found registered do not go away within a run.
	_ = workflow.UpsertTypedSearchAttributes(ctx, planKey.ValueSet(n.in.Plan),
		logicalDateKey.ValueSet(n.state.LogicalDate), stageKey.ValueSet(n.stage))
}

// record is the run's record: every stage's outcome, in plan order.
func (n *nightly) record(ctx workflow.Context) activities.NightlyRecord {
	info := workflow.GetInfo(ctx)
	rec := activities.NightlyRecord{Plan: n.in.Plan, LogicalDate: n.state.LogicalDate, WorkflowID: info.WorkflowExecution.ID,
		RunID: info.WorkflowExecution.RunID, Started: n.state.Started, Finished: workflow.Now(ctx), ScheduleID: n.in.ScheduleID}
	if rec.ScheduleID == "" {
		rec.ScheduleID, _ = workflow.GetTypedSearchAttributes(ctx).GetKeyword(scheduledByKey)
	}
	for _, s := range n.in.Snapshots {
		rec.Snapshots = append(rec.Snapshots, n.state.Outcomes[s.Name])
	}
	for _, c := range n.in.Comparisons {
		rec.Comparisons = append(rec.Comparisons, n.state.Outcomes[c.Name()])
	}
	for _, t := range n.in.Trends {
		rec.Trends = append(rec.Trends, n.state.Outcomes[t.Name()])
	}
	for _, c := range n.in.Images {
		rec.Images = append(rec.Images, n.state.Outcomes[c.Name])
	}
	if o, ok := n.state.Outcomes[retentionStage]; ok {
		rec.Retention = &o
	}
	return rec
}
