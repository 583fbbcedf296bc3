package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/workflows"
)

const nightlyLong = `Run a plan's nightly by hand: every snapshot of the plan and then its comparisons, and its
image pairs, as the plan's schedule would run them (see 'distroscope schedule'), followed until
it ends.

The run is for a logical date: --date YYYY-MM-DD is the plan's scheduled time that day (in the
plan's time zone), so a run by hand for a night is the same run as the schedule's and its
backfill's; --date RFC3339 is that exact time; the default is now, to the minute. The workflow ID
is nightly/PLAN-DATE, the one a schedule gives: a second start for a date attaches to the run
going, or, once it is over, finds its record and reuses it, writing nothing.

It prints the progress of each stage while the run goes, and at the end what became of each
snapshot, comparison and image comparison (reused, done, failed or skipped, with their
summaries) and the run's Temporal UI link. A failed snapshot fails only the comparisons that
need it, a failed image comparison only itself; the run then exits 1 listing what failed.
Without a worker polling the task queue it fails at once, unless --wait or --detach (as
snapshot does).`

const nightlyExample = `  # tonight's run of a plan, followed to the end
  distroscope nightly run plans/nightly.yaml

  # last Tuesday's run, at the plan's scheduled time that day
  distroscope nightly run --date 2026-12-01 plans/nightly.yaml

  # start and return; watch it with 'distroscope status' or in the Temporal UI
  distroscope nightly run --detach plans/nightly.yaml`

func nightlyCommand(c *cli) *cobra.Command {
	var date string
	var detach, wait bool
	run := &cobra.Command{
		Use:     "run PLAN",
		Short:   "Run a plan's snapshots and comparisons now, for a logical date, and follow them",
		Long:    nightlyLong,
		Example: nightlyExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			return c.nightlyRun(cfg, args[0], date, detach, wait)
		},
	}
	run.Flags().StringVar(&date, "date", "", "the logical date: YYYY-MM-DD (the plan's scheduled time that day) or RFC3339 (default: now, to the minute)")
	run.Flags().BoolVar(&detach, "detach", false, "start the run and exit without waiting")
	addWaitFlag(run, &wait)
	cmd := groupCommand(&cobra.Command{
		Use:     "nightly",
		Short:   "Nightly runs of a plan: its snapshots, then its comparisons",
		Long:    nightlyLong,
		Example: nightlyExample,
	})
	cmd.AddCommand(run)
	return cmd
}

// nightlyRun resolves the plan, starts its nightly for the logical date
// and, unless detached, follows it to the end.
func (c *cli) nightlyRun(cfg config.Config, path, date string, detach, wait bool) error {
	g, cat, err := loadPlan(cfg, path)
	if err != nil {
		return err
	}
	logical, err := nightlyLogicalDate(g.Plan, date, time.Now())
	if err != nil {
		return usageError{err}
	}
	in, err := nightlyInput(cfg, g, cat)
	if err != nil {
		return err
	}
	in.LogicalDate = logical
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	missing, err := c.requireWorker(ctx, tc, cfg, wait, detach)
	if err != nil {
		return fmt.Errorf("nightly: %w", err)
	}
	in.SetSearchAttributes = nightlySearchAttributesRegistered(ctx, tc, cfg.Temporal.Namespace)
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       nightlyWorkflowID(g.Plan.Name, logical),
		TaskQueue:                cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: g.Plan.ExecutionTimeout(),
		StaticSummary:            fmt.Sprintf("nightly %s for %s", g.Plan.Name, logical.Format(time.RFC3339)),
		StaticDetails:            nightlyDetails(g),
	}, workflows.NightlyWorkflowName, in)
	if err != nil {
		return fmt.Errorf("nightly %s: start: %w", g.Plan.Name, err)
	}
	fmt.Fprintf(c.stderr, "nightly %s for %s: run %s (%s)\n", g.Plan.Name, logical.Format(time.RFC3339), run.GetID(),
		uiLink(cfg, run.GetID(), run.GetRunID()))
	if detach {
		return nil
	}
	return c.followNightly(ctx, tc, cfg, run, start, wait, missing)
}

// nightlyWorkflowID is the ID of a plan's run for a logical date: the one
// its Temporal Schedule gives the run it starts for that time
// (nightly/PLAN-2026-12-06T01:30:00Z), so that a run by hand, a backfill
// and the schedule's run of one night are one run.
func nightlyWorkflowID(planName string, logical time.Time) string {
	return workflows.NightlyScheduleWorkflowID(planName) + "-" + logical.UTC().Format(time.RFC3339)
}

