package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/workflows"
)

const scheduleLong = `Temporal Schedules that run a plan's nightly: one schedule per plan, with the ID
nightly/PLAN, made from the plan file by 'schedule apply' and managed by name (PLAN is the
plan's name, not its file) by the other commands.

Each scheduled run starts NightlyWorkflow on the task queue, with the workflow ID
nightly/PLAN-<scheduled time> and the summary "nightly PLAN". Its logical date — the night
it snapshots, the key of its record — is the time the schedule scheduled it for
(TemporalScheduledStartTime), never the worker's clock: a run started late, a backfill of
last Tuesday or a retry of it is that night's run, and a second run for a night whose
record says it succeeded reuses that record.

The policies, chosen on purpose (the server's defaults are not):
  overlap: BUFFER_ONE. A night still running when the next is due holds the next back
    until it ends, then runs it: a slow night never runs twice at once and is never
    silently skipped (the server's default, SKIP, would drop it). A third due meanwhile is
    skipped, and counted.
  catch-up window: the plan's interval (a day for a daily plan), not the server's default
    of a year, which replays every missed night after an outage. When the server is back
    from an outage, a night due less than one interval ago runs, late (for a daily plan,
    the last one missed); older ones are counted as missed. ls and describe show both
    counts, and the worker exports them as distroscope_schedule_skipped_runs; 'schedule
    backfill' runs missed nights on purpose.
  run timeout: the plan's timeout, else nine tenths of the shortest interval between two
    runs, so a run that hangs has ended before the next is due.
  pause on failure: the plan's pause_on_failure, default false: one mirror down should not
    stop every later night; the failure is in the run, its record and the metrics. With
    true, a failed or timed-out run pauses the schedule until 'schedule unpause'.`

const scheduleExample = `  distroscope schedule apply plans/nightly.yaml     # create, or update to the plan
  distroscope schedule ls
  distroscope schedule describe nightly
  distroscope schedule pause nightly --note "mirror maintenance"
  distroscope schedule unpause nightly
  distroscope schedule trigger nightly              # a run now
  distroscope schedule backfill nightly --from 2026-12-01 --to 2026-12-05
  distroscope schedule delete nightly`

func scheduleCommand(c *cli) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:     "schedule",
		Short:   "Temporal Schedules of nightly plans: apply, ls, describe, pause, unpause, trigger, backfill, delete",
		Long:    scheduleLong,
		Example: scheduleExample,
	})
	var note string
	var from, to string
	pause := &cobra.Command{
		Use:   "pause PLAN",
		Short: "Pause a plan's schedule: no run starts until unpause (running runs go on)",
		Long: scheduleLong + `

Nights that pass while the schedule is paused are neither run nor counted as missed;
'schedule backfill' runs them if they are wanted. trigger and backfill run while paused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withSchedule(cmd, args[0], func(ctx context.Context, tc client.Client, cfg config.Config, h client.ScheduleHandle) error {
				if err := h.Pause(ctx, client.SchedulePauseOptions{Note: orDefault(note, "paused with distroscope schedule pause")}); err != nil {
					return scheduleError(h.GetID(), err)
				}
				fmt.Fprintf(c.stdout, "%s: paused; no run starts until 'distroscope schedule unpause %s'\n", h.GetID(), args[0])
				return nil
			})
		},
	}
	pause.Flags().StringVar(&note, "note", "", "why, shown by ls and describe")
	unpause := &cobra.Command{
		Use:   "unpause PLAN",
		Short: "Unpause a plan's schedule: its next run starts at its next scheduled time",
		Long:  scheduleLong,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withSchedule(cmd, args[0], func(ctx context.Context, tc client.Client, cfg config.Config, h client.ScheduleHandle) error {
				if err := h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: orDefault(note, "unpaused with distroscope schedule unpause")}); err != nil {
					return scheduleError(h.GetID(), err)
				}
				fmt.Fprintf(c.stdout, "%s: unpaused\n", h.GetID())
				return nil
			})
		},
	}
	unpause.Flags().StringVar(&note, "note", "", "why, shown by describe")
	backfill := &cobra.Command{
		Use:   "backfill PLAN --from TIME --to TIME",
		Short: "Run every night the schedule had from one time to another, one after another",
		Long: scheduleLong + `

backfill runs each time the schedule's spec gives from --from to --to, both included, as
that night's run: its logical date is the scheduled time, not now. The runs go one after
another (overlap BUFFER_ALL for the backfill, so none is skipped), each reusing a record
that says its night already succeeded. TIME is RFC 3339 (2026-12-05T02:30:00+01:00), or
2026-12-05T02:30 or 2026-12-05 in the schedule's time zone (a date alone is the whole
day). One backfill takes up to 1000 runs (the server buffers no more).`,
		Example: "  distroscope schedule backfill nightly --from 2026-12-01 --to 2026-12-05\n  distroscope schedule backfill nightly --from 2026-12-05T02:30 --to 2026-12-05T02:30",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return usagef("schedule backfill: want --from and --to")
			}
			return c.withSchedule(cmd, args[0], func(ctx context.Context, tc client.Client, cfg config.Config, h client.ScheduleHandle) error {
				return c.scheduleBackfill(ctx, tc, cfg, h, from, to)
			})
		},
	}
	backfill.Flags().StringVar(&from, "from", "", "the first time to run (included)")
	backfill.Flags().StringVar(&to, "to", "", "the last time to run (included)")
	cmd.AddCommand(
		&cobra.Command{
			Use:   "apply PLAN_FILE",
			Short: "Create a plan's schedule, or update it to the plan; says what changed",
			Long: scheduleLong + `

