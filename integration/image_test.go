package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
	"github.com/distroscope/distroscope/internal/rootfstest"
	"github.com/distroscope/distroscope/internal/testenv"
)

// TestImageAnalyzeThroughTheCLI analyses a real debootstrap tree with a
// changed conffile through the CLI and the worker binary: the run commits
// the three image tables, which DuckDB reads back with the package list
// dpkg-query gives and the state dpkg --verify gives; analysing the same
// tree again reads nothing again; a hostile OCI layout fails the run at
// once with the member named, and commits nothing.
func TestImageAnalyzeThroughTheCLI(t *testing.T) {
	script := testenv.DuckDB(t)
	root := rootfstest.Copy(t, rootfstest.Debootstrap(t, "bookworm"))
	rootfstest.Append(t, root, "/etc/bash.bashrc", []byte("# edited\n"))
	e := newNightlyEnv(t, "")

	r := e.run(t, "image", "analyze", "dir:"+root)
	if r.code != 0 {
		t.Fatalf("image analyze: %s", r)
	}
	for _, want := range []string{"Debian GNU/Linux 12 (bookworm)", "image_packages/v1/distro=debian/release=bookworm/snapshot=sha256-", "1 modified"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the summary does not say %q:\n%s", want, r)
		}
	}
	// The activity's heartbeats, followed by the CLI: the step it is at
	// (opening, the layer, comparing files; a small tree is done before
	// the later ones reach the server).
	if !strings.Contains(r.stderr, "image: opening dir:"+root) {
		t.Errorf("no progress line from the activity's heartbeats:\n%s", r.stderr)
	}

	rows := duckdb(t, script, fmt.Sprintf(`SELECT count(*) AS n FROM read_parquet('%s/image_packages/v1/*/*/*/*.parquet', hive_partitioning = true)
		WHERE distro = 'debian' AND release = 'bookworm'`, e.store))
	if got := fmt.Sprint(rows[0]["n"]); got != fmt.Sprint(len(rootfstest.DpkgQuery(t, root))) {
		t.Errorf("image_packages has %s rows, dpkg-query -W lists %d packages", got, len(rootfstest.DpkgQuery(t, root)))
	}
	rows = duckdb(t, script, fmt.Sprintf(`SELECT path, state, package, config FROM read_parquet('%s/image_files/v1/*/*/*/*.parquet', hive_partitioning = true)
		WHERE state IN ('modified', 'deleted') ORDER BY path`, e.store))
	var changed []string
	for _, row := range rows {
		changed = append(changed, fmt.Sprintf("%v %v %v %v", row["path"], row["state"], row["package"], row["config"]))
	}
	var verify []string
	for _, v := range rootfstest.DpkgVerify(t, root) {
		verify = append(verify, v.Path)
	}
	if fmt.Sprint(changed) != "[/etc/bash.bashrc modified bash true]" || fmt.Sprint(verify) != "[/etc/bash.bashrc]" {
		t.Errorf("image_files changed rows %v; dpkg --verify reports %v", changed, verify)
	}

	// The same tree again: known by its identity, not read again.
	r = e.run(t, "image", "analyze", "dir:"+root)
	if r.code != 0 || !strings.Contains(r.stdout, "analysed before: not read again") {
		t.Errorf("a second analysis of the same tree: %s", r)
	}

	// A hostile image: one layer with a member escaping the root.
	before := storeListing(t, e.store)
	bad := filepath.Join(t.TempDir(), "oci")
	img := imagereftest.Image(t, "linux/amd64", imagereftest.LayerFromFiles(t, []imagereftest.File{{Name: "etc/"}, {Name: "../../../tmp/distroscope-escaped", Body: "x"}}))
	lp, err := layout.Write(bad, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	r = e.run(t, "image", "analyze", "oci-dir:"+bad)
	if r.code == 0 || !strings.Contains(r.stderr, "escapes the root") || !strings.Contains(r.stderr, "distroscope-escaped") {
		t.Errorf("a hostile layer: want a failure naming the member:\n%s", r)
	}
	if _, err := os.Stat("/tmp/distroscope-escaped"); err == nil {
		t.Errorf("/tmp/distroscope-escaped exists")
	}
	after := storeListing(t, e.store)
	for k := range after {
		if _, ok := before[k]; !ok && !strings.Contains(k, "_staging") {
			t.Errorf("the failed analysis wrote %s", k)
		}
	}
}
