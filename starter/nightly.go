package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/workflows"
)

// loadPlan reads and resolves a plan file against the configured catalogue.
func loadPlan(cfg config.Config, path string) (plan.Graph, *catalog.Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return plan.Graph{}, nil, fmt.Errorf("plan: %w", err)
	}
	defer f.Close()
	p, err := plan.Parse(f, path)
	if err != nil {
		return plan.Graph{}, nil, err
	}
	cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	if err != nil {
		return plan.Graph{}, nil, err
	}
	g, err := plan.Resolve(p, cat)
	if err != nil {
		return plan.Graph{}, nil, err
	}
	return g, cat, nil
}

// nightlyInput is the nightly's input for a resolved plan: each snapshot
// with its spec and the workflow ID a `distroscope snapshot` of it takes
// (so the two are one run), each comparison with the trust each side
// needs, as `distroscope compare` would give it, each image pair with its
// references absolute. Keys are read here, as
// for any start: the input names the keys by fingerprint.
func nightlyInput(cfg config.Config, g plan.Graph, cat *catalog.Catalog) (workflows.NightlyInput, error) {
	in := workflows.NightlyInput{Plan: g.Plan.Name, Window: g.Plan.Concurrency, Identity: runIdentity(cfg, "")}
	for _, n := range g.Snapshots {
		specs, err := cat.Specs(n.Name, catalog.MachineArch())
		if err != nil {
			return in, fmt.Errorf("plan %s: %s: %w", g.Plan.Name, n.Name, err)
		}
		if len(specs) != 1 {
			return in, fmt.Errorf("plan %s: %s is served from %d mirrors (one per architecture group); a plan snapshots one: split the source in the catalogue", g.Plan.Name, n.Name, len(specs))
		}
		spec := specs[0]
		spec.AptRoot = cfg.AptRoot
		in.Snapshots = append(in.Snapshots, workflows.NightlySnapshot{Name: n.Name, Spec: spec, WorkflowID: snapshotRunID(cfg, spec)})
		source, _, _ := strings.Cut(n.Name, "/")
		// A source the catalogue names no keys for gets no trends, as it
		// can be in no comparison: nothing says whose snapshots its
		// series may take.
		trust, err := sideTrust(cat, nil, cfg.AptRoot, source, false)
		if err != nil {
			continue
		}
		in.Trends = append(in.Trends, workflows.NightlyTrends{Snapshot: n.Name, Trust: trust})
	}
	in.Retention = g.Plan.Retention
	for _, e := range g.Comparisons {
		c := workflows.NightlyComparison{Old: e.Old, New: e.New}
		sides := []*workflows.CompareSide{&c.Input.Old, &c.Input.New}
		for i, name := range []string{e.Old, e.New} {
			source, suite, _ := strings.Cut(name, "/")
			trust, err := sideTrust(cat, nil, cfg.AptRoot, source, false)
			if err != nil {
				return in, fmt.Errorf("plan %s: comparison %s → %s: %w", g.Plan.Name, e.Old, e.New, err)
			}
			// Distro and release are the committed partition's, filled in
			// by the nightly; these name the side until then.
			*sides[i] = workflows.CompareSide{Distro: source, Release: suite, Trust: trust}
		}
		in.Comparisons = append(in.Comparisons, c)
	}
	for _, p := range g.Images {
		// The worker reads local images, from its own directory: their
		// paths go absolute, as for `distroscope image compare`.
		in.Images = append(in.Images, workflows.NightlyImageComparison{Name: p.Title(), Input: workflows.ImageCompareInput{
			A: workflows.ImageAnalyzeInput{Ref: absRef(p.A), Platform: p.Platform, Probe: p.Probe},
			B: workflows.ImageAnalyzeInput{Ref: absRef(p.B), Platform: p.Platform, Probe: p.Probe},
		}})
	}
	return in, nil
}
