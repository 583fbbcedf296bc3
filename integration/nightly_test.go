package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/workflows"
)

// These tests run NightlyWorkflow for real: the worker binary and the CLI
// a person runs, on the test stack's Temporal and a folder store, over
// fixture repositories served on 127.0.0.1 — two releases of an apt
// archive (so a consecutive comparison exists) and an Alpine index (a
// comparison across distributions).

// nightlyEnv is verifyEnv (the CLI's environment) with the worker binary
// on its queue and store, a catalogue of the fixture sources, and plans.
type nightlyEnv struct {
	*verifyEnv
	plan string // the plan's name, unique per test: nightly IDs do not carry the queue
	apt  string // the apt archive's mirror: oldrel and newrel
	apk  string // the Alpine mirror
}

// nightlyFixture is the catalogue's sources beside the apt and Alpine
// fixtures: extra is more catalogue entries (YAML list items).
func newNightlyEnv(t *testing.T, extra string) *nightlyEnv {
	t.Helper()
	e := &nightlyEnv{verifyEnv: newVerifyEnv(t), plan: randomName("plan-")}
	names, main := stanzas(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
	_, modified := stanzas(t, "../analysis/compare/testdata/modified-amd64.Packages")
	var old, nw []string
	for _, n := range names {
		old = append(old, main[n])
		if m, ok := modified[n]; ok {
			nw = append(nw, m)
		} else if n != "abook" {
			nw = append(nw, main[n])
		}
	}
	// One mirror with both releases, as an archive serves them.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "dists"), 0o755); err != nil {
		t.Fatal(err)
	}
	for codename, entries := range map[string][]string{"oldrel": old, "newrel": nw} {
		if err := os.Symlink(filepath.Join(unsignedRepo(t, codename, entries), "dists", codename), filepath.Join(root, "dists", codename)); err != nil {
			t.Fatal(err)
		}
	}
	e.apt = formatstest.Serve(t, root)
	e.apk = formatstest.Serve(t, "../ecosystem/apk/testdata")
	e.catalog = filepath.Join(t.TempDir(), "sources.yaml")
	cat := fmt.Sprintf(`sources:
  - name: fixture-apt
    format: apt
    mirror: %s
    suites: [oldrel, newrel]
    components: [main]
    architectures: [amd64]
    allow_unsigned: true
  - name: fixture-apk
    format: apk
    mirror: %s
    url_template: "{mirror}/alpine-3.18-aarch64.APKINDEX.tar.gz"
    suites: [v3.18]
    components: [main]
    architectures: [aarch64]
%s`, e.apt, e.apk, extra)
	if err := os.WriteFile(e.catalog, []byte(cat), 0o644); err != nil {
		t.Fatal(err)
	}
	startWorkerProcess(t, buildWorker(t), []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"TEMPORAL_ADDRESS=" + e.temporal, "TEMPORAL_NAMESPACE=default", "DISTROSCOPE_TASK_QUEUE=" + e.queue,
		"DISTROSCOPE_STORE=" + e.store, "DISTROSCOPE_METRICS_ADDR=", "DISTROSCOPE_LOG_LEVEL=info"})
	return e
}

