//go:build histories

package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/workflows"
)

// historiesDir is where workflows/replay_test.go reads them from.
const historiesDir = "../workflows/testdata/histories"

// TestRecordHistories is built only with -tags histories (go tool task
// histories): recording rewrites files under workflows/testdata, which a
// test run must not do unasked, and an opt-in test would otherwise show
// as a skip in every run.
//
// It runs each workflow, in each of the paths its
// commands can take, on a real worker against the Temporal dev server, and
// saves every closed run's history as JSON — the format `temporal workflow
// show --output json` writes — for workflows/replay_test.go to replay
// against the current workflow code (docs/VERSIONING.md says when to
// record). Files of the same name are overwritten; others, histories of
// an older behaviour kept on purpose, are left alone.
func TestRecordHistories(t *testing.T) {
	_, st := folderStore(t)
	h := newHarness(t, st)
	w := worker.New(h.c, h.queue, worker.Options{})
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir(), Producer: "histories"})
	workflows.RegisterCompare(w, &activities.Compare{Store: st, TempDir: t.TempDir(), Producer: "histories"})
	workflows.RegisterReleases(w, &activities.Releases{Store: st})
	workflows.RegisterNightly(w, &activities.Nightly{Store: st, Client: h.c})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := os.MkdirAll(historiesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: h}
	rec.requireSearchAttributes(t)

	// A tampered index fails its ingest non-retryably: the run fails after
	// every ingest has finished, with nothing committed. First, as the
	// signed Release is the fixture's own: once committed, it is reused.
	base, keyring := formatstest.Repo(t)
	root := formatstest.CopyRepo(t)
	tamperIndex(t, formatstest.IndexDir(root, "main/amd64"))
	rec.run(t, "snapshot-corrupt-index", workflows.SnapshotWorkflowName,
		workflows.SnapshotInput{Source: fixtureSource(formatstest.Serve(t, root), keyring)}, activities.ErrTypeCorrupt)

	// SnapshotWorkflow: a fresh run of the signed fixture (resolve, search
	// attributes, four ingests, commit), then the same Release again
	// (resolve, reused).
	fixture := fixtureSource(base, keyring)
	snap := workflows.SnapshotInput{Source: fixture, SetSearchAttributes: true}
	rec.run(t, "snapshot-fresh", workflows.SnapshotWorkflowName, snap, "")
	rec.run(t, "snapshot-reused", workflows.SnapshotWorkflowName, snap, "")

	// CompareWorkflow over three unsigned releases: oldrel and newrel
	// snapshotted first, so the first comparison finds both committed; the
	// second is the same comparison, reused; the third finds nextrel
	// missing and snapshots it first as a child.
	names, main := stanzas(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
	_, modified := stanzas(t, "../analysis/compare/testdata/modified-amd64.Packages")
	var old, nw, next []string
	for _, n := range names {
		s := main[n]
		old = append(old, s)
		if m, ok := modified[n]; ok {
			s = m
		}
		nw = append(nw, s)
		if n != "abook" {
			next = append(next, s)
		}
	}
	sideAt := func(codename, mirror string) workflows.CompareSide {
		spec := repo.Spec{Mirror: mirror, Suite: codename, Components: []string{"main"}, Architectures: []string{"amd64"}, AllowUnsigned: true}
		return workflows.CompareSide{Distro: "distroscope-fixture", Release: codename, Spec: &spec,
			SnapshotWorkflowID: workflows.SnapshotWorkflowID(spec) + "/" + h.queue,
			Trust:              &compare.Trust{AllowUnverified: true, By: "the recorder"}}
	}
	side := func(codename string, entries []string) workflows.CompareSide {
		return sideAt(codename, formatstest.Serve(t, unsignedRepo(t, codename, entries)))
	}
	oldSide, newSide, nextSide := side("oldrel", old), side("newrel", nw), side("nextrel", next)
	for _, s := range []workflows.CompareSide{oldSide, newSide} {
		rec.run(t, "", workflows.SnapshotWorkflowName, workflows.SnapshotInput{Source: *s.Spec}, "")
	}
	committed := workflows.CompareInput{Old: oldSide, New: newSide}
	rec.run(t, "compare-committed", workflows.CompareWorkflowName, committed, "")
	rec.run(t, "compare-reused", workflows.CompareWorkflowName, committed, "")
	rec.run(t, "compare-child-snapshot", workflows.CompareWorkflowName, workflows.CompareInput{Old: newSide, New: nextSide}, "")
	rec.save(t, "compare-child-snapshot.child", nextSide.SnapshotWorkflowID, "")

	// A side neither committed nor given a spec fails at once, invalid.
	missing := workflows.CompareSide{Distro: "distroscope-fixture", Release: "norel"}
	rec.run(t, "compare-missing-side", workflows.CompareWorkflowName, workflows.CompareInput{Old: oldSide, New: missing}, activities.ErrTypeInvalid)

	rec.run(t, "releases", workflows.ReleasesWorkflowName, activities.SyncReleasesInput{Dir: "../releases/testdata"}, "")

	// A comparison's child whose snapshot is already running under its ID
	// (a user's `distroscope snapshot`) attaches to that run through
	// AwaitRun (the attach-running-snapshot change of runSnapshotChild).
	held := &stallingMirror{root: unsignedRepo(t, "heldrel", nw), block: "/dists/heldrel/", release: make(chan struct{}), hits: map[string]int{}}
	srv := httptest.NewServer(held)
	defer srv.Close()
	heldSide := sideAt("heldrel", srv.URL)
	user := rec.start(t, heldSide.SnapshotWorkflowID, workflows.SnapshotWorkflowName, workflows.SnapshotInput{Source: *heldSide.Spec})
	waitFor(t, time.Minute, "the held snapshot to fetch its Release", func() bool { return held.blocked.Load() > 0 })
	attach := rec.start(t, "", workflows.CompareWorkflowName, workflows.CompareInput{Old: oldSide, New: heldSide})
	waitFor(t, time.Minute, "the comparison's child start to find the snapshot running", func() bool {
		return rec.has(t, attach.GetID(), enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
	})
	close(held.release)
	rec.wait(t, "", user, "")
	rec.wait(t, "compare-attach-running-snapshot", attach, "")

	rec.nightlies(t, side, old, nw)
}

// nightlies records NightlyWorkflow: a plan of two snapshots and their
// comparison, run for a night, then again for the same night (its record
// reused); with a history limit of one event, so that it continues as new
// after every child; and with a snapshot whose index is corrupt, which
// fails that branch, skips the comparison and fails the run, recorded.
func (r *recorder) nightlies(t *testing.T, side func(string, []string) workflows.CompareSide, old, nw []string) {
	id := workflows.RunIdentity{TaskQueue: r.h.queue, Store: "recorder"}
	plan := func(oldRel, newRel string, date time.Time) workflows.NightlyInput {
		in := workflows.NightlyInput{Plan: "histories", Identity: id, LogicalDate: date, SetSearchAttributes: true}
		for _, c := range []workflows.CompareSide{side(oldRel, old), side(newRel, nw)} {
			in.Snapshots = append(in.Snapshots, workflows.NightlySnapshot{Name: "fixture/" + c.Release, Spec: *c.Spec,
				WorkflowID: workflows.SnapshotRunID(*c.Spec, id)})
		}
		trust := &compare.Trust{AllowUnverified: true, By: "the recorder"}
		in.Comparisons = []workflows.NightlyComparison{{Old: in.Snapshots[0].Name, New: in.Snapshots[1].Name,
			Input: workflows.CompareInput{Old: workflows.CompareSide{Distro: "distroscope-fixture", Release: oldRel, Trust: trust},
				New: workflows.CompareSide{Distro: "distroscope-fixture", Release: newRel, Trust: trust}}}}
		return in
	}
	night := time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC)
	fresh := plan("n1old", "n1new", night)
	r.run(t, "nightly-fresh", workflows.NightlyWorkflowName, fresh, "")
	r.run(t, "nightly-reused", workflows.NightlyWorkflowName, fresh, "")

	cont := plan("n1old", "n1new", night.AddDate(0, 0, 1))
	cont.Window, cont.MaxHistoryEvents = 1, 1
	run := r.start(t, "", workflows.NightlyWorkflowName, cont)
	first := run.GetRunID() // Get follows the chain, and the run ID with it
	r.wait(t, "nightly-continued", run, "")
	r.save(t, "nightly-continue-as-new", run.GetID(), first)

	failed := plan("n3old", "n3new", night.AddDate(0, 0, 2))
	bad := &failed.Snapshots[1].Spec
	bad.Mirror = formatstest.Serve(t, corruptRepo(t, bad.Suite, nw))
	failed.Snapshots[1].WorkflowID = workflows.SnapshotRunID(*bad, id)
	r.run(t, "nightly-failed-branch", workflows.NightlyWorkflowName, failed, "NightlyFailed")
}