apply reads the plan against the sources catalogue, as 'plan check' does, and refuses one
with mistakes. It creates the schedule, or replaces the spec, the action (the resolved plan)
and the policies of the existing one, printing each change, or "unchanged"; a paused
schedule stays paused. Runs already going keep the plan they started with.`,
			Example: "  distroscope schedule apply plans/nightly.yaml",
			Args:    cobra.ExactArgs(1),
			RunE:    func(cmd *cobra.Command, args []string) error { return c.scheduleApply(cmd, args[0]) },
		},
		&cobra.Command{
			Use:   "ls",
			Short: "List the nightly schedules: spec, state, next and last run, missed and skipped runs",
			Long: scheduleLong + `

ls lists every schedule whose ID starts with nightly/, from the server's visibility store,
which can lag a second behind an apply or a delete.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error { return c.scheduleLs(cmd) },
		},
		&cobra.Command{
			Use:   "describe PLAN",
			Short: "Show a plan's schedule: spec, policies, state, recent runs and the next ones",
			Long:  scheduleLong,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.withSchedule(cmd, args[0], func(ctx context.Context, tc client.Client, cfg config.Config, h client.ScheduleHandle) error {
					d, err := h.Describe(ctx)
					if err != nil {
						return scheduleError(h.GetID(), err)
					}
					writeScheduleDescription(c.stdout, h.GetID(), d, scheduleRunStatuses(ctx, tc, d.Info.RecentActions))
					return nil
				})
			},
		},
		pause,
		unpause,
		&cobra.Command{
			Use:   "trigger PLAN",
			Short: "Start a run of a plan's schedule now (its overlap policy applies)",
			Long: scheduleLong + `

trigger asks the schedule for a run now, whose logical date is now. Under BUFFER_ONE a
trigger while a run is going waits for it to end; trigger prints the run it started, or
says that it is buffered.`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.withSchedule(cmd, args[0], func(ctx context.Context, tc client.Client, cfg config.Config, h client.ScheduleHandle) error {
					return c.scheduleTrigger(ctx, cfg, h)
				})
			},
		},
		backfill,
		&cobra.Command{
			Use:   "delete PLAN",
			Short: "Delete a plan's schedule; its runs, their records and the data they committed stay",
			Long:  scheduleLong,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.withSchedule(cmd, args[0], func(ctx context.Context, tc client.Client, cfg config.Config, h client.ScheduleHandle) error {
					if err := h.Delete(ctx); err != nil {
						return scheduleError(h.GetID(), err)
					}
					fmt.Fprintf(c.stdout, "%s: deleted; its runs (a running one goes on), their records and the data they committed stay\n", h.GetID())
					return nil
				})
			},
		},
	)
	return cmd
}

// scheduleIDOf is the ID of plan's schedule.
func scheduleIDOf(plan string) string { return scheduleIDPrefix + plan }