// writePlan writes a plan of the env's name: body is its snapshots,
// comparisons and limits.
func (e *nightlyEnv) writePlan(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), e.plan+".yaml")
	if err := os.WriteFile(path, []byte("name: "+e.plan+"\nschedule: {every: 24h}\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// record reads the nightly's record from the store.
func (e *nightlyEnv) record(t *testing.T, logical time.Time) activities.NightlyRecord {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.store, activities.NightlyKey(e.plan, logical)))
	if err != nil {
		t.Fatalf("the nightly's record: %v", err)
	}
	var rec activities.NightlyRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// storeListing is every file of the store with its size and time: what a
// run that writes nothing leaves as it was.
func storeListing(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fmt.Sprintf("%d %s", fi.Size(), fi.ModTime().Format(time.RFC3339Nano))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// outcomes are the record's stages by name, each checked to be there once.
func outcomes(t *testing.T, rec activities.NightlyRecord) map[string]activities.Outcome {
	t.Helper()
	by := map[string]activities.Outcome{}
	for _, o := range append(append([]activities.Outcome(nil), rec.Snapshots...), rec.Comparisons...) {
		if _, dup := by[o.Name]; dup {
			t.Errorf("the record has %s twice", o.Name)
		}
		by[o.Name] = o
	}
	return by
}

// history is every event of a workflow's runs, from runID (the first run
// when given, else the latest) along its continue-as-new chain.
func history(t *testing.T, c client.Client, id, runID string) (events []*historypb.HistoryEvent, runs int) {
	t.Helper()
	for runID != "" || runs == 0 {
		runs++
		it := c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		runID = ""
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			events = append(events, ev)
			if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
				runID = a.GetNewExecutionRunId()
			}
		}
	}
	return events, runs
}

// maxChildren is the most child runs a nightly's history had going at
// once: each start initiated counts until the child closed, or its start
// failed (an attach, which waits in an activity instead).
func maxChildren(events []*historypb.HistoryEvent) (most int) {
	n := 0
	for _, ev := range events {
		switch ev.EventType {
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			n++
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
			enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
			enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
			n--
		}
		most = max(most, n)
	}
	return most
}

// executions counts the runs of a workflow ID the server's visibility
// knows, once they have all closed.
func executions(t *testing.T, c client.Client, id string) int {
	t.Helper()
	var n int
	waitFor(t, 30*time.Second, "the runs of "+id+" in visibility, closed", func() bool {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", Query: fmt.Sprintf("WorkflowId = %q", id)})
		if err != nil || len(resp.GetExecutions()) == 0 {
			return false
		}
		for _, ex := range resp.GetExecutions() {
			if ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return false
			}
		}
		n = len(resp.GetExecutions())
		return true
	})
	return n
}

// partitionName is DISTRO/RELEASE/SNAPSHOT, as a nightly's outcome names
// what it committed.
func partitionName(p datasets.Partition) string { return p.Distro + "/" + p.Release + "/" + p.Snapshot }

const nightlyNight = "2026-12-01"

