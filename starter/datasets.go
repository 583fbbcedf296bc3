package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

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

func cmdDatasets(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "ls" && args[0] != "show") {
		return exitError{2, fmt.Errorf("usage: distroscope datasets ls | show DISTRO/RELEASE[/SNAPSHOT]")}
	}
	sub := args[0]
	fs := flag.NewFlagSet("distroscope datasets "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := config.Load(fs, args[1:], os.Getenv)
	if err != nil {
		return exitError{2, err}
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer app.CloseStore(st)
	ctx := context.Background()
	if sub == "ls" {
		return datasetsLs(ctx, st, cfg, stdout)
	}
	if fs.NArg() != 1 {
		return exitError{2, fmt.Errorf("usage: distroscope datasets show DISTRO/RELEASE[/SNAPSHOT]")}
	}
	return datasetsShow(ctx, st, cfg, fs.Arg(0), stdout)
}

func datasetsLs(ctx context.Context, st store.Store, cfg config.Config, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tDISTRO\tRELEASE\tSNAPSHOT\tROWS\tBYTES\tCOMMITTED")
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
			fmt.Fprintf(tw, "%s/v%d\t%s\t%s\t%s\t%d\t%s\t%s\n", m.Table, m.SchemaVersion, m.Partition.Distro, m.Partition.Release,
				m.Partition.Snapshot, m.Rows, humanBytes(size), m.CommittedAt.Format(time.RFC3339))
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

func datasetsShow(ctx context.Context, st store.Store, cfg config.Config, which string, w io.Writer) error {
	parts := strings.Split(strings.Trim(which, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return exitError{2, fmt.Errorf("datasets show: %q: want DISTRO/RELEASE or DISTRO/RELEASE/SNAPSHOT", which)}
	}
	ms, err := datasets.ListManifests(ctx, st, datasets.Snapshots)
	if err != nil {
		return err
	}
	var p *datasets.Partition
	for _, m := range ms { // sorted: the last match is the newest snapshot
		if m.Partition.Distro == parts[0] && m.Partition.Release == parts[1] && (len(parts) == 2 || m.Partition.Snapshot == parts[2]) {
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

func cmdJanitor(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("distroscope janitor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxAge := fs.Duration("max-age", 48*time.Hour, "uncommitted leftovers older than this are removed")
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return exitError{2, err}
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer app.CloseStore(st)
	rep, err := datasets.Janitor(context.Background(), st, *maxAge, time.Now())
	if err != nil {
		return err
	}
	for _, k := range rep.StagedDeleted {
		fmt.Fprintf(stdout, "removed staged %s\n", k)
	}
	for _, k := range rep.UncommittedFiles {
		fmt.Fprintf(stdout, "removed uncommitted %s\n", k)
	}
	fmt.Fprintf(stdout, "janitor: %d staged and %d uncommitted objects removed from %s\n", len(rep.StagedDeleted), len(rep.UncommittedFiles), storeRoot(cfg))
	return nil
}

func cmdSources(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "ls" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("distroscope sources ls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return exitError{2, err}
	}
	cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFORMAT\tMIRROR\tSUITES\tCOMPONENTS\tARCHITECTURES\tKEYRING\tFROM")
	for _, e := range cat.Entries {
		mirror := e.Mirror
		for _, a := range e.Architectures {
			if m := e.Mirrors[a]; m != "" {
				mirror += " " + a + "=" + m
			}
		}
		archs := strings.Join(e.Architectures, ",")
		if archs == "" {
			archs = "(this machine's)"
		}
		from := fmt.Sprintf("%s:%d", e.File, e.Line)
		if e.Origin != "" {
			from = e.Origin + " " + from
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Format, strings.TrimSpace(mirror), strings.Join(e.Suites, ","),
			strings.Join(e.Components, ","), archs, strings.Join(e.Keyring, ","), from)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(cat.Entries) == 0 {
		fmt.Fprintln(stdout, "no sources: write a catalogue (see README) or add apt sources")
	}
	return nil
}
