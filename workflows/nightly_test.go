package workflows_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/workflows"
)

// The nightly's test plan: seven snapshots, src/a … src/g, in plan order,
// and two comparisons — src/a → src/b, whose snapshots finish early, and
// src/c → src/g, whose snapshots finish far apart. Each snapshot's Release
// names itself debian/rel-X, not after the catalogue's source, so a
// comparison's sides can only come from the partitions the snapshots
// committed.
var (
	nightlySuites = []string{"a", "b", "c", "d", "e", "f", "g"}
	// snapshotTakes is how long each snapshot runs on the test's clock.
	// With a window of two the children start, and end, at (minutes):
	//
	//	a 0–1, b 0–2, c 1–4, a→b 2–2.5, d 2.5–3.5, e 3.5–4.5, f 4–5, g 4.5–5.5, c→g 5.5–6
	//
	// At 2 b ends and a → b is ready: it starts before d.
	snapshotTakes = map[string]time.Duration{"a": time.Minute, "b": 2 * time.Minute, "c": 3 * time.Minute}
	compareTakes  = 30 * time.Second
	nightlyTrust  = &compare.Trust{Keys: []string{catalogueKey}, By: "the keyring of catalogue source src"}
	nightlyIDs    = workflows.RunIdentity{Policy: "keys=openpgp:AAAA", TaskQueue: "distroscope", Store: "/srv/store"}
)

func snapshotName(suite string) string { return "src/" + suite }

func nightlyPartition(suite string) datasets.Partition {
	return datasets.Partition{Distro: "debian", Release: "rel-" + suite, Snapshot: "20261206T000000Z-" + suite}
}

func nightlyInput() workflows.NightlyInput {
	in := workflows.NightlyInput{Plan: "tonight", Identity: nightlyIDs, Window: 2,
		LogicalDate: time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC)}
	for _, s := range nightlySuites {
		in.Snapshots = append(in.Snapshots, workflows.NightlySnapshot{Name: snapshotName(s),
			Spec:       repo.Spec{Format: "apt", Mirror: "http://127.0.0.1:1/src", Suite: s},
			WorkflowID: "snapshot/src/" + s + "/run"})
	}
	for _, c := range [][2]string{{"a", "b"}, {"c", "g"}} {
		// The starter's input, as plan resolves it: the catalogue's names
		// and trust, and what to snapshot if nothing were committed — which
		// the nightly drops, having taken the snapshots itself.
		sideOf := func(suite string) workflows.CompareSide {
			spec := repo.Spec{Format: "apt", Mirror: "http://127.0.0.1:1/src", Suite: suite}
			return workflows.CompareSide{Distro: "src", Release: suite, Trust: nightlyTrust, Spec: &spec, SnapshotWorkflowID: "snapshot/src/" + suite + "/run"}
		}
		in.Comparisons = append(in.Comparisons, workflows.NightlyComparison{Old: snapshotName(c[0]), New: snapshotName(c[1]),
			Input: workflows.CompareInput{Old: sideOf(c[0]), New: sideOf(c[1])}})
	}
	return in
}

// nightlyRun is a test environment for NightlyWorkflow whose children are
// mocks: each snapshot and comparison sleeps its time on the test's clock
// and logs when it starts and ends, what it got, and under which ID.
type nightlyRun struct {
	env *testsuite.TestWorkflowEnvironment

	mu             sync.Mutex
	log            []string // "start NAME", "end NAME", in the order the children ran
	started        map[int64]string
	running        int
	maxRunning     int
	snapshotStarts map[string]int
	childIDs       map[string]string // by stage name
	compared       map[string]workflows.CompareInput
	found          []activities.FindNightlyInput
	recorded       []activities.NightlyRecord

	// snapshotFails, if set, says what a snapshot's attempt returns
	// after its time (nil: success).
	snapshotFails func(suite string, attempt int) error
	// findNightly answers FindNightly (nil: no record).
	findNightly *activities.NightlyRecord
}

func newNightlyRun(t *testing.T) *nightlyRun {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	r := &nightlyRun{env: s.NewTestWorkflowEnvironment(), snapshotStarts: map[string]int{}, started: map[int64]string{},
		childIDs: map[string]string{}, compared: map[string]workflows.CompareInput{}}
	env := r.env
	workflows.RegisterNightly(env, &activities.Nightly{})
	workflows.RegisterSnapshot(env, &activities.Snapshot{})
	workflows.RegisterCompare(env, &activities.Compare{})
	workflows.RegisterTrends(env, &activities.Trends{})
	workflows.RegisterRetention(env, &activities.Retention{})
	// Registrations precede every mock: mockImages mocks this one by name.
	env.RegisterWorkflowWithOptions(imageCompareStub, workflow.RegisterOptions{Name: workflows.ImageCompareWorkflowName})
	var a *activities.Nightly
	env.OnActivity(a.FindNightly, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FindNightlyInput) (*activities.NightlyRecord, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.found = append(r.found, in)
			return r.findNightly, nil
		})
	env.OnActivity(a.RecordNightly, mock.Anything, mock.Anything).Return(
		func(_ context.Context, rec activities.NightlyRecord) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.recorded = append(r.recorded, rec)
			return nil
		})
	env.OnWorkflow(workflows.SnapshotWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.SnapshotInput) (workflows.SnapshotResult, error) {
			suite := in.Source.Suite
			name := snapshotName(suite)
			r.mu.Lock()
			r.snapshotStarts[name]++
			attempt := r.snapshotStarts[name]
			r.mu.Unlock()
			if err := r.child(ctx, name, cmp.Or(snapshotTakes[suite], time.Minute)); err != nil {
				return workflows.SnapshotResult{}, err
			}
			if r.snapshotFails != nil {
				if err := r.snapshotFails(suite, attempt); err != nil {
					return workflows.SnapshotResult{}, err
				}
			}
			return workflows.SnapshotResult{Partition: nightlyPartition(suite), Rows: 1234, Indexes: 2}, nil
		})
	env.OnWorkflow(workflows.CompareWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.CompareInput) (activities.CompareResult, error) {
			name := snapshotName(strings.TrimPrefix(in.Old.Release, "rel-")) + " → " + snapshotName(strings.TrimPrefix(in.New.Release, "rel-"))
			r.mu.Lock()
			r.compared[name] = in
			r.mu.Unlock()
			if err := r.child(ctx, name, compareTakes); err != nil {
				return activities.CompareResult{}, err
			}
			old := datasets.Partition{Distro: in.Old.Distro, Release: in.Old.Release, Snapshot: in.Old.Snapshot}
			nw := datasets.Partition{Distro: in.New.Distro, Release: in.New.Release, Snapshot: in.New.Snapshot}
			return activities.CompareResult{Partition: datasets.ComparePartition(old, nw), Summary: datasets.CompareSummaryRow{
				OldDistro: old.Distro, OldRelease: old.Release, NewDistro: nw.Distro, NewRelease: nw.Release, Added: 14001}}, nil
		})
	return r
}

