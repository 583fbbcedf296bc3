package workflows_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
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

// backfillArchive is the dated archive the mocked snapshots read: for each
// suite, the Release the archive served from each time on. Suite a changes
// on the 3rd and the 4th; suite b starts on the 2nd and never changes.
var backfillArchive = map[string][]struct {
	from    time.Time
	release string
}{
	"a": {{day(1), "a1"}, {day(3), "a2"}, {day(4), "a3"}},
	"b": {{day(2), "b1"}},
}

func day(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC) }

// backfillRun runs BackfillWorkflow with mocked snapshots over
// backfillArchive; committed is the store, kept across runs.
type backfillRun struct {
	mu        sync.Mutex
	committed map[datasets.Partition]bool
	inputs    []workflows.SnapshotInput
	ids       []string
	running   map[string]int // by suite
	overlap   []string
	most      int
	now       int
	trends    []workflows.TrendsInput
}

func (r *backfillRun) run(t *testing.T, in workflows.BackfillInput) (workflows.BackfillResult, workflows.BackfillProgress, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	workflows.RegisterBackfill(env)
	workflows.RegisterSnapshot(env, &activities.Snapshot{})
	workflows.RegisterTrends(env, &activities.Trends{})
	env.OnWorkflow(workflows.TrendsWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.TrendsInput) (workflows.TrendsResult, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.trends = append(r.trends, in)
			return workflows.TrendsResult{Release: in.Release.Distro + "/" + in.Release.Release, Snapshots: 3, Computed: 3}, nil
		})
	env.OnWorkflow(workflows.SnapshotWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.SnapshotInput) (workflows.SnapshotResult, error) {
			suite := in.Source.Suite
			r.mu.Lock()
			r.inputs = append(r.inputs, in)
			r.ids = append(r.ids, workflow.GetInfo(ctx).WorkflowExecution.ID)
			r.running[suite]++
			r.now++
			if r.running[suite] > 1 {
				r.overlap = append(r.overlap, suite)
			}
			r.most = max(r.most, r.now)
			r.mu.Unlock()
			err := workflow.Sleep(ctx, time.Minute)
			r.mu.Lock()
			defer r.mu.Unlock()
			r.running[suite]--
			r.now--
			if err != nil {
				return workflows.SnapshotResult{}, err
			}
			// What the archive served at the spec's time, as its mirror says.
			stamp := in.Source.Mirror[strings.LastIndex(strings.TrimRight(in.Source.Mirror, "/"), "/")+1:]
			at, err := time.Parse(repo.ArchiveDateLayout, strings.TrimRight(stamp, "/"))
			if err != nil {
				return workflows.SnapshotResult{}, err
			}
			release := ""
			for _, st := range backfillArchive[suite] {
				if !st.from.After(at) {
					release = st.release
				}
			}
			if release == "" {
				return workflows.SnapshotResult{}, temporal.NewNonRetryableApplicationError(
					"resolve "+suite+": apt: no suite \""+suite+"\" on "+in.Source.Mirror, activities.ErrTypeInvalid, nil)
			}
			p := datasets.Partition{Distro: "fx", Release: suite, Snapshot: "2026-" + release}
			res := workflows.SnapshotResult{Partition: p, Rows: 10, Reused: r.committed[p]}
			r.committed[p] = true
			return res, nil
		})
	env.ExecuteWorkflow(workflows.BackfillWorkflowName, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the backfill did not complete")
	}
	var res workflows.BackfillResult
	err := env.GetWorkflowError()
	if err == nil {
		if gerr := env.GetWorkflowResult(&res); gerr != nil {
			t.Fatal(gerr)
		}
	} else {
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Details(&res) != nil {
			t.Fatalf("the failure carries no result: %v", err)
		}
	}
	var p workflows.BackfillProgress
	if v, qerr := env.QueryWorkflow(workflows.ProgressQuery); qerr != nil || v.Get(&p) != nil {
		t.Fatalf("progress query: %v", qerr)
	}
	return res, p, err
}

func backfillInput(suites ...string) workflows.BackfillInput {
	in := workflows.BackfillInput{Source: "fx", From: time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC),
		To: time.Date(2026, 3, 5, 23, 59, 59, 0, time.UTC), Identity: workflows.RunIdentity{TaskQueue: "q", Store: "/s"}}
	for _, s := range suites {
		in.Specs = append(in.Specs, repo.Spec{Format: "apt", Mirror: "http://127.0.0.1:1/now", Archive: "http://127.0.0.1:1/archive/fx/{date}/",
			Suite: s, Components: []string{"main"}, Architectures: []string{"amd64"}})
	}
	return in
}

