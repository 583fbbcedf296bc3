package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/workflows"
)

const releasesSyncLong = `Commit the releases table from Debian's distro-info-data on the worker: every Debian and Ubuntu
release with its created, release, end-of-life, LTS, ELTS and ESM dates, one partition per
distribution, reused when the CSV is unchanged.`

func releasesCommand(c *cli) *cobra.Command {
	var (
		dir  string
		wait bool
	)
	sync := &cobra.Command{
		Use:     "sync",
		Short:   "Commit the releases table from distro-info-data",
		Long:    releasesSyncLong,
		Example: "  distroscope releases sync\n  distroscope releases sync --dir /srv/distro-info",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			return c.releasesSync(cfg, dir, wait)
		},
	}
	sync.Flags().StringVar(&dir, "dir", "", "folder of distro-info CSVs on the worker (default "+activities.DefaultDistroInfoDir+")")
	addWaitFlag(sync, &wait)
	cmd := groupCommand(&cobra.Command{
		Use:     "releases",
		Short:   "The releases table of support dates",
		Example: "  distroscope releases sync",
	})
	cmd.AddCommand(sync)
	return cmd
}

// releasesSync runs the releases workflow and says what it committed —
// unless no worker polls the task queue and wait is false (see snapshot).
func (c *cli) releasesSync(cfg config.Config, dir string, wait bool) error {
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	missing, err := c.requireWorker(ctx, tc, cfg, wait, false)
	if err != nil {
		return fmt.Errorf("releases sync: %w", err)
	}
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ReleasesWorkflowID, TaskQueue: cfg.Temporal.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// Seconds of work; the bound is what lets an old workflow branch
		// go (docs/VERSIONING.md).
		WorkflowExecutionTimeout: time.Hour,
		StaticSummary:            "releases from " + dir,
	}, workflows.ReleasesWorkflowName, activities.SyncReleasesInput{Dir: dir})
	if err != nil {
		return err
	}
	out := &lockedWriters{stdout: c.stdout, stderr: c.stderr}
	ctx, stopWatching := c.followWorkers(ctx, tc, cfg, wait, missing, out)
	defer stopWatching()
	done := make(chan struct{})
	go follow(ctx, tc, run, "releases", out, done, (func(struct{}) string)(nil))
	var res activities.SyncReleasesResult
	err = run.Get(ctx, &res)
	close(done)
	if nw := noWorker(ctx); nw != nil {
		return fmt.Errorf("releases sync: %w (see %s)", leftQueued(nw), uiLink(cfg, run.GetID(), run.GetRunID()))
	}
	if err != nil {
		return fmt.Errorf("releases sync failed: %s (see %s)", rootCause(err), uiLink(cfg, run.GetID(), run.GetRunID()))
	}
	fmt.Fprintf(c.stdout, "releases: %d rows from %s in %s\n", res.Rows, res.Source, time.Since(start).Round(time.Millisecond))
	for _, m := range res.Manifests {
		fmt.Fprintf(c.stdout, "  committed %s\n", storeLocation(cfg, m))
	}
	return nil
}
