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
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
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

const catalogueKey = "4CB50190207B4758A3F73A796ED0E7B82643E131"

// committedSnapshots is a store holding snapshots partitions, each verified
// by its signers, as snapshot commits leave them.
func committedSnapshots(t *testing.T, snaps map[datasets.Partition][]string) store.Store {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for p, signers := range snaps {
		datasetstest.CommitSnapshot(t, st, p, signers...)
	}
	return st
}

// TestCompareTakesOnlyVerifiedSnapshots runs the real LocateSnapshot over a
// store where an unsigned impostor of trixie is newer than Debian's signed
// trixie: a side trusting the catalogue's key takes the signed snapshot
// and the result says so, naming the impostor passed over; a side that
// allows unverified snapshots takes the impostor, and the result says it is
// unverified; with only the impostor committed and nothing to snapshot the
// comparison fails and says how to use it anyway.
func TestCompareTakesOnlyVerifiedSnapshots(t *testing.T) {
	impostor := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20270101T000000Z-cccccccccccc"}
	trust := &compare.Trust{Keys: []string{catalogueKey}, By: "the keyring of catalogue source debian"}
	lax := &compare.Trust{Keys: trust.Keys, By: trust.By, AllowUnverified: true}
	for _, tc := range []struct {
		name      string
		committed map[datasets.Partition][]string
		trust     *compare.Trust
		want      datasets.Partition
		trusted   bool
		passed    int
		err       string
	}{
		{"the catalogue's key", map[datasets.Partition][]string{bookworm: {catalogueKey}, trixie: {catalogueKey}, impostor: nil}, trust, trixie, true, 1, ""},
		{"--allow-unverified", map[datasets.Partition][]string{bookworm: {catalogueKey}, trixie: {catalogueKey}, impostor: nil}, lax, impostor, false, 0, ""},
		{"no trust (a run started before it)", map[datasets.Partition][]string{bookworm: {catalogueKey}, trixie: {catalogueKey}, impostor: nil}, nil, impostor, false, 0, ""},
		{"only the impostor", map[datasets.Partition][]string{bookworm: {catalogueKey}, impostor: nil}, trust, datasets.Partition{}, false, 0,
			"no snapshot of debian/trixie verified by the keyring of catalogue source debian: passed over 20270101T000000Z-cccccccccccc (unverified); compare --allow-unverified uses them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			a := &activities.Compare{Store: committedSnapshots(t, tc.committed)}
			workflows.RegisterCompare(env, a)
			workflows.RegisterSnapshot(env, &activities.Snapshot{})
			var got activities.CompareInput
			env.OnActivity(a.CompareSnapshots, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.CompareInput) (activities.CompareResult, error) {
					got = in
					return activities.CompareResult{Partition: datasets.ComparePartition(in.Old, in.New)}, nil
				})
			oldSide, newSide := side(bookworm), side(trixie)
			oldSide.Trust, newSide.Trust = tc.trust, tc.trust
			env.ExecuteWorkflow(workflows.CompareWorkflow, workflows.CompareInput{Old: oldSide, New: newSide})
			if tc.err != "" {
				err := env.GetWorkflowError()
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeInvalid || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want a %s error saying %q", err, activities.ErrTypeInvalid, tc.err)
				}
				return
			}
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var res activities.CompareResult
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if got.Old != bookworm || got.New != tc.want {
				t.Errorf("compared %v with %v, want %v with %v", got.Old, got.New, bookworm, tc.want)
			}
			if res.New.Partition != tc.want || res.New.Trusted != tc.trusted || len(res.New.PassedOver) != tc.passed ||
				(tc.passed > 0 && res.New.PassedOver[0].Partition != impostor) || res.Old.Partition != bookworm {
				t.Errorf("result sides:\nold %+v\nnew %+v\nwant new %v, trusted %v, %d passed over", res.Old, res.New, tc.want, tc.trusted, tc.passed)
			}
			if tc.trust != nil && (res.New.Trust == nil || res.New.Trust.By != tc.trust.By) {
				t.Errorf("the result does not say what the side trusted: %+v", res.New)
			}
		})
	}
}