// child logs a child's start, runs it for d on the test's clock, and logs
// its end, unless it was cancelled first.
func (r *nightlyRun) child(ctx workflow.Context, name string, d time.Duration) error {
	info := workflow.GetInfo(ctx)
	// Children started in one workflow task begin running in any order;
	// the run IDs the test environment gives them count up in the order
	// the nightly started them.
	var seq int64
	if _, err := fmt.Sscanf(info.WorkflowExecution.RunID, "%d_RunID", &seq); err != nil {
		panic(fmt.Sprintf("the test environment's run ID %q no longer counts starts", info.WorkflowExecution.RunID))
	}
	r.mu.Lock()
	r.log = append(r.log, "start "+name)
	r.started[seq] = name
	r.childIDs[name] = info.WorkflowExecution.ID
	r.running++
	r.maxRunning = max(r.maxRunning, r.running)
	r.mu.Unlock()
	err := workflow.Sleep(ctx, d)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running--
	if err != nil {
		return err
	}
	r.log = append(r.log, "end "+name)
	return nil
}

func (r *nightlyRun) index(event string) int { return slices.Index(r.log, event) }

// starts are the children's names in the order the nightly started them.
func (r *nightlyRun) starts() []string {
	var out []string
	for _, seq := range slices.Sorted(maps.Keys(r.started)) {
		out = append(out, r.started[seq])
	}
	return out
}

