package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/workflows"
)

// TestStatusWrite: a closed nightly's status says its type, status and
// times, its UI summary and details, its search attributes (times in
// RFC 3339), each stage's outcome and its child runs; a running
// snapshot's says its progress in one line.
func TestStatusWrite(t *testing.T) {
	if got := statusName(enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW); got != "continued as new" {
		t.Errorf("statusName = %q", got)
	}
	started := time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC)
	closed := started.Add(90 * time.Second)
	rec := activities.NightlyRecord{Plan: "nightly", LogicalDate: started,
		Snapshots: []activities.Outcome{{Name: "debian/trixie", Status: "reused", WorkflowID: "snapshot/trixie/a/b", Summary: "debian/trixie/X already committed: 5 rows from 1 indexes"}}}
	res, err := json.Marshal(workflows.NightlyResult{Record: rec, Reused: true})
	if err != nil {
		t.Fatal(err)
	}
	st := &status{WorkflowID: "nightly/nightly-2026-12-06T01:30:00Z", RunID: "r1", Type: workflows.NightlyWorkflowName, Status: "completed",
		Started: started, Closed: &closed, Summary: "nightly nightly for 2026-12-06T01:30:00Z", Details: "plan nightly (n.yaml): 1 snapshots, 0 comparisons\n",
		SearchAttributes: map[string]any{"DistroscopeStage": "done", "DistroscopeLogicalDate": started.In(time.FixedZone("x", 3600))},
		Result:           res, record: &rec, Children: []childRun{{Name: "debian/trixie", WorkflowID: "snapshot/trixie/a/b", Status: "reused"}}, Link: "http://ui/x"}
	var b strings.Builder
	st.write(&b)
	want := `NightlyWorkflow nightly/nightly-2026-12-06T01:30:00Z (run r1): completed
  started 2026-12-06T01:30:00Z, closed 2026-12-06T01:31:30Z after 1m30s
  summary: nightly nightly for 2026-12-06T01:30:00Z
  search attributes: DistroscopeLogicalDate=2026-12-06T01:30:00Z DistroscopeStage=done
  details:
    plan nightly (n.yaml): 1 snapshots, 0 comparisons
  nightly nightly of 2026-12-06T01:30:00Z: already recorded, reused
    snapshots:
      debian/trixie: reused — debian/trixie/X already committed: 5 rows from 1 indexes
    comparisons:
  child runs:
    debian/trixie: snapshot/trixie/a/b (reused)
  run http://ui/x
`
	if b.String() != want {
		t.Errorf("status\n%s\nwant\n%s", b.String(), want)
	}

	progress, _ := json.Marshal(workflows.SnapshotProgress{Phase: "ingesting", IndexesTotal: 4, IndexesDone: 1, Rows: 1200})
	running := &status{Type: workflows.SnapshotWorkflowName, Started: time.Now(), Progress: progress}
	if got := running.progressText(); !strings.HasPrefix(got, "snapshot: ingesting 1/4 indexes 1200 rows") {
		t.Errorf("a running snapshot's progress: %q", got)
	}
}
