package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
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

A side uses only snapshots verified by the keyring the sources catalogue names for its
distribution: snapshot names come from what a mirror says of itself, so an unsigned Release
saying "Origin: DEBIAN" lands beside Debian's own snapshots, and may be newer. Snapshots the
catalogue's keys did not verify are passed over (and named); --allow-unverified takes the newest
snapshot whoever signed it. A source the catalogue takes unverified (allow_unsigned, apt's
[trusted=yes], rpm-md and apk without a keyring, alpm) accepts any. The result says, for each
side, which snapshot it used and who verified it.

With no arguments it compares this machine's release (the first suite of its first apt source
that is not an overlay such as -updates) with the distribution's next release still supported
in distro-info-data (bookworm → trixie).

With no worker polling the task queue it exits 1 saying so, before starting or when every worker
has gone while it follows the run, unless --wait (as snapshot does).`

const compareExample = `  # this machine's release against the next one
  distroscope compare

  # two releases, each at its newest committed snapshot
  distroscope compare debian/bookworm debian/trixie

  # one exact snapshot against the newest of another distribution
  distroscope compare debian/bookworm/20250510T091228Z-abcf5882746e ubuntu/noble

  # the newest snapshots, whether or not the catalogue's keyring verified them
  distroscope compare --allow-unverified debian/bookworm debian/trixie`

func compareCommand(c *cli) *cobra.Command {
	var allowUnverified, wait bool
	cmd := &cobra.Command{
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
			in, err := compareInput(cfg, args, allowUnverified)
			if err != nil {
				return err
			}
			return c.compare(cfg, in, wait)
		},
	}
	cmd.Flags().BoolVar(&allowUnverified, "allow-unverified", false,
		"use the newest snapshot of each side even if the keyring the catalogue names for its distribution did not verify it")
	addWaitFlag(cmd, &wait)
	return cmd
}

func compareArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 1 || len(args) > 2 {
		return fmt.Errorf("compare: want OLD and NEW, each DISTRO/RELEASE[/SNAPSHOT], or no arguments (this machine's release against the next one); got %d arguments", len(args))
	}
	return refArgs(len(args), len(args))(cmd, args)
}

// compareInput names both sides, and for each one the snapshots it may
// use (those the catalogue's keyring for its distribution verified, or any
// with allowUnverified) and, when the catalogue can snapshot it, the spec
// to snapshot it with when none is committed yet.
func compareInput(cfg config.Config, refs []string, allowUnverified bool) (workflows.CompareInput, error) {
	var in workflows.CompareInput
	cat, catErr := catalog.Load(cfg.CatalogPath(), cfg.AptRoot) // without one, only committed snapshots compare
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
		if side.Trust, err = sideTrust(cat, catErr, cfg.AptRoot, r.distro, allowUnverified); err != nil {
			return in, usagef("compare: %s: %w", ref, err)
		}
		if cat != nil && side.Snapshot == "" {
			if spec, ok := cat.SnapshotSpec(r.distro+"/"+r.release, cfg.AptRoot); ok {
				side.Spec = &spec
				side.SnapshotWorkflowID = snapshotRunID(cfg, spec)
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

// sideTrust is which snapshots of distro a comparison side may use: those
// verified by the keys the catalogue names for it, or any when the
// catalogue takes the source unverified or the user allows unverified
// snapshots. Without the catalogue's word, and without --allow-unverified,
// there is nothing to tell the distribution's own snapshots from an
// impostor's, so that is an error saying how to give it.
func sideTrust(cat *catalog.Catalog, catErr error, aptRoot, distro string, allowUnverified bool) (*compare.Trust, error) {
	if cat == nil {
		cat = &catalog.Catalog{}
	}
	v, err := cat.Verification(distro, aptRoot)
	if err != nil {
		if allowUnverified {
			return &compare.Trust{AllowUnverified: true}, nil
		}
		if catErr != nil {
			err = fmt.Errorf("%w (the catalogue did not load: %w)", err, catErr)
		}
		return nil, fmt.Errorf("%w: nothing says which keys %s's snapshots must be verified by; name its keyring in the sources catalogue (see 'distroscope sources ls'), or pass --allow-unverified", err, distro)
	}
	return &compare.Trust{Keys: v.Signers, AllowUnverified: v.Optional || allowUnverified, By: v.By}, nil
}

// compare runs the comparison, follows it, and says what it committed —
// unless no worker polls the task queue and wait is false (see snapshot).
func (c *cli) compare(cfg config.Config, in workflows.CompareInput, wait bool) error {
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	missing, err := c.requireWorker(ctx, tc, cfg, wait, false)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.CompareRunID(in, runIdentity(cfg, "")), TaskQueue: cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "compare " + in.Old.String() + " → " + in.New.String(),
		// A side may be snapshotted first (a snapshot's own bound is a
		// day); the bound is what lets an old workflow branch go
		// (docs/VERSIONING.md).
		WorkflowExecutionTimeout: 24 * time.Hour,
	}, workflows.CompareWorkflowName, in)
	if err != nil {
		return err
	}
	link := uiLink(cfg, run.GetID(), run.GetRunID())
	fmt.Fprintf(c.stderr, "compare %s → %s: run %s (%s)\n", in.Old, in.New, run.GetID(), link)
	var res activities.CompareResult
	left, err := await(c, ctx, tc, cfg, run, "compare", wait, missing, func(p workflows.CompareProgress) string {
		return compareProgressLine(p, time.Since(start))
	}, &res)
	if left != nil {
		return fmt.Errorf("compare: %w\n  see %s", left, link)
	}
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
	printSides(c.stdout, res)
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

// printSides says which snapshot each side used, who verified it, and
// which snapshots of its name it passed over as not verified by the keys
// it trusts: a comparison never uses a snapshot without saying whose it is.
func printSides(w io.Writer, res activities.CompareResult) {
	for _, side := range []struct {
		name string
		l    compare.Located
	}{{"old", res.Old}, {"new", res.New}} {
		if side.l.Partition == (datasets.Partition{}) {
			continue // a worker from before comparisons said it
		}
		fmt.Fprintf(w, "  %s %s\n", side.name, side.l.Describe())
		if len(side.l.PassedOver) == 0 {
			continue
		}
		var ids []string
		for _, c := range side.l.PassedOver {
			ids = append(ids, c.Partition.Snapshot+" ("+c.Verification()+")")
		}
		by := "the keys it trusts"
		if t := side.l.Trust; t != nil && t.By != "" {
			by = t.By
		}
		fmt.Fprintf(w, "      passed over %s: not verified by %s\n", strings.Join(ids, ", "), by)
	}
}
