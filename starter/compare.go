package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/workflows"
)

const compareLong = `Compare two snapshots of packages: what was added, removed, upgraded, downgraded and rebuilt,
and which dependencies changed. It commits the package_changes, source_changes and
compare_summaries datasets and an HTML, Markdown and CSV report, all keyed by both snapshots, so
the same comparison twice is committed once.

Each side is DISTRO/RELEASE (its newest committed snapshot) or DISTRO/RELEASE/SNAPSHOT. A side
with no committed snapshot is snapshotted first, in the same durable run, when the sources
catalogue knows it. Across distributions, names are mapped by the rules of
analysis/crossmap/default-rules.yaml (extend them with DISTROSCOPE_COMPARE_RULES).

With no arguments it compares this machine's release (the first suite of its first apt source
that is not an overlay such as -updates) with the distribution's next release still supported
in distro-info-data (bookworm → trixie).`

const compareExample = `  # this machine's release against the next one
  distroscope compare

  # two releases, each at its newest committed snapshot
  distroscope compare debian/bookworm debian/trixie

  # one exact snapshot against the newest of another distribution
  distroscope compare debian/bookworm/20250510T091228Z-abcf5882746e ubuntu/noble`

func compareCommand(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:               "compare [OLD NEW]",
		Short:             "Compare two snapshots (DISTRO/RELEASE[/SNAPSHOT]); none: this machine's release and the next",
		Long:              compareLong,
		Example:           compareExample,
		Args:              compareArgs,
		ValidArgsFunction: c.completeRefs(2, true, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			in, err := compareInput(cfg, args)
			if err != nil {
				return err
			}
			return c.compare(cfg, in)
		},
	}
}

func compareArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 1 || len(args) > 2 {
		return fmt.Errorf("compare: want OLD and NEW, each DISTRO/RELEASE[/SNAPSHOT], or no arguments (this machine's release against the next one); got %d arguments", len(args))
	}
	return refArgs(len(args), len(args))(cmd, args)
}

// compareInput names both sides, and for each one the catalogue can
// snapshot, the spec to snapshot it with when nothing is committed yet.
func compareInput(cfg config.Config, refs []string) (workflows.CompareInput, error) {
	var in workflows.CompareInput
	cat, _ := catalog.Load(cfg.CatalogPath(), cfg.AptRoot) // without one, only committed snapshots compare
	if len(refs) == 0 && cat != nil {
		refs = catalog.DefaultComparison(cat, filepath.Join(cfg.AptRoot, activities.DefaultDistroInfoDir), time.Now())
	}
	if len(refs) != 2 {
		return in, usagef("compare: no arguments and no apt source to take this machine's release from: give OLD and NEW, each DISTRO/RELEASE[/SNAPSHOT]")
	}
	for i, ref := range refs {
		r, err := parseRef(ref)
		if err != nil {
			return in, usagef("compare: %w", err)
		}
		side := workflows.CompareSide{Distro: r.distro, Release: r.release, Snapshot: r.snapshot}
		if cat != nil && side.Snapshot == "" {
			if spec, ok := cat.SnapshotSpec(r.distro+"/"+r.release, cfg.AptRoot); ok {
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
	return in, nil
}

// compare runs the comparison, follows it, and says what it committed.
func (c *cli) compare(cfg config.Config, in workflows.CompareInput) error {
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.CompareWorkflowID(in), TaskQueue: cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.CompareWorkflowName, in)
	if err != nil {
		return err
	}
	link := uiLink(cfg, run.GetID(), run.GetRunID())
	fmt.Fprintf(c.stderr, "compare %s → %s: run %s (%s)\n", in.Old, in.New, run.GetID(), link)
	done := make(chan struct{})
	go follow(ctx, tc, run, "compare", &lockedWriters{stdout: c.stdout, stderr: c.stderr}, done, func(p workflows.CompareProgress) string {
		return compareProgressLine(p, time.Since(start))
	})
	var res activities.CompareResult
	err = run.Get(ctx, &res)
	close(done)
	if err != nil {
		return fmt.Errorf("compare failed after %s: %s\n  see %s", time.Since(start).Round(time.Millisecond), rootCause(err), link)
	}
	s := res.Summary
	state, verb := "committed", "wrote"
	if res.Reused {
		state, verb = "already committed, reused", "reused"
	}
	fmt.Fprintf(c.stdout, "%s/%s/%s → %s/%s/%s: %s in %s\n", s.OldDistro, s.OldRelease, s.OldSnapshot, s.NewDistro, s.NewRelease, s.NewSnapshot,
		state, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(c.stdout, "  added %d  removed %d  upgraded %d (rebuilds %d)  downgraded %d  same %d  dependencies changed %d\n",
		s.Added, s.Removed, s.Upgraded, s.Rebuilds, s.Downgraded, s.Same, s.DependsDelta)
	for _, m := range res.Manifests {
		fmt.Fprintf(c.stdout, "  %s %s\n", verb, storeLocation(cfg, m))
	}
	for _, r := range res.Reports {
		fmt.Fprintf(c.stdout, "  report %s\n", storeLocation(cfg, r))
	}
	fmt.Fprintf(c.stdout, "  run %s\n", link)
	return nil
}
