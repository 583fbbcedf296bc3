package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/workflows"
)

const statusLong = `Say where a run is: its type, status, start and close time, the summary and details the
Temporal UI shows, its search attributes, and — while it runs — its progress (a snapshot's
phase and indexes, a comparison's phase, a nightly's counts per stage and what is running), or,
once it closed, what it committed. For a nightly it lists its child runs: those running, or
each stage's run from its record.

RUN is a workflow ID, as snapshot, compare and nightly run print it ("nightly/PLAN-2026-12-06T01:30:00Z");
the latest run of the ID unless --run-id. --json prints the same as one JSON object, with the
progress or the result as the workflow answers it, for scripts.`

const statusExample = `  distroscope status nightly/nightly-2026-12-06T01:30:00Z
  distroscope status --json nightly/nightly-2026-12-06T01:30:00Z | jq .result.record.snapshots`

func statusCommand(c *cli) *cobra.Command {
	var runID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "status RUN",
		Short:   "Print a run's status, progress or result, UI details and child runs (RUN: a workflow ID)",
		Long:    statusLong,
		Example: statusExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withTemporal(cmd, func(ctx context.Context, tc client.Client, cfg config.Config) error {
				st, err := runStatus(ctx, tc, args[0], runID)
				if err != nil {
					return err
				}
				st.Link = uiLink(cfg, st.WorkflowID, st.RunID)
				if asJSON {
					enc := json.NewEncoder(c.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(st)
				}
				st.write(c.stdout)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&runID, "run-id", "", "the run of the workflow ID (default: its latest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON, with the raw progress or result")
	return cmd
}

// status is what `distroscope status` says of a run.
type status struct {
	WorkflowID       string                    `json:"workflow_id"`
	RunID            string                    `json:"run_id"`
	Type             string                    `json:"type"`
	Status           string                    `json:"status"`
	Started          time.Time                 `json:"started"`
	Closed           *time.Time                `json:"closed,omitempty"`
	Summary          string                    `json:"summary,omitempty"`
	Details          string                    `json:"details,omitempty"`
	CurrentDetails   string                    `json:"current_details,omitempty"`
	SearchAttributes map[string]any            `json:"search_attributes,omitempty"`
	Progress         json.RawMessage           `json:"progress,omitempty"`
	Result           json.RawMessage           `json:"result,omitempty"`
	Failure          string                    `json:"failure,omitempty"`
	ContinuedAs      string                    `json:"continued_as,omitempty"` // the next run, for a run that continued as new
	Children         []childRun                `json:"children,omitempty"`
	Link             string                    `json:"link"`
	record           *activities.NightlyRecord // a nightly's, closed
}

// childRun is one child of a nightly: its stage and its workflow ID.
type childRun struct {
	Name       string `json:"name,omitempty"`
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
}

// runStatus describes the run, and asks it for its progress (running) or
// reads its result (closed). A query or a current-details read that gets
// no answer (no worker) leaves those out: the description still stands.
func runStatus(ctx context.Context, tc client.Client, id, runID string) (*status, error) {
	d, err := tc.DescribeWorkflow(ctx, id, runID)
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	st := &status{WorkflowID: d.WorkflowExecution.ID, RunID: d.WorkflowExecution.RunID, Type: d.WorkflowType.Name,
		Status: statusName(d.Status), Started: d.WorkflowStartTime, Closed: d.WorkflowCloseTime}
	st.Summary, _ = d.GetStaticSummary()
	st.Details, _ = d.GetStaticDetails()
	for k, v := range d.TypedSearchAttributes.GetUntypedValues() {
		if st.SearchAttributes == nil {
			st.SearchAttributes = map[string]any{}
		}
		st.SearchAttributes[k.GetName()] = v
	}
	st.CurrentDetails = currentDetails(ctx, tc, st.WorkflowID, st.RunID)
	if d.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		if v, err := queryRaw(ctx, tc, st.WorkflowID, st.RunID, workflows.ProgressQuery); err == nil {
			st.Progress = v
		}
		if st.Type == workflows.NightlyWorkflowName {
			st.Children = runningChildren(ctx, tc, st.WorkflowID, st.RunID, st.Progress)
		}
		return st, nil
	}
	if d.Status == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
		// Its result is the next run's: say which run that is.
		it := tc.GetWorkflowHistory(ctx, st.WorkflowID, st.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
		if it.HasNext() {
			if ev, err := it.Next(); err == nil {
				st.ContinuedAs = ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
			}
		}
		return st, nil
	}
	err = tc.GetWorkflow(ctx, st.WorkflowID, st.RunID).GetWithOptions(ctx, &st.Result, client.WorkflowRunGetOptions{DisableFollowingRuns: true})
	if err != nil {
		st.Result = nil
		st.Failure = rootCause(err)
		if rec, ok := failedNightlyRecord(err); ok {
			st.record = &rec
			st.Result, _ = json.Marshal(workflows.NightlyResult{Record: rec})
		}
	} else if st.Type == workflows.NightlyWorkflowName {
		var res workflows.NightlyResult
		if json.Unmarshal(st.Result, &res) == nil {
			st.record = &res.Record
		}
	}
	if st.record != nil {
		for _, o := range st.record.Outcomes() {
			if o.WorkflowID != "" {
				st.Children = append(st.Children, childRun{Name: o.Name, WorkflowID: o.WorkflowID, Status: o.Status})
			}
		}
	}
	return st, nil
}

// runningChildren are the runs a running nightly waits on: each running
// snapshot by the workflow ID its input gives it — a child, or a run it
// attached to, which is no child of its own — and each child run the
// server lists pending that is not one of those (the comparisons, whose
// IDs the nightly computes once their snapshots are committed).
func runningChildren(ctx context.Context, tc client.Client, id, runID string, progress json.RawMessage) []childRun {
	var p workflows.NightlyProgress
	_ = json.Unmarshal(progress, &p)
	var in workflows.NightlyInput
	it := tc.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if it.HasNext() {
		if ev, err := it.Next(); err == nil {
			if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
				_ = converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &in)
			}
		}
	}
	ids := map[string]string{}
	for _, s := range in.Snapshots {
		ids[s.Name] = s.WorkflowID
	}
	var out []childRun
	listed := map[string]bool{}
	for _, name := range p.Running {
		if wid, ok := ids[name]; ok {
			out = append(out, childRun{Name: name, WorkflowID: wid, Status: "running"})
			listed[wid] = true
		}
	}
	if raw, err := tc.DescribeWorkflowExecution(ctx, id, runID); err == nil {
		for _, ch := range raw.GetPendingChildren() {
			if !listed[ch.GetWorkflowId()] {
				out = append(out, childRun{WorkflowID: ch.GetWorkflowId(), Status: "running"})
			}
		}
	}
	return out
}

