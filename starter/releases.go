package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/workflows"
)

// cmdReleases: `distroscope releases sync` commits the releases table from
// the worker's distro-info-data.
func cmdReleases(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "sync" {
		return exitError{2, fmt.Errorf("usage: distroscope releases sync [--dir /usr/share/distro-info]")}
	}
	fs := flag.NewFlagSet("distroscope releases sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "folder of distro-info CSVs on the worker (default "+activities.DefaultDistroInfoDir+")")
	cfg, err := config.Load(fs, args[1:], os.Getenv)
	if err != nil {
		return exitError{2, err}
	}
	quiet := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := temporalclient.Dial(cfg.Temporal, quiet, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ReleasesWorkflowID, TaskQueue: cfg.Temporal.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ReleasesWorkflowName, activities.SyncReleasesInput{Dir: *dir})
	if err != nil {
		return err
	}
	var res activities.SyncReleasesResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("releases sync failed: %s (see %s)", rootCause(err), uiLink(cfg, run.GetID(), run.GetRunID()))
	}
	fmt.Fprintf(stdout, "releases: %d rows from %s in %s\n", res.Rows, res.Source, time.Since(start).Round(time.Millisecond))
	for _, m := range res.Manifests {
		fmt.Fprintf(stdout, "  committed %s\n", storeLocation(cfg, m))
	}
	return nil
}