// scheduleIDPrefix marks distroscope's schedules among a namespace's.
const scheduleIDPrefix = "nightly/"

// Overlap policies: scheduled runs buffer one (see scheduleLong); a
// backfill buffers all, so that every night of its range runs.
const (
	scheduleOverlap = enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE
	backfillOverlap = enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL
)

// minCatchupWindow is the shortest catch-up window the server takes.
const minCatchupWindow = 10 * time.Second

// maxBackfillRuns is how many starts the server's scheduler buffers.
const maxBackfillRuns = 1000

// scheduleOptions is the schedule of a plan whose nightly input is in:
// its spec, its action and the policies scheduleLong explains. The input's
// logical date is left zero: each run takes its scheduled time.
func scheduleOptions(p *plan.Plan, in workflows.NightlyInput, queue string) client.ScheduleOptions {
	id := scheduleIDOf(p.Name)
	in.ScheduleID = id
	in.LogicalDate = time.Time{}
	spec := client.ScheduleSpec{TimeZoneName: p.Schedule.TimeZone}
	if p.Schedule.Cron != "" {
		// The server compiles a cron expression into calendars; its
		// comment keeps the expression as the plan writes it, for ls,
		// describe and apply's comparison.
		spec.CronExpressions = []string{p.Schedule.Cron + " # " + p.Schedule.Cron}
	} else {
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: p.Schedule.Every, Offset: p.Schedule.Offset}}
	}
	return client.ScheduleOptions{
		ID:   id,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                       workflows.NightlyScheduleWorkflowID(p.Name),
			Workflow:                 workflows.NightlyWorkflowName,
			Args:                     []any{in},
			TaskQueue:                queue,
			WorkflowExecutionTimeout: p.ExecutionTimeout(),
			StaticSummary:            "nightly " + p.Name,
		},
		Overlap:        scheduleOverlap,
		CatchupWindow:  max(p.Schedule.Interval(), minCatchupWindow),
		PauseOnFailure: p.PauseOnFailure,
	}
}

// withSchedule runs do with a handle on plan's schedule, under a deadline.
func (c *cli) withSchedule(cmd *cobra.Command, plan string, do func(context.Context, client.Client, config.Config, client.ScheduleHandle) error) error {
	return c.withTemporal(cmd, func(ctx context.Context, tc client.Client, cfg config.Config) error {
		return do(ctx, tc, cfg, tc.ScheduleClient().GetHandle(ctx, scheduleIDOf(plan)))
	})
}

// scheduleError names the schedule, and says what to do when there is none.
func scheduleError(id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("schedule %s: not found ('distroscope schedule ls' lists the schedules; 'schedule apply PLAN_FILE' creates one)", id)
	}
	return fmt.Errorf("schedule %s: %w", id, err)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// scheduleApply creates the plan's schedule or updates it to the plan.
