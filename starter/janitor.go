package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/store"
)

const janitorLong = `Remove what crashed runs left behind: staged parts of runs that committed or were abandoned, and
data objects that never got a manifest. Only leftovers older than --max-age are touched, so runs
in flight keep theirs.`

func janitorCommand(c *cli) *cobra.Command {
	var maxAge time.Duration
	cmd := &cobra.Command{
		Use:     "janitor",
		Short:   "Remove what crashed runs left behind in the store",
		Long:    janitorLong,
		Example: "  distroscope janitor\n  distroscope janitor --max-age 2h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd, func(ctx context.Context, st store.Store, cfg config.Config) error {
				rep, err := datasets.Janitor(ctx, st, maxAge, time.Now())
				if err != nil {
					return err
				}
				for _, k := range rep.StagedDeleted {
					fmt.Fprintf(c.stdout, "removed staged %s\n", k)
				}
				for _, k := range rep.UncommittedFiles {
					fmt.Fprintf(c.stdout, "removed uncommitted %s\n", k)
				}
				for _, k := range rep.Referenced {
					fmt.Fprintf(c.stdout, "kept %s: a committed manifest lists it\n", k)
				}
				fmt.Fprintf(c.stdout, "janitor: %d staged and %d uncommitted objects removed from %s\n",
					len(rep.StagedDeleted), len(rep.UncommittedFiles), storeRoot(cfg))
				return nil
			})
		},
	}
	cmd.Flags().DurationVar(&maxAge, "max-age", 48*time.Hour, "uncommitted leftovers older than this are removed")
	return cmd
}
