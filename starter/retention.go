package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/store"
)

const retentionLong = `Apply a plan's retention to the store now, as the nightly run does after its snapshots: every
snapshot of the plan's releases whose Release is dated before the retention is removed — its
snapshots manifest first, which un-commits it for every reader, then its packages — except each
release's newest snapshot, which is kept whatever its age. The package_history of trends states
older than the retention goes too, except the newest; package_trends, package_lag, comparisons
and their reports are kept: they hold what they say, and stay valid without the snapshots.

The plan's releases are those its nightly records name (a catalogue's suite names which Release
to fetch, the partition is named by the Release itself). A removal that was interrupted is
finished first. --dry-run prints what would be removed and removes nothing.`

func retentionCommand(c *cli) *cobra.Command {
	var dryRun bool
	var now string
	cmd := &cobra.Command{
		Use:     "retention PLAN",
		Short:   "Remove the snapshots a plan's retention no longer keeps",
		Long:    retentionLong,
		Example: "  distroscope retention docs/nightly.yaml --dry-run\n  distroscope retention docs/nightly.yaml --now 2026-12-07",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at := time.Now().UTC()
			if now != "" {
				t, err := parseRetentionDate(now)
				if err != nil {
					return usagef("retention: --now %q: want a date (2026-12-07) or a time (2026-12-07T03:00:00Z)", now)
				}
				at = t
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("retention: %w", err)
			}
			p, err := plan.Parse(f, args[0])
			f.Close()
			if err != nil {
				return err
			}
			return c.withStore(cmd, func(ctx context.Context, st store.Store, cfg config.Config) error {
				return c.retention(ctx, st, cfg, p, at, dryRun)
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be removed, remove nothing")
	cmd.Flags().StringVar(&now, "now", "", "count the retention back from this date instead of today")
	return cmd
}

func parseRetentionDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func (c *cli) retention(ctx context.Context, st store.Store, cfg config.Config, p *plan.Plan, now time.Time, dryRun bool) error {
	if p.Retention <= 0 {
		fmt.Fprintf(c.stdout, "retention: plan %s keeps every snapshot (it sets no retention)\n", p.Name)
		return nil
	}
	releases, err := activities.NightlyReleases(ctx, st, p.Name)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	if len(releases) == 0 {
		fmt.Fprintf(c.stdout, "retention: plan %s has no nightly records in %s: no releases to apply it to\n", p.Name, storeRoot(cfg))
		return nil
	}
	names := make([]string, len(releases))
	for i, r := range releases {
		names[i] = r.String()
	}
	days := int(p.Retention / (24 * time.Hour))
	fmt.Fprintf(c.stdout, "retention of plan %s: %d days as of %s — snapshots dated before %s go — for %s\n",
		p.Name, days, now.Format(time.RFC3339), now.Add(-p.Retention).Format(time.RFC3339), strings.Join(names, ", "))
	rep, err := datasets.Retain(ctx, st, datasets.RetentionPolicy{Releases: releases, MaxAge: p.Retention, Now: now, DryRun: dryRun}, nil)
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	for _, it := range rep.Removed {
		fmt.Fprintf(c.stdout, "%s %s %s (%s)\n", verb, it.Table, partitionName(it.Partition), it.Why)
	}
	for _, it := range rep.Kept {
		fmt.Fprintf(c.stdout, "kept %s %s (%s)\n", it.Table, partitionName(it.Partition), it.Why)
	}
	if err != nil {
		return err
	}
	done := "removed"
	if dryRun {
		done = "to remove (dry run: nothing removed)"
	}
	fmt.Fprintf(c.stdout, "retention: %d partitions %s, %d kept past the retention, %d snapshots within it, in %s\n",
		len(rep.Removed), done, len(rep.Kept), rep.Young, storeRoot(cfg))
	return nil
}

func partitionName(p datasets.Partition) string { return p.Distro + "/" + p.Release + "/" + p.Snapshot }