func (c *cli) scheduleApply(cmd *cobra.Command, path string) error {
	cfg, err := c.config(cmd)
	if err != nil {
		return err
	}
	g, cat, err := loadPlan(cfg, path)
	if err != nil {
		return err
	}
	in, err := nightlyInput(cfg, g, cat)
	if err != nil {
		return err
	}
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in.SetSearchAttributes = nightlySearchAttributesRegistered(ctx, tc, cfg.Temporal.Namespace)
	want := scheduleOptions(g.Plan, in, cfg.Temporal.TaskQueue)

	sc := tc.ScheduleClient()
	h, err := sc.Create(ctx, want)
	switch {
	case err == nil:
		d, err := h.Describe(ctx)
		if err != nil {
			return scheduleError(want.ID, err)
		}
		fmt.Fprintf(c.stdout, "%s: created from %s: %s, next run %s\n", want.ID, path, scheduleSpecText(&want.Spec),
			nextRunText(d.Info.NextActionTimes, scheduleLocation(d.Schedule.Spec)))
		fmt.Fprintf(c.stdout, "  %d snapshots, %d comparisons%s on task queue %s; %s\n", len(in.Snapshots), len(in.Comparisons), imagesText(in),
			want.Action.(*client.ScheduleWorkflowAction).TaskQueue, policiesText(want.Overlap, want.CatchupWindow, want.PauseOnFailure, g.Plan.ExecutionTimeout()))
	case errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		var changes []string
		err := sc.GetHandle(ctx, want.ID).Update(ctx, client.ScheduleUpdateOptions{
			DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
				changes = scheduleChanges(u.Description.Schedule, want)
				if len(changes) == 0 {
					return nil, temporal.ErrSkipScheduleUpdate
				}
				return &client.ScheduleUpdate{Schedule: &client.Schedule{
					Action: want.Action,
					Spec:   &want.Spec,
					Policy: &client.SchedulePolicies{Overlap: want.Overlap, CatchupWindow: want.CatchupWindow, PauseOnFailure: want.PauseOnFailure},
					State:  u.Description.Schedule.State, // paused stays paused
				}}, nil
			},
		})
		if err != nil {
			return scheduleError(want.ID, err)
		}
		if len(changes) == 0 {
			fmt.Fprintf(c.stdout, "%s: unchanged (%s)\n", want.ID, path)
			break
		}
		fmt.Fprintf(c.stdout, "%s: updated from %s:\n", want.ID, path)
		for _, ch := range changes {
			fmt.Fprintf(c.stdout, "  %s\n", ch)
		}
	default:
		return scheduleError(want.ID, err)
	}
	// The schedule starts runs whether or not a worker takes them; they
	// wait, and time out, with none.
	if last, ok := lastPoll(ctx, tc, cfg.Temporal.TaskQueue); ok && time.Since(last) > workerStale {
		fmt.Fprintf(c.stderr, "note: no worker polls task queue %s on %s; the schedule's runs wait for one (distroscope-worker with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and DISTROSCOPE_TASK_QUEUE)\n",
			cfg.Temporal.TaskQueue, cfg.Temporal.Address)
	}
	return nil
}

// scheduleChanges says how the schedule cur differs from want, one line
// per difference ("overlap: SKIP → BUFFER_ONE"); none when it is the same.
func scheduleChanges(cur client.Schedule, want client.ScheduleOptions) []string {
	var changes []string
	diff := func(what, old, new string) {
		if old != new {
			changes = append(changes, fmt.Sprintf("%s: %s → %s", what, old, new))
		}
	}
	diff("spec", scheduleSpecText(cur.Spec), scheduleSpecText(&want.Spec))
	var pol client.SchedulePolicies
	if cur.Policy != nil {
		pol = *cur.Policy
	}
	diff("overlap", overlapName(pol.Overlap), overlapName(want.Overlap))
	diff("catch-up window", pol.CatchupWindow.String(), want.CatchupWindow.String())
	diff("pause on failure", fmt.Sprint(pol.PauseOnFailure), fmt.Sprint(want.PauseOnFailure))

	wa := want.Action.(*client.ScheduleWorkflowAction)
	ca, ok := cur.Action.(*client.ScheduleWorkflowAction)
	if !ok {
		return append(changes, fmt.Sprintf("action: %T → start %s", cur.Action, wa.Workflow))
	}
	diff("workflow", fmt.Sprint(ca.Workflow), fmt.Sprint(wa.Workflow))
	diff("workflow ID", ca.ID, wa.ID)
	diff("task queue", ca.TaskQueue, wa.TaskQueue)
	diff("run timeout", ca.WorkflowExecutionTimeout.String(), wa.WorkflowExecutionTimeout.String())
	diff("summary", ca.StaticSummary, wa.StaticSummary)
	return append(changes, nightlyInputChanges(ca.Args, wa.Args[0].(workflows.NightlyInput))...)
}

