package harness

import (
	"context"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// Run is a nightly run under observation: the nightly workflow (its
// latest run, across continue-as-new) and the child runs it started.
type Run struct {
	Client client.Client
	ID     string
}

// execution is one workflow run of the nightly's tree.
type execution struct {
	id, runID, what string
}

// executions is the nightly and every child it (or a child) started.
func (r *Run) executions(ctx context.Context) ([]execution, error) {
	out := []execution{{id: r.ID, what: "nightly"}}
	for i := 0; i < len(out); i++ {
		err := r.history(ctx, out[i], func(e *historypb.HistoryEvent) {
			if a := e.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
				out = append(out, execution{id: a.GetWorkflowExecution().GetWorkflowId(), runID: a.GetWorkflowExecution().GetRunId(),
					what: strings.TrimSuffix(a.GetWorkflowType().GetName(), "Workflow")})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Run) history(ctx context.Context, x execution, each func(*historypb.HistoryEvent)) error {
	it := r.Client.GetWorkflowHistory(ctx, x.id, x.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return fmt.Errorf("history of %s: %w", x.id, err)
		}
		each(e)
	}
	return nil
}

// Activity is an activity attempt that was running.
type Activity struct {
	Type     string
	Workflow string // the kind of run it belongs to: nightly, Snapshot, Compare
	Attempt  int32
	Started  time.Time
}

func (a Activity) String() string {
	s := a.Type + " (" + a.Workflow
	if a.Attempt > 1 {
		s += fmt.Sprintf(", attempt %d", a.Attempt)
	}
	return s + ")"
}

// Running lists the activity attempts the server sees running now.
func (r *Run) Running(ctx context.Context) ([]Activity, error) {
	xs, err := r.executions(ctx)
	if err != nil {
		return nil, err
	}
	var out []Activity
	for _, x := range xs {
		d, err := r.Client.DescribeWorkflowExecution(ctx, x.id, x.runID)
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", x.id, err)
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				out = append(out, Activity{Type: pa.GetActivityType().GetName(), Workflow: x.what, Attempt: pa.GetAttempt(),
					Started: pa.GetLastStartedTime().AsTime()})
			}
		}
	}
	return out, nil
}

// progressEvents are the events that say the run got further: an
// activity or a local activity done, a child run done, the run itself
// done or continued as new.
var progressEvents = map[enumspb.EventType]string{
	enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:             "",
	enumspb.EVENT_TYPE_MARKER_RECORDED:                     "local activity",
	enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:  "child done",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:        "run done",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued as new",
}

// Progress is one step the run completed.
type Progress struct {
	At   time.Time
	What string
}

// NextProgress polls the run until it completes a step after after, and
// returns the first such step; it gives up after limit.
func (r *Run) NextProgress(ctx context.Context, after time.Time, limit time.Duration) (Progress, error) {
	deadline := time.Now().Add(limit)
	for {
		p, ok, err := r.progressAfter(ctx, after)
		if err != nil {
			return p, err
		}
		if ok {
			return p, nil
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("the run made no progress within %v", limit)
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (r *Run) progressAfter(ctx context.Context, after time.Time) (Progress, bool, error) {
	xs, err := r.executions(ctx)
	if err != nil {
		return Progress{}, false, err
	}
	var first Progress
	for _, x := range xs {
		scheduled := map[int64]string{}
		err := r.history(ctx, x, func(e *historypb.HistoryEvent) {
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
				scheduled[e.GetEventId()] = a.GetActivityType().GetName()
			}
			what, ok := progressEvents[e.GetEventType()]
			at := e.GetEventTime().AsTime()
			if !ok || !at.After(after) || (!first.At.IsZero() && !at.Before(first.At)) {
				return
			}
			switch {
			case e.GetActivityTaskCompletedEventAttributes() != nil:
				what = scheduled[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()] + " done"
			case e.GetMarkerRecordedEventAttributes() != nil:
				what = "local activity done"
			case e.GetChildWorkflowExecutionCompletedEventAttributes() != nil:
				what = strings.TrimSuffix(e.GetChildWorkflowExecutionCompletedEventAttributes().GetWorkflowType().GetName(), "Workflow") + " run done"
			}
			first = Progress{At: at, What: what + " (" + x.what + ")"}
		})
		if err != nil {
			return Progress{}, false, err
		}
	}
	return first, !first.At.IsZero(), nil
}

// ChildrenDone counts the nightly's child runs that completed.
func (r *Run) ChildrenDone(ctx context.Context) (int, error) {
	n := 0
	err := r.history(ctx, execution{id: r.ID}, func(e *historypb.HistoryEvent) {
		if e.GetEventType() == enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED {
			n++
		}
	})
	return n, err
}
