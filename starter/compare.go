package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/releases"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/workflows"
)

// cmdCompare: `distroscope compare OLD NEW`, each DISTRO/RELEASE[/SNAPSHOT];
// with no arguments, the first two suites of the first apt source.
// A side with no committed snapshot is snapshotted first, in the same run,
// when the sources catalogue knows how.
// defaultComparison is what 'distroscope compare' compares with no
// arguments (the demo's comparison): the release of this machine's first
// apt source — its first suite that is not an overlay such as -updates or
// -security — against the distribution's next numbered release still
// supported in distro-info-data (bookworm → trixie), the question an
// upgrade asks; the
// next release is snapshotted first, from the same mirror. Without
// distro-info data, or for the newest release, it compares the source's
// first two suites. Nil when there is no apt source.
func defaultComparison(cat *catalog.Catalog, distroInfoDir string, now time.Time) []string {
	for _, e := range cat.Entries {
		if e.Origin == "" || len(e.Suites) == 0 {
			continue
		}
		base := e.Suites[0]
		for _, s := range e.Suites {
			if !strings.Contains(s, "-") {
				base = s
				break
			}
		}
		if next := nextRelease(distroInfoDir, e.Name, base, now); next != "" {
			return []string{e.Name + "/" + base, e.Name + "/" + next}
		}
		if len(e.Suites) >= 2 {
			return []string{e.Name + "/" + e.Suites[0], e.Name + "/" + e.Suites[1]}
		}
		return nil
	}
	return nil
}

// nextRelease is the first release after series in distro's distro-info
// CSV that has a version number (not sid or experimental) and is still
// supported at now (no end of life yet, or one to come): an interim
// release past its end of life has left the mirrors. "" when none.
func nextRelease(dir, distro, series string, now time.Time) string {
	files, err := releases.Load(dir, "")
	if err != nil {
		return ""
	}
	rows := files[distro].Rows
	for i, r := range rows {
		if r.Series != series {
			continue
		}
		for _, next := range rows[i+1:] {
			if next.Version != "" && (next.EOL.IsZero() || next.EOL.Time().After(now)) {
				return next.Series
			}
		}
		return ""
	}
	return ""
}

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
		refs = defaultComparison(cat, filepath.Join(cfg.AptRoot, activities.DefaultDistroInfoDir), time.Now())
	}
	if len(refs) != 2 {
		return exitError{2, fmt.Errorf("usage: distroscope compare DISTRO/RELEASE[/SNAPSHOT] DISTRO/RELEASE[/SNAPSHOT] (no arguments: this machine's release against the next one)")}
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
	done := make(chan struct{})
	go followCompare(ctx, c, run, start, stderr, done)
	var res activities.CompareResult
	err = run.Get(ctx, &res)
	close(done)
	if err != nil {
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

// followCompare prints a line whenever the comparison's phase changes
// (locating, snapshotting a side, comparing), so a run that must first
// snapshot a release says so while it waits.
func followCompare(ctx context.Context, c client.Client, run client.WorkflowRun, start time.Time, w io.Writer, done <-chan struct{}) {
	followQuery(ctx, c, run, done, func(p workflows.CompareProgress) {
		if p.Phase == "done" {
			return
		}
		what := p.Phase
		if p.Side != "" {
			what += " " + p.Side
		}
		fmt.Fprintf(w, "compare: %s  %s\n", what, time.Since(start).Round(100*time.Millisecond))
	})
}