// nightlyInputChanges says how the schedule's action arguments differ
// from the nightly input want.
func nightlyInputChanges(args []any, want workflows.NightlyInput) []string {
	var cur workflows.NightlyInput
	if len(args) != 1 {
		return []string{fmt.Sprintf("input: %d arguments → the plan", len(args))}
	}
	if err := decodeScheduleArg(args[0], &cur); err != nil {
		return []string{"input: unreadable (" + err.Error() + ") → the plan"}
	}
	a, _ := json.Marshal(cur)
	b, _ := json.Marshal(want)
	if string(a) == string(b) {
		return nil
	}
	var changes []string
	names := func(in workflows.NightlyInput) (snaps, comps, images []string) {
		for _, s := range in.Snapshots {
			snaps = append(snaps, s.Name)
		}
		for _, c := range in.Comparisons {
			comps = append(comps, c.Name())
		}
		for _, c := range in.Images {
			images = append(images, c.Name)
		}
		return snaps, comps, images
	}
	cs, cc, ci := names(cur)
	ws, wc, wi := names(want)
	if d := listChanges(cs, ws); d != "" {
		changes = append(changes, "snapshots: "+d)
	}
	if d := listChanges(cc, wc); d != "" {
		changes = append(changes, "comparisons: "+d)
	}
	if d := listChanges(ci, wi); d != "" {
		changes = append(changes, "images: "+d)
	}
	if cur.Window != want.Window {
		changes = append(changes, fmt.Sprintf("concurrency: %s → %s", windowText(cur.Window), windowText(want.Window)))
	}
	if cur.SetSearchAttributes != want.SetSearchAttributes {
		changes = append(changes, fmt.Sprintf("search attributes: %v → %v", cur.SetSearchAttributes, want.SetSearchAttributes))
	}
	if len(changes) == 0 {
		// Same names, other specs: a mirror, keys, a store, a queue, an
		// image's platform.
		changes = append(changes, "input: the sources' specs, the images' or the run identity (mirrors, keys, components, store, platforms)")
	}
	return changes
}

// imagesText is ", N image comparisons" for a plan that has any, or "".
func imagesText(in workflows.NightlyInput) string {
	if len(in.Images) == 0 {
		return ""
	}
	return fmt.Sprintf(", %d image comparisons", len(in.Images))
}

// decodeScheduleArg decodes an argument of a described schedule's action:
// the payload the server keeps (or a value, in tests).
func decodeScheduleArg(arg any, v any) error {
	switch a := arg.(type) {
	case *commonpb.Payload:
		return converter.GetDefaultDataConverter().FromPayload(a, v)
	default:
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	}
}

// listChanges says which names were added (+) and removed (−); "" when
// none.
func listChanges(old, new []string) string {
	var parts []string
	for _, n := range new {
		if !slices.Contains(old, n) {
			parts = append(parts, "+"+n)
		}
	}
	for _, o := range old {
		if !slices.Contains(new, o) {
			parts = append(parts, "−"+o)
		}
	}
	return strings.Join(parts, " ")
}

func windowText(w int) string {
	if w == 0 {
		return fmt.Sprintf("%d (default)", workflows.DefaultWindow)
	}
	return fmt.Sprint(w)
}

// scheduleSpecText says a spec as the plan writes it: `cron "30 2 * * *"
// in Europe/Berlin`, "every 6h0m0s, offset 30m0s". It reads both a spec
// to create (cron expressions) and a described one (calendars, each
// keeping its expression as its comment; see scheduleOptions).
func scheduleSpecText(s *client.ScheduleSpec) string {
	if s == nil {
		return "none"
	}
	var parts []string
	calendars := false
	for _, c := range s.CronExpressions {
		expr, _, _ := strings.Cut(c, " # ")
		parts = append(parts, fmt.Sprintf("cron %q", strings.TrimSpace(expr)))
		calendars = true
	}
	for _, c := range s.Calendars {
		if c.Comment != "" {
			parts = append(parts, fmt.Sprintf("cron %q", c.Comment))
		} else {
			parts = append(parts, "a calendar set outside distroscope")
		}
		calendars = true
	}
	for _, iv := range s.Intervals {
		p := "every " + iv.Every.String()
		if iv.Offset != 0 {
			p += ", offset " + iv.Offset.String()
		}
		parts = append(parts, p)
	}
	text := strings.Join(parts, " and ")
	if calendars {
		text += " in " + orDefault(s.TimeZoneName, "UTC")
	}
	// What a plan never sets, but someone may have, outside it.
	if len(s.Skip) > 0 {
		text += fmt.Sprintf(", skipping %d calendars", len(s.Skip))
	}
	if s.Jitter != 0 {
		text += ", jitter " + s.Jitter.String()
	}
	if !s.StartAt.IsZero() {
		text += ", from " + s.StartAt.Format(time.RFC3339)
	}
	if !s.EndAt.IsZero() {
		text += ", until " + s.EndAt.Format(time.RFC3339)
	}
	return text
}

