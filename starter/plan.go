package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/repo/catalog"
)

const planLong = `A plan file (YAML) says what a nightly run tracks: which catalogue sources and suites to
snapshot, which comparisons to make, which images to compare, the schedule (a five-field
cron expression or an interval, in a time zone) and how long snapshots are kept:

  name: nightly
  schedule: {cron: "30 2 * * *", time_zone: Europe/Berlin}   # or {every: 24h, offset: 2h}
  retention: 400d
  snapshots:
    - source: debian                   # a catalogue name; suites default to the catalogue's
    - source: alpine
      suites: [v3.20, v3.21]
  comparisons:
    - consecutive: debian              # each listed suite against the next
    - {from: debian/trixie, to: alpine/v3.21}
  images:                              # image pairs, as 'image compare' takes them (A the baseline)
    - a: dir:rootfs/bookworm           # a local path is relative to the plan file
      b: registry:example.org/library/debian:trixie
      platform: linux/arm64            # optional: the platform of multi-platform images
      probe: true                      # optional: also the effective settings (see 'image compare --probe')
      name: bookworm-vs-trixie         # optional: the pair's name in the night's record

Image pairs need no snapshot: the nightly compares them beside its snapshots, a failed pair
failing the night and nothing else; a plan may compare images and snapshot nothing.

'plan check' reads it against the sources catalogue and reports every mistake with its line
— unknown keys and sources, comparisons of suites the plan does not snapshot, image
references that are not ones, a pair given twice, schedules that never run — or prints what
it resolves to: each snapshot, the comparisons that use it, the image pairs, and the next
run.`

func planCommand(c *cli) *cobra.Command {
	check := &cobra.Command{
		Use:     "check PLAN",
		Short:   "Validate a plan file and print the snapshots and comparisons it resolves to",
		Long:    planLong,
		Example: "  distroscope plan check plans/nightly.yaml\n  distroscope plan check --catalog ./sources.yaml plans/nightly.yaml",
		Args:    cobra.ExactArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return c.planCheck(cmd, args[0]) },
	}
	cmd := groupCommand(&cobra.Command{
		Use:     "plan",
		Short:   "Plan files: what a nightly run snapshots and compares, and when",
		Long:    planLong,
		Example: "  distroscope plan check plans/nightly.yaml",
	})
	cmd.AddCommand(check)
	return cmd
}

func (c *cli) planCheck(cmd *cobra.Command, path string) error {
	cfg, err := c.config(cmd)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	defer f.Close()
	p, err := plan.Parse(f, path)
	if err != nil {
		return err
	}
	cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	if err != nil {
		return err
	}
	g, err := plan.Resolve(p, cat)
	if err != nil {
		return err
	}
	g.Write(c.stdout, time.Now())
	return nil
}