func (r *nightlyRun) result(t *testing.T) workflows.NightlyResult {
	t.Helper()
	if err := r.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.NightlyResult
	if err := r.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func (r *nightlyRun) progress(t *testing.T) workflows.NightlyProgress {
	t.Helper()
	v, err := r.env.QueryWorkflow(workflows.ProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p workflows.NightlyProgress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// statuses is "NAME=STATUS" for each outcome, in the order given.
func statuses(outcomes []activities.Outcome) []string {
	var out []string
	for _, o := range outcomes {
		out = append(out, o.Name+"="+o.Status)
	}
	return out
}

func TestNightlySlidingWindow(t *testing.T) {
	r := newNightlyRun(t)
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, nightlyInput())
	res := r.result(t)

	if r.maxRunning != 2 {
		t.Errorf("%d children ran at once, want the window's 2", r.maxRunning)
	}
	for _, s := range nightlySuites {
		if n := r.snapshotStarts[snapshotName(s)]; n != 1 {
			t.Errorf("snapshot %s started %d times, want once", snapshotName(s), n)
		}
	}
	if got, want := statuses(res.Record.Snapshots), []string{"src/a=done", "src/b=done", "src/c=done", "src/d=done", "src/e=done", "src/f=done", "src/g=done"}; !slices.Equal(got, want) {
		t.Errorf("snapshots %v, want %v", got, want)
	}
	if got, want := statuses(res.Record.Comparisons), []string{"src/a → src/b=done", "src/c → src/g=done"}; !slices.Equal(got, want) {
		t.Errorf("comparisons %v, want %v", got, want)
	}
	if res.Reused || len(r.recorded) != 1 || !reflect.DeepEqual(r.recorded[0], res.Record) {
		t.Errorf("result %+v is not the one record committed (%d committed)", res, len(r.recorded))
	}

	for _, c := range nightlyInput().Comparisons {
		start := r.index("start " + c.Name())
		if start < 0 || start < r.index("end "+c.Old) || start < r.index("end "+c.New) {
			t.Errorf("%s started before both its snapshots ended: %v", c.Name(), r.log)
		}
	}
	// A comparison ready when a slot frees goes before the next snapshot.
	if want := []string{"src/a", "src/b", "src/c", "src/a → src/b", "src/d", "src/e", "src/f", "src/g", "src/c → src/g"}; !slices.Equal(r.starts(), want) {
		t.Errorf("children started in the order\n%v\nwant\n%v", r.starts(), want)
	}

	// Each side is the partition its snapshot committed; the trust stays,
	// the spec to snapshot with goes (the snapshot was taken).
	for _, c := range nightlyInput().Comparisons {
		sideOf := func(suite string) workflows.CompareSide {
			p := nightlyPartition(strings.TrimPrefix(suite, "src/"))
			return workflows.CompareSide{Distro: p.Distro, Release: p.Release, Snapshot: p.Snapshot, Trust: nightlyTrust}
		}
		want := workflows.CompareInput{Old: sideOf(c.Old), New: sideOf(c.New)}
		if got := r.compared[c.Name()]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s got\n%+v\nwant\n%+v", c.Name(), got, want)
		}
		if id, want := r.childIDs[c.Name()], workflows.CompareRunID(want, nightlyIDs); id != want {
			t.Errorf("%s ran as %q, want CompareRunID %q", c.Name(), id, want)
		}
	}
	for _, s := range nightlyInput().Snapshots {
		if id := r.childIDs[s.Name]; id != s.WorkflowID {
			t.Errorf("%s ran as %q, want its run ID %q", s.Name, id, s.WorkflowID)
		}
	}
	if o := res.Record.Comparisons[0]; o.Partition != "debian/rel-a~rel-b/20261206T000000Z-a~20261206T000000Z-b" ||
		o.WorkflowID != r.childIDs[o.Name] || !strings.Contains(o.Summary, "14,001 added") {
		t.Errorf("outcome of %s = %+v", o.Name, o)
	}
	if o := res.Record.Snapshots[0]; o.Partition != "debian/rel-a/20261206T000000Z-a" || o.Rows != 1234 || o.WorkflowID != "snapshot/src/a/run" {
		t.Errorf("outcome of %s = %+v", o.Name, o)
	}
}

// A snapshot that fails fails its comparison and nothing else; one that
// fails once, transiently, is retried.
func TestNightlyFailedSnapshotFailsOnlyItsBranch(t *testing.T) {
	r := newNightlyRun(t)
	r.snapshotFails = func(suite string, attempt int) error {
		switch {
		case suite == "c":
			return temporal.NewNonRetryableApplicationError("c: Release signed by no trusted key", activities.ErrTypeInvalid, nil)
		case suite == "e" && attempt == 1:
			return errors.New("mirror unreachable")
		}
		return nil
	}
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, nightlyInput())

	if len(r.recorded) != 1 {
		t.Fatalf("%d records committed, want 1 before the run failed", len(r.recorded))
	}
	rec := r.recorded[0]
	if got, want := statuses(rec.Snapshots), []string{"src/a=done", "src/b=done", "src/c=failed", "src/d=done", "src/e=done", "src/f=done", "src/g=done"}; !slices.Equal(got, want) {
		t.Errorf("recorded snapshots %v, want %v", got, want)
	}
	if got, want := statuses(rec.Comparisons), []string{"src/a → src/b=done", "src/c → src/g=skipped"}; !slices.Equal(got, want) {
		t.Errorf("recorded comparisons %v, want %v", got, want)
	}
	if o := rec.Snapshots[2]; o.Error != "c: Release signed by no trusted key" {
		t.Errorf("failed snapshot's error = %q, want the child's own message", o.Error)
	}
	if o := rec.Comparisons[1]; o.Error != "snapshot src/c failed" {
		t.Errorf("skipped comparison's error = %q, want it to name the snapshot", o.Error)
	}
	if _, ok := r.compared["src/c → src/g"]; ok {
		t.Error("src/c → src/g ran without its old snapshot")
	}
	if r.snapshotStarts["src/c"] != 1 || r.snapshotStarts["src/e"] != 2 {
		t.Errorf("attempts %v: want src/c once (non-retryable) and src/e twice (retried once)", r.snapshotStarts)
	}

	err := r.env.GetWorkflowError()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != "NightlyFailed" || !ae.NonRetryable() {
		t.Fatalf("error = %v, want a non-retryable NightlyFailed", err)
	}
	for _, want := range []string{"nightly tonight of 2026-12-06T01:30:00Z: 2 of 9 stages failed or were skipped",
		"src/c: c: Release signed by no trusted key", "src/c → src/g: skipped, snapshot src/c failed"} {
		if !strings.Contains(ae.Message(), want) {
			t.Errorf("error %q does not say %q", ae.Message(), want)
		}
	}
	var details activities.NightlyRecord
	if err := ae.Details(&details); err != nil || !reflect.DeepEqual(details, rec) {
		t.Errorf("error details = %+v (%v), want the record", details, err)
	}
}

func TestNightlyReusesASuccessfulRecord(t *testing.T) {
	earlier := activities.NightlyRecord{Plan: "tonight", LogicalDate: nightlyInput().LogicalDate, WorkflowID: "nightly/tonight-earlier",
		Snapshots:   []activities.Outcome{{Name: "src/a", Status: activities.StatusDone}, {Name: "src/b", Status: activities.StatusReused}},
		Comparisons: []activities.Outcome{{Name: "src/a → src/b", Status: activities.StatusDone}}}
	t.Run("no failures", func(t *testing.T) {
		r := newNightlyRun(t)
		r.findNightly = &earlier
		r.env.ExecuteWorkflow(workflows.NightlyWorkflow, nightlyInput())
		res := r.result(t)
		if !res.Reused || !reflect.DeepEqual(res.Record, earlier) {
			t.Errorf("result = %+v, want the earlier record, reused", res)
		}
		if len(r.log) != 0 || len(r.recorded) != 0 {
			t.Errorf("a reused night started %v and recorded %d times", r.log, len(r.recorded))
		}
		if p := r.progress(t); p.Stage != "done" || p.Snapshots.Done != 1 || p.Snapshots.Reused != 1 || p.Comparisons.Done != 1 {
			t.Errorf("progress = %+v, want the earlier record's outcomes", p)
		}
	})
	t.Run("a failure", func(t *testing.T) {
		r := newNightlyRun(t)
		failed := earlier
		failed.Comparisons = []activities.Outcome{{Name: "src/a → src/b", Status: activities.StatusFailed, Error: "store down"}}
		r.findNightly = &failed
		r.env.ExecuteWorkflow(workflows.NightlyWorkflow, nightlyInput())
		res := r.result(t)
		if res.Reused || len(r.starts()) != 9 || len(r.recorded) != 1 || res.Record.Failed() != 0 {
			t.Errorf("result %+v after %v: want the night run again, all 9 stages", res, r.starts())
		}
	})
}

