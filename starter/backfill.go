package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/workflows"
)

const backfillLong = `Snapshot a source's suites at past dates, from its dated archive: the catalogue entry's archive
URL, with {date} where a snapshot archive puts its timestamp (YYYYMMDDThhmmssZ, UTC), e.g.

  archive: "https://snapshot.example.org/archive/debian/{date}/"

An archive answers a timestamp with the newest state it has at or before it. One BackfillWorkflow
runs a SnapshotWorkflow for each suite and date, a suite's dates one after the other; a date whose
Release is the previous date's finds it committed and writes nothing, so the run commits exactly
the distinct snapshots of the range, and the same range again writes nothing.

An archived Release was signed by a key that may have expired since, and its Valid-Until has
passed: each date is verified as of that date — the key must have been valid, and Valid-Until not
yet passed, then — and the snapshots table's verified_as_of says which date that was.

--from and --to are dates (YYYY-MM-DD: the archive's state at the end of that day, 23:59:59 UTC)
or exact times (RFC 3339, or YYYYMMDDThhmmssZ), --step the time between two (default a day). A
range that ends in the future, starts after it ends, or holds more than 400 dates per suite (2,000
snapshots in all) is refused; a source without archive is refused, naming the field to set.`

const backfillExample = `  # every day of January 2026, every suite the catalogue names for debian
  distroscope backfill debian --from 2026-01-01 --to 2026-01-31

  # one suite, once a week
  distroscope backfill debian/trixie --from 2025-06-01 --to 2025-12-31 --step 168h`

type backfillFlags struct {
	from, to     string
	step         time.Duration
	detach, wait bool
}

func backfillCommand(c *cli) *cobra.Command {
	var f backfillFlags
	cmd := &cobra.Command{
		Use:               "backfill SOURCE[/SUITE] --from DATE --to DATE",
		Short:             "Snapshot a source at past dates from its dated archive, verified as of each date",
		Long:              backfillLong,
		Example:           backfillExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeRefs(1, false, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			in, err := backfillInput(cfg, args[0], f, time.Now())
			if err != nil {
				return usageError{err}
			}
			return c.backfill(cfg, in, f.detach, f.wait)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "first date: YYYY-MM-DD (the end of that day, UTC), RFC 3339 or YYYYMMDDThhmmssZ (required)")
	fl.StringVar(&f.to, "to", "", "last date, as --from (required)")
	fl.DurationVar(&f.step, "step", workflows.DefaultBackfillStep, "time between two dates")
	fl.BoolVar(&f.detach, "detach", false, "start the run and exit without waiting")
	addWaitFlag(cmd, &f.wait)
	return cmd
}

// parseBackfillDate reads a --from or --to: a day means the archive's
// state at its end, the last snapshot of that day, as trends count days.
func parseBackfillDate(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("--%s is required (YYYY-MM-DD)", flag)
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Second), nil
	}
	for _, layout := range []string{time.RFC3339, repo.ArchiveDateLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q is not a date (YYYY-MM-DD, RFC 3339 or YYYYMMDDThhmmssZ)", flag, s)
}

// backfillInput checks the command line against the catalogue and the
// clock and resolves the source's specs.
func backfillInput(cfg config.Config, ref string, f backfillFlags, now time.Time) (workflows.BackfillInput, error) {
	var in workflows.BackfillInput
	from, err := parseBackfillDate("from", f.from)
	if err != nil {
		return in, fmt.Errorf("backfill: %w", err)
	}
	to, err := parseBackfillDate("to", f.to)
	if err != nil {
		return in, fmt.Errorf("backfill: %w", err)
	}
	switch {
	case from.After(to):
		return in, fmt.Errorf("backfill: --from %s is after --to %s", f.from, f.to)
	case to.After(now):
		return in, fmt.Errorf("backfill: --to %s is in the future (%s UTC): an archive has no state of it yet", f.to, to.Format(time.DateTime))
	case f.step <= 0:
		return in, fmt.Errorf("backfill: --step must be positive")
	}
	dates := workflows.BackfillDates(from, to, f.step)
	if len(dates) > workflows.MaxBackfillDates {
		return in, fmt.Errorf("backfill: %s to %s every %s is %d dates, more than %d: backfill it in parts",
			f.from, f.to, f.step, len(dates), workflows.MaxBackfillDates)
	}
	cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	if err != nil {
		return in, fmt.Errorf("backfill: %w", err)
	}
	name, _, _ := strings.Cut(ref, "/")
	e, ok := cat.Find(name)
	if !ok {
		return in, fmt.Errorf("backfill: no source called %q (see 'distroscope sources ls')", name)
	}
	if e.Archive == "" {
		where := fmt.Sprintf("its catalogue entry (%s line %d)", e.File, e.Line)
		if e.Origin != "" {
			where = fmt.Sprintf("it comes from this machine's %s (%s); a catalogue entry of that name", e.Origin, e.File)
		}
		return in, fmt.Errorf("backfill: source %q has no dated archive: %s needs an archive field, the archive's URL with {date} for its timestamp (archive: \"https://…/{date}/\"), as distributions' snapshot archives offer",
			name, where)
	}
	specs, err := cat.Select([]string{ref}, cfg.AptRoot, catalog.Overrides{})
	if err != nil {
		return in, fmt.Errorf("backfill: %w", err)
	}
	if n := len(dates) * len(specs); n > workflows.MaxBackfillSnapshots {
		return in, fmt.Errorf("backfill: %d dates of %d suites is %d snapshots, more than %d: backfill fewer suites or dates at once",
			len(dates), len(specs), n, workflows.MaxBackfillSnapshots)
	}
	in = workflows.BackfillInput{Source: name, Specs: specs, From: from, To: to, Step: f.step,
		Identity: runIdentity(cfg, catalog.PolicyOf(specs[0]).String())}
	// The trends of each backfilled release are brought up to date after
	// its dates, as `distroscope trends` would: its lag against every
	// release of another distribution the store has. A source nothing
	// says how to verify gets none, as it gets no comparison.
	if trust, err := sideTrust(cat, nil, cfg.AptRoot, name, false); err == nil {
		in.Trends = &workflows.BackfillTrends{Trust: trust}
		if st, err := openStore(cfg); err == nil {
			others, err := otherReleases(context.Background(), st, name)
			app.CloseStore(st)
			if err != nil {
				return in, fmt.Errorf("backfill: %w", err)
			}
			for _, o := range others {
				pd, pr, _ := strings.Cut(o, "/")
				if t, err := sideTrust(cat, nil, cfg.AptRoot, pd, false); err == nil {
					in.Trends.Peers = append(in.Trends.Peers, trends.Release{Distro: pd, Release: pr, Trust: t})
				}
			}
		}
	}
	return in, nil
}

