package releases

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/deb"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
)

// docJoinSQL is the join query of doc.go: the first tab-indented block after
// its "Joining with DuckDB" heading, so the example cannot rot.
func docJoinSQL(t *testing.T) string {
	t.Helper()
	f, err := os.Open("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sql []string
	inSection := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "// # Joining with DuckDB") {
			inSection = true
			continue
		}
		if !inSection {
			continue
		}
		if s, ok := strings.CutPrefix(line, "//\t"); ok {
			sql = append(sql, s)
		} else if len(sql) > 0 {
			break
		}
	}
	if len(sql) == 0 {
		t.Fatal("doc.go has no SQL block under # Joining with DuckDB")
	}
	return strings.Join(sql, "\n")
}

// publishPackages commits one packages partition holding the rows of a real
// Packages index, parsed the way a snapshot parses it.
func publishPackages(t *testing.T, st store.Store, p datasets.Partition, path string) int64 {
	t.Helper()
	ctx := context.Background()
	data := readFixture(t, path)
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, datasets.Packages, datasets.ComparePackageRows, 0)
	err := formats.Apt{}.Parse(ctx, bytes.NewReader(data), path, repo.Index{Component: "main", Architecture: "amd64"},
		func(row *datasets.PackageRow) error {
			row.Component, row.IndexArchitecture = "main", "amd64"
			return w.Write(row)
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	key := datasets.StagingKey(datasets.Packages, p, "main_amd64")
	if err := st.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
	m, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: p,
		Parts: []datasets.StagedPart{{Key: key, Rows: w.Rows()}}})
	if err != nil {
		t.Fatal(err)
	}
	return m.Rows
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestDuckDBJoin runs doc.go's join in DuckDB over a store holding both
// releases partitions (and an older Debian one it must not pick) and two
// packages partitions built from the deb package's real fixtures: bookworm,
// named from its Release file as a snapshot names it, and bookworm-updates
// (whose Release is not among the fixtures: its snapshot id is made from the
// day the index was fetched, per deb/testdata/README, and the index's hash).
// DuckDB's status must be Status's, on the snapshot's day.
func TestDuckDBJoin(t *testing.T) {
	script := testenv.DuckDB(t)
	ctx := context.Background()
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	files, err := Load("testdata", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := Write(ctx, st, f, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	// An older debian.csv: the same file before Duke was added.
	debData := string(readFixture(t, debianFixture))
	duke := lineOf(t, []byte(debData), "duke")
	lines := strings.SplitAfter(debData, "\n")
	older, err := Read(strings.NewReader(strings.Join(append(lines[:duke-1:duke-1], lines[duke:]...), "")), "debian", "debian.csv", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	if older.Partition() == files["debian"].Partition() || older.Partition().Snapshot > files["debian"].Partition().Snapshot {
		t.Fatalf("the older CSV's partition %s does not sort before %s", older.Partition().Snapshot, files["debian"].Partition().Snapshot)
	}
	if _, err := Write(ctx, st, older, time.Time{}); err != nil {
		t.Fatal(err)
	}

	relData := readFixture(t, "../ecosystem/deb/testdata/bookworm.Release")
	rel, err := deb.ParseRelease(bytes.NewReader(relData))
	if err != nil {
		t.Fatal(err)
	}
	type snap struct {
		part     datasets.Partition
		day      time.Time
		packages int64
	}
	bookwormPart := datasets.Partition{Distro: datasets.Normalize(rel.Origin), Release: datasets.Normalize(rel.Codename),
		Snapshot: datasets.SnapshotID(rel.Date, sha256Hex(relData))}
	updatesPath := "../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages"
	fetched := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	updatesPart := datasets.Partition{Distro: "debian", Release: "bookworm-updates",
		Snapshot: datasets.SnapshotID(fetched, sha256Hex(readFixture(t, updatesPath)))}
	snaps := []snap{
		{bookwormPart, rel.Date, publishPackages(t, st, bookwormPart, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")},
		{updatesPart, fetched, publishPackages(t, st, updatesPart, updatesPath)},
	}

	sql := strings.ReplaceAll(docJoinSQL(t), "read_parquet('", "read_parquet('"+dir+"/")
	out := duckdb(t, script, sql)
	got := out
	if len(got) != len(snaps) {
		t.Fatalf("%d rows, want one per snapshot (%d): %v", len(got), len(snaps), got)
	}
	bookworm := bySeries(t, files["debian"].Rows, "bookworm")
	for i, s := range snaps {
		g := got[i]
		want := map[string]string{
			"distro": s.part.Distro, "release": s.part.Release, "snapshot": s.part.Snapshot,
			"day": datasets.DateOf(s.day).String(), "packages": fmt.Sprint(s.packages),
			"version": bookworm.Version, "series": "bookworm",
			"release_date": bookworm.ReleaseDate.String(), "eol": bookworm.EOL.String(),
			"status": Status(bookworm, s.day),
		}
		for k, v := range want {
			if fmt.Sprint(g[k]) != v {
				t.Errorf("row %d %s = %v, want %s", i, k, g[k], v)
			}
		}
	}
}

func duckdb(t *testing.T, script, sql string) []map[string]any {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command("node", script, sql)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("duckdb: %v\n%s\n%s", err, errb.String(), sql)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("duckdb output %q: %v", out.String(), err)
	}
	return rows
}

// TestDuckDBStatusCase checks doc.go's CASE against Status for every release
// of both fixtures on every date of the distro-info reference file: the
// query's snapshots CTE is replaced by one snapshot per (release, date).
func TestDuckDBStatusCase(t *testing.T) {
	script := testenv.DuckDB(t)
	ctx := context.Background()
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files, err := Load("testdata", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := Write(ctx, st, f, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	var dates []string
	ref, err := os.ReadFile("testdata/distro-info-reference.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ref), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && strings.HasPrefix(f[0], "debian") && f[1] == "supported" {
			dates = append(dates, strings.TrimSuffix(f[2], ":"))
		}
	}
	want := map[string]string{}
	var values []string
	for distro, f := range files {
		for _, r := range f.Rows {
			for _, d := range dates {
				values = append(values, fmt.Sprintf("('%s', '%s', '%s', 0, DATE '%s')", distro, r.Series, d, d))
				want[distro+"/"+r.Series+"/"+d] = Status(r, at(d))
			}
		}
	}
	sql := docJoinSQL(t)
	start := strings.Index(sql, "snapshots AS (")
	end := strings.Index(sql, "\n)\nSELECT")
	if start < 0 || end < start {
		t.Fatalf("doc.go's query has no snapshots CTE to replace:\n%s", sql)
	}
	sql = sql[:start] + "snapshots AS (SELECT * FROM (VALUES " + strings.Join(values, ", ") +
		") v(distro, release, snapshot, packages, day)" + sql[end:]
	sql = strings.ReplaceAll(sql, "read_parquet('", "read_parquet('"+dir+"/")
	got := duckdb(t, script, sql)
	if len(got) != len(want) || len(want) < 1000 {
		t.Fatalf("%d rows for %d (release, date) pairs", len(got), len(want))
	}
	for _, g := range got {
		k := fmt.Sprintf("%v/%v/%v", g["distro"], g["release"], g["snapshot"])
		if fmt.Sprint(g["status"]) != want[k] {
			t.Errorf("%s: DuckDB says %v, Status %s", k, g["status"], want[k])
		}
	}
}