func TestNightlyLogicalDate(t *testing.T) {
	var (
		given     = time.Date(2026, 12, 1, 1, 30, 0, 0, time.FixedZone("CET", 3600))
		scheduled = time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC)
		started   = time.Date(2026, 12, 3, 9, 17, 0, 0, time.UTC)
	)
	for _, tc := range []struct {
		name      string
		input     time.Time
		scheduled time.Time
		want      time.Time
	}{
		{"the input's", given, scheduled, given},
		{"the schedule's", time.Time{}, scheduled, scheduled},
		{"the start's", time.Time{}, time.Time{}, started},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newNightlyRun(t)
			r.env.SetStartTime(started)
			if !tc.scheduled.IsZero() {
				err := r.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
					temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime").ValueSet(tc.scheduled)))
				if err != nil {
					t.Fatal(err)
				}
			}
			in := nightlyInput()
			in.LogicalDate = tc.input
			in.Snapshots, in.Comparisons = in.Snapshots[:1], nil
			r.env.ExecuteWorkflow(workflows.NightlyWorkflow, in)
			res := r.result(t)
			if len(r.found) != 1 || !r.found[0].LogicalDate.Equal(tc.want) || r.found[0].Plan != "tonight" {
				t.Errorf("FindNightly got %+v, want tonight of %v", r.found, tc.want)
			}
			if !res.Record.LogicalDate.Equal(tc.want) || res.Record.LogicalDate.Location() != time.UTC {
				t.Errorf("record's logical date = %v, want %v in UTC", res.Record.LogicalDate, tc.want)
			}
			if !res.Record.Started.Equal(started) {
				t.Errorf("record started %v, want the run's start %v", res.Record.Started, started)
			}
		})
	}
}

// TestNightlyContinuesAsNew: past MaxHistoryEvents the nightly starts
// nothing more, waits for its running children, and continues as new with
// what every child did; the next run starts only what is left.
func TestNightlyContinuesAsNew(t *testing.T) {
	r := newNightlyRun(t)
	in := nightlyInput()
	in.MaxHistoryEvents = 100
	// At 1.5 minutes a is done and b and c are running (see snapshotTakes).
	r.env.RegisterDelayedCallback(func() { r.env.SetCurrentHistoryLength(101) }, 90*time.Second)
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, in)

	err := r.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) || !workflow.IsContinueAsNewError(err) {
		t.Fatalf("error = %v, want continue-as-new", err)
	}
	if can.WorkflowType.Name != workflows.NightlyWorkflowName {
		t.Errorf("continues as %q", can.WorkflowType.Name)
	}
	var next workflows.NightlyInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	first := r.starts()
	for _, name := range first {
		if r.index("end "+name) < 0 {
			t.Errorf("%s still running when the nightly continued as new: %v", name, r.log)
		}
	}
	if want := []string{"src/a", "src/b", "src/c"}; !slices.Equal(first, want) {
		t.Errorf("the first run started %v, want %v: nothing new once past the limit", first, want)
	}
	if next.State == nil || next.State.Generation != 1 || !next.State.LogicalDate.Equal(in.LogicalDate) {
		t.Fatalf("next run's state = %+v", next.State)
	}
	for _, name := range first {
		if o := next.State.Outcomes[name]; o.Status != activities.StatusDone || o.Partition == "" {
			t.Errorf("carried outcome of %s = %+v, want done with its partition", name, o)
		}
	}
	if len(next.State.Outcomes) != len(first) {
		t.Errorf("carried outcomes %v, want those of %v", next.State.Outcomes, first)
	}
	if len(r.recorded) != 0 {
		t.Errorf("recorded before the night was over: %+v", r.recorded)
	}

	again := newNightlyRun(t)
	again.env.ExecuteWorkflow(workflows.NightlyWorkflow, next)
	res := again.result(t)
	if want := []string{"src/a → src/b", "src/d", "src/e", "src/f", "src/g", "src/c → src/g"}; !slices.Equal(again.starts(), want) {
		t.Errorf("the next run started %v, want only what was left: %v", again.starts(), want)
	}
	if len(again.found) != 0 {
		t.Errorf("the next run looked for a record again: %+v", again.found)
	}
	if failed := res.Record.Failed(); failed != 0 || len(res.Record.Snapshots) != 7 || len(res.Record.Comparisons) != 2 ||
		res.Record.Snapshots[0] != next.State.Outcomes["src/a"] || !res.Record.Started.Equal(next.State.Started) {
		t.Errorf("record = %+v, want every stage, the first run's outcomes and start kept", res.Record)
	}
	if c := again.compared["src/c → src/g"]; c.Old.Snapshot != nightlyPartition("c").Snapshot {
		t.Errorf("src/c → src/g compared %+v, want src/c's partition from the first run", c.Old)
	}
}

