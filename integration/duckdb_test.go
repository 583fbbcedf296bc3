package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

func duckdb(t *testing.T, script, sql string) []map[string]any {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command("node", script, sql)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("duckdb %q: %v\n%s", sql, err, errb.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("duckdb output %q: %v", out.String(), err)
	}
	return rows
}

// TestDuckDBSeesOnlyCommittedPartitions commits the fixture through
// Temporal into a folder store, leaves the staged parts of a second, still
// running snapshot beside it, and asks DuckDB — an independent reader —
// what a Hive glob over the table sees: every committed row once, the
// partition columns from the path, and nothing of the run in progress.
func TestDuckDBSeesOnlyCommittedPartitions(t *testing.T) {
	script := testenv.DuckDB(t)
	dir, st := folderStore(t)
	h := newHarness(t, st)
	h.startWorker(t, repo.DefaultFetcher())
	base, keyring := formatstest.Repo(t)
	res, err := h.snapshot(t, fixtureSource(base, keyring))
	if err != nil {
		t.Fatal(err)
	}

	// A second snapshot of the same release, staged but not committed.
	inflight := res.Partition
	inflight.Snapshot = "20991231T000000Z-000000000000"
	ctx := context.Background()
	for _, part := range []string{"main_amd64", "main_arm64"} {
		src, err := st.Get(ctx, datasets.Packages.DataKey(res.Partition))
		if err != nil {
			t.Fatal(err)
		}
		err = st.Put(ctx, datasets.StagingKey(datasets.Packages, inflight, part), src, -1)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}

	glob := fmt.Sprintf("%s/%s*/*/*/*.parquet", dir, datasets.Packages.Prefix())
	rows := duckdb(t, script, fmt.Sprintf(`SELECT distro, release, snapshot, count(*) AS n,
		count(DISTINCT (package, component, index_architecture)) AS distinct_n,
		count(*) FILTER (WHERE architecture = 'all') AS arch_all,
		max(len(depends)) AS max_depends
		FROM read_parquet('%s', hive_partitioning = true) GROUP BY ALL`, glob))
	if len(rows) != 1 {
		t.Fatalf("DuckDB sees %d partitions, want the one committed: %v", len(rows), rows)
	}
	r := rows[0]
	if r["distro"] != res.Partition.Distro || r["release"] != res.Partition.Release || r["snapshot"] != res.Partition.Snapshot {
		t.Errorf("partition columns from the path = %v, want %+v", r, res.Partition)
	}
	want := fmt.Sprint(res.Rows)
	if r["n"] != want || r["distinct_n"] != want {
		t.Errorf("DuckDB counts %v rows (%v distinct), the run committed %s", r["n"], r["distinct_n"], want)
	}
	// Architecture: all packages appear in both architectures' indexes.
	var all int
	for _, exp := range formatstest.Expected(t) {
		for _, e := range exp {
			if e.Architecture == "all" {
				all++
			}
		}
	}
	if r["arch_all"] != fmt.Sprint(all) {
		t.Errorf("DuckDB counts %v Architecture: all rows, the fixture has %d", r["arch_all"], all)
	}
	if r["max_depends"] == "0" || r["max_depends"] == nil {
		t.Errorf("depends lists did not survive: %v", r)
	}
}

// TestDuckDBReadsAComparison runs the compare activity on two snapshots
// committed to a folder store and asks DuckDB what it reads in the three
// tables: the summary's counts, one package_changes row per pair, and the
// source roll-up accounting for every pair.
func TestDuckDBReadsAComparison(t *testing.T) {
	script := testenv.DuckDB(t)
	dir, st := folderStore(t)
	old := datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260101T000000Z-aaaaaaaaaaaa"}
	nw := datasets.Partition{Distro: "debian", Release: "bookworm-updates", Snapshot: "20260202T000000Z-bbbbbbbbbbbb"}
	// Old: the main fixture and the bookworm versions of the updates'
	// packages; new: the main fixture and the updates (compare/testdata).
	main := formatstest.ParsePackages(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages", "main", "amd64")
	datasetstest.CommitPackages(t, st, old, append(slices.Clone(main), formatstest.ParsePackages(t, "../analysis/compare/testdata/bookworm-main-updated-packages-amd64.Packages", "main", "amd64")...))
	datasetstest.CommitPackages(t, st, nw, append(slices.Clone(main), formatstest.ParsePackages(t, "../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages", "main", "amd64")...))

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := &activities.Compare{Store: st, TempDir: t.TempDir(), Producer: "test"}
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.CompareSnapshots, activities.CompareInput{Old: old, New: nw})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.CompareResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	file := func(tb datasets.Table) string { return dir + "/" + tb.DataKey(res.Partition) }

	kinds := duckdb(t, script, fmt.Sprintf(`SELECT kind, count(*) AS n, count(DISTINCT (package, index_architecture)) AS keys
		FROM read_parquet('%s') GROUP BY kind ORDER BY kind`, file(datasets.PackageChanges)))
	got := map[string]string{}
	for _, r := range kinds {
		if fmt.Sprint(r["n"]) != fmt.Sprint(r["keys"]) {
			t.Errorf("kind %v: %v rows for %v keys: a pair is listed twice", r["kind"], r["n"], r["keys"])
		}
		got[fmt.Sprint(r["kind"])] = fmt.Sprint(r["n"])
	}
	if s.Downgraded == 0 || s.Same == 0 {
		t.Fatalf("summary %+v: the fixtures pair bookworm's versions with older updates (downgrades) and the main fixture with itself", s)
	}
	for kind, n := range map[string]int64{"added": s.Added, "removed": s.Removed, "upgraded": s.Upgraded, "downgraded": s.Downgraded, "same": s.Same} {
		if want := fmt.Sprint(n); n > 0 && got[kind] != want || n == 0 && got[kind] != "" {
			t.Errorf("DuckDB counts %q %s rows, the summary says %d", got[kind], kind, n)
		}
	}

	summary := duckdb(t, script, fmt.Sprintf(`SELECT downgraded, depends_changed_packages AS deps FROM read_parquet('%s')`,
		file(datasets.CompareSummaries)))
	if len(summary) != 1 || fmt.Sprint(summary[0]["downgraded"]) != fmt.Sprint(s.Downgraded) || fmt.Sprint(summary[0]["deps"]) != fmt.Sprint(s.DependsDelta) {
		t.Errorf("compare_summaries as DuckDB reads it = %v, want %+v", summary, s)
	}

	// Every pair belongs to exactly one source row.
	sources := duckdb(t, script, fmt.Sprintf(`SELECT count(*) AS sources, count(DISTINCT source) AS names,
		sum(added + removed + upgraded + downgraded + same) AS pairs, sum(len(binaries)) AS binaries
		FROM read_parquet('%s')`, file(datasets.SourceChanges)))
	total := fmt.Sprint(s.Added + s.Removed + s.Upgraded + s.Downgraded + s.Same)
	if len(sources) != 1 || fmt.Sprint(sources[0]["pairs"]) != total || fmt.Sprint(sources[0]["sources"]) != fmt.Sprint(sources[0]["names"]) ||
		fmt.Sprint(sources[0]["binaries"]) == "0" {
		t.Errorf("source_changes as DuckDB reads it = %v, want one row per source accounting for all %s pairs", sources, total)
	}
}
