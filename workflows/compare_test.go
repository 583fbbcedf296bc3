package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/workflows"
)

var (
	bookworm = datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260101T000000Z-aaaaaaaaaaaa"}
	trixie   = datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260202T000000Z-bbbbbbbbbbbb"}
)

func newCompareEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	workflows.RegisterCompare(env, &activities.Compare{})
	workflows.RegisterSnapshot(env, &activities.Snapshot{})
	return env
}

// locateFrom answers LocateSnapshot from a set of committed partitions.
func locateFrom(committed ...datasets.Partition) func(context.Context, activities.LocateInput) (activities.LocateResult, error) {
	return func(_ context.Context, in activities.LocateInput) (activities.LocateResult, error) {
		for _, p := range committed {
			if p.Distro == in.Distro && p.Release == in.Release && (in.Snapshot == "" || in.Snapshot == p.Snapshot) {
				return activities.LocateResult{Found: true, Partition: p}, nil
			}
		}
		return activities.LocateResult{}, nil
	}
}

func side(p datasets.Partition) workflows.CompareSide {
	return workflows.CompareSide{Distro: p.Distro, Release: p.Release}
}

func TestCompareCommittedSnapshots(t *testing.T) {
	env := newCompareEnv(t)
	var a *activities.Compare
	env.OnActivity(a.LocateSnapshot, mock.Anything, mock.Anything).Return(locateFrom(bookworm, trixie))
	var got activities.CompareInput
	env.OnActivity(a.CompareSnapshots, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CompareInput) (activities.CompareResult, error) {
			got = in
			return activities.CompareResult{Partition: datasets.ComparePartition(in.Old, in.New),
				Summary: datasets.CompareSummaryRow{Upgraded: 7}}, nil
		})
	env.ExecuteWorkflow(workflows.CompareWorkflow, workflows.CompareInput{Old: side(bookworm), New: side(trixie)})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res activities.CompareResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	// Old and new keep their sides, whichever locate finished first.
	if got.Old != bookworm || got.New != trixie || got.WorkflowID == "" {
		t.Errorf("CompareSnapshots got %+v", got)
	}
	if res.Summary.Upgraded != 7 || res.Partition != datasets.ComparePartition(bookworm, trixie) {
		t.Errorf("result = %+v", res)
	}
	v, err := env.QueryWorkflow(workflows.ProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p workflows.CompareProgress
	if err := v.Get(&p); err != nil || p.Phase != "done" {
		t.Errorf("progress = %+v, %v", p, err)
	}
}

func TestCompareSnapshotsAMissingSideFirst(t *testing.T) {
	env := newCompareEnv(t)
	var a *activities.Compare
	env.OnActivity(a.LocateSnapshot, mock.Anything, mock.Anything).Return(locateFrom(bookworm))
	spec := repo.Spec{Format: "apt", Mirror: "http://127.0.0.1:1/debian", Suite: "trixie"}
	var childIn workflows.SnapshotInput
	var during workflows.CompareProgress
	env.OnWorkflow(workflows.SnapshotWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in workflows.SnapshotInput) (workflows.SnapshotResult, error) {
			childIn = in
			during = compareProgress(t, env)
			return workflows.SnapshotResult{Partition: trixie, Rows: 10}, nil
		})
	var got activities.CompareInput
	env.OnActivity(a.CompareSnapshots, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CompareInput) (activities.CompareResult, error) {
			got = in
			return activities.CompareResult{}, nil
		})
	newSide := side(trixie)
	newSide.Spec, newSide.SnapshotWorkflowID = &spec, "snapshot/debian/trixie"
	env.ExecuteWorkflow(workflows.CompareWorkflow, workflows.CompareInput{Old: side(bookworm), New: newSide})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if p := compareProgress(t, env); p.Phase != "done" || p.Side != "" {
		t.Errorf("progress after the run = %+v", p)
	}
	if childIn.Source.Suite != "trixie" {
		t.Errorf("child snapshot got %+v", childIn)
	}
	if got.Old != bookworm || got.New != trixie {
		t.Errorf("CompareSnapshots got %+v: the child's partition should be the new side", got)
	}
	if during.Phase != "snapshotting" || during.Side != "debian/trixie" {
		t.Errorf("progress while the child ran = %+v, want snapshotting debian/trixie", during)
	}
}

func TestCompareMissingSideWithoutSpecFails(t *testing.T) {
	env := newCompareEnv(t)
	var a *activities.Compare
	env.OnActivity(a.LocateSnapshot, mock.Anything, mock.Anything).Return(locateFrom(bookworm))
	called := false
	env.OnActivity(a.CompareSnapshots, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.CompareInput) (activities.CompareResult, error) {
			called = true
			return activities.CompareResult{}, nil
		})
	env.ExecuteWorkflow(workflows.CompareWorkflow, workflows.CompareInput{Old: side(bookworm), New: side(trixie)})
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeInvalid || !appErr.NonRetryable() {
		t.Fatalf("error = %v, want a non-retryable %s", err, activities.ErrTypeInvalid)
	}
	if !strings.Contains(err.Error(), "debian/trixie") {
		t.Errorf("error %q does not name the missing side", err)
	}
	if called {
		t.Error("CompareSnapshots ran without both snapshots")
	}
}

func TestCompareCorruptSnapshotIsNotRetried(t *testing.T) {
	env := newCompareEnv(t)
	var a *activities.Compare
	env.OnActivity(a.LocateSnapshot, mock.Anything, mock.Anything).Return(locateFrom(bookworm, trixie))
	attempts := 0
	env.OnActivity(a.CompareSnapshots, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.CompareInput) (activities.CompareResult, error) {
			attempts++
			return activities.CompareResult{}, temporal.NewNonRetryableApplicationError("packages file: bad magic", activities.ErrTypeCorrupt, nil)
		})
	env.ExecuteWorkflow(workflows.CompareWorkflow, workflows.CompareInput{Old: side(bookworm), New: side(trixie)})
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeCorrupt {
		t.Fatalf("error = %v, want %s kept through the workflow", err, activities.ErrTypeCorrupt)
	}
	if attempts != 1 {
		t.Errorf("%d attempts, want 1", attempts)
	}
}

func compareProgress(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.CompareProgress {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.ProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p workflows.CompareProgress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}
