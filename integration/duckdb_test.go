package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"

	"github.com/distroscope/distroscope/aptrepo"
	"github.com/distroscope/distroscope/aptrepo/aptrepotest"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/store/localfs"
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
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := newHarness(t, st)
	h.startWorker(t, aptrepo.DefaultFetcher())
	base, keyring := aptrepotest.Repo(t)
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
	for _, exp := range aptrepotest.Expected(t) {
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