// A snapshot whose run ID is already running — a user's snapshot, or a
// comparison's — is awaited through AwaitRun, not failed. The test
// environment cannot start a child whose ID is taken as the server
// refuses it (it fails the start with a service error, where the SDK
// gives a ChildWorkflowExecutionAlreadyStartedError), so the mocked child
// returns the SDK's error.
func TestNightlyAttachesToARunningSnapshot(t *testing.T) {
	r := newNightlyRun(t)
	r.snapshotFails = func(suite string, _ int) error {
		if suite == "b" {
			return &temporal.ChildWorkflowExecutionAlreadyStartedError{}
		}
		return nil
	}
	var awaited []string
	var a *activities.Nightly
	r.env.OnActivity(a.AwaitRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AwaitInput) (json.RawMessage, error) {
			awaited = append(awaited, in.WorkflowID)
			return json.Marshal(workflows.SnapshotResult{Partition: datasets.Partition{Distro: "debian", Release: "rel-b", Snapshot: "users-b"}, Rows: 42, Indexes: 1})
		})
	in := nightlyInput()
	in.Snapshots, in.Comparisons = in.Snapshots[:2], in.Comparisons[:1]
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, in)
	res := r.result(t)
	if !slices.Equal(awaited, []string{"snapshot/src/b/run"}) {
		t.Errorf("awaited %v, want src/b's run", awaited)
	}
	if o := res.Record.Snapshots[1]; o.Status != activities.StatusDone || o.Partition != "debian/rel-b/users-b" || o.Rows != 42 {
		t.Errorf("outcome of src/b = %+v, want the awaited run's", o)
	}
	if c := r.compared["src/a → src/b"]; c.New.Snapshot != "users-b" {
		t.Errorf("the comparison's new side = %+v, want the awaited run's snapshot", c.New)
	}
}

func TestNightlyProgress(t *testing.T) {
	r := newNightlyRun(t)
	seen := map[time.Duration]workflows.NightlyProgress{}
	for _, at := range []time.Duration{90 * time.Second, 135 * time.Second, 345 * time.Second} {
		r.env.RegisterDelayedCallback(func() { seen[at] = r.progress(t) }, at)
	}
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, nightlyInput())
	r.result(t)
	logical := nightlyInput().LogicalDate
	for at, want := range map[time.Duration]workflows.NightlyProgress{
		// a done; b and c running.
		90 * time.Second: {Stage: "snapshots", Snapshots: workflows.StageCounts{Total: 7, Done: 1, Running: 2},
			Comparisons: workflows.StageCounts{Total: 2}, Running: []string{"src/b", "src/c"}},
		// a, b done; c and a → b running.
		135 * time.Second: {Stage: "snapshots", Snapshots: workflows.StageCounts{Total: 7, Done: 2, Running: 1},
			Comparisons: workflows.StageCounts{Total: 2, Running: 1}, Running: []string{"src/c", "src/a → src/b"}},
		// every snapshot done; c → g running.
		345 * time.Second: {Stage: "comparisons", Snapshots: workflows.StageCounts{Total: 7, Done: 7},
			Comparisons: workflows.StageCounts{Total: 2, Done: 1, Running: 1}, Running: []string{"src/c → src/g"}},
	} {
		want.Plan, want.LogicalDate = "tonight", logical
		if got := seen[at]; !reflect.DeepEqual(got, want) {
			t.Errorf("progress at %v =\n%+v\nwant\n%+v", at, got, want)
		}
	}
	if p := r.progress(t); p.Stage != "done" || p.Snapshots.Done != 7 || p.Comparisons.Done != 2 || len(p.Running) != 0 {
		t.Errorf("progress after the run = %+v", p)
	}
}

func TestCompareSummary(t *testing.T) {
	for _, tc := range []struct {
		counts [5]int64 // added, removed, upgraded, downgraded, same
		want   string
	}{
		{[5]int64{0, 7, 42, 999, 1000}, "0 added, 7 removed, 42 upgraded, 999 downgraded, 1,000 same"},
		{[5]int64{14001, 2110, 30401, 123456, 1234567}, "14,001 added, 2,110 removed, 30,401 upgraded, 123,456 downgraded, 1,234,567 same"},
		{[5]int64{-1, -1234, -123456, math.MaxInt64, math.MinInt64},
			"-1 added, -1,234 removed, -123,456 upgraded, 9,223,372,036,854,775,807 downgraded, -9,223,372,036,854,775,808 same"},
	} {
		c := tc.counts
		got := workflows.CompareSummary(activities.CompareResult{Summary: datasets.CompareSummaryRow{
			OldDistro: "debian", OldRelease: "bookworm", NewDistro: "debian", NewRelease: "trixie",
			Added: c[0], Removed: c[1], Upgraded: c[2], Downgraded: c[3], Same: c[4]}})
		if want := "debian/bookworm → debian/trixie: " + tc.want; got != want {
			t.Errorf("CompareSummary(%v) =\n%q\nwant\n%q", c, got, want)
		}
	}
}

