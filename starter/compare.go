package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/catalog"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/workflows"
)

// cmdCompare: `distroscope compare OLD NEW`, each DISTRO/RELEASE[/SNAPSHOT];
// with no arguments, the first two suites of the first apt source.
// A side with no committed snapshot is snapshotted first, in the same run,
// when the sources catalogue knows how.
func cmdCompare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("distroscope compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return exitError{2, err}
	}
	cat, _ := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	refs := fs.Args()
	if len(refs) == 0 && cat != nil {
		// Like 'snapshot' with no arguments: the first apt source's suites,
		// its first two compared (what the demo shows).
		for _, e := range cat.Entries {
			if e.Origin != "" && len(e.Suites) >= 2 {
				refs = []string{e.Name + "/" + e.Suites[0], e.Name + "/" + e.Suites[1]}
				break
			}
		}
	}
	if len(refs) != 2 {
		return exitError{2, fmt.Errorf("usage: distroscope compare DISTRO/RELEASE[/SNAPSHOT] DISTRO/RELEASE[/SNAPSHOT] (no arguments: the first two suites of the first apt source)")}
	}
	var in workflows.CompareInput
	for i, ref := range refs {
		parts := strings.Split(strings.Trim(ref, "/"), "/")
		if len(parts) < 2 || len(parts) > 3 {
			return exitError{2, fmt.Errorf("compare: %q: want DISTRO/RELEASE or DISTRO/RELEASE/SNAPSHOT", ref)}
		}
		side := workflows.CompareSide{Distro: parts[0], Release: parts[1]}
		if len(parts) == 3 {
			side.Snapshot = parts[2]
		}
		if cat != nil && side.Snapshot == "" {
			if specs, err := cat.Specs(parts[0]+"/"+parts[1], debianArch()); err == nil && len(specs) == 1 {
				spec := specs[0]
				spec.AptRoot = cfg.AptRoot
				side.Spec = &spec
				side.SnapshotWorkflowID = workflows.SnapshotWorkflowID(spec)
			}
		}
		if i == 0 {
			in.Old = side
		} else {
			in.New = side
		}
	}
	quiet := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := temporalclient.Dial(cfg.Temporal, quiet, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.CompareWorkflowID(in), TaskQueue: cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.CompareWorkflowName, in)
	if err != nil {
		return err
	}
	link := uiLink(cfg, run.GetID(), run.GetRunID())
	fmt.Fprintf(stderr, "compare %s → %s: run %s (%s)\n", in.Old, in.New, run.GetID(), link)
	var res activities.CompareResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("compare failed after %s: %s\n  see %s", time.Since(start).Round(time.Millisecond), rootCause(err), link)
	}
	s := res.Summary
	state := "committed"
	if res.Reused {
		state = "already committed, reused"
	}
	fmt.Fprintf(stdout, "%s/%s/%s → %s/%s/%s: %s in %s\n", s.OldDistro, s.OldRelease, s.OldSnapshot, s.NewDistro, s.NewRelease, s.NewSnapshot,
		state, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  added %d  removed %d  upgraded %d (rebuilds %d)  downgraded %d  same %d  dependencies changed %d\n",
		s.Added, s.Removed, s.Upgraded, s.Rebuilds, s.Downgraded, s.Same, s.DependsDelta)
	for _, m := range res.Manifests {
		fmt.Fprintf(stdout, "  wrote %s\n", storeLocation(cfg, m))
	}
	for _, r := range res.Reports {
		fmt.Fprintf(stdout, "  report %s\n", storeLocation(cfg, r))
	}
	fmt.Fprintf(stdout, "  run %s\n", link)
	return nil
}
