package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/store"
)

// storeRoot is where the store's keys live, as a reader outside distroscope
// addresses them: an absolute folder, or s3://bucket/prefix.
func storeRoot(cfg config.Config) string {
	u := cfg.Store.URL
	if rest, ok := strings.CutPrefix(u, "s3://"); ok {
		return "s3://" + strings.TrimRight(rest, "/")
	}
	if rest, ok := strings.CutPrefix(u, "file://"); ok {
		u = strings.TrimPrefix(rest, "localhost")
	}
	if abs, err := filepath.Abs(u); err == nil {
		return abs
	}
	return u
}

func storeLocation(cfg config.Config, key string) string {
	return storeRoot(cfg) + "/" + key
}

func openStore(cfg config.Config) (store.Store, error) {
	return app.OpenStore(context.Background(), cfg)
}

const datasetsShowLong = `Show one committed snapshot: for each table, its manifest, the exact files with their row counts
and sizes, the inputs they were made from (with their SHA-256), the run that committed it, and
ready-to-paste DuckDB queries. DISTRO/RELEASE shows the newest snapshot of that release.`

func datasetsCommand(c *cli) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "datasets",
		Short: "List and show committed datasets",
		Example: `  distroscope datasets ls
  distroscope datasets show debian/bookworm`,
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "ls",
		Short:   "List every committed partition of every table",
		Example: "  distroscope datasets ls\n  distroscope --store s3://bucket/distroscope datasets ls",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd, func(ctx context.Context, st store.Store, cfg config.Config) error {
				return datasetsLs(ctx, st, cfg, c.stdout)
			})
		},
	}, &cobra.Command{
		Use:               "show DISTRO/RELEASE[/SNAPSHOT]",
		Short:             "Show a committed snapshot: manifest, exact file list, DuckDB queries",
		Long:              datasetsShowLong,
		Example:           "  distroscope datasets show debian/bookworm\n  distroscope datasets show debian/bookworm/20250510T091228Z-abcf5882746e",
		Args:              refArgs(1, 1),
		ValidArgsFunction: c.completeRefs(1, true, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd, func(ctx context.Context, st store.Store, cfg config.Config) error {
				return datasetsShow(ctx, st, cfg, args[0], c.stdout)
			})
		},
	})
	return cmd
}