// The trends of each tracked release run once every snapshot of the night
// has ended, for the release its snapshot committed and with the night's
// logical date for that snapshot; a release whose snapshot failed gets
// its trends skipped, naming the snapshot.
func TestNightlyTrendsAfterTheSnapshots(t *testing.T) {
	r := newNightlyRun(t)
	r.snapshotFails = func(suite string, _ int) error {
		if suite == "c" {
			return temporal.NewNonRetryableApplicationError("c: Release signed by no trusted key", activities.ErrTypeInvalid, nil)
		}
		return nil
	}
	var got []workflows.TrendsInput
	r.env.OnWorkflow(workflows.TrendsWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.TrendsInput) (workflows.TrendsResult, error) {
			name := "trends of " + snapshotName(strings.TrimPrefix(in.Release.Release, "rel-"))
			r.mu.Lock()
			got = append(got, in)
			r.mu.Unlock()
			if err := r.child(ctx, name, 10*time.Second); err != nil {
				return workflows.TrendsResult{}, err
			}
			p := nightlyPartition(strings.TrimPrefix(in.Release.Release, "rel-"))
			return workflows.TrendsResult{Release: in.Release.Distro + "/" + in.Release.Release, Snapshots: 3, Computed: 1,
				Last: &trends.Applied{Partition: p}}, nil
		})
	in := nightlyInput()
	for _, s := range []string{"a", "c"} {
		in.Trends = append(in.Trends, workflows.NightlyTrends{Snapshot: snapshotName(s), Trust: nightlyTrust})
	}
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, in)

	if len(r.recorded) != 1 {
		t.Fatalf("%d records committed, want 1", len(r.recorded))
	}
	rec := r.recorded[0]
	if got, want := statuses(rec.Trends), []string{"trends of src/a=done", "trends of src/c=skipped"}; !slices.Equal(got, want) {
		t.Errorf("recorded trends %v, want %v", got, want)
	}
	if o := rec.Trends[1]; o.Error != "snapshot src/c failed" {
		t.Errorf("skipped trends' error = %q, want it to name the snapshot", o.Error)
	}
	if len(got) != 1 {
		t.Fatalf("%d trends runs, want 1 (src/a's)", len(got))
	}
	a := nightlyPartition("a")
	if in := got[0]; in.Release.Distro != a.Distro || in.Release.Release != a.Release || !reflect.DeepEqual(in.Release.Trust, nightlyTrust) ||
		!in.LogicalDates[a.Snapshot].Equal(time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC)) || len(in.Peers) != 0 {
		t.Errorf("trends input %+v", in)
	}
	if r.childIDs["trends of src/a"] != workflows.TrendsWorkflowID(a.Distro, a.Release) {
		t.Errorf("trends child ID %q", r.childIDs["trends of src/a"])
	}
	// Every snapshot ended before the trends started.
	for _, s := range nightlySuites {
		if s == "c" {
			continue
		}
		if r.index("end "+snapshotName(s)) > r.index("start trends of src/a") {
			t.Errorf("trends of src/a started before %s ended: %v", snapshotName(s), r.log)
		}
	}
	if o := rec.Trends[0]; o.Partition != a.Distro+"/"+a.Release+"/"+a.Snapshot || !strings.Contains(o.Summary, "1 states computed") {
		t.Errorf("trends outcome %+v", o)
	}
}

// A plan's retention is applied once everything else has ended, as of the
// night's logical date, to the releases tonight's snapshots committed; a
// failed retention fails the night, naming it, after the record.
func TestNightlyRetention(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%t", fail), func(t *testing.T) {
			r := newNightlyRun(t)
			var got []activities.RetentionInput
			var ret *activities.Retention
			r.env.OnActivity(ret.ApplyRetention, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.RetentionInput) (activities.RetentionResult, error) {
					r.mu.Lock()
					got = append(got, in)
					r.log = append(r.log, "retention")
					r.mu.Unlock()
					if fail {
						return activities.RetentionResult{}, temporal.NewNonRetryableApplicationError("manifest does not decode", activities.ErrTypeCorrupt, nil)
					}
					return activities.RetentionResult{Releases: in.Releases, RetentionReport: datasets.RetentionReport{
						Removed: []datasets.RetentionItem{{Table: "snapshots"}, {Table: "packages"}}}}, nil
				})
			in := nightlyInput()
			in.Retention = 30 * 24 * time.Hour
			r.env.ExecuteWorkflow(workflows.NightlyWorkflow, in)
			if len(got) != 1 {
				t.Fatalf("%d retention attempts, want 1", len(got))
			}
			if g := got[0]; g.Plan != "tonight" || g.MaxAge != in.Retention || !g.Now.Equal(in.LogicalDate) || len(g.Releases) != len(nightlySuites) ||
				g.Releases[0] != (datasets.ReleaseName{Distro: "debian", Release: "rel-a"}) {
				t.Errorf("retention input %+v", g)
			}
			if r.log[len(r.log)-1] != "retention" {
				t.Errorf("retention did not run last: %v", r.log)
			}
			if len(r.recorded) != 1 || r.recorded[0].Retention == nil {
				t.Fatalf("records %+v, want one with the retention's outcome", r.recorded)
			}
			o := *r.recorded[0].Retention
			err := r.env.GetWorkflowError()
			if !fail {
				if err != nil || o.Status != activities.StatusDone || o.Rows != 2 || !strings.Contains(o.Summary, "2 partitions removed") {
					t.Errorf("outcome %+v, error %v", o, err)
				}
				return
			}
			var ae *temporal.ApplicationError
			if o.Status != activities.StatusFailed || !errors.As(err, &ae) || ae.Type() != "NightlyFailed" ||
				!strings.Contains(ae.Message(), "retention: manifest does not decode") {
				t.Errorf("outcome %+v, error %v", o, err)
			}
		})
	}
}