// nightlyLogicalDate is the night a run by hand is for: a date is the
// plan's first scheduled time that day in its time zone — the logical date
// the schedule's run of that day has, so the two share their record — or
// midnight there when the schedule has no run that day; an RFC 3339 time
// is itself; none is now, to the minute (a second start within the minute
// is the same run).
func nightlyLogicalDate(p *plan.Plan, date string, now time.Time) (time.Time, error) {
	if date == "" {
		return now.UTC().Truncate(time.Minute), nil
	}
	if t, err := time.Parse(time.RFC3339, date); err == nil {
		return t.UTC(), nil
	}
	loc := p.Schedule.Location
	if loc == nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("nightly: --date %q: want YYYY-MM-DD or an RFC 3339 time (2026-12-06T01:30:00Z)", date)
	}
	if next := p.Schedule.Next(day.Add(-time.Second)); !next.IsZero() && next.Before(day.AddDate(0, 0, 1)) {
		return next.UTC(), nil
	}
	return day.UTC(), nil
}

// nightlyDetails is the run's static details in the UI: the plan file and
// what it snapshots and compares.
func nightlyDetails(g plan.Graph) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s (%s): %d snapshots, %d comparisons", g.Plan.Name, g.Plan.File, len(g.Snapshots), len(g.Comparisons))
	if len(g.Images) > 0 {
		fmt.Fprintf(&b, ", %d image comparisons", len(g.Images))
	}
	b.WriteString("\n\n")
	for _, n := range g.Snapshots {
		fmt.Fprintf(&b, "- snapshot %s\n", n.Name)
	}
	for _, e := range g.Comparisons {
		fmt.Fprintf(&b, "- compare %s → %s\n", e.Old, e.New)
	}
	for _, p := range g.Images {
		fmt.Fprintf(&b, "- compare images %s ⇄ %s\n", p.A, p.B)
	}
	return b.String()
}

// followNightly follows a started nightly run — one `nightly run` started,
// or one a schedule started — to its end: a progress line each time its
// counts change, retry lines for the activities of it and its children,
// then each stage's outcome and the UI link. It fails when the nightly
// failed, listing the failed stages, or when every worker stopped polling
// (unless wait). missing is requireWorker's. A run that continues as new
// is followed into its next run.
func (c *cli) followNightly(ctx context.Context, tc client.Client, cfg config.Config, run client.WorkflowRun, start time.Time, wait, missing bool) error {
	link := uiLink(cfg, run.GetID(), run.GetRunID())
	out := &lockedWriters{stdout: c.stdout, stderr: c.stderr}
	ctx, stopWatching := c.followWorkers(ctx, tc, cfg, wait, missing, out)
	defer stopWatching()
	done := make(chan struct{})
	go follow(ctx, tc, latestRun{run}, "nightly", out, done, func(p nightlyLine) string {
		return p.line(time.Since(start))
	})
	var res workflows.NightlyResult
	err := run.Get(ctx, &res)
	close(done)
	if nw := noWorker(ctx); nw != nil {
		return fmt.Errorf("nightly: %w\n  see %s", leftQueued(nw), link)
	}
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		rec, ok := failedNightlyRecord(err)
		if !ok {
			return fmt.Errorf("nightly failed after %s: %s\n  see %s", took, rootCause(err), link)
		}
		printNightlyRecord(c.stdout, rec, false)
		fmt.Fprintf(c.stdout, "  run %s\n", link)
		return fmt.Errorf("nightly %s of %s failed after %s: %s", rec.Plan, rec.LogicalDate.Format(time.RFC3339), took,
			strings.Join(failedStages(rec), ", "))
	}
	printNightlyRecord(c.stdout, res.Record, res.Reused)
	fmt.Fprintf(c.stdout, "  run %s\n", link)
	return nil
}

// latestRun is a run followed by its workflow ID alone: queries and
// describes then reach the latest run of the ID, the one going on after
// a continue-as-new, not the first run, which closed.
type latestRun struct{ client.WorkflowRun }

func (latestRun) GetRunID() string { return "" }

// failedNightlyRecord is the record a failed nightly carries in its
// failure's details; ok is false for any other failure (a timeout, a
// record that could not be written).
func failedNightlyRecord(err error) (activities.NightlyRecord, bool) {
	var ae *temporal.ApplicationError
	var rec activities.NightlyRecord
	if !errors.As(err, &ae) || ae.Type() != "NightlyFailed" || !ae.HasDetails() {
		return rec, false
	}
	if ae.Details(&rec) != nil {
		return rec, false
	}
	return rec, true
}