// withStore runs fn with the configured store open.
func (c *cli) withStore(cmd *cobra.Command, fn func(context.Context, store.Store, config.Config) error) error {
	cfg, err := c.config(cmd)
	if err != nil {
		return err
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer app.CloseStore(st)
	return fn(context.Background(), st, cfg)
}

func datasetsLs(ctx context.Context, st store.Store, cfg config.Config, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tDISTRO\tRELEASE\tSNAPSHOT\tROWS\tBYTES\tCOMMITTED\tVERIFIED")
	v, err := newVerifications(ctx, st, cfg)
	if err != nil {
		return err
	}
	n := 0
	for _, t := range datasets.Tables {
		ms, err := datasets.ListManifests(ctx, st, t)
		if err != nil {
			return err
		}
		for _, m := range ms {
			var size int64
			for _, f := range m.Files {
				size += f.Bytes
			}
			fmt.Fprintf(tw, "%s/v%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", m.Table, m.SchemaVersion, m.Partition.Distro, m.Partition.Release,
				m.Partition.Snapshot, m.Rows, humanBytes(size), m.CommittedAt.Format(time.RFC3339), v.of(ctx, t, m.Partition))
			n++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(w, "no committed datasets in %s\n", storeRoot(cfg))
	}
	return nil
}

// verifications says who verified each committed snapshot, for `datasets
// ls`: snapshot names come from what a mirror says of itself, so two
// snapshots of "debian/bookworm" may be Debian's and an impostor's, and
// only their verification tells them apart.
type verifications struct {
	storage   compare.Storage
	committed map[datasets.Partition]bool // snapshots with a snapshots manifest
	said      map[datasets.Partition]string
	catalog   *catalog.Catalog
	aptRoot   string
}

func newVerifications(ctx context.Context, st store.Store, cfg config.Config) (*verifications, error) {
	ms, err := datasets.ListManifests(ctx, st, datasets.Snapshots)
	if err != nil {
		return nil, err
	}
	v := &verifications{storage: compare.Storage{Store: st}, committed: map[datasets.Partition]bool{},
		said: map[datasets.Partition]string{}, aptRoot: cfg.AptRoot}
	for _, m := range ms {
		v.committed[m.Partition] = true
	}
	v.catalog, _ = catalog.Load(cfg.CatalogPath(), cfg.AptRoot) // without one, ls still says who signed
	return v, nil
}

// of is the VERIFIED column of partition p of table t: "signed by <key>"
// (and whether that is the keyring the catalogue names for the
// distribution), "unverified", or "-" for what is not a snapshot.
func (v *verifications) of(ctx context.Context, t datasets.Table, p datasets.Partition) string {
	if !slices.Contains(datasets.SnapshotTables, t) || !v.committed[p] {
		return "-"
	}
	if said, ok := v.said[p]; ok {
		return said
	}
	c := compare.Candidate{Partition: p}
	if signers, err := v.storage.SignedBy(ctx, p); err != nil {
		c.Unreadable = err.Error()
	} else {
		c.SignedBy = signers
	}
	said := c.Verification()
	if verified := c.Verified(); len(verified) > 0 && v.catalog != nil {
		if cv, err := v.catalog.Verification(p.Distro, v.aptRoot); err == nil {
			if (&compare.Trust{Keys: cv.Signers}).Verifies(verified) {
				said += " (the catalogue's keyring)"
			} else {
				said += " (NOT the catalogue's keyring for " + p.Distro + ")"
			}
		}
	}
	v.said[p] = said
	return said
}

func datasetsShow(ctx context.Context, st store.Store, cfg config.Config, which string, w io.Writer) error {
	ref, err := parseRef(which)
	if err != nil {
		return usagef("datasets show: %w", err)
	}
	ms, err := datasets.ListManifests(ctx, st, datasets.Snapshots)
	if err != nil {
		return err
	}
	var p *datasets.Partition
	for _, m := range ms { // sorted: the last match is the newest snapshot
		if m.Partition.Distro == ref.distro && m.Partition.Release == ref.release && (ref.snapshot == "" || m.Partition.Snapshot == ref.snapshot) {
			pp := m.Partition
			p = &pp
		}
	}
	if p == nil {
		return fmt.Errorf("datasets show: no committed snapshot %s in %s (see 'distroscope datasets ls')", which, storeRoot(cfg))
	}
	root := storeRoot(cfg)
	for _, t := range datasets.Tables {
		m, ok, err := datasets.Committed(ctx, st, t, *p)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%s/v%d  %s/%s/%s  %d rows  committed %s by %s\n", t.Name, t.Version, p.Distro, p.Release, p.Snapshot,
			m.Rows, m.CommittedAt.Format(time.RFC3339), m.Producer)
		if m.WorkflowID != "" {
			fmt.Fprintf(w, "  run        %s\n", uiLink(cfg, m.WorkflowID, m.RunID))
		}
		fmt.Fprintf(w, "  manifest   %s/%s\n", root, t.ManifestKey(*p))
		for _, f := range m.Files {
			fmt.Fprintf(w, "  file       %s/%s  (%d rows, %s)\n", root, f.Key, f.Rows, humanBytes(f.Bytes))
		}
		for _, in := range m.Inputs {
			fmt.Fprintf(w, "  input      %s  %d bytes  sha256 %s\n", in.Path, in.Size, in.SHA256)
		}
		if t.Name == datasets.Snapshots.Name {
			v, err := newVerifications(ctx, st, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  verified   %s\n", v.of(ctx, t, *p))
		}
	}
	pk := datasets.Packages
	fmt.Fprintf(w, "\nDuckDB, this snapshot:\n  SELECT package, version, architecture, section FROM read_parquet('%s/%s*.parquet', hive_partitioning = true) ORDER BY package LIMIT 20;\n",
		root, pk.PartitionPrefix(*p))
	fmt.Fprintf(w, "DuckDB, every committed snapshot (partition columns distro, release, snapshot come from the path):\n  SELECT distro, release, snapshot, count(*) AS packages FROM read_parquet('%s/%s*/*/*/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL;\n",
		root, pk.Prefix())
	if strings.HasPrefix(root, "s3://") {
		fmt.Fprintf(w, "  (for s3:// first: INSTALL httpfs; LOAD httpfs; CREATE SECRET (TYPE s3, KEY_ID '…', SECRET '…', ENDPOINT '%s', URL_STYLE 'path', USE_SSL %v);)\n",
			cfg.Store.S3Endpoint, cfg.Store.S3Secure)
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
