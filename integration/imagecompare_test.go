package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/rootfstest"
	"github.com/distroscope/distroscope/internal/testenv"
)

// TestImageCompareThroughTheCLI compares the debootstrap bookworm and
// trixie trees, trixie's with a changed conffile and a changed setting,
// through the CLI and the worker binary: the run analyses both (in one
// workflow), commits image_diffs — which DuckDB reads back with the
// package differences dpkg-query gives and the setting at its file and
// line — and stores the report; comparing again reuses everything.
func TestImageCompareThroughTheCLI(t *testing.T) {
	script := testenv.DuckDB(t)
	a := rootfstest.Debootstrap(t, "bookworm")
	b := rootfstest.Copy(t, rootfstest.Debootstrap(t, "trixie"))
	rootfstest.Append(t, b, "/etc/ssh/sshd_config", []byte("PermitRootLogin no\n"))
	line := lineCount(t, filepath.Join(b, "etc/ssh/sshd_config"))
	e := newNightlyEnv(t, "")

	r := e.run(t, "image", "compare", "dir:"+a, "dir:"+b)
	if r.code != 0 {
		t.Fatalf("image compare: %s", r)
	}
	for _, want := range []string{"Debian GNU/Linux 12 (bookworm)", "Debian GNU/Linux 13 (trixie)", "debian/bookworm → debian/trixie: committed",
		"image_diffs/v1/distro=debian/release=bookworm~trixie/", "image-compare.html"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the output does not say %q:\n%s", want, r)
		}
	}

	// The package rows: exactly the packages dpkg-query lists differently.
	want := map[string]string{}
	va, vb := map[string]string{}, map[string]string{}
	for _, p := range rootfstest.DpkgQuery(t, a) {
		va[p.Package] = p.Version
	}
	for _, p := range rootfstest.DpkgQuery(t, b) {
		vb[p.Package] = p.Version
	}
	for p, v := range va {
		if w, ok := vb[p]; !ok {
			want[p] = "removed"
		} else if w != v {
			want[p] = "changed"
		}
	}
	for p := range vb {
		if _, ok := va[p]; !ok {
			want[p] = "added"
		}
	}
	rows := duckdb(t, script, fmt.Sprintf(`SELECT key, change FROM read_parquet('%s/image_diffs/v1/*/*/*/*.parquet', hive_partitioning = true)
		WHERE kind = 'package'`, e.store))
	got := map[string]string{}
	for _, row := range rows {
		c := fmt.Sprint(row["change"])
		if c == "upgraded" || c == "downgraded" {
			c = "changed"
		}
		got[fmt.Sprint(row["key"])] = c
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("package diff rows:\n%v\ndpkg-query differences:\n%v", got, want)
	}
	rows = duckdb(t, script, fmt.Sprintf(`SELECT a_value, b_value, b_file, b_line, b_source FROM read_parquet('%s/image_diffs/v1/*/*/*/*.parquet', hive_partitioning = true)
		WHERE kind = 'setting' AND key = 'sshd permitrootlogin' AND coalesce(condition, '') = ''`, e.store))
	if len(rows) != 1 || fmt.Sprint(rows[0]["b_value"]) != "no" || fmt.Sprint(rows[0]["b_file"]) != "/etc/ssh/sshd_config" ||
		fmt.Sprint(rows[0]["b_line"]) != fmt.Sprint(line) || fmt.Sprint(rows[0]["b_source"]) != "changed" {
		t.Errorf("the changed setting: %v, want no at /etc/ssh/sshd_config:%d, changed", rows, line)
	}

	// Again: both analyses and the comparison are reused.
	r = e.run(t, "image", "compare", "dir:"+a, "dir:"+b)
	if r.code != 0 || strings.Count(r.stdout, "analysed before: not read again") != 2 || !strings.Contains(r.stdout, "compared before, reused") {
		t.Errorf("the same comparison again: %s", r)
	}
}

func lineCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}