// corruptRepo is unsignedRepo with its Packages changed after the Release
// listed it: the ingest fetches it again a few times, as from a mirror in
// the middle of a sync, then fails it as corrupt, which is not retried.
func corruptRepo(t *testing.T, codename string, entries []string) string {
	t.Helper()
	root := unsignedRepo(t, codename, entries)
	tamperIndex(t, filepath.Join(root, "dists", codename, "main", "binary-amd64"))
	return root
}

type recorder struct {
	h *harness
	n int
}

// requireSearchAttributes fails at once, saying what to do, when the
// server lacks the search attributes the recorded runs set: their upserts
// would fail every workflow task until the recorder gave up.
func (r *recorder) requireSearchAttributes(t *testing.T) {
	t.Helper()
	resp, err := r.h.c.OperatorService().ListSearchAttributes(context.Background(),
		&operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatalf("list search attributes: %v", err)
	}
	for _, name := range []string{workflows.SearchAttrDistro, workflows.SearchAttrRelease, workflows.SearchAttrPlan,
		workflows.SearchAttrLogicalDate, workflows.SearchAttrStage} {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			t.Fatalf("the Temporal server has no search attribute %s: restart it with scripts/stack.sh, which registers them "+
				"(bash scripts/stack.sh down .state/test; go tool task histories)", name)
		}
	}
}

