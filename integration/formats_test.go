package integration

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/workflows"
)

// TestEveryFormatIntoOnePackagesTable snapshots a fixture repository of
// each format through the real Temporal dev server into one store, and asks
// DuckDB what the packages table holds: one table, every format, each with
// the row count its run reported.
func TestEveryFormatIntoOnePackagesTable(t *testing.T) {
	script := testenv.DuckDB(t)
	dir, st := folderStore(t)
	h := newHarness(t, st)
	h.startWorker(t, repo.DefaultFetcher())

	aptBase, keyring := formatstest.Repo(t)
	specs := map[string]repo.Spec{
		"deb": fixtureSource(aptBase, keyring),
		"rpm": {Format: repo.FormatRPMMD, Distro: "fixture-rpm", Release: "1", Mirror: formatstest.Serve(t, "../ecosystem/rpm/testdata/repo"),
			Suite: "1", URLTemplate: "{mirror}", Components: []string{"Everything"}, Architectures: []string{"x86_64"}},
		"apk": {Format: repo.FormatAPK, Distro: "fixture-alpine", Mirror: formatstest.Serve(t, "../ecosystem/apk/testdata"),
			Suite: "v3.18", URLTemplate: "{mirror}/alpine-3.18-aarch64.APKINDEX.tar.gz", Components: []string{"main"}, Architectures: []string{"aarch64"}},
		"alpm": {Format: repo.FormatALPM, Distro: "fixture-arch", Mirror: formatstest.Serve(t, "../ecosystem/alpm/testdata/repo"),
			Suite: "rolling", URLTemplate: "{mirror}/fixture.db.tar.zst", Components: []string{"fixture"}, Architectures: []string{"x86_64"}},
	}
	rows := map[string]int64{}
	for format, spec := range specs {
		res, err := h.snapshot(t, spec)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if res.Rows == 0 {
			t.Fatalf("%s: no rows", format)
		}
		rows[format] = res.Rows
		if format != "deb" { // deb is checked against python3-apt in TestSnapshotCommitsTheFixtureExactly
			checkAgainstParser(t, st, spec, res.Partition)
		}
	}
	glob := fmt.Sprintf("%s/%s*/*/*/*.parquet", dir, datasets.Packages.Prefix())
	got := duckdb(t, script, fmt.Sprintf(`SELECT format, distro, count(*) AS n, count(*) FILTER (WHERE version = '' OR package = '') AS empty
		FROM read_parquet('%s', hive_partitioning = true, union_by_name = false) GROUP BY ALL ORDER BY format`, glob))
	if len(got) != len(specs) {
		t.Fatalf("DuckDB sees %d formats, want %d: %v", len(got), len(specs), got)
	}
	for _, r := range got {
		f := fmt.Sprint(r["format"])
		if r["n"] != fmt.Sprint(rows[f]) || r["empty"] != "0" {
			t.Errorf("DuckDB: %v; the %s run committed %d rows", r, f, rows[f])
		}
	}
}

// TestReleasesSync commits the releases table through Temporal from the
// distro-info CSVs, twice: the second run reuses the committed partitions.
func TestReleasesSync(t *testing.T) {
	st := minioStore(t)
	h := newHarness(t, st)
	w := worker.New(h.c, h.queue, worker.Options{})
	workflows.RegisterReleases(w, &activities.Releases{Store: st})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	sync := func() activities.SyncReleasesResult {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		run, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ReleasesWorkflowID + "/" + h.queue, TaskQueue: h.queue},
			workflows.ReleasesWorkflowName, activities.SyncReleasesInput{Dir: "../releases/testdata"})
		if err != nil {
			t.Fatal(err)
		}
		var res activities.SyncReleasesResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := sync()
	if len(first.Manifests) != 2 || first.Rows < 50 {
		t.Fatalf("first sync = %+v, want debian and ubuntu partitions", first)
	}
	objs, _ := st.List(context.Background(), datasets.Releases.Prefix())
	second := sync()
	again, _ := st.List(context.Background(), datasets.Releases.Prefix())
	if second.Rows != first.Rows || len(again) != len(objs) || !again[0].Modified.Equal(objs[0].Modified) {
		t.Errorf("second sync rewrote the table: %+v", second)
	}
}

// checkAgainstParser compares the rows a run committed, read back from
// Parquet, with what the format's parser yields for the same fixture files
// in-process. The parsers themselves are checked field by field against
// independent oracles (rpm -qp, .PKGINFO, the APKINDEX sources) in their
// packages; this proves the durable pipeline — Temporal, staging, Parquet,
// publish — neither drops, duplicates nor alters a row.
func checkAgainstParser(t *testing.T, st store.Store, spec repo.Spec, p datasets.Partition) {
	t.Helper()
	ctx := context.Background()
	src, err := formats.For(spec.Format)
	if err != nil {
		t.Fatal(err)
	}
	f := repo.DefaultFetcher()
	rel, err := src.Resolve(ctx, f, spec, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var want []datasets.PackageRow
	for _, ix := range rel.Indexes {
		var buf bytes.Buffer
		if _, err := repo.Ingest(ctx, f, ix, src.Parse, &buf, repo.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		rows := readPackagesBytes(t, buf.Bytes())
		want = append(want, rows...)
	}
	got := readPackages(t, st, datasets.Packages.DataKey(p))
	if len(got) != len(want) {
		t.Fatalf("%s: committed %d rows, the parser yields %d", spec.Format, len(got), len(want))
	}
	for _, rs := range [][]datasets.PackageRow{got, want} {
		slices.SortStableFunc(rs, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
		for i := range rs {
			normalizeRow(&rs[i])
		}
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s row %d:\n got %+v\nwant %+v", spec.Format, i, got[i], want[i])
		}
	}
}
