package workflows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/workflows"
)

// registerAll registers every workflow the worker runs, through the
// Register functions workers/main.go calls — a new one is added here too —
// so the names replayed are the names the worker registers. Activities
// never run in a replay: nil dependencies do.
func registerAll(r worker.Registry) {
	workflows.RegisterSnapshot(r, nil)
	workflows.RegisterCompare(r, nil)
	workflows.RegisterReleases(r, nil)
	workflows.RegisterNightly(r, nil)
	workflows.RegisterImage(r, nil)
}

// replayRegistry hands the workflows a Register function registers to a
// replayer and drops the activities, which a replay never runs. It keeps
// the names the workflows are registered under.
type replayRegistry struct {
	worker.WorkflowReplayer
	// A Nexus service would need a server to replay against: registering
	// one panics on this nil, and this test needs changing with it.
	worker.NexusServiceRegistry
	names []string
}

func (r *replayRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	r.WorkflowReplayer.RegisterWorkflowWithOptions(w, o)
	r.names = append(r.names, o.Name)
}

func (*replayRegistry) RegisterActivity(any)                                         {}
func (*replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions)    {}
func (*replayRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}

// TestReplayRecordedHistories replays every history recorded in
// testdata/histories (go tool task histories) against the workflow code as
// it is now: a change that makes a workflow issue other commands than a
// recorded run did — an activity added, removed or reordered, a child
// workflow where an activity was — fails here, naming the history and the
// first command that differs, instead of failing the runs still open when
// the new worker starts. docs/VERSIONING.md says how such a change is made
// safely, and when the histories it makes old may go.
func TestReplayRecordedHistories(t *testing.T) {
	for _, file := range histories(t) {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			r := &replayRegistry{WorkflowReplayer: worker.NewWorkflowReplayer()}
			registerAll(r)
			typ := workflowType(t, file)
			if !slices.Contains(r.names, typ) {
				t.Fatalf("%s is a run of %s, which the worker does not register", file, typ)
			}
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Errorf("%s no longer replays on the current %s code: %v", file, typ, err)
			}
		})
	}
}

// TestEveryWorkflowHasARecordedHistory: a workflow the worker registers
// with no recorded run is one whose changes nothing checks.
func TestEveryWorkflowHasARecordedHistory(t *testing.T) {
	recorded := map[string]bool{}
	for _, file := range histories(t) {
		recorded[workflowType(t, file)] = true
	}
	r := &replayRegistry{WorkflowReplayer: worker.NewWorkflowReplayer()}
	registerAll(r)
	for _, name := range r.names {
		if !recorded[name] {
			t.Errorf("no recorded history runs %s: record one (integration/histories_test.go, go tool task histories)", name)
		}
	}
}

// histories lists the recorded histories; none is a failure, so that a
// deleted folder does not pass as "nothing changed".
func histories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("testdata/histories holds no history: record them with `go tool task histories`")
	}
	return files
}

// workflowType reads the type of the workflow a history is a run of, from
// its first event.
func workflowType(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Events []struct {
			Started *struct {
				WorkflowType struct {
					Name string `json:"name"`
				} `json:"workflowType"`
			} `json:"workflowExecutionStartedEventAttributes"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(h.Events) == 0 || h.Events[0].Started == nil || h.Events[0].Started.WorkflowType.Name == "" {
		t.Fatalf("%s does not start with a workflow's start event", file)
	}
	return h.Events[0].Started.WorkflowType.Name
}