// run starts one workflow, waits for it to close, checks how it closed
// and saves its history as name.json (see wait).
func (r *recorder) run(t *testing.T, name, workflow string, in any, wantErr string) {
	t.Helper()
	r.wait(t, name, r.start(t, "", workflow, in), wantErr)
}

// start starts one workflow under id, or a fresh ID when id is empty.
func (r *recorder) start(t *testing.T, id, workflow string, in any) client.WorkflowRun {
	t.Helper()
	r.n++
	if id == "" {
		id = fmt.Sprintf("histories/%s/%s/%d", r.h.queue, workflow, r.n)
	}
	run, err := r.h.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: r.h.queue}, workflow, in)
	if err != nil {
		t.Fatalf("start %s %s: %v", workflow, id, err)
	}
	return run
}

// wait waits for run to close, through its continue-as-new, checks how it
// closed — a failure of type wantErr, or success when wantErr is empty —
// and saves the history of its last run as name.json; an empty name saves
// nothing.
func (r *recorder) wait(t *testing.T, name string, run client.WorkflowRun, wantErr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run.Get(ctx, nil)
	var ae *temporal.ApplicationError
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("%s (%s): %v", name, run.GetID(), err)
	case wantErr != "" && (!errors.As(err, &ae) || ae.Type() != wantErr):
		t.Fatalf("%s (%s): err = %v, want a %s failure", name, run.GetID(), err, wantErr)
	}
	if name != "" {
		r.save(t, name, run.GetID(), "")
	}
}

// has reports whether the history of id's latest run holds an event of
// type e yet.
func (r *recorder) has(t *testing.T, id string, e enumspb.EventType) bool {
	t.Helper()
	it := r.h.c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		if ev.EventType == e {
			return true
		}
	}
	return false
}

// save writes the whole history of run runID of id (its latest run if
// runID is empty), which must be closed, to name.json.
func (r *recorder) save(t *testing.T, name, id, runID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var hist historypb.History
	it := r.h.c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("%s: history of %s: %v", name, id, err)
		}
		hist.Events = append(hist.Events, e)
	}
	if n := len(hist.Events); n == 0 || !isClose(hist.Events[n-1].EventType) {
		t.Fatalf("%s: the history of %s does not end with its close (%d events)", name, id, n)
	}
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&hist)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	path := filepath.Join(historiesDir, name+".json")
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d events from %s", path, len(hist.Events), id)
}

func isClose(e enumspb.EventType) bool {
	switch e {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}

// TestRecordImageHistories records the image workflows' histories alone
// (go test -tags histories -run TestRecordImageHistories), so that adding
// them did not re-record the others: an analysis of a small tree, the
// same tree again (reused), a comparison of it with a second tree (both
// analyses at once, then the diff), and a comparison whose side is hostile
// (fails after both analyses ended, nothing diffed).
func TestRecordImageHistories(t *testing.T) {
	_, st := folderStore(t)
	h := newHarness(t, st)
	w := worker.New(h.c, h.queue, worker.Options{})
	workflows.RegisterImage(w, &activities.Image{Store: st, TempDir: t.TempDir(), Producer: "histories"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	rec := &recorder{h: h}
	a, b := workflows.ImageAnalyzeInput{Ref: "dir:" + imageFixtureTree(t, "a")}, workflows.ImageAnalyzeInput{Ref: "dir:" + imageFixtureTree(t, "b")}
	rec.run(t, "image-analyze", workflows.ImageAnalyzeWorkflowName, a, "")
	rec.run(t, "image-analyze-reused", workflows.ImageAnalyzeWorkflowName, a, "")
	rec.run(t, "image-compare", workflows.ImageCompareWorkflowName, workflows.ImageCompareInput{A: a, B: b}, "")
	missing := workflows.ImageAnalyzeInput{Ref: "dir:" + filepath.Join(t.TempDir(), "absent")}
	rec.run(t, "image-compare-failed-side", workflows.ImageCompareWorkflowName, workflows.ImageCompareInput{A: a, B: missing}, activities.ErrTypeInvalid)
}