// failedStages names each stage that failed or was skipped.
func failedStages(rec activities.NightlyRecord) []string {
	var names []string
	for _, o := range rec.Outcomes() {
		if o.Status == activities.StatusFailed || o.Status == activities.StatusSkipped {
			names = append(names, o.Name+" ("+o.Status+")")
		}
	}
	return names
}

// printNightlyRecord says what became of each stage of a nightly.
func printNightlyRecord(w io.Writer, rec activities.NightlyRecord, reused bool) {
	state := "finished"
	switch {
	case reused:
		state = "already recorded, reused"
	case rec.Failed() > 0:
		state = fmt.Sprintf("finished, %d of %d stages failed or skipped", rec.Failed(), len(rec.Outcomes()))
	}
	fmt.Fprintf(w, "nightly %s of %s: %s\n", rec.Plan, rec.LogicalDate.Format(time.RFC3339), state)
	for _, stage := range []struct {
		name     string
		outcomes []activities.Outcome
	}{{"snapshots", rec.Snapshots}, {"comparisons", rec.Comparisons}, {"trends", rec.Trends}, {"images", rec.Images}} {
		// An empty stage is left out when the plan has none of it; a plan
		// of image pairs alone has no snapshots or comparisons.
		if len(stage.outcomes) == 0 && (stage.name == "trends" || stage.name == "images" || len(rec.Snapshots) == 0) {
			continue
		}
		fmt.Fprintf(w, "  %s:\n", stage.name)
		for _, o := range stage.outcomes {
			fmt.Fprintf(w, "    %s\n", outcomeLine(o))
		}
	}
	if rec.Retention != nil {
		fmt.Fprintf(w, "  %s\n", outcomeLine(*rec.Retention))
	}
}

// outcomeLine is one stage's outcome: "debian/trixie: done — debian/trixie/… committed: …".
func outcomeLine(o activities.Outcome) string {
	switch {
	case o.Error != "":
		return fmt.Sprintf("%s: %s — %s", o.Name, o.Status, o.Error)
	case o.Summary != "":
		return fmt.Sprintf("%s: %s — %s", o.Name, o.Status, o.Summary)
	}
	return o.Name + ": " + o.Status
}

// nightlyLine is the part of a nightly's progress that a progress line
// says, comparable (follow reports a line when it changes): the running
// and failed lists are joined.
type nightlyLine struct {
	Stage                          string
	Snapshots, Comparisons, Images workflows.StageCounts
	Running, Failed                string
	Generation                     int
}

// UnmarshalJSON reads a workflows.NightlyProgress, as the query answers it.
func (l *nightlyLine) UnmarshalJSON(data []byte) error {
	var p workflows.NightlyProgress
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*l = nightlyLine{Stage: p.Stage, Snapshots: p.Snapshots, Comparisons: p.Comparisons, Images: p.Images,
		Running: strings.Join(p.Running, ", "), Failed: strings.Join(p.Failed, "; "), Generation: p.Generation}
	return nil
}

// line is one progress line:
//
//	nightly [snapshots]: snapshots 2/5 (1 running, 1 failed)  comparisons 0/3  images 0/1  running: debian/trixie  4.1s
func (l nightlyLine) line(elapsed time.Duration) string {
	if l.Stage == "" || l.Stage == "done" {
		return ""
	}
	s := fmt.Sprintf("nightly [%s]: snapshots %s  comparisons %s", l.Stage, countsText(l.Snapshots), countsText(l.Comparisons))
	if l.Images.Total > 0 {
		s += "  images " + countsText(l.Images)
	}
	if l.Running != "" {
		s += "  running: " + l.Running
	}
	return s + "  " + elapsed.Round(100*time.Millisecond).String()
}

// countsText is "2/5 (1 running, 1 failed)": finished of total, and what
// is not plainly done.
func countsText(c workflows.StageCounts) string {
	s := fmt.Sprintf("%d/%d", c.Reused+c.Done+c.Failed+c.Skipped, c.Total)
	var extra []string
	for _, n := range []struct {
		n    int
		what string
	}{{c.Running, "running"}, {c.Reused, "reused"}, {c.Failed, "failed"}, {c.Skipped, "skipped"}} {
		if n.n > 0 {
			extra = append(extra, fmt.Sprintf("%d %s", n.n, n.what))
		}
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}