// nightlyLogical is the logical date --date 2026-12-01 gives a plan run
// every 24 h from the epoch in UTC: that day's midnight.
var nightlyLogical = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// TestNightlyThroughTheCLI runs a plan of three snapshots (two apt
// releases, one Alpine) and two comparisons (the releases, consecutive;
// apt against Alpine) with `distroscope nightly run`, two children at
// once: every stage is done and recorded, each comparison is of the
// snapshots this night took, the run's UI summary, details and search
// attributes say what it is, no more than two children ever ran at once,
// and `distroscope status` prints the outcomes. The same night started
// again reuses the record and writes nothing.
func TestNightlyThroughTheCLI(t *testing.T) {
	e := newNightlyEnv(t, "")
	path := e.writePlan(t, `concurrency: 2
snapshots:
  - source: fixture-apt
  - source: fixture-apk
comparisons:
  - consecutive: fixture-apt
  - {from: fixture-apt/newrel, to: fixture-apk/v3.18}
`)
	r := e.run(t, "nightly", "run", "--date", nightlyNight, path)
	if r.code != 0 {
		t.Fatalf("nightly run: %s", r)
	}
	id := "nightly/" + e.plan + "-2026-12-01T00:00:00Z"
	if !strings.Contains(r.stderr, "run "+id+" (") || !regexp.MustCompile(`nightly \[(snapshots|comparisons)\]: snapshots [0-3]/3 `).MatchString(r.stderr) {
		t.Errorf("nightly run does not say its run %s, or no progress line:\n%s", id, r)
	}
	snapshots := []string{"fixture-apt/oldrel", "fixture-apt/newrel", "fixture-apk/v3.18"}
	comparisons := []string{"fixture-apt/oldrel → fixture-apt/newrel", "fixture-apt/newrel → fixture-apk/v3.18"}
	for _, name := range append(append([]string(nil), snapshots...), comparisons...) {
		if _, ok := lineWith(r.stdout, name+": done — "); !ok {
			t.Errorf("nightly run does not say %s is done:\n%s", name, r)
		}
	}

	rec := e.record(t, nightlyLogical)
	by := outcomes(t, rec)
	if len(rec.Snapshots) != 3 || len(rec.Comparisons) != 2 || rec.Failed() != 0 || rec.WorkflowID != id {
		t.Fatalf("record: %+v", rec)
	}
	// The trends of every release the plan tracks, after the snapshots:
	// the apt releases' lag measured against the Alpine release.
	if len(rec.Trends) != 3 {
		t.Errorf("the record has %d trends, want one per snapshot: %+v", len(rec.Trends), rec.Trends)
	}
	for _, o := range rec.Trends {
		if o.Status != activities.StatusDone || !strings.Contains(o.Summary, "1 states computed") {
			t.Errorf("%s: %s — %s %s", o.Name, o.Status, o.Summary, o.Error)
			continue
		}
		var res workflows.TrendsResult
		if err := e.c.GetWorkflow(context.Background(), o.WorkflowID, "").Get(context.Background(), &res); err != nil {
			t.Fatalf("%s: the result of %s: %v", o.Name, o.WorkflowID, err)
		}
		snap := by[strings.TrimPrefix(o.Name, "trends of ")].Partition
		if res.Last == nil || partitionName(res.Last.Partition) != snap || res.Last.Trend.Packages == 0 {
			t.Errorf("%s: %+v, want the state of tonight's %s", o.Name, res.Last, snap)
		} else if strings.HasPrefix(o.Name, "trends of fixture-apt/") && (len(res.Last.Trend.Peers) != 1 || !strings.HasPrefix(res.Last.Trend.Peers[0], "fixture-apk/v3.18/")) {
			t.Errorf("%s: peers %v, want the night's Alpine snapshot", o.Name, res.Last.Trend.Peers)
		}
	}
	if s := by["fixture-apt/newrel → fixture-apk/v3.18"].Summary; !strings.HasSuffix(s, " unmatched") || strings.HasSuffix(s, " 0 unmatched") {
		t.Errorf("the cross-distro comparison's summary %q does not count the packages no rule paired", s)
	}
	for _, name := range comparisons {
		o := by[name]
		var res activities.CompareResult
		if err := e.c.GetWorkflow(context.Background(), o.WorkflowID, "").Get(context.Background(), &res); err != nil {
			t.Fatalf("%s: the result of %s: %v", name, o.WorkflowID, err)
		}
		oldName, newName, _ := strings.Cut(name, " → ")
		if got, want := partitionName(res.Old.Partition), by[oldName].Partition; got != want {
			t.Errorf("%s compared old %s, not the snapshot the nightly took (%s)", name, got, want)
		}
		if got, want := partitionName(res.New.Partition), by[newName].Partition; got != want {
			t.Errorf("%s compared new %s, not the snapshot the nightly took (%s)", name, got, want)
		}
	}

	d, err := e.c.DescribeWorkflow(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := d.GetStaticSummary(); s != "nightly "+e.plan+" for 2026-12-01T00:00:00Z" {
		t.Errorf("static summary %q", s)
	}
	if s, _ := d.GetStaticDetails(); !strings.Contains(s, "3 snapshots, 2 comparisons") || !strings.Contains(s, path) {
		t.Errorf("static details %q: want the plan file and its counts", s)
	}
	v, err := e.c.QueryWorkflow(context.Background(), id, "", "__temporal_workflow_metadata")
	var md sdkpb.WorkflowMetadata
	if err != nil || v.Get(&md) != nil {
		t.Fatalf("current details: %v", err)
	}
	for _, want := range []string{"snapshots: 3 of 3 finished — 0 reused, 3 done", "comparisons: 2 of 2 finished — 0 reused, 2 done"} {
		if !strings.Contains(md.GetCurrentDetails(), want) {
			t.Errorf("current details %q: want %q", md.GetCurrentDetails(), want)
		}
	}
	sa := d.TypedSearchAttributes
	if p, _ := sa.GetKeyword(temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrPlan)); p != e.plan {
		t.Errorf("search attribute %s = %q", workflows.SearchAttrPlan, p)
	}
	if s, _ := sa.GetKeyword(temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrStage)); s != "done" {
		t.Errorf("search attribute %s = %q", workflows.SearchAttrStage, s)
	}
	if l, _ := sa.GetTime(temporal.NewSearchAttributeKeyTime(workflows.SearchAttrLogicalDate)); !l.Equal(nightlyLogical) {
		t.Errorf("search attribute %s = %v", workflows.SearchAttrLogicalDate, l)
	}

	events, _ := history(t, e.c, id, "")
	if most := maxChildren(events); most != 2 {
		t.Errorf("at most %d children ran at once, want the plan's concurrency, 2", most)
	}

	st := e.run(t, "status", id)
	if st.code != 0 {
		t.Fatalf("status: %s", st)
	}
	for _, want := range []string{"NightlyWorkflow " + id, ": completed", "DistroscopePlan=" + e.plan, "child runs:",
		"fixture-apt/oldrel → fixture-apt/newrel: done — distroscope-fixture/oldrel → distroscope-fixture/newrel: "} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, st)
		}
	}
	for _, name := range snapshots {
		if _, ok := lineWith(st.stdout, name+": "+by[name].WorkflowID+" (done)"); !ok {
			t.Errorf("status does not list the child run of %s:\n%s", name, st)
		}
	}

	// A child's status says what it committed, by its workflow type.
	snap := e.run(t, "status", by["fixture-apt/oldrel"].WorkflowID)
	if _, ok := lineWith(snap.stdout, "result: "+by["fixture-apt/oldrel"].Partition+" committed: ", " rows from 1 indexes"); snap.code != 0 || !ok ||
		!strings.Contains(snap.stdout, "SnapshotWorkflow ") {
		t.Errorf("status of the snapshot %s: %s", by["fixture-apt/oldrel"].WorkflowID, snap)
	}
	cmp := e.run(t, "status", by[comparisons[0]].WorkflowID)
	if cmp.code != 0 || !strings.Contains(cmp.stdout, "result: "+by[comparisons[0]].Summary+"\n") || !strings.Contains(cmp.stdout, "CompareWorkflow ") {
		t.Errorf("status of the comparison %s: %s", by[comparisons[0]].WorkflowID, cmp)
	}

	before := storeListing(t, e.store)
	again := e.run(t, "nightly", "run", "--date", nightlyNight, path)
	if again.code != 0 || !strings.Contains(again.stdout, "already recorded, reused") {
		t.Fatalf("the same night again: %s", again)
	}
	after := storeListing(t, e.store)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("the same night again changed the store:\nbefore %v\nafter  %v", before, after)
	}
}

