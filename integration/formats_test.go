package integration

import (
	"fmt"
	"testing"

	"github.com/distroscope/distroscope/aptrepo"
	"github.com/distroscope/distroscope/aptrepo/aptrepotest"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/store/localfs"
)

// TestEveryFormatIntoOnePackagesTable snapshots a fixture repository of
// each format through the real Temporal dev server into one store, and asks
// DuckDB what the packages table holds: one table, every format, each with
// the row count its run reported.
func TestEveryFormatIntoOnePackagesTable(t *testing.T) {
	script := testenv.DuckDB(t)
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := newHarness(t, st)
	h.startWorker(t, aptrepo.DefaultFetcher())

	aptBase, keyring := aptrepotest.Repo(t)
	specs := map[string]repo.Spec{
		"deb": fixtureSource(aptBase, keyring),
		"rpm": {Format: repo.FormatRPMMD, Distro: "fixture-rpm", Release: "1", Mirror: aptrepotest.Serve(t, "../rpmmd/testdata/repo"),
			Suite: "1", URLTemplate: "{mirror}", Components: []string{"Everything"}, Architectures: []string{"x86_64"}},
		"alpm": {Format: repo.FormatALPM, Distro: "fixture-arch", Mirror: aptrepotest.Serve(t, "../alpm/testdata/repo"),
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