func overlapName(p enumspb.ScheduleOverlapPolicy) string {
	if p == enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED {
		return "SKIP (the server's default)"
	}
	return strings.TrimPrefix(enumspb.ScheduleOverlapPolicy_name[int32(p)], "SCHEDULE_OVERLAP_POLICY_")
}

func policiesText(overlap enumspb.ScheduleOverlapPolicy, catchup time.Duration, pauseOnFailure bool, timeout time.Duration) string {
	pause := "off"
	if pauseOnFailure {
		pause = "on"
	}
	return fmt.Sprintf("overlap %s, catch-up window %s, run timeout %s, pause on failure %s", overlapName(overlap), catchup, timeout, pause)
}

// scheduleLocation is the schedule's time zone, for printing its times.
func scheduleLocation(s *client.ScheduleSpec) *time.Location {
	if s != nil && s.TimeZoneName != "" {
		if loc, err := time.LoadLocation(s.TimeZoneName); err == nil {
			return loc
		}
	}
	return time.UTC
}

func nextRunText(next []time.Time, loc *time.Location) string {
	if len(next) == 0 {
		return "none"
	}
	return next[0].In(loc).Format(time.RFC3339)
}

// scheduleRunStatuses is the status of the latest run of each action's
// workflow ID ("completed", "failed", …), by workflow ID.
func scheduleRunStatuses(ctx context.Context, tc client.Client, actions []client.ScheduleActionResult) map[string]string {
	out := map[string]string{}
	for _, a := range actions {
		if a.StartWorkflowResult == nil {
			continue
		}
		id := a.StartWorkflowResult.WorkflowID
		resp, err := tc.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			out[id] = "unknown (" + err.Error() + ")"
			continue
		}
		out[id] = executionStatusName(resp.GetWorkflowExecutionInfo().GetStatus())
	}
	return out
}

// actionWorkflowID is the workflow ID of the run an action started, if
// it started one.
func actionWorkflowID(a client.ScheduleActionResult) string {
	if a.StartWorkflowResult == nil {
		return ""
	}
	return a.StartWorkflowResult.WorkflowID
}

// executionStatusName is "running", "completed", "timed out", ….
func executionStatusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(s)], "WORKFLOW_EXECUTION_STATUS_")), "_", " ")
}

func stateText(st *client.ScheduleState) string {
	if st == nil || !st.Paused {
		return "active"
	}
	if st.Note == "" {
		return "paused"
	}
	return "paused: " + st.Note
}

