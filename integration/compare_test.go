package integration

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/workflows"
)

// stanzas splits a Packages file into stanzas keyed by package name, in order.
func stanzas(t *testing.T, path string) ([]string, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	by := map[string]string{}
	for _, s := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
		name := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(s, "\n", 2)[0], "Package:"))
		names = append(names, name)
		by[name] = s
	}
	return names, by
}

// unsignedRepo writes an apt repository of one index (main/amd64) whose
// Release lists the plain Packages with its size and SHA256.
func unsignedRepo(t *testing.T, codename string, entries []string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "dists", codename, "main", "binary-amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pkgs := []byte(strings.Join(entries, "\n\n") + "\n")
	if err := os.WriteFile(filepath.Join(dir, "Packages"), pkgs, 0o644); err != nil {
		t.Fatal(err)
	}
	release := fmt.Sprintf("Origin: Distroscope Fixture\nLabel: Distroscope Fixture\nSuite: %s\nCodename: %s\nDate: Mon, 02 Nov 2026 10:00:00 UTC\n"+
		"Architectures: amd64\nComponents: main\nSHA256:\n %x %d main/binary-amd64/Packages\n", codename, codename, sha256.Sum256(pkgs), len(pkgs))
	if err := os.WriteFile(filepath.Join(root, "dists", codename, "Release"), []byte(release), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestCompareTwoFixtureReleases snapshots two releases inside one
// CompareWorkflow run (child workflows), compares them and checks the
// hand-made cases of compare/testdata: epoch, ~ pre-release, binNMU
// rebuild, addition, removal, Architecture all ↔ amd64, dependency change;
// the HTML report shows the committed counts; a second run reuses it.
func TestCompareTwoFixtureReleases(t *testing.T) {
	st := minioStore(t)
	h := newHarness(t, st)
	w := worker.New(h.c, h.queue, worker.Options{})
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir()})
	workflows.RegisterCompare(w, &activities.Compare{Store: st, TempDir: t.TempDir()})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	mainNames, main := stanzas(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
	_, updatedOld := stanzas(t, "../analysis/compare/testdata/bookworm-main-updated-packages-amd64.Packages")
	modNames, modified := stanzas(t, "../analysis/compare/testdata/modified-amd64.Packages")
	_, updates := stanzas(t, "../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages")
	var old, nw []string
	for _, n := range mainNames {
		old = append(old, main[n])
		if n == "abook" {
			continue
		}
		if m, ok := modified[n]; ok {
			nw = append(nw, m)
		} else {
			nw = append(nw, main[n])
		}
	}
	for _, n := range modNames {
		if _, ok := main[n]; !ok {
			nw = append(nw, modified[n])
		}
	}
	for _, s := range updatedOld {
		old = append(old, s)
	}
	for _, s := range updates {
		nw = append(nw, s)
	}
	side := func(codename string, entries []string) workflows.CompareSide {
		spec := repo.Spec{Mirror: formatstest.Serve(t, unsignedRepo(t, codename, entries)), Suite: codename,
			Components: []string{"main"}, Architectures: []string{"amd64"}, AllowUnsigned: true}
		return workflows.CompareSide{Distro: "distroscope-fixture", Release: codename, Spec: &spec,
			SnapshotWorkflowID: workflows.SnapshotWorkflowID(spec) + "/" + h.queue}
	}
	in := workflows.CompareInput{Old: side("oldrel", old), New: side("newrel", nw)}
	run := func() activities.CompareResult {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		r, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.CompareWorkflowID(in) + "/" + h.queue, TaskQueue: h.queue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE}, workflows.CompareWorkflowName, in)
		if err != nil {
			t.Fatal(err)
		}
		var res activities.CompareResult
		if err := r.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run()
	s := res.Summary
	if s.Added != 1 || s.Removed != 1 || s.Rebuilds != 1 || s.Upgraded < 3 || s.Downgraded < 1 {
		t.Errorf("summary = %+v", s)
	}
	rows, err := readAll[datasets.PackageChangeRow](t, st, datasets.PackageChanges.DataKey(res.Partition))
	if err != nil {
		t.Fatal(err)
	}
	kind := map[string]datasets.PackageChangeRow{}
	for _, r := range rows {
		kind[r.Package] = r
	}
	for pkg, want := range map[string]string{"a56": "upgraded", "aaphoto": "downgraded", "2048-qt": "upgraded", "zstd": "added",
		"abook": "removed", "0ad": "upgraded", "0ad-data": "same", "abgate": "upgraded", "tzdata": "downgraded", "ca-certificates": "same"} {
		if got := kind[pkg].Kind; got != want {
			t.Errorf("%s: %q, want %q", pkg, got, want)
		}
	}
	if !kind["2048-qt"].Rebuild || kind["a56"].Rebuild {
		t.Errorf("rebuild flags: 2048-qt %v, a56 %v", kind["2048-qt"].Rebuild, kind["a56"].Rebuild)
	}
	if r := kind["0ad"]; len(r.DependsAdded)+len(r.DependsRemoved)+len(r.DependsChanged) == 0 {
		t.Errorf("0ad dependency changes missing: %+v", r)
	}
	// The source roll-up: 2048-qt's binNMU is a rebuild of the whole
	// source, its source version unchanged; zstd's source appears.
	sources, err := readAll[datasets.SourceChangeRow](t, st, datasets.SourceChanges.DataKey(res.Partition))
	if err != nil {
		t.Fatal(err)
	}
	src := map[string]datasets.SourceChangeRow{}
	for _, r := range sources {
		src[r.Source] = r
	}
	if r := src["2048-qt"]; r.Kind != "upgraded" || !r.Rebuild || r.OldVersion != r.NewVersion || r.Rebuilds != 1 {
		t.Errorf("source 2048-qt = %+v, want a rebuild with its source version unchanged", r)
	}
	if r := src["libzstd"]; r.Kind != "added" || len(r.Binaries) != 1 || r.Binaries[0] != "zstd" {
		t.Errorf("source libzstd = %+v, want zstd added", r)
	}
	var upgraded int64
	for _, r := range rows {
		if r.Kind == "upgraded" {
			upgraded++
		}
	}
	if upgraded != s.Upgraded {
		t.Errorf("%d upgraded rows, summary says %d", upgraded, s.Upgraded)
	}
	// The HTML report carries the same numbers.
	var html string
	for _, k := range res.Reports {
		if strings.HasSuffix(k, ".html") {
			rc, err := st.Get(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			html = string(b)
		}
	}
	for id, want := range map[string]int64{"count-upgraded": s.Upgraded, "count-added": s.Added, "count-removed": s.Removed, "count-rebuilds": s.Rebuilds} {
		m := regexp.MustCompile(`id="` + id + `"[^>]*>([0-9]+)<`).FindStringSubmatch(html)
		if m == nil || m[1] != fmt.Sprint(want) {
			t.Errorf("report %s = %v, want %d", id, m, want)
		}
	}
	again := run()
	if !again.Reused || again.Summary != s {
		t.Errorf("second compare = %+v, want the committed one reused", again)
	}
}

// TestCompareAcrossDistros compares the Debian fixture with the Alpine one:
// names are mapped by the default rules, versions by their upstream part,
// and what no rule pairs is reported, not dropped.
func TestCompareAcrossDistros(t *testing.T) {
	st := minioStore(t)
	h := newHarness(t, st)
	w := worker.New(h.c, h.queue, worker.Options{})
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir()})
	workflows.RegisterCompare(w, &activities.Compare{Store: st, TempDir: t.TempDir()})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	base, keyring := formatstest.Repo(t)
	deb := fixtureSource(base, keyring)
	deb.Architectures = []string{"amd64"}
	apk := repo.Spec{Format: repo.FormatAPK, Distro: "fixture-alpine", Release: "v3.18", Mirror: formatstest.Serve(t, "../ecosystem/apk/testdata"),
		Suite: "v3.18", URLTemplate: "{mirror}/alpine-3.18-aarch64.APKINDEX.tar.gz", Components: []string{"main"}, Architectures: []string{"aarch64"}}
	in := workflows.CompareInput{
		Old: workflows.CompareSide{Distro: "distroscope-fixture", Release: "fixture", Spec: &deb, SnapshotWorkflowID: workflows.SnapshotWorkflowID(deb) + "/" + h.queue},
		New: workflows.CompareSide{Distro: "fixture-alpine", Release: "v3.18", Spec: &apk, SnapshotWorkflowID: workflows.SnapshotWorkflowID(apk) + "/" + h.queue},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.CompareWorkflowID(in) + "/" + h.queue, TaskQueue: h.queue},
		workflows.CompareWorkflowName, in)
	if err != nil {
		t.Fatal(err)
	}
	var res activities.CompareResult
	if err := r.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Summary.CrossDistro || res.Summary.Unmatched == 0 {
		t.Errorf("summary = %+v, want a cross-distro comparison with unmatched packages", res.Summary)
	}
	rows, err := readAll[datasets.PackageChangeRow](t, st, datasets.PackageChanges.DataKey(res.Partition))
	if err != nil {
		t.Fatal(err)
	}
	var unmatched int64
	for _, row := range rows {
		if row.Kind == "unmatched" {
			unmatched++
		}
	}
	if unmatched != res.Summary.Unmatched || int64(len(rows)) < unmatched {
		t.Errorf("%d unmatched rows of %d, summary says %d", unmatched, len(rows), res.Summary.Unmatched)
	}
}
