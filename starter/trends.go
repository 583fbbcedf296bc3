package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/version"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/workflows"
)

const trendsLong = `Bring a release's trends up to date and show them: one point per snapshot, dated by its Release's
own Date (the archive's time, not the time the snapshot ran) — package counts; what was added,
removed, upgraded and downgraded since the snapshot before; how many source packages got a new
upstream version; how long each package's current version has been in the release; and how many
source packages are behind the newest upstream version of the same project in the other tracked
distributions (Repology's "outdated", with its whole history kept).

The update is a durable run (TrendsWorkflow): each snapshot's state — the package_history,
package_lag and package_trends partitions — is computed from the state before it and the new
snapshot only, and committed on its own, so a run killed half-way resumes at the first snapshot
without one, and a snapshot backfilled into the past recomputes the states after it.

The series is printed, and written with an HTML report (inline SVG charts, no scripts) and a CSV
of every chart's data to --out. --daily keeps the last snapshot of each day.

The peers the lag is measured against are --peer releases, or by default every release of every
other distribution with a committed snapshot. Like compare, each release's series uses only the
snapshots the keyring the catalogue names for its distribution verified (--allow-unverified: any).

With no argument it takes this machine's release, the one compare takes as old by default.`

const trendsExample = `  # update and show a release's trends
  distroscope trends debian/trixie

  # the last snapshot of each day in 2026, lag measured against two releases
  distroscope trends debian/trixie --daily --since 2026-01-01 --until 2026-12-31 --peer fedora/41 --peer alpine/v3.21

  # show what is committed, without starting a run
  distroscope trends debian/trixie --no-update --out /tmp/trixie-trends`

