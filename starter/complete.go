package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/repo/catalog"
)

// completeTimeout bounds what completion may spend reading the store: a
// shell waiting on a slow S3 endpoint is worse than no suggestions.
const completeTimeout = 5 * time.Second

// completeRefs completes the positional arguments of a command that takes
// up to max (no limit when negative) snapshot or source names: committed
// snapshots (DISTRO/RELEASE and DISTRO/RELEASE/SNAPSHOT, from the manifests
// of the configured store) when committed is set, and the catalogue's
// sources (NAME/SUITE) when sources is set. Whatever cannot be read is left
// out: completion never fails a shell.
func (c *cli) completeRefs(max int, committed, sources bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := c.config(cmd)
		if err != nil {
			cobra.CompDebugln("config: "+err.Error(), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var words []string
		if committed {
			ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
			defer cancel()
			names, err := committedNames(ctx, cfg)
			if err != nil {
				cobra.CompDebugln("datasets: "+err.Error(), false)
			}
			words = append(words, names...)
		}
		if sources {
			if cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot); err == nil {
				words = append(words, cat.Refs()...)
			} else {
				cobra.CompDebugln("sources: "+err.Error(), false)
			}
		}
		var out []cobra.Completion
		for _, w := range words {
			if strings.HasPrefix(w, toComplete) && !slices.Contains(out, w) && !slices.Contains(args, w) {
				out = append(out, w)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// committedNames lists every committed snapshot as DISTRO/RELEASE and
// DISTRO/RELEASE/SNAPSHOT, in the order the snapshots table lists them.
func committedNames(ctx context.Context, cfg config.Config) ([]string, error) {
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer app.CloseStore(st)
	ms, err := datasets.ListManifests(ctx, st, datasets.Snapshots)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		p := m.Partition
		release := p.Distro + "/" + p.Release
		if !slices.Contains(out, release) {
			out = append(out, release)
		}
		out = append(out, release+"/"+p.Snapshot)
	}
	return out, nil
}
