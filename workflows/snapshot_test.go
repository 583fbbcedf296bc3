package workflows_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/workflows"
)

var (
	src  = repo.Spec{Mirror: "http://127.0.0.1:1/debian", Suite: "trixie", Components: []string{"main", "contrib"}, Architectures: []string{"amd64"}}
	part = datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260101T000000Z-0123456789ab"}
)

func resolved() activities.ResolveResult {
	return activities.ResolveResult{Resolved: repo.Resolved{Source: src, Partition: part, Origin: "Debian",
		Indexes: []repo.Index{{Component: "main", Architecture: "amd64"}, {Component: "contrib", Architecture: "amd64"}}}}
}

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	workflows.RegisterSnapshot(env, &activities.Snapshot{})
	return env
}

// ingestOf matches the ingest of one component's index.
func ingestOf(component string) any {
	return mock.MatchedBy(func(in activities.IngestInput) bool { return in.Index.Component == component })
}

func TestSnapshotFansOutAndCommitsAllParts(t *testing.T) {
	env := newEnv(t)
	var a *activities.Snapshot
	env.OnActivity(a.ResolveRelease, mock.Anything, mock.Anything).Return(resolved(), nil)
	staged := func(_ context.Context, in activities.IngestInput) (activities.IngestResult, error) {
		rows := map[string]int64{"main": 700, "contrib": 30}
		return activities.IngestResult{Staged: datasets.StagedPart{Key: "_staging/" + in.Index.Component, Rows: rows[in.Index.Component]}}, nil
	}
	// main, the first index, finishes last: a minute and a half after
	// contrib (on the test's clock).
	env.OnActivity(a.IngestIndex, mock.Anything, ingestOf("main")).After(2 * time.Minute).Return(staged)
	env.OnActivity(a.IngestIndex, mock.Anything, ingestOf("contrib")).After(30 * time.Second).Return(staged)
	var committed activities.CommitInput
	env.OnActivity(a.CommitSnapshot, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CommitInput) (activities.CommitResult, error) {
			committed = in
			return activities.CommitResult{Rows: in.Parts[0].Staged.Rows + in.Parts[1].Staged.Rows, DataKeys: []string{"k"}}, nil
		})
	var between workflows.SnapshotProgress
	env.RegisterDelayedCallback(func() { between = snapshotProgress(t, env) }, time.Minute)
	env.ExecuteWorkflow(workflows.SnapshotWorkflow, workflows.SnapshotInput{Source: src})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.SnapshotResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Rows != 730 || res.Reused || res.Indexes != 2 || res.Partition != part {
		t.Errorf("result = %+v", res)
	}
	// contrib finished first, and progress said so...
	if between.Phase != "ingesting" || between.IndexesDone != 1 || between.Rows != 30 {
		t.Errorf("progress after contrib finished = %+v, want 1 index and its 30 rows done", between)
	}
	// ...but the parts reach the commit in index order.
	if len(committed.Parts) != 2 || committed.Parts[0].Staged.Key != "_staging/main" || committed.Parts[1].Staged.Key != "_staging/contrib" {
		t.Errorf("commit got %+v", committed.Parts)
	}
	if p := snapshotProgress(t, env); p.Phase != "done" || p.IndexesDone != 2 || p.Rows != 730 {
		t.Errorf("progress = %+v", p)
	}
}

func snapshotProgress(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.SnapshotProgress {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.ProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p workflows.SnapshotProgress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSnapshotReusesCommittedRelease(t *testing.T) {
	env := newEnv(t)
	var a *activities.Snapshot
	r := resolved()
	r.Committed = &activities.CommitResult{Rows: 99, Manifests: []string{"m"}}
	env.OnActivity(a.ResolveRelease, mock.Anything, mock.Anything).Return(r, nil)
	env.ExecuteWorkflow(workflows.SnapshotWorkflow, workflows.SnapshotInput{Source: src})
	var res workflows.SnapshotResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !res.Reused || res.Rows != 99 {
		t.Errorf("result = %+v, want reused with 99 rows", res)
	}
	env.AssertNotCalled(t, "IngestIndex", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "CommitSnapshot", mock.Anything, mock.Anything)
}

func TestSnapshotCorruptIndexFailsWithoutCommitOrRetry(t *testing.T) {
	env := newEnv(t)
	var a *activities.Snapshot
	env.OnActivity(a.ResolveRelease, mock.Anything, mock.Anything).Return(resolved(), nil)
	calls := 0
	env.OnActivity(a.IngestIndex, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IngestInput) (activities.IngestResult, error) {
			if in.Index.Component == "contrib" {
				calls++
				return activities.IngestResult{}, temporal.NewNonRetryableApplicationError("contrib: SHA256 mismatch", activities.ErrTypeCorrupt, nil)
			}
			return activities.IngestResult{Staged: datasets.StagedPart{Key: "k", Rows: 1}}, nil
		})
	env.ExecuteWorkflow(workflows.SnapshotWorkflow, workflows.SnapshotInput{Source: src})
	err := env.GetWorkflowError()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != activities.ErrTypeCorrupt {
		t.Fatalf("err = %v, want the corrupt-metadata error", err)
	}
	if calls != 1 {
		t.Errorf("corrupt index ingested %d times; corrupt input must not be retried", calls)
	}
	env.AssertNotCalled(t, "CommitSnapshot", mock.Anything, mock.Anything)
}

func TestSnapshotRetriesTransientIngestFailures(t *testing.T) {
	env := newEnv(t)
	var a *activities.Snapshot
	env.OnActivity(a.ResolveRelease, mock.Anything, mock.Anything).Return(resolved(), nil)
	attempts := 0
	env.OnActivity(a.IngestIndex, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IngestInput) (activities.IngestResult, error) {
			if in.Index.Component == "main" {
				attempts++
				if attempts < 3 {
					return activities.IngestResult{}, errors.New("connection reset by peer")
				}
			}
			return activities.IngestResult{Staged: datasets.StagedPart{Key: "k", Rows: 5}}, nil
		})
	env.OnActivity(a.CommitSnapshot, mock.Anything, mock.Anything).Return(activities.CommitResult{Rows: 10}, nil)
	env.ExecuteWorkflow(workflows.SnapshotWorkflow, workflows.SnapshotInput{Source: src})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if attempts != 3 {
		t.Errorf("main ingested %d times, want 3 (two transient failures, then success)", attempts)
	}
}