func TestBackfillSnapshotsEachDateAndCountsDistinctReleases(t *testing.T) {
	r := &backfillRun{committed: map[datasets.Partition]bool{}, running: map[string]int{}}
	in := backfillInput("a", "b")
	res, p, err := r.run(t, in)

	// Suite b has no state on the 1st: that date fails, the rest go on.
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrTypeBackfillFailed ||
		!strings.Contains(err.Error(), "1 of 10 dates failed: b at 20260301T235959Z: resolve b: apt: no suite") {
		t.Errorf("error = %v", err)
	}
	if res.Dates != 10 || res.Distinct != 4 || res.Committed != 4 || res.Reused != 0 || res.Failed != 1 {
		t.Errorf("result: %s", workflows.BackfillSummary(res))
	}
	distinct := func(s workflows.BackfillSuite) []string {
		var out []string
		for _, p := range s.Distinct {
			out = append(out, p.Snapshot)
		}
		return out
	}
	if got := distinct(res.Suites[0]); strings.Join(got, " ") != "2026-a1 2026-a2 2026-a3" {
		t.Errorf("suite a's distinct snapshots: %v", got)
	}
	if got := distinct(res.Suites[1]); strings.Join(got, " ") != "2026-b1" {
		t.Errorf("suite b's distinct snapshots: %v", got)
	}
	if p.Stage != "done" || p.DatesDone != 10 || p.DatesTotal != 10 || p.Distinct != 4 || p.Failed != 1 || len(p.Running) != 0 {
		t.Errorf("progress: %+v", p)
	}
	// Each child reads the archive at its date and verifies as of it, under
	// an ID made of the source, suite and date.
	if len(r.inputs) != 10 {
		t.Fatalf("%d snapshots started", len(r.inputs))
	}
	for i, c := range r.inputs {
		at := c.Source.VerifyAsOf
		if at.Hour() != 23 || c.Source.Mirror != "http://127.0.0.1:1/archive/fx/"+at.Format(repo.ArchiveDateLayout)+"/" {
			t.Errorf("child %d: mirror %s, verify as of %s", i, c.Source.Mirror, at)
		}
		want := "backfill/fx/" + c.Source.Suite + "/" + at.Format(repo.ArchiveDateLayout) + "/"
		if !strings.HasPrefix(r.ids[i], want) {
			t.Errorf("child %d: ID %s, want %s…", i, r.ids[i], want)
		}
	}
	// A suite's dates run one after the other; the two suites at once.
	if len(r.overlap) > 0 || r.most != 2 {
		t.Errorf("suites with dates at once: %v; most children at once: %d", r.overlap, r.most)
	}

	// The same range again commits nothing: each distinct Release is found
	// committed.
	r.inputs, r.ids, r.most = nil, nil, 0
	res, _, _ = r.run(t, in)
	if res.Distinct != 4 || res.Committed != 0 || res.Reused != 4 {
		t.Errorf("again: %s", workflows.BackfillSummary(res))
	}
}

func TestBackfillWindowAndIDs(t *testing.T) {
	r := &backfillRun{committed: map[datasets.Partition]bool{}, running: map[string]int{}}
	in := backfillInput("a", "a-updates", "a-security")
	in.Window = 1
	in.From = day(3)
	in.To = day(4)
	backfillArchive["a-updates"] = backfillArchive["a"]
	backfillArchive["a-security"] = backfillArchive["a"]
	t.Cleanup(func() { delete(backfillArchive, "a-updates"); delete(backfillArchive, "a-security") })
	res, _, err := r.run(t, in)
	if err != nil || res.Dates != 6 || res.Distinct != 6 {
		t.Fatalf("%s: %v", workflows.BackfillSummary(res), err)
	}
	if r.most != 1 {
		t.Errorf("window 1 ran %d children at once", r.most)
	}
	// IDs are the same for the same date and identity, and differ by
	// identity and by date.
	spec, at := in.Specs[0], day(3)
	id := workflows.BackfillChildID("fx", spec, at, in.Identity)
	if id != r.ids[0] || id != workflows.BackfillChildID("fx", spec, at, in.Identity) ||
		id == workflows.BackfillChildID("fx", spec, at.Add(24*time.Hour), in.Identity) ||
		id == workflows.BackfillChildID("fx", spec, at, workflows.RunIdentity{TaskQueue: "other", Store: "/s"}) {
		t.Errorf("child IDs: %s (first child %s)", id, r.ids[0])
	}
	if a, b := workflows.BackfillWorkflowID(in), workflows.BackfillWorkflowID(backfillInput("a")); a == b || !strings.HasPrefix(a, "backfill/fx/20260303T100000Z-20260304T100000Z/") {
		t.Errorf("backfill IDs: %s, %s", a, b)
	}
}

func TestBackfillDates(t *testing.T) {
	from := time.Date(2026, 1, 30, 23, 59, 59, 0, time.UTC)
	got := workflows.BackfillDates(from, from.AddDate(0, 0, 3), 0)
	if len(got) != 4 || !got[3].Equal(from.AddDate(0, 0, 3)) {
		t.Errorf("daily: %v", got)
	}
	if got := workflows.BackfillDates(from, from.AddDate(0, 0, 3), 48*time.Hour); len(got) != 2 {
		t.Errorf("every two days: %v", got)
	}
	if got := workflows.BackfillDates(from, from.Add(-time.Second), 0); len(got) != 0 {
		t.Errorf("an empty range: %v", got)
	}
}

// TestBackfillUpdatesTrends: with Trends set, each suite's release gets
// its trends brought up to date once its dates ended, its lag measured
// against the peers of other distributions only.
func TestBackfillUpdatesTrends(t *testing.T) {
	r := &backfillRun{committed: map[datasets.Partition]bool{}, running: map[string]int{}}
	in := backfillInput("a")
	trust := &compare.Trust{Keys: []string{"openpgp:AAAA"}}
	in.Trends = &workflows.BackfillTrends{Trust: trust, Peers: []trends.Release{{Distro: "fx", Release: "b"}, {Distro: "peer", Release: "x"}}}
	res, p, err := r.run(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.trends) != 1 {
		t.Fatalf("%d trends runs, want one for suite a", len(r.trends))
	}
	got := r.trends[0]
	if got.Release.Distro != "fx" || got.Release.Release != "a" || got.Release.Trust == nil || got.Release.Trust.Keys[0] != "openpgp:AAAA" ||
		len(got.Peers) != 1 || got.Peers[0].Distro != "peer" {
		t.Errorf("trends input %+v", got)
	}
	if s := res.Suites[0].Trends; !strings.Contains(s, "3 states computed") {
		t.Errorf("suite a's trends: %q", s)
	}
	if p.Stage != "done" {
		t.Errorf("progress %+v", p)
	}
}