func trendsCommand(c *cli) *cobra.Command {
	var o trendsOptions
	cmd := &cobra.Command{
		Use:               "trends [DISTRO/RELEASE]",
		Short:             "Update and show a release's trends: counts, churn, new upstream versions, version age, lag behind other distributions",
		Long:              trendsLong,
		Example:           trendsExample,
		Args:              refArgs(0, 1),
		ValidArgsFunction: c.completeRefs(1, false, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			} else if cat, _ := catalog.Load(cfg.CatalogPath(), cfg.AptRoot); cat != nil {
				// The release `distroscope compare` takes as old by default.
				if refs := catalog.DefaultComparison(cat, filepath.Join(cfg.AptRoot, activities.DefaultDistroInfoDir), time.Now()); len(refs) > 0 {
					ref = refs[0]
				}
			}
			if ref == "" {
				return usagef("trends: no argument and no apt source to take this machine's release from: give DISTRO/RELEASE")
			}
			return c.trends(cfg, ref, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "", "first day of the series (YYYY-MM-DD)")
	f.StringVar(&o.until, "until", "", "last day of the series (YYYY-MM-DD)")
	f.BoolVar(&o.daily, "daily", false, "keep the last snapshot of each day")
	f.StringArrayVar(&o.peers, "peer", nil, "a release of another distribution to measure the lag against (DISTRO/RELEASE; repeatable; default every committed one)")
	f.StringVar(&o.out, "out", "", "folder for the HTML report and the CSVs (default ./distroscope-trends/DISTRO-RELEASE)")
	f.BoolVar(&o.noUpdate, "no-update", false, "show what is committed, without starting a run")
	f.BoolVar(&o.allowUnverified, "allow-unverified", false, "use snapshots the catalogue's keyring did not verify")
	addWaitFlag(cmd, &o.wait)
	return cmd
}

type trendsOptions struct {
	since, until              string
	daily, noUpdate, wait     bool
	allowUnverified           bool
	peers                     []string
	out                       string
	sinceTime, untilTime      time.Time
	release                   trends.Release
	peerReleases              []trends.Release
	skippedPeers, peerReasons []string
}

// trendsInput resolves the release, its trust and its peers.
func trendsInput(ctx context.Context, cfg config.Config, st store.Store, ref string, o *trendsOptions) error {
	r, err := parseRef(ref)
	if err != nil || r.snapshot != "" {
		return usagef("trends: %q: want DISTRO/RELEASE", ref)
	}
	if o.since != "" {
		if o.sinceTime, err = time.Parse(time.DateOnly, o.since); err != nil {
			return usagef("trends: --since %q: want YYYY-MM-DD", o.since)
		}
	}
	if o.until != "" {
		if o.untilTime, err = time.Parse(time.DateOnly, o.until); err != nil {
			return usagef("trends: --until %q: want YYYY-MM-DD", o.until)
		}
		o.untilTime = o.untilTime.Add(24*time.Hour - time.Millisecond) // the whole day
	}
	if !o.sinceTime.IsZero() && !o.untilTime.IsZero() && o.untilTime.Before(o.sinceTime) {
		return usagef("trends: --until %s is before --since %s", o.until, o.since)
	}
	cat, catErr := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	trust, err := sideTrust(cat, catErr, cfg.AptRoot, r.distro, o.allowUnverified)
	if err != nil {
		return usagef("trends: %s: %w", ref, err)
	}
	o.release = trends.Release{Distro: r.distro, Release: r.release, Trust: trust}
	peers := o.peers
	if len(peers) == 0 {
		if peers, err = otherReleases(ctx, st, r.distro); err != nil {
			return err
		}
	}
	for _, p := range peers {
		pr, err := parseRef(p)
		if err != nil || pr.snapshot != "" {
			return usagef("trends: --peer %q: want DISTRO/RELEASE", p)
		}
		if pr.distro == r.distro {
			return usagef("trends: --peer %s: a peer is a release of another distribution than %s", p, r.distro)
		}
		t, err := sideTrust(cat, catErr, cfg.AptRoot, pr.distro, o.allowUnverified)
		if err != nil {
			if len(o.peers) > 0 {
				return usagef("trends: --peer %s: %w", p, err)
			}
			// A default peer nothing says how to verify is left out, and
			// said so: it is not the user's choice.
			o.skippedPeers = append(o.skippedPeers, p)
			o.peerReasons = append(o.peerReasons, err.Error())
			continue
		}
		o.peerReleases = append(o.peerReleases, trends.Release{Distro: pr.distro, Release: pr.release, Trust: t})
	}
	return nil
}

// otherReleases lists DISTRO/RELEASE of every committed snapshot of
// another distribution than distro, sorted.
func otherReleases(ctx context.Context, st store.Store, distro string) ([]string, error) {
	ms, err := datasets.ListManifests(ctx, st, datasets.Snapshots)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		name := m.Partition.Distro + "/" + m.Partition.Release
		if m.Partition.Distro != distro && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// trends updates the release's trends (unless --no-update), then prints
// the series and writes the report.
func (c *cli) trends(cfg config.Config, ref string, o trendsOptions) error {
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer app.CloseStore(st)
	ctx, cancel := context.WithTimeout(context.Background(), 24*time.Hour)
	defer cancel()
	if err := trendsInput(ctx, cfg, st, ref, &o); err != nil {
		return err
	}
	for i, p := range o.skippedPeers {
		fmt.Fprintf(c.stderr, "trends: peer %s left out: %s\n", p, o.peerReasons[i])
	}
	name := o.release.Distro + "/" + o.release.Release
	if !o.noUpdate {
		if err := c.runTrends(ctx, cfg, workflows.TrendsInput{Release: o.release, Peers: o.peerReleases}, o.wait); err != nil {
			return err
		}
	}
	ts := trends.Storage{Store: st, TempDir: cfg.TempDir}
	points, err := ts.Series(ctx, o.release.Distro, o.release.Release, o.sinceTime, o.untilTime)
	if err != nil {
		return fmt.Errorf("trends: %s: %w", name, err)
	}
	if len(points) == 0 {
		return fmt.Errorf("trends: %s has no committed trends in that range (run without --no-update, or snapshot it first)", name)
	}
	if o.daily {
		points = trends.Daily(points)
	}
	d := report.TrendsData{Distro: o.release.Distro, Release: o.release.Release, Since: o.sinceTime, Until: o.untilTime,
		Generated: time.Now().UTC(), Producer: version.String()}
	for _, p := range points {
		d.Points = append(d.Points, report.TrendPoint{Snapshot: p.Partition.Snapshot, Row: p.Row})
	}
	last := points[len(points)-1].Partition
	if d.Lag, err = ts.Lag(ctx, last); err != nil {
		return fmt.Errorf("trends: lag of %s/%s: %w", name, last.Snapshot, err)
	}
	d.LagSnapshot = last.Snapshot
	if err := report.PrintTrends(c.stdout, d); err != nil {
		return err
	}
	outs, err := report.RenderTrends(d)
	if err != nil {
		return fmt.Errorf("trends: report: %w", err)
	}
	dir := o.out
	if dir == "" {
		dir = filepath.Join("distroscope-trends", o.release.Distro+"-"+o.release.Release)
	}
	for _, out := range outs {
		path := filepath.Join(dir, filepath.FromSlash(out.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("trends: report: %w", err)
		}
		if err := os.WriteFile(path, out.Data, 0o644); err != nil {
			return fmt.Errorf("trends: report: %w", err)
		}
		fmt.Fprintf(c.stdout, "  %s %s\n", out.Name, path)
	}
	return nil
}

// runTrends runs (or attaches to) the release's TrendsWorkflow and follows
// it with progress lines.
func (c *cli) runTrends(ctx context.Context, cfg config.Config, in workflows.TrendsInput, wait bool) error {
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	missing, err := c.requireWorker(ctx, tc, cfg, wait, false)
	if err != nil {
		return fmt.Errorf("trends: %w", err)
	}
	name := in.Release.Distro + "/" + in.Release.Release
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.TrendsWorkflowID(in.Release.Distro, in.Release.Release), TaskQueue: cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "trends of " + name,
		WorkflowExecutionTimeout: 24 * time.Hour,
	}, workflows.TrendsWorkflowName, in)
	if err != nil {
		return err
	}
	link := uiLink(cfg, run.GetID(), run.GetRunID())
	fmt.Fprintf(c.stderr, "trends %s: run %s (%s)\n", name, run.GetID(), link)
	var res workflows.TrendsResult
	left, err := await(c, ctx, tc, cfg, run, "trends", wait, missing, func(p workflows.TrendsProgress) string {
		return trendsProgressLine(p, time.Since(start))
	}, &res)
	if left != nil {
		return fmt.Errorf("trends: %w\n  see %s", left, link)
	}
	if err != nil {
		return fmt.Errorf("trends failed after %s: %s\n  see %s", time.Since(start).Round(time.Millisecond), rootCause(err), link)
	}
	fmt.Fprintf(c.stdout, "%s in %s\n  run %s\n", workflows.TrendsSummary(res), time.Since(start).Round(time.Millisecond), link)
	return nil
}

// trendsProgressLine is one progress line of a trends run.
func trendsProgressLine(p workflows.TrendsProgress, elapsed time.Duration) string {
	line := fmt.Sprintf("trends %s: %s", p.Release, p.Phase)
	if p.Phase == "computing" {
		line += fmt.Sprintf(" %d of %d states", p.Done, p.Steps)
		if p.Current != "" {
			line += " (" + p.Current + ")"
		}
	}
	return line + fmt.Sprintf(" [%s]", elapsed.Round(time.Second))
}
