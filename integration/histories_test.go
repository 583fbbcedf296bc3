package integration

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
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

// recordHistories opts in to TestRecordHistories: recording rewrites files
// under workflows/testdata, which a test run must not do unasked.
var recordHistories = flag.Bool("record-histories", false,
	"record every workflow's history into workflows/testdata/histories (go tool task histories)")

// historiesDir is where workflows/replay_test.go reads them from.
const historiesDir = "../workflows/testdata/histories"

// TestRecordHistories runs each workflow, in each of the paths its
// commands can take, on a real worker against the Temporal dev server, and
// saves every closed run's history as JSON — the format `temporal workflow
// show --output json` writes — for workflows/replay_test.go to replay
// against the current workflow code (docs/VERSIONING.md says when to
// record). Files of the same name are overwritten; others, histories of
// an older behaviour kept on purpose, are left alone.
func TestRecordHistories(t *testing.T) {
	if !*recordHistories {
		t.Skip("records only when asked: go tool task histories (go test ./integration -run TestRecordHistories -args -record-histories)")
	}
	_, st := folderStore(t)
	h := newHarness(t, st)
	w := worker.New(h.c, h.queue, worker.Options{})
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir(), Producer: "histories"})
	workflows.RegisterCompare(w, &activities.Compare{Store: st, TempDir: t.TempDir(), Producer: "histories"})
	workflows.RegisterReleases(w, &activities.Releases{Store: st})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := os.MkdirAll(historiesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: h}

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
	side := func(codename string, entries []string) workflows.CompareSide {
		spec := repo.Spec{Mirror: formatstest.Serve(t, unsignedRepo(t, codename, entries)), Suite: codename,
			Components: []string{"main"}, Architectures: []string{"amd64"}, AllowUnsigned: true}
		return workflows.CompareSide{Distro: "distroscope-fixture", Release: codename, Spec: &spec,
			SnapshotWorkflowID: workflows.SnapshotWorkflowID(spec) + "/" + h.queue,
			Trust:              &compare.Trust{AllowUnverified: true, By: "the recorder"}}
	}
	oldSide, newSide, nextSide := side("oldrel", old), side("newrel", nw), side("nextrel", next)
	for _, s := range []workflows.CompareSide{oldSide, newSide} {
		rec.run(t, "", workflows.SnapshotWorkflowName, workflows.SnapshotInput{Source: *s.Spec}, "")
	}
	committed := workflows.CompareInput{Old: oldSide, New: newSide}
	rec.run(t, "compare-committed", workflows.CompareWorkflowName, committed, "")
	rec.run(t, "compare-reused", workflows.CompareWorkflowName, committed, "")
	rec.run(t, "compare-child-snapshot", workflows.CompareWorkflowName, workflows.CompareInput{Old: newSide, New: nextSide}, "")
	rec.save(t, "compare-child-snapshot.child", nextSide.SnapshotWorkflowID)

	// A side neither committed nor given a spec fails at once, invalid.
	missing := workflows.CompareSide{Distro: "distroscope-fixture", Release: "norel"}
	rec.run(t, "compare-missing-side", workflows.CompareWorkflowName, workflows.CompareInput{Old: oldSide, New: missing}, activities.ErrTypeInvalid)

	rec.run(t, "releases", workflows.ReleasesWorkflowName, activities.SyncReleasesInput{Dir: "../releases/testdata"}, "")
}

type recorder struct {
	h *harness
	n int
}

// run starts one workflow, waits for it to close, checks how it closed (a
// failure of type wantErr, or success when wantErr is empty) and saves its
// history as name.json; an empty name runs it without saving.
func (r *recorder) run(t *testing.T, name, workflow string, in any, wantErr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r.n++
	id := fmt.Sprintf("histories/%s/%s/%d", r.h.queue, workflow, r.n)
	run, err := r.h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: r.h.queue}, workflow, in)
	if err != nil {
		t.Fatalf("%s: start: %v", name, err)
	}
	err = run.Get(ctx, nil)
	var ae *temporal.ApplicationError
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("%s: %v", name, err)
	case wantErr != "" && (!errors.As(err, &ae) || ae.Type() != wantErr):
		t.Fatalf("%s: err = %v, want a %s failure", name, err, wantErr)
	}
	if name != "" {
		r.save(t, name, id)
	}
}

// save writes the closed run id's whole history to name.json.
func (r *recorder) save(t *testing.T, name, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var hist historypb.History
	it := r.h.c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		return true
	}
	return false
}

// tamperIndex flips a byte in every file of an index, by-hash copies
// too, keeping their sizes: only the Release's hashes can tell.
func tamperIndex(t *testing.T, dir string) {
	t.Helper()
	tampered := 0
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		data[len(data)/2] ^= 0x55
		tampered++
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil || tampered == 0 {
		t.Fatalf("tamper %s: %v (%d files)", dir, err, tampered)
	}
}