// imageCompareStub stands in for ImageCompareWorkflow, which RegisterImage
// registers: the nightly starts it by name, and the tests mock it by name.
func imageCompareStub(workflow.Context, workflows.ImageCompareInput) (workflows.ImageCompareResult, error) {
	return workflows.ImageCompareResult{}, errors.New("the stub ran: OnWorkflow did not mock it")
}

// imageTakes is how long an image comparison runs on the test's clock.
const imageTakes = 2 * time.Minute

// nightlyImages are the test plan's image pairs, as the starter resolves
// them: two trees, named, and a registry tag's arm64 images, probed.
func nightlyImages() []workflows.NightlyImageComparison {
	return []workflows.NightlyImageComparison{
		{Name: "image bookworm-vs-trixie", Input: workflows.ImageCompareInput{
			A: workflows.ImageAnalyzeInput{Ref: "dir:/srv/rootfs/bookworm"}, B: workflows.ImageAnalyzeInput{Ref: "dir:/srv/rootfs/trixie"}}},
		{Name: "image registry:example.org/debian:bookworm → registry:example.org/debian:trixie (linux/arm64, probe)", Input: workflows.ImageCompareInput{
			A: workflows.ImageAnalyzeInput{Ref: "registry:example.org/debian:bookworm", Platform: "linux/arm64", Probe: true},
			B: workflows.ImageAnalyzeInput{Ref: "registry:example.org/debian:trixie", Platform: "linux/arm64", Probe: true}}},
	}
}

// imageResult is what a fresh comparison of in answers.
func imageResult(in workflows.ImageCompareInput) workflows.ImageCompareResult {
	a := datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "img-a"}
	b := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "img-b"}
	return workflows.ImageCompareResult{A: activities.AnalyzeImageResult{Partition: a}, B: activities.AnalyzeImageResult{Partition: b},
		Compare: activities.CompareImagesResult{Partition: datasets.ImageComparePartition(a, b), Summary: datasets.ImageCompareSummaryRow{
			ARef: in.A.Ref, BRef: in.B.Ref, ADistro: "debian", ARelease: "bookworm", BDistro: "debian", BRelease: "trixie", Packages: 1204, Settings: 12}}}
}

// mockImages mocks ImageCompareWorkflow: each comparison runs imageTakes
// and answers what answer says for its attempt (counted from 1).
func (r *nightlyRun) mockImages(answer func(name string, attempt int, in workflows.ImageCompareInput) (workflows.ImageCompareResult, error)) map[string][]workflows.ImageCompareInput {
	got := map[string][]workflows.ImageCompareInput{}
	r.env.OnWorkflow(workflows.ImageCompareWorkflowName, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.ImageCompareInput) (workflows.ImageCompareResult, error) {
			name := "unknown pair"
			for _, c := range nightlyImages() {
				if c.Input == in {
					name = c.Name
				}
			}
			r.mu.Lock()
			got[name] = append(got[name], in)
			attempt := len(got[name])
			r.mu.Unlock()
			if err := r.child(ctx, name, imageTakes); err != nil {
				return workflows.ImageCompareResult{}, err
			}
			return answer(name, attempt, in)
		})
	return got
}