// writeScheduleDescription prints a schedule in full: what it runs, when,
// with which policies, what it did and what it does next.
func writeScheduleDescription(w io.Writer, id string, d *client.ScheduleDescription, statuses map[string]string) {
	s := d.Schedule
	loc := scheduleLocation(s.Spec)
	fmt.Fprintf(w, "schedule %s (plan %s)\n", id, strings.TrimPrefix(id, scheduleIDPrefix))
	fmt.Fprintf(w, "  spec:             %s\n", scheduleSpecText(s.Spec))
	fmt.Fprintf(w, "  state:            %s\n", stateText(s.State))
	if a, ok := s.Action.(*client.ScheduleWorkflowAction); ok {
		fmt.Fprintf(w, "  action:           start %s on task queue %s as %s-<scheduled time>, summary %q\n", a.Workflow, a.TaskQueue, a.ID, a.StaticSummary)
		var in workflows.NightlyInput
		if len(a.Args) == 1 && decodeScheduleArg(a.Args[0], &in) == nil {
			fmt.Fprintf(w, "  plan:             %d snapshots, %d comparisons%s, concurrency %s, search attributes %v\n",
				len(in.Snapshots), len(in.Comparisons), imagesText(in), windowText(in.Window), in.SetSearchAttributes)
		}
		fmt.Fprintf(w, "  run timeout:      %s\n", a.WorkflowExecutionTimeout)
	}
	if p := s.Policy; p != nil {
		fmt.Fprintf(w, "  overlap:          %s\n", overlapName(p.Overlap))
		fmt.Fprintf(w, "  catch-up window:  %s\n", p.CatchupWindow)
		fmt.Fprintf(w, "  pause on failure: %v\n", p.PauseOnFailure)
	}
	fmt.Fprintf(w, "  runs:             %d started, %d missed (outside the catch-up window), %d skipped (overlap)\n",
		d.Info.NumActions, d.Info.NumActionsMissedCatchupWindow, d.Info.NumActionsSkippedOverlap)
	for _, r := range d.Info.RunningWorkflows {
		fmt.Fprintf(w, "  running:          %s\n", r.WorkflowID)
	}
	var next []string
	for _, t := range d.Info.NextActionTimes[:min(5, len(d.Info.NextActionTimes))] {
		next = append(next, t.In(loc).Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  next runs:        %s\n", orDefault(strings.Join(next, ", "), "none"))
	fmt.Fprintf(w, "  recent runs (logical date, workflow ID, status):\n")
	if len(d.Info.RecentActions) == 0 {
		fmt.Fprintf(w, "    none\n")
	}
	for _, a := range d.Info.RecentActions {
		id := actionWorkflowID(a)
		fmt.Fprintf(w, "    %s  %s  %s\n", a.ScheduleTime.In(loc).Format(time.RFC3339), id, statuses[id])
	}
}

// scheduleLs lists the nightly schedules.
func (c *cli) scheduleLs(cmd *cobra.Command) error {
	return c.withTemporal(cmd, func(ctx context.Context, tc client.Client, cfg config.Config) error {
		return c.listSchedules(ctx, tc, cfg)
	})
}

// listSchedules prints every nightly schedule.
func (c *cli) listSchedules(ctx context.Context, tc client.Client, cfg config.Config) error {
	it, err := tc.ScheduleClient().List(ctx, client.ScheduleListOptions{})
	if err != nil {
		return fmt.Errorf("schedule ls: %w", err)
	}
	var ids []string
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return fmt.Errorf("schedule ls: %w", err)
		}
		if strings.HasPrefix(e.ID, scheduleIDPrefix) {
			ids = append(ids, e.ID)
		}
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		fmt.Fprintln(c.stdout, "no nightly schedules ('distroscope schedule apply PLAN_FILE' creates one)")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLAN\tSPEC\tSTATE\tNEXT RUN\tLAST RUN\tLAST STATUS\tMISSED\tSKIPPED")
	for _, id := range ids {
		d, err := tc.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			continue // deleted since the list
		}
		if err != nil {
			return scheduleError(id, err)
		}
		loc := scheduleLocation(d.Schedule.Spec)
		last, status := "none", ""
		if n := len(d.Info.RecentActions); n > 0 {
			a := d.Info.RecentActions[n-1]
			last = a.ScheduleTime.In(loc).Format(time.RFC3339)
			status = scheduleRunStatuses(ctx, tc, d.Info.RecentActions[n-1:])[actionWorkflowID(a)]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", strings.TrimPrefix(id, scheduleIDPrefix), scheduleSpecText(d.Schedule.Spec),
			stateText(d.Schedule.State), nextRunText(d.Info.NextActionTimes, loc), last, status,
			d.Info.NumActionsMissedCatchupWindow, d.Info.NumActionsSkippedOverlap)
	}
	return tw.Flush()
}

// scheduleTrigger starts a run now and prints it, once the schedule shows
// it among its recent actions.
func (c *cli) scheduleTrigger(ctx context.Context, cfg config.Config, h client.ScheduleHandle) error {
	before, err := h.Describe(ctx)
	if err != nil {
		return scheduleError(h.GetID(), err)
	}
	seen := map[string]bool{}
	for _, a := range before.Info.RecentActions {
		seen[actionWorkflowID(a)] = true
	}
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		return scheduleError(h.GetID(), err)
	}
	// The schedule starts the run within a second; one held back by the
	// overlap policy starts when the running one ends.
	var d *client.ScheduleDescription
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if d, err = h.Describe(ctx); err != nil {
			return scheduleError(h.GetID(), err)
		}
		for _, a := range d.Info.RecentActions {
			if r := a.StartWorkflowResult; r != nil && !seen[r.WorkflowID] {
				fmt.Fprintf(c.stdout, "%s: triggered run %s, logical date %s (%s)\n", h.GetID(), r.WorkflowID,
					a.ScheduleTime.In(scheduleLocation(d.Schedule.Spec)).Format(time.RFC3339), uiLink(cfg, r.WorkflowID, r.FirstExecutionRunID))
				return nil
			}
		}
		if len(d.Info.RunningWorkflows) > 0 {
			break
		}
	}
	if d != nil && len(d.Info.RunningWorkflows) > 0 {
		var overlap enumspb.ScheduleOverlapPolicy
		if d.Schedule.Policy != nil {
			overlap = d.Schedule.Policy.Overlap
		}
		fmt.Fprintf(c.stdout, "%s: triggered; %s is still running, so the run starts when it ends (overlap %s)\n",
			h.GetID(), d.Info.RunningWorkflows[0].WorkflowID, overlapName(overlap))
		return nil
	}
	return fmt.Errorf("schedule %s: triggered, but no run started within 10 s ('distroscope schedule describe %s' shows when one does)",
		h.GetID(), strings.TrimPrefix(h.GetID(), scheduleIDPrefix))
}