// A side with only an impostor committed is snapshotted from the
// catalogue's spec; the child's snapshot must itself be verified by the
// catalogue's key.
func TestCompareSnapshotsPastAnImpostor(t *testing.T) {
	impostor := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20270101T000000Z-cccccccccccc"}
	trust := &compare.Trust{Keys: []string{catalogueKey}, By: "the keyring of catalogue source debian"}
	for _, tc := range []struct {
		name    string
		signers []string
		err     string
	}{
		{"the child verified by the catalogue's key", []string{catalogueKey}, ""},
		{"the child unverified", nil, "snapshot debian/trixie took debian/trixie/20260202T000000Z-bbbbbbbbbbbb, unverified: not verified by the keyring of catalogue source debian"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			a := &activities.Compare{Store: committedSnapshots(t, map[datasets.Partition][]string{bookworm: {catalogueKey}, impostor: nil})}
			workflows.RegisterCompare(env, a)
			workflows.RegisterSnapshot(env, &activities.Snapshot{})
			env.OnWorkflow(workflows.SnapshotWorkflow, mock.Anything, mock.Anything).Return(
				workflows.SnapshotResult{Partition: trixie, Signers: tc.signers}, nil)
			compared := false
			env.OnActivity(a.CompareSnapshots, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.CompareInput) (activities.CompareResult, error) {
					compared = true
					return activities.CompareResult{}, nil
				})
			spec := repo.Spec{Format: "apt", Mirror: "http://127.0.0.1:1/debian", Suite: "trixie"}
			oldSide, newSide := side(bookworm), side(trixie)
			oldSide.Trust, newSide.Trust = trust, trust
			newSide.Spec, newSide.SnapshotWorkflowID = &spec, "snapshot/trixie/x/y"
			env.ExecuteWorkflow(workflows.CompareWorkflow, workflows.CompareInput{Old: oldSide, New: newSide})
			err := env.GetWorkflowError()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || compared {
					t.Fatalf("error = %v (compared: %v), want %q before comparing", err, compared, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var res activities.CompareResult
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if n := res.New; n.Partition != trixie || !n.Snapshotted || !n.Trusted || len(n.PassedOver) != 1 || n.PassedOver[0].Partition != impostor {
				t.Errorf("new side = %+v, want trixie snapshotted, verified, the impostor passed over", n)
			}
		})
	}
}

// A comparison's run ID carries what its sides trust: one that accepts
// only verified snapshots never attaches to one that took any.
func TestCompareRunID(t *testing.T) {
	in := workflows.CompareInput{Old: side(bookworm), New: side(trixie)}
	id := workflows.RunIdentity{TaskQueue: "distroscope", Store: "/srv/store"}
	strict, lax := in, in
	strict.Old.Trust = &compare.Trust{Keys: []string{catalogueKey}}
	strict.New.Trust = strict.Old.Trust
	lax.Old.Trust = &compare.Trust{Keys: []string{catalogueKey}, AllowUnverified: true}
	lax.New.Trust = lax.Old.Trust
	a := workflows.CompareRunID(strict, id)
	if !strings.HasPrefix(a, workflows.CompareWorkflowID(in)+"/") {
		t.Errorf("CompareRunID = %q, want the business key first", a)
	}
	if workflows.CompareRunID(strict, id) != a {
		t.Errorf("CompareRunID is not deterministic")
	}
	otherQueue := id
	otherQueue.TaskQueue = "elsewhere"
	for name, other := range map[string]string{
		"unverified allowed": workflows.CompareRunID(lax, id),
		"no trust":           workflows.CompareRunID(in, id),
		"another queue":      workflows.CompareRunID(strict, otherQueue),
	} {
		if other == a {
			t.Errorf("%s: same run ID %q", name, a)
		}
	}
}