// backfill starts the backfill and, unless detached, follows it to the end.
func (c *cli) backfill(cfg config.Config, in workflows.BackfillInput, detach, wait bool) error {
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	missing, err := c.requireWorker(ctx, tc, cfg, wait, detach)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	in.SetSearchAttributes = searchAttributesRegistered(ctx, tc, cfg.Temporal.Namespace)
	dates := workflows.BackfillDates(in.From, in.To, in.Step)
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.BackfillWorkflowID(in),
		TaskQueue:                cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// 2,000 snapshots of a few minutes each, two at a time, fit in a week.
		WorkflowExecutionTimeout: 7 * 24 * time.Hour,
		StaticSummary:            fmt.Sprintf("backfill %s from %s to %s", in.Source, in.From.Format(time.RFC3339), in.To.Format(time.RFC3339)),
		StaticDetails:            fmt.Sprintf("%d suites × %d dates, every %s, from the archive %s", len(in.Specs), len(dates), in.Step, in.Specs[0].Archive),
	}, workflows.BackfillWorkflowName, in)
	if err != nil {
		return fmt.Errorf("backfill %s: start: %w", in.Source, err)
	}
	link := uiLink(cfg, run.GetID(), run.GetRunID())
	fmt.Fprintf(c.stderr, "backfill %s: %d suites × %d dates: run %s (%s)\n", in.Source, len(in.Specs), len(dates), run.GetID(), link)
	if detach {
		return nil
	}
	var res workflows.BackfillResult
	left, err := await(c, ctx, tc, cfg, run, "backfill "+in.Source, wait, missing, func(p workflows.BackfillProgress) string {
		return backfillProgressLine(p, time.Since(start))
	}, &res)
	if left != nil {
		return fmt.Errorf("backfill: %w", left)
	}
	if err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.HasDetails() && app.Details(&res) == nil {
			printBackfillResult(c.stdout, res, time.Since(start), link)
		}
		fmt.Fprintf(c.stderr, "backfill %s: FAILED after %s: %s\n  see %s\n", in.Source, time.Since(start).Round(time.Millisecond), rootCause(err), link)
		return fmt.Errorf("backfill %s failed", in.Source)
	}
	printBackfillResult(c.stdout, res, time.Since(start), link)
	return nil
}

// backfillProgressLine: "backfill debian: 12/62 dates, 3 distinct
// snapshots (2 committed, 1 already committed), 0 failed — trixie@… (4.2s)".
func backfillProgressLine(p workflows.BackfillProgress, elapsed time.Duration) string {
	line := fmt.Sprintf("backfill %s: %d/%d dates, %d distinct snapshots (%d committed, %d already committed), %d failed",
		p.Source, p.DatesDone, p.DatesTotal, p.Distinct, p.Committed, p.Reused, p.Failed)
	if p.Stage == "trends" {
		line += " — updating trends"
	}
	if p.Running != "" {
		line += " — " + p.Running
	}
	return line + fmt.Sprintf(" (%s)", elapsed.Round(100*time.Millisecond))
}

// printBackfillResult says what each suite's range held: its distinct
// snapshots, each with the first date that served it, and the dates that
// failed.
func printBackfillResult(w io.Writer, res workflows.BackfillResult, took time.Duration, link string) {
	fmt.Fprintf(w, "%s, in %s\n", workflows.BackfillSummary(res), took.Round(time.Millisecond))
	for _, s := range res.Suites {
		fmt.Fprintf(w, "  %s: %d dates, %d distinct snapshots\n", s.Suite, len(s.Dates), len(s.Distinct))
		switch {
		case s.TrendsError != "":
			fmt.Fprintf(w, "    trends FAILED: %s\n", s.TrendsError)
		case s.Trends != "":
			fmt.Fprintf(w, "    %s\n", s.Trends)
		}
		seen := map[string]bool{}
		for _, d := range s.Dates {
			at := d.Date.Format(repo.ArchiveDateLayout)
			p := d.Partition.Distro + "/" + d.Partition.Release + "/" + d.Partition.Snapshot
			switch {
			case d.Error != "":
				fmt.Fprintf(w, "    %s FAILED: %s\n", at, d.Error)
			case seen[p]:
			case d.Reused:
				seen[p] = true
				fmt.Fprintf(w, "    %s %s already committed\n", at, p)
			default:
				seen[p] = true
				fmt.Fprintf(w, "    %s %s committed: %d rows\n", at, p, d.Rows)
			}
		}
	}
	fmt.Fprintf(w, "  run %s\n", link)
}