// scheduleBackfill runs the schedule's times from from to to, both
// included, buffering them all.
func (c *cli) scheduleBackfill(ctx context.Context, tc client.Client, cfg config.Config, h client.ScheduleHandle, fromArg, toArg string) error {
	d, err := h.Describe(ctx)
	if err != nil {
		return scheduleError(h.GetID(), err)
	}
	loc := scheduleLocation(d.Schedule.Spec)
	from, err := parseScheduleTime(fromArg, loc, false)
	if err != nil {
		return usagef("schedule backfill: --from: %w", err)
	}
	to, err := parseScheduleTime(toArg, loc, true)
	if err != nil {
		return usagef("schedule backfill: --to: %w", err)
	}
	if to.Before(from) {
		return usagef("schedule backfill: --to %s is before --from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	// The server's range excludes its start: start a second before, so
	// that a run at --from is in it (schedules count whole seconds).
	start := from.Add(-time.Second)
	resp, err := tc.WorkflowService().ListScheduleMatchingTimes(ctx, &workflowservice.ListScheduleMatchingTimesRequest{
		Namespace: cfg.Temporal.Namespace, ScheduleId: h.GetID(), StartTime: timestamppb.New(start), EndTime: timestamppb.New(to)})
	if err != nil {
		return scheduleError(h.GetID(), err)
	}
	times := resp.GetStartTime()
	switch {
	case len(times) == 0:
		return fmt.Errorf("schedule %s: no run of %s falls from %s to %s; nothing to backfill", h.GetID(), scheduleSpecText(d.Schedule.Spec),
			from.In(loc).Format(time.RFC3339), to.In(loc).Format(time.RFC3339))
	case len(times) >= maxBackfillRuns:
		return fmt.Errorf("schedule %s: %d or more runs from %s to %s, more than the server buffers at once (%d); backfill a shorter range, then the next",
			h.GetID(), len(times), from.In(loc).Format(time.RFC3339), to.In(loc).Format(time.RFC3339), maxBackfillRuns)
	}
	if err := h.Backfill(ctx, client.ScheduleBackfillOptions{Backfill: []client.ScheduleBackfill{{Start: start, End: to, Overlap: backfillOverlap}}}); err != nil {
		return scheduleError(h.GetID(), err)
	}
	fmt.Fprintf(c.stdout, "%s: backfilling %d runs (%s), one after another (overlap %s); logical dates:\n", h.GetID(), len(times),
		scheduleSpecText(d.Schedule.Spec), overlapName(backfillOverlap))
	prefix := workflows.NightlyScheduleWorkflowID(strings.TrimPrefix(h.GetID(), scheduleIDPrefix))
	for i, t := range times {
		if len(times) > 12 && i >= 10 && i < len(times)-1 {
			if i == 10 {
				fmt.Fprintf(c.stdout, "  … %d more …\n", len(times)-11)
			}
			continue
		}
		fmt.Fprintf(c.stdout, "  %s  %s-%s\n", t.AsTime().In(loc).Format(time.RFC3339), prefix, t.AsTime().UTC().Format(time.RFC3339))
	}
	return nil
}

// parseScheduleTime reads a backfill bound: RFC 3339, or a date and time
// (or a date alone) in the schedule's time zone. A date alone is its
// first instant, or, for the end of a range (end), its last.
func parseScheduleTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		if end {
			return t.AddDate(0, 0, 1).Add(-time.Second), nil
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-12-05T02:30:00+01:00), or 2026-12-05T02:30 or 2026-12-05 in the schedule's time zone (%s)", s, loc)
}