// TestNightlyFailedBranch: a source whose index is corrupt fails its
// snapshot (not retried: corrupt input stays corrupt) and only its branch:
// the comparison that needs it is skipped naming it, the other snapshots
// and comparison are done, and the nightly fails listing both, as its
// record does.
func TestNightlyFailedBranch(t *testing.T) {
	names, main := stanzas(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
	var entries []string
	for _, n := range names {
		entries = append(entries, main[n])
	}
	broken := unsignedRepo(t, "brokenrel", entries)
	tamperIndex(t, filepath.Join(broken, "dists", "brokenrel", "main", "binary-amd64"))
	e := newNightlyEnv(t, fmt.Sprintf(`  - name: fixture-broken
    format: apt
    mirror: %s
    suites: [brokenrel]
    components: [main]
    architectures: [amd64]
    allow_unsigned: true
`, formatstest.Serve(t, broken)))
	path := e.writePlan(t, `snapshots:
  - source: fixture-apt
    suites: [newrel]
  - source: fixture-broken
  - source: fixture-apk
comparisons:
  - {from: fixture-broken/brokenrel, to: fixture-apk/v3.18}
  - {from: fixture-apt/newrel, to: fixture-apk/v3.18}
`)
	start := time.Now()
	r := e.run(t, "nightly", "run", "--date", nightlyNight, path)
	if r.code != 1 {
		t.Fatalf("nightly run with a corrupt source: %s; want exit 1", r)
	}
	if time.Since(start) > time.Minute {
		t.Errorf("the failed branch took %v: a corrupt index is not retried", time.Since(start))
	}
	for _, want := range []string{"fixture-broken/brokenrel (failed)", "fixture-broken/brokenrel → fixture-apk/v3.18 (skipped)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the failure does not list %q:\n%s", want, r)
		}
	}
	rec := e.record(t, nightlyLogical)
	by := outcomes(t, rec)
	want := map[string]string{"fixture-apt/newrel": "done", "fixture-apk/v3.18": "done", "fixture-broken/brokenrel": "failed",
		"fixture-apt/newrel → fixture-apk/v3.18": "done", "fixture-broken/brokenrel → fixture-apk/v3.18": "skipped"}
	for name, status := range want {
		if by[name].Status != status {
			t.Errorf("%s: %+v, want %s", name, by[name], status)
		}
	}
	if o := by["fixture-broken/brokenrel → fixture-apk/v3.18"]; !strings.Contains(o.Error, "fixture-broken/brokenrel failed") {
		t.Errorf("the skipped comparison does not name the failed snapshot: %+v", o)
	}
	if o := by["fixture-broken/brokenrel"]; !strings.Contains(o.Error, "ingest main/amd64: ") || !strings.Contains(o.Error, "/dists/brokenrel/main/binary-amd64/Packages") {
		t.Errorf("the failed snapshot does not say which index failed, and why: %+v", o)
	}
	if _, ok := lineWith(r.stdout, "fixture-broken/brokenrel: failed — "); !ok {
		t.Errorf("the outcomes do not say the snapshot failed:\n%s", r)
	}
	id := "nightly/" + e.plan + "-2026-12-01T00:00:00Z"
	st := e.run(t, "status", id)
	for _, want := range []string{": failed\n", "\n  failed: ", "fixture-broken/brokenrel: failed — ingest main/amd64: ",
		"fixture-broken/brokenrel: " + by["fixture-broken/brokenrel"].WorkflowID + " (failed)"} {
		if st.code != 0 || !strings.Contains(st.stdout, want) {
			t.Errorf("status of the failed nightly does not say %q:\n%s", want, st)
		}
	}
}