// statusName is a run's status as a person says it: ContinuedAsNew →
// "continued as new".
func statusName(s enumspb.WorkflowExecutionStatus) string {
	return lowerWords(s.String(), ' ')
}

// currentDetails are the details the workflow set last (SetCurrentDetails),
// read through the SDK's built-in metadata query; "" when no worker
// answers.
func currentDetails(ctx context.Context, tc client.Client, id, runID string) string {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := tc.QueryWorkflow(qctx, id, runID, "__temporal_workflow_metadata")
	if err != nil {
		return ""
	}
	var md sdkpb.WorkflowMetadata
	if v.Get(&md) != nil {
		return ""
	}
	return md.GetCurrentDetails()
}

// queryRaw is a query's answer as the workflow encoded it.
func queryRaw(ctx context.Context, tc client.Client, id, runID, query string) (json.RawMessage, error) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := tc.QueryWorkflow(qctx, id, runID, query)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := v.Get(&raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// write prints the status for a person.
func (st *status) write(w io.Writer) {
	fmt.Fprintf(w, "%s %s (run %s): %s\n", st.Type, st.WorkflowID, st.RunID, st.Status)
	fmt.Fprintf(w, "  started %s", st.Started.UTC().Format(time.RFC3339))
	if st.Closed != nil {
		fmt.Fprintf(w, ", closed %s after %s", st.Closed.UTC().Format(time.RFC3339), st.Closed.Sub(st.Started).Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	if st.Summary != "" {
		fmt.Fprintf(w, "  summary: %s\n", st.Summary)
	}
	if len(st.SearchAttributes) > 0 {
		names := make([]string, 0, len(st.SearchAttributes))
		for k := range st.SearchAttributes {
			names = append(names, k)
		}
		slices.Sort(names)
		var parts []string
		for _, k := range names {
			v := st.SearchAttributes[k]
			if t, ok := v.(time.Time); ok {
				v = t.UTC().Format(time.RFC3339)
			}
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
		fmt.Fprintf(w, "  search attributes: %s\n", strings.Join(parts, " "))
	}
	if st.Details != "" {
		fmt.Fprintf(w, "  details:\n%s", indent(st.Details, "    "))
	}
	if st.CurrentDetails != "" {
		fmt.Fprintf(w, "  current details:\n%s", indent(st.CurrentDetails, "    "))
	}
	if st.Progress != nil {
		fmt.Fprintf(w, "  progress: %s\n", st.progressText())
	}
	if st.Failure != "" {
		fmt.Fprintf(w, "  failed: %s\n", st.Failure)
	}
	if st.ContinuedAs != "" {
		fmt.Fprintf(w, "  continued in run %s (distroscope status --run-id %s %s)\n", st.ContinuedAs, st.ContinuedAs, st.WorkflowID)
	}
	st.writeResult(w)
	if len(st.Children) > 0 {
		fmt.Fprintln(w, "  child runs:")
		for _, ch := range st.Children {
			if ch.Name != "" {
				fmt.Fprintf(w, "    %s: %s (%s)\n", ch.Name, ch.WorkflowID, ch.Status)
			} else {
				fmt.Fprintf(w, "    %s (%s)\n", ch.WorkflowID, ch.Status)
			}
		}
	}
	fmt.Fprintf(w, "  run %s\n", st.Link)
}

// progressText is the progress answer as a line of its workflow type.
func (st *status) progressText() string {
	switch st.Type {
	case workflows.NightlyWorkflowName:
		var l nightlyLine
		if json.Unmarshal(st.Progress, &l) == nil {
			s := fmt.Sprintf("%s: snapshots %s, comparisons %s", l.Stage, countsText(l.Snapshots), countsText(l.Comparisons))
			if l.Images.Total > 0 {
				s += ", images " + countsText(l.Images)
			}
			if l.Running != "" {
				s += "; running: " + l.Running
			}
			if l.Failed != "" {
				s += "; failed: " + l.Failed
			}
			return s
		}
	case workflows.SnapshotWorkflowName:
		var p workflows.SnapshotProgress
		if json.Unmarshal(st.Progress, &p) == nil {
			return strings.Join(strings.Fields(snapshotProgressLine("snapshot", p, time.Since(st.Started))), " ")
		}
	case workflows.ImageCompareWorkflowName:
		var p workflows.ImageCompareProgress
		if json.Unmarshal(st.Progress, &p) == nil {
			return fmt.Sprintf("%s (A %s, B %s)", p.Phase, p.A, p.B)
		}
	case workflows.CompareWorkflowName:
		var p workflows.CompareProgress
		if json.Unmarshal(st.Progress, &p) == nil {
			if s := compareProgressLine(p, time.Since(st.Started)); s != "" {
				return s
			}
			return p.Phase
		}
	}
	return string(st.Progress)
}

// writeResult prints what a closed run committed, by its workflow type.
func (st *status) writeResult(w io.Writer) {
	if st.record != nil {
		var res workflows.NightlyResult
		_ = json.Unmarshal(st.Result, &res)
		var b strings.Builder
		printNightlyRecord(&b, *st.record, res.Reused)
		fmt.Fprint(w, indent(b.String(), "  "))
		return
	}
	if st.Result == nil {
		return
	}
	switch st.Type {
	case workflows.SnapshotWorkflowName:
		var res workflows.SnapshotResult
		if json.Unmarshal(st.Result, &res) == nil {
			p := res.Partition
			state := "committed"
			if res.Reused {
				state = "already committed, reused"
			}
			fmt.Fprintf(w, "  result: %s/%s/%s %s: %d rows from %d indexes\n", p.Distro, p.Release, p.Snapshot, state, res.Rows, res.Indexes)
		}
	case workflows.CompareWorkflowName:
		var res activities.CompareResult
		if json.Unmarshal(st.Result, &res) == nil {
			fmt.Fprintf(w, "  result: %s\n", workflows.CompareSummary(res))
		}
	}
}

// indent prefixes every line of s, which ends with a newline.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(prefix+l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}
