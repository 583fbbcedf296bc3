package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// rollingRepo writes an apt archive of one suite, "rolling", into root —
// replacing what was there, as a mirror syncs — whose Release is dated
// date and says "Origin: Fixture", so its snapshots are fixture/rolling.
func rollingRepo(t *testing.T, root string, date time.Time, entries []string) {
	t.Helper()
	dir := filepath.Join(root, "dists", "rolling", "main", "binary-amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pkgs := []byte(strings.Join(entries, "\n\n") + "\n")
	if err := os.WriteFile(filepath.Join(dir, "Packages"), pkgs, 0o644); err != nil {
		t.Fatal(err)
	}
	release := fmt.Sprintf("Origin: Fixture\nLabel: Fixture\nSuite: rolling\nCodename: rolling\nDate: %s\n"+
		"Architectures: amd64\nComponents: main\nSHA256:\n %x %d main/binary-amd64/Packages\n",
		date.UTC().Format(time.RFC1123), sha256.Sum256(pkgs), len(pkgs))
	if err := os.WriteFile(filepath.Join(root, "dists", "rolling", "Release"), []byte(release), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rollingSeries is four days of a rolling release made from a real
// Debian index, each day's change made by the test so every trend row is
// known: day 2 removes 0xffff, adds 9ping, gives 2048 a new upstream
// version and 3dchess a new Debian revision; day 3 changes nothing but the
// Release's date; day 4 brings 0xffff back and downgrades 4g8.
func rollingSeries(t *testing.T) [][]string {
	t.Helper()
	names, stanza := stanzas(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
	var days [4][]string
	for _, n := range names {
		s := stanza[n]
		days[0] = append(days[0], s)
		d2 := s
		switch n {
		case "0xffff":
			d2 = ""
		case "2048":
			d2 = strings.Replace(s, "\nVersion: 0.20220905.1556-1\n", "\nVersion: 0.20230101-1\n", 1)
		case "3dchess":
			d2 = strings.Replace(s, "\nVersion: 0.8.1-21\n", "\nVersion: 0.8.1-22\n", 1)
		case "2ping":
			days[1] = append(days[1], strings.Replace(s, "Package: 2ping\n", "Package: 9ping\n", 1))
			days[2] = append(days[2], strings.Replace(s, "Package: 2ping\n", "Package: 9ping\n", 1))
			days[3] = append(days[3], strings.Replace(s, "Package: 2ping\n", "Package: 9ping\n", 1))
		}
		if d2 != "" {
			days[1] = append(days[1], d2)
			days[2] = append(days[2], d2)
		}
		d4 := d2
		switch n {
		case "0xffff":
			d4 = s
		case "4g8":
			d4 = strings.Replace(s, "\nVersion: 1.0-3.3\n", "\nVersion: 1.0-3.2\n", 1)
		}
		days[3] = append(days[3], d4)
	}
	for i, d := range days {
		if len(d) == 0 {
			t.Fatalf("day %d is empty", i+1)
		}
	}
	return days[:]
}

// TestTrendsThroughTheCLI snapshots four days of a rolling release with
// the real worker and CLI, runs `distroscope trends` after the second and
// after the fourth, and checks what an independent reader (DuckDB) finds
// in package_trends and package_history against the changes the test
// made; the second update computes only the two new states; the report
// and its CSVs are written; and recomputing every state from scratch
// gives byte-identical data.
func TestTrendsThroughTheCLI(t *testing.T) {
	script := testenv.DuckDB(t)
	e := newNightlyEnv(t, "")
	root := t.TempDir()
	mirror := formatstest.Serve(t, root)
	e.catalog = filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(e.catalog, []byte(fmt.Sprintf(`sources:
  - name: fixture
    format: apt
    mirror: %s
    suites: [rolling]
    components: [main]
    architectures: [amd64]
    allow_unsigned: true
`, mirror)), 0o644); err != nil {
		t.Fatal(err)
	}
	days := rollingSeries(t)
	day := func(i int) time.Time { return time.Date(2026, 11, 1+i, 6, 0, 0, 0, time.UTC) }
	snapshot := func(i int) {
		t.Helper()
		rollingRepo(t, root, day(i), days[i])
		if r := e.run(t, "snapshot", "fixture/rolling"); r.code != 0 {
			t.Fatalf("snapshot of day %d: %s", i+1, r)
		}
	}
	out := t.TempDir()
	snapshot(0)
	snapshot(1)
	r := e.run(t, "trends", "fixture/rolling", "--out", out)
	if r.code != 0 {
		t.Fatalf("trends: %s", r)
	}
	if !strings.Contains(r.stdout, "2 states computed, 0 already committed") {
		t.Errorf("the first update does not say it computed both states:\n%s", r)
	}
	snapshot(2)
	snapshot(3)
	r = e.run(t, "trends", "fixture/rolling", "--out", out)
	if r.code != 0 {
		t.Fatalf("trends: %s", r)
	}
	if !strings.Contains(r.stdout, "4 snapshots, 2 states computed, 0 already committed") {
		t.Errorf("the second update does not say it computed only the two new states:\n%s", r)
	}

	rows := duckdb(t, script, fmt.Sprintf(`SELECT snapshot, previous_snapshot, packages, added, removed, upgraded, downgraded, new_upstream
		FROM read_parquet('%s/package_trends/v1/*/*/*/*.parquet', hive_partitioning = true)
		WHERE distro = 'fixture' AND release = 'rolling' ORDER BY snapshot`, e.store))
	if len(rows) != 4 {
		t.Fatalf("%d trend rows, want one per snapshot (4): %v", len(rows), rows)
	}
	type counts struct{ packages, added, removed, upgraded, downgraded, newUpstream float64 }
	n := float64(len(days[0]))
	want := []counts{
		{packages: n},
		{packages: n, added: 1, removed: 1, upgraded: 2, newUpstream: 2}, // 9ping is a new source, 2048 a new upstream
		{packages: n},
		{packages: n + 1, added: 1, downgraded: 1},
	}
	for i, row := range rows {
		got := counts{num(row["packages"]), num(row["added"]), num(row["removed"]), num(row["upgraded"]), num(row["downgraded"]), num(row["new_upstream"])}
		if i == 0 {
			got.added, got.removed, got.newUpstream = 0, 0, 0 // the first point has nothing before it
			if row["previous_snapshot"] != nil && row["previous_snapshot"] != "" {
				t.Errorf("the first point has a previous snapshot: %v", row)
			}
		} else if row["previous_snapshot"] != rows[i-1]["snapshot"] {
			t.Errorf("day %d's deltas are against %v, want the day before's %v", i+1, row["previous_snapshot"], rows[i-1]["snapshot"])
		}
		if got != want[i] {
			t.Errorf("day %d: %+v, want %+v", i+1, got, want[i])
		}
		if s := fmt.Sprint(row["snapshot"]); !strings.HasPrefix(s, day(i).Format("20060102T150405Z")) {
			t.Errorf("day %d's point is snapshot %s, not dated by its Release (%s)", i+1, s, day(i).Format(time.RFC3339))
		}
	}
	// 0xffff: seen on day 1, gone on days 2 and 3, back on day 4.
	hist := duckdb(t, script, fmt.Sprintf(`SELECT first_snapshot, last_snapshot, snapshots, "current"
		FROM read_parquet('%s/package_history/v1/*/*/*/*.parquet', hive_partitioning = true)
		WHERE distro = 'fixture' AND release = 'rolling' AND snapshot = '%s' AND package = '0xffff'`, e.store, rows[3]["snapshot"]))
	if len(hist) != 1 || hist[0]["first_snapshot"] != rows[0]["snapshot"] || hist[0]["last_snapshot"] != rows[3]["snapshot"] ||
		num(hist[0]["snapshots"]) != 2 || hist[0]["current"] != true {
		t.Errorf("0xffff's history as of day 4: %v", hist)
	}

	// The report: an HTML page and the CSVs of its charts.
	if html, err := os.ReadFile(filepath.Join(out, "trends.html")); err != nil || !bytes.Contains(html, []byte("<svg")) {
		t.Errorf("trends.html: %v (has an <svg>: %t)", err, bytes.Contains(html, []byte("<svg")))
	}
	csvs, _ := filepath.Glob(filepath.Join(out, "*", "*.csv"))
	more, _ := filepath.Glob(filepath.Join(out, "*.csv"))
	csvs = append(csvs, more...)
	if len(csvs) < 2 {
		t.Errorf("the report wrote %d CSVs: %v", len(csvs), csvs)
	}
	for _, f := range csvs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := csv.NewReader(bytes.NewReader(data)).ReadAll(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(r.stdout, rows[3]["snapshot"].(string)) {
		t.Errorf("the printed series does not show the last snapshot:\n%s", r.stdout)
	}

	// From scratch: every state removed, recomputed, byte for byte the
	// same data.
	before := dataObjects(t, e.store, "package_trends", "package_history", "package_lag")
	for _, table := range []string{"package_trends", "package_history", "package_lag"} {
		if err := os.RemoveAll(filepath.Join(e.store, table)); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.run(t, "trends", "fixture/rolling", "--out", t.TempDir()); r.code != 0 || !strings.Contains(r.stdout, "4 states computed") {
		t.Fatalf("trends from scratch: %s", r)
	}
	after := dataObjects(t, e.store, "package_trends", "package_history", "package_lag")
	if len(before) == 0 || len(before) != len(after) {
		t.Fatalf("%d data objects before, %d after recomputing", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s differs after recomputing from scratch", k)
		}
	}
}

// num reads a DuckDB number from its JSON.
func num(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case string:
		var f float64
		fmt.Sscan(v, &f)
		return f
	}
	return -1
}

// dataObjects are the SHA-256s of the Parquet files of tables in a
// folder store, by path.
func dataObjects(t *testing.T, store string, tables ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range tables {
		files, err := filepath.Glob(filepath.Join(store, table, "v*", "*", "*", "*", "*.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimPrefix(f, store)] = fmt.Sprintf("%x", sha256.Sum256(data))
		}
	}
	return out
}