// TestNightlyAttachesToARunningSnapshot: a user's `distroscope snapshot`
// of a source is running, held by its mirror, when a nightly that
// snapshots the same source starts: the nightly's child start finds the ID
// taken and waits for that run (AwaitRun) instead of failing or running it
// twice; released, both finish with the same snapshot, from one run.
func TestNightlyAttachesToARunningSnapshot(t *testing.T) {
	names, main := stanzas(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
	var entries []string
	for _, n := range names {
		entries = append(entries, main[n])
	}
	held := &stallingMirror{root: unsignedRepo(t, "heldrel", entries), block: "/dists/heldrel/", release: make(chan struct{}), hits: map[string]int{}}
	srv := httptest.NewServer(held)
	t.Cleanup(srv.Close)
	var once sync.Once
	release := func() { once.Do(func() { close(held.release) }) }
	t.Cleanup(release)
	e := newNightlyEnv(t, fmt.Sprintf(`  - name: fixture-held
    format: apt
    mirror: %s
    suites: [heldrel]
    components: [main]
    architectures: [amd64]
    allow_unsigned: true
`, srv.URL))
	path := e.writePlan(t, `snapshots:
  - source: fixture-held
  - source: fixture-apk
comparisons:
  - {from: fixture-held/heldrel, to: fixture-apk/v3.18}
`)
	user := e.command(t, "snapshot", "fixture-held/heldrel")
	var userOut, userErr lockedBuffer
	user.Stdout, user.Stderr = &userOut, &userErr
	if err := user.Start(); err != nil {
		t.Fatal(err)
	}
	userDone := make(chan error, 1)
	go func() { userDone <- user.Wait() }()
	t.Cleanup(func() { user.Process.Kill() })
	waitFor(t, time.Minute, "the user's snapshot to fetch its Release", func() bool { return held.blocked.Load() > 0 })
	runs := startedRuns(t, userErr.String())
	if len(runs) != 1 {
		t.Fatalf("the user's snapshot started %v:\n%s", runs, userErr.String())
	}
	snapshotID := runs[0].id

	r := e.run(t, "nightly", "run", "--detach", "--date", nightlyNight, path)
	if r.code != 0 {
		t.Fatalf("nightly run --detach: %s", r)
	}
	id := "nightly/" + e.plan + "-2026-12-01T00:00:00Z"
	waitFor(t, time.Minute, "the nightly to wait for the running snapshot (AwaitRun)", func() bool {
		events, _ := history(t, e.c, id, "")
		for _, ev := range events {
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "AwaitRun" {
				return true
			}
		}
		return false
	})
	running := e.run(t, "status", id)
	if running.code != 0 {
		t.Fatalf("status of the running nightly: %s", running)
	}
	for _, want := range []string{id + " (run ", "): running", "progress: snapshots: snapshots ", "running: fixture-held/heldrel",
		"fixture-held/heldrel: " + snapshotID + " (running)"} {
		if !strings.Contains(running.stdout, want) {
			t.Errorf("status of the running nightly does not say %q:\n%s", want, running)
		}
	}
	if _, ok := lineWith(running.stdout, "- snapshots: 0 of 2 finished", "2 running"); !ok {
		t.Errorf("the running nightly's current details do not say its two snapshots run:\n%s", running)
	}
	release()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var res workflows.NightlyResult
	if err := e.c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatalf("the nightly: %v", err)
	}
	select {
	case err := <-userDone:
		if err != nil {
			t.Fatalf("the user's snapshot: %v\n%s\n%s", err, userOut.String(), userErr.String())
		}
	case <-ctx.Done():
		t.Fatal("the user's snapshot did not finish")
	}
	by := outcomes(t, res.Record)
	o := by["fixture-held/heldrel"]
	if o.Status != activities.StatusDone || o.WorkflowID != snapshotID {
		t.Fatalf("the nightly's snapshot: %+v, want done under the user's run %s", o, snapshotID)
	}
	ref := strings.ReplaceAll(o.Partition, "/", " ")
	parts := strings.Fields(ref)
	if len(parts) != 3 || !strings.Contains(userOut.String(), "committed "+parts[0]+"/"+parts[1]+" snapshot "+parts[2]+":") {
		t.Errorf("the user's snapshot did not commit the nightly's %s:\n%s", o.Partition, userOut.String())
	}
	if c := by["fixture-held/heldrel → fixture-apk/v3.18"]; c.Status != activities.StatusDone {
		t.Errorf("the comparison of the attached snapshot: %+v", c)
	}
	if n := executions(t, e.c, snapshotID); n != 1 {
		t.Errorf("%d runs of %s, want the user's one", n, snapshotID)
	}
}