// A plan's image pairs run in the window beside the snapshots, once every
// snapshot has started, each under its comparison's workflow ID; a failed
// pair fails the night, naming it, and nothing else.
func TestNightlyComparesImages(t *testing.T) {
	r := newNightlyRun(t)
	images := nightlyImages()
	got := r.mockImages(func(name string, _ int, in workflows.ImageCompareInput) (workflows.ImageCompareResult, error) {
		if name == images[1].Name {
			return workflows.ImageCompareResult{}, temporal.NewNonRetryableApplicationError(
				"analyze registry:example.org/debian:bookworm: manifest unknown", activities.ErrTypeInvalid, nil)
		}
		return imageResult(in), nil
	})
	seen := map[time.Duration]workflows.NightlyProgress{}
	for _, at := range []time.Duration{90 * time.Second, 165 * time.Second} {
		r.env.RegisterDelayedCallback(func() { seen[at] = r.progress(t) }, at)
	}
	in := nightlyInput()
	in.Snapshots, in.Comparisons, in.Images = in.Snapshots[:2], in.Comparisons[:1], images
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, in)

	// a 0–1, b 0–2; the first pair takes a's slot at 1, a → b b's at 2,
	// the second pair a → b's at 2.5.
	if want := []string{"src/a", "src/b", images[0].Name, "src/a → src/b", images[1].Name}; !slices.Equal(r.starts(), want) {
		t.Errorf("children started in the order\n%v\nwant\n%v", r.starts(), want)
	}
	for _, c := range images {
		if g := got[c.Name]; len(g) != 1 || g[0] != c.Input {
			t.Errorf("%s ran with %+v, want once with %+v", c.Name, g, c.Input)
		}
		if id, want := r.childIDs[c.Name], workflows.ImageCompareWorkflowID(c.Input); id != want {
			t.Errorf("%s ran as %q, want ImageCompareWorkflowID %q", c.Name, id, want)
		}
	}
	logical := nightlyInput().LogicalDate
	for at, want := range map[time.Duration]workflows.NightlyProgress{
		// a done; b and the first pair running.
		90 * time.Second: {Stage: "snapshots", Snapshots: workflows.StageCounts{Total: 2, Done: 1, Running: 1},
			Comparisons: workflows.StageCounts{Total: 1}, Images: workflows.StageCounts{Total: 2, Running: 1},
			Running: []string{"src/b", images[0].Name}},
		// every snapshot and comparison done; both pairs running.
		165 * time.Second: {Stage: "images", Snapshots: workflows.StageCounts{Total: 2, Done: 2},
			Comparisons: workflows.StageCounts{Total: 1, Done: 1}, Images: workflows.StageCounts{Total: 2, Running: 2},
			Running: []string{images[0].Name, images[1].Name}},
	} {
		want.Plan, want.LogicalDate = "tonight", logical
		if got := seen[at]; !reflect.DeepEqual(got, want) {
			t.Errorf("progress at %v =\n%+v\nwant\n%+v", at, got, want)
		}
	}

	if len(r.recorded) != 1 {
		t.Fatalf("%d records committed, want 1", len(r.recorded))
	}
	rec := r.recorded[0]
	if got, want := statuses(rec.Snapshots), []string{"src/a=done", "src/b=done"}; !slices.Equal(got, want) {
		t.Errorf("recorded snapshots %v, want %v", got, want)
	}
	if got, want := statuses(rec.Comparisons), []string{"src/a → src/b=done"}; !slices.Equal(got, want) {
		t.Errorf("recorded comparisons %v, want %v", got, want)
	}
	if got, want := statuses(rec.Images), []string{images[0].Name + "=done", images[1].Name + "=failed"}; !slices.Equal(got, want) {
		t.Errorf("recorded images %v, want %v", got, want)
	}
	if o := rec.Images[0]; o.Partition != "debian/bookworm~trixie/img-a~img-b" || o.WorkflowID != workflows.ImageCompareWorkflowID(images[0].Input) ||
		o.Summary != "debian/bookworm ⇄ debian/trixie: 1,204 packages, 12 settings differ" {
		t.Errorf("outcome of %s = %+v", o.Name, o)
	}
	if o := rec.Images[1]; o.Error != "analyze registry:example.org/debian:bookworm: manifest unknown" {
		t.Errorf("failed pair's error = %q, want the child's own message", o.Error)
	}
	err := r.env.GetWorkflowError()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != "NightlyFailed" {
		t.Fatalf("error = %v, want NightlyFailed", err)
	}
	for _, want := range []string{"1 of 5 stages failed or were skipped", images[1].Name + ": analyze registry:example.org/debian:bookworm: manifest unknown"} {
		if !strings.Contains(ae.Message(), want) {
			t.Errorf("error %q does not say %q", ae.Message(), want)
		}
	}
}

// A pair whose comparison a user is running is waited for and then run
// again under the same ID; a comparison of two reused analyses, itself
// reused, is reused. A plan of image pairs alone is a night too.
func TestNightlyImagesAfterARunningComparison(t *testing.T) {
	r := newNightlyRun(t)
	var awaited []string
	var a *activities.Nightly
	r.env.OnActivity(a.AwaitRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AwaitInput) (json.RawMessage, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			awaited = append(awaited, in.WorkflowID)
			return json.RawMessage(`{}`), nil
		})
	got := r.mockImages(func(_ string, _ int, in workflows.ImageCompareInput) (workflows.ImageCompareResult, error) {
		r.mu.Lock()
		waited := len(awaited) > 0
		r.mu.Unlock()
		if !waited {
			return workflows.ImageCompareResult{}, &temporal.ChildWorkflowExecutionAlreadyStartedError{}
		}
		res := imageResult(in)
		res.A.Reused, res.B.Reused, res.Compare.Reused = true, true, true
		return res, nil
	})
	var during workflows.NightlyProgress
	r.env.RegisterDelayedCallback(func() { during = r.progress(t) }, time.Minute)
	in := nightlyInput()
	in.Snapshots, in.Comparisons, in.Images = nil, nil, nightlyImages()[:1]
	r.env.ExecuteWorkflow(workflows.NightlyWorkflow, in)
	res := r.result(t)

	name, id := in.Images[0].Name, workflows.ImageCompareWorkflowID(in.Images[0].Input)
	if !slices.Equal(awaited, []string{id}) {
		t.Errorf("awaited %v, want the running %s", awaited, id)
	}
	if n := len(got[name]); n < 2 {
		t.Errorf("%s started %d times, want again after the running one", name, n)
	}
	if o := res.Record.Images; len(o) != 1 || o[0].Status != activities.StatusReused || o[0].WorkflowID != id {
		t.Errorf("recorded images %+v, want %s reused", o, name)
	}
	if len(res.Record.Snapshots) != 0 || res.Record.Failed() != 0 || len(res.Record.Outcomes()) != 1 {
		t.Errorf("record %+v, want the one pair's outcome", res.Record)
	}
	if during.Stage != "images" || during.Images != (workflows.StageCounts{Total: 1, Running: 1}) {
		t.Errorf("progress while the pair ran = %+v, want stage images, 1 running", during)
	}
}

// A record without images says nothing of them: the records of nights
// before image pairs read and compare as they did.
func TestNightlyRecordWithoutImages(t *testing.T) {
	data, err := json.Marshal(activities.NightlyRecord{Plan: "p", Snapshots: []activities.Outcome{{Name: "src/a", Status: "done"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `"images"`) {
		t.Errorf("a record without images has an images key: %s", data)
	}
	rec := activities.NightlyRecord{Images: []activities.Outcome{{Name: "image x", Status: activities.StatusFailed}}}
	if rec.Failed() != 1 || len(rec.Outcomes()) != 1 {
		t.Errorf("a failed pair is not among the record's failures: %+v", rec.Outcomes())
	}
}