func TestSnapshotProgressWhileIngesting(t *testing.T) {
	env := newEnv(t)
	var a *activities.Snapshot
	env.OnActivity(a.ResolveRelease, mock.Anything, mock.Anything).Return(resolved(), nil)
	env.OnActivity(a.IngestIndex, mock.Anything, mock.Anything).After(time.Minute).Return(activities.IngestResult{Staged: datasets.StagedPart{Rows: 1}}, nil)
	env.OnActivity(a.CommitSnapshot, mock.Anything, mock.Anything).Return(activities.CommitResult{}, nil)
	var seen workflows.SnapshotProgress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.ProgressQuery)
		if err == nil {
			v.Get(&seen)
		}
	}, 30*time.Second)
	env.ExecuteWorkflow(workflows.SnapshotWorkflow, workflows.SnapshotInput{Source: src})
	if seen.Phase != "ingesting" || seen.IndexesTotal != 2 || seen.IndexesDone != 0 || seen.Partition != "debian/trixie/20260101T000000Z-0123456789ab" {
		t.Errorf("progress mid-run = %+v", seen)
	}
}

func TestSnapshotWorkflowIDIsTheBusinessKey(t *testing.T) {
	a := workflows.SnapshotWorkflowID(src)
	b := src
	b.Mirror += "/"
	if workflows.SnapshotWorkflowID(b) != a {
		t.Errorf("a trailing slash on the mirror changed the workflow ID")
	}
	c := src
	c.Architectures = []string{"arm64"}
	if workflows.SnapshotWorkflowID(c) == a {
		t.Errorf("different architectures share a workflow ID")
	}
}

// A snapshot's run ID is its business key and its identity: a start that
// verifies differently, or runs on another queue or store, never attaches
// to a running one; the same start always does.
func TestSnapshotRunID(t *testing.T) {
	id := workflows.RunIdentity{Policy: "keys=openpgp:AAAA;allow-unsigned=false", TaskQueue: "distroscope", Store: "/srv/store"}
	a := workflows.SnapshotRunID(src, id)
	if !strings.HasPrefix(a, workflows.SnapshotWorkflowID(src)+"/") {
		t.Errorf("SnapshotRunID = %q, want the business key %q first", a, workflows.SnapshotWorkflowID(src))
	}
	b := src
	b.Mirror += "/"
	if workflows.SnapshotRunID(b, id) != a {
		t.Errorf("the same start got another run ID")
	}
	with := func(f func(*repo.Spec, *workflows.RunIdentity)) string {
		s, i := src, id
		s.Components = slices.Clone(src.Components)
		f(&s, &i)
		return workflows.SnapshotRunID(s, i)
	}
	for name, other := range map[string]string{
		"another policy":                    with(func(_ *repo.Spec, i *workflows.RunIdentity) { i.Policy = "keys=openpgp:BBBB;allow-unsigned=false" }),
		"--allow-unsigned, policy unsaid":   with(func(s *repo.Spec, _ *workflows.RunIdentity) { s.AllowUnsigned = true }),
		"--allow-expired, policy unsaid":    with(func(s *repo.Spec, _ *workflows.RunIdentity) { s.AllowExpired = true }),
		"another keyring, with no policy":   with(func(s *repo.Spec, i *workflows.RunIdentity) { i.Policy, s.SignedBy = "", []string{"/other.gpg"} }),
		"another task queue":                with(func(_ *repo.Spec, i *workflows.RunIdentity) { i.TaskQueue = "elsewhere" }),
		"another store":                     with(func(_ *repo.Spec, i *workflows.RunIdentity) { i.Store = "s3://bucket/distroscope" }),
		"another business key (components)": with(func(s *repo.Spec, _ *workflows.RunIdentity) { s.Components = []string{"contrib"} }),
	} {
		if other == a {
			t.Errorf("%s: same run ID %q", name, a)
		}
	}
}