// TestNightlyContinuesAsNew starts NightlyWorkflow directly, with a
// history limit of 30 events and one child at a time over three snapshots
// and two comparisons: it continues as new (the first run's status says
// so), and the final record has every stage once, each child run once.
func TestNightlyContinuesAsNew(t *testing.T) {
	e := newNightlyEnv(t, "")
	identity := workflows.RunIdentity{TaskQueue: e.queue, Store: e.store}
	in := workflows.NightlyInput{Plan: e.plan, Identity: identity, LogicalDate: nightlyLogical, Window: 1, MaxHistoryEvents: 30}
	trust := &compare.Trust{AllowUnverified: true, By: "the test"}
	for _, s := range []struct{ name, suite string }{{"fixture-apt/oldrel", "oldrel"}, {"fixture-apt/newrel", "newrel"}} {
		spec := repo.Spec{Format: repo.FormatApt, Mirror: e.apt, Suite: s.suite, Components: []string{"main"}, Architectures: []string{"amd64"}, AllowUnsigned: true}
		in.Snapshots = append(in.Snapshots, workflows.NightlySnapshot{Name: s.name, Spec: spec, WorkflowID: workflows.SnapshotRunID(spec, identity)})
	}
	apk := repo.Spec{Format: repo.FormatAPK, Distro: "fixture-alpine", Release: "v3.18", Mirror: e.apk, Suite: "v3.18",
		URLTemplate: "{mirror}/alpine-3.18-aarch64.APKINDEX.tar.gz", Components: []string{"main"}, Architectures: []string{"aarch64"}}
	in.Snapshots = append(in.Snapshots, workflows.NightlySnapshot{Name: "fixture-apk/v3.18", Spec: apk, WorkflowID: workflows.SnapshotRunID(apk, identity)})
	side := func(name string) workflows.CompareSide {
		distro, release, _ := strings.Cut(name, "/")
		return workflows.CompareSide{Distro: distro, Release: release, Trust: trust}
	}
	for _, c := range [][2]string{{"fixture-apt/oldrel", "fixture-apt/newrel"}, {"fixture-apt/newrel", "fixture-apk/v3.18"}} {
		in.Comparisons = append(in.Comparisons, workflows.NightlyComparison{Old: c[0], New: c[1],
			Input: workflows.CompareInput{Old: side(c[0]), New: side(c[1])}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := "nightly/" + e.plan + "-continued"
	run, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.queue}, workflows.NightlyWorkflowName, in)
	if err != nil {
		t.Fatal(err)
	}
	first := run.GetRunID()
	var res workflows.NightlyResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("the nightly: %v", err)
	}
	d, err := e.c.DescribeWorkflow(ctx, id, first)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
		t.Errorf("the first run is %v, want continued as new", d.Status)
	}
	events, runs := history(t, e.c, id, first)
	t.Logf("%d runs, %d events", runs, len(events))
	by := outcomes(t, res.Record)
	if len(res.Record.Snapshots) != 3 || len(res.Record.Comparisons) != 2 || len(by) != 5 || res.Record.Failed() != 0 {
		t.Fatalf("record after %d runs: %+v", runs, res.Record)
	}
	started := map[string]int{}
	for _, ev := range events {
		if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
			started[a.GetWorkflowId()]++
		}
	}
	for name, o := range by {
		if o.Status != activities.StatusDone {
			t.Errorf("%s: %+v", name, o)
		}
		if started[o.WorkflowID] != 1 {
			t.Errorf("%s: started %d times across the runs, want once", name, started[o.WorkflowID])
		}
		if n := executions(t, e.c, o.WorkflowID); n != 1 {
			t.Errorf("%s: %d runs of %s, want one", name, n, o.WorkflowID)
		}
	}
	if most := maxChildren(events); most != 1 {
		t.Errorf("at most %d children at once, want the window, 1", most)
	}

	st := e.run(t, "status", "--run-id", first, id)
	if st.code != 0 || !strings.Contains(st.stdout, ": continued as new") || !strings.Contains(st.stdout, "continued in run ") ||
		strings.Contains(st.stdout, "\n  failed: ") {
		t.Errorf("status of the first run: %s", st)
	}
	js := e.run(t, "status", "--json", id)
	var out struct {
		Status string                  `json:"status"`
		Result workflows.NightlyResult `json:"result"`
	}
	if js.code != 0 || json.Unmarshal([]byte(js.stdout), &out) != nil || out.Status != "completed" || len(out.Result.Record.Comparisons) != 2 {
		t.Errorf("status --json: %+v\n%s", out, js)
	}
}
