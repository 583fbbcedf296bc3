package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// testConfig is the tests' configuration: every format, a few thousand rows.
var testConfig = Config{Seed: 7, Sources: 8, Rows: 20000}

// generated is one tree for every test of the package, generated once.
func generated(t *testing.T) *Tree {
	t.Helper()
	genOnce.Do(func() { genTree, genErr = Generate(genDir, testConfig) })
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genTree
}

var (
	genDir  string
	genTree *Tree
	genErr  error
	genOnce sync.Once
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "synth-test-")
	if err != nil {
		panic(err)
	}
	genDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestLayout checks the sources the generator lays out for the
// benchmark's default configuration without writing them: at least 100
// sources in all four formats, size classes as real archives have them,
// one to three suites each.
func TestLayout(t *testing.T) {
	c := DefaultConfig()
	plans := layOut(c)
	if len(plans) < 100 {
		t.Fatalf("%d sources, want at least 100", len(plans))
	}
	perFormat := map[repo.Format]int{}
	perClass := map[string]int{}
	var rows float64
	for _, p := range plans {
		perFormat[p.Format]++
		perClass[p.Class]++
		if n := len(p.Suites); n < 1 || n > 3 {
			t.Errorf("%s: %d suites", p.Name, n)
		}
		if p.Class == "large" && (p.first < 55_000 || p.first > 75_000) {
			t.Errorf("%s: a large source of %d packages, want Debian's 60–70k give or take the scaling", p.Name, p.first)
		}
		for s := range p.Suites {
			rows += float64(p.first) * (1 + 0.02*float64(s))
		}
	}
	for _, f := range formatShares {
		if perFormat[f.format] < 15 {
			t.Errorf("%d %s sources, want their share (%d of 105)", perFormat[f.format], f.format, f.share)
		}
	}
	if perClass["large"] < 3 || perClass["medium"] < 25 || perClass["small"] < 40 {
		t.Errorf("size classes %v: want a few large, many medium and small", perClass)
	}
	if rows < 2_000_000 {
		t.Errorf("about %.0f rows planned, want at least 2 million", rows)
	}
}

// TestSourcesResolveAndIngest serves a testConfig tree and snapshots every
// suite of every source as the snapshot activities do — catalogue entry →
// Spec → the format's Resolve → repo.Ingest of each index through the
// format's parser — checking the apt signatures against the tree's key
// and each index's row count against what the generator said.
func TestSourcesResolveAndIngest(t *testing.T) {
	tree := generated(t)
	srv, err := Serve(tree.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	catPath := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := tree.WriteCatalog(catPath, srv.URL); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(catPath, t.TempDir()) // no apt sources of the machine
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Entries) != len(tree.Sources) {
		t.Fatalf("catalogue has %d entries, tree %d sources", len(cat.Entries), len(tree.Sources))
	}
	ctx := context.Background()
	f := repo.DefaultFetcher()
	formatsSeen := map[repo.Format]bool{}
	var total int64
	for _, s := range tree.Sources {
		formatsSeen[s.Format] = true
		for _, su := range s.Suites {
			specs, err := cat.Specs(s.Ref(su.Name), "")
			if err != nil || len(specs) != 1 {
				t.Fatalf("%s: %d specs, %v", s.Ref(su.Name), len(specs), err)
			}
			spec := specs[0]
			spec.AptRoot = t.TempDir()
			src, err := formats.For(spec.Format)
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Resolve(ctx, f, spec, time.Now())
			if err != nil {
				t.Fatalf("%s: resolve: %v", s.Ref(su.Name), err)
			}
			if s.Format == repo.FormatApt {
				if !slices.Contains(res.Signers, tree.Fingerprint) {
					t.Errorf("%s: signers %v, want the tree's key %s", s.Ref(su.Name), res.Signers, tree.Fingerprint)
				}
			}
			if want := (datasets.Partition{Distro: s.Name, Release: su.Name}); res.Partition.Distro != want.Distro || res.Partition.Release != datasets.Normalize(want.Release) {
				t.Errorf("%s: partition %s/%s, want the catalogue's names", s.Ref(su.Name), res.Partition.Distro, res.Partition.Release)
			}
			if len(res.Indexes) != len(su.Indexes) {
				t.Fatalf("%s: %d indexes resolved, generated %d", s.Ref(su.Name), len(res.Indexes), len(su.Indexes))
			}
			for i, ix := range res.Indexes {
				got, err := repo.Ingest(ctx, f, ix, src.Parse, io.Discard, repo.IngestOptions{})
				if err != nil {
					t.Fatalf("%s %s: ingest: %v", s.Ref(su.Name), ix.Name(), err)
				}
				if want := su.Indexes[i]; got.Rows != want.Rows || ix.Component != want.Component {
					t.Errorf("%s %s: %d rows, the generator said %s: %d", s.Ref(su.Name), ix.Name(), got.Rows, want.Component, want.Rows)
				}
				total += got.Rows
			}
		}
	}
	if len(formatsSeen) != 4 {
		t.Errorf("formats %v, want all four", formatsSeen)
	}
	if total != tree.Rows || total < testConfig.Rows*8/10 || total > testConfig.Rows*12/10 {
		t.Errorf("%d rows ingested; the tree says %d, the configuration asked for about %d", total, tree.Rows, testConfig.Rows)
	}
}

// TestPlanResolves reads the generated plan against the generated
// catalogue as `distroscope plan check` does: every suite snapshotted,
// each source's suites compared in order, and pairs across distributions.
func TestPlanResolves(t *testing.T) {
	tree := generated(t)
	catPath := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := tree.WriteCatalog(catPath, "http://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(catPath, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(tree.PlanFile())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := plan.Parse(f, tree.PlanFile())
	if err != nil {
		t.Fatal(err)
	}
	g, err := plan.Resolve(p, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Snapshots) != tree.Snapshots() {
		t.Errorf("%d snapshots, the tree has %d suites", len(g.Snapshots), tree.Snapshots())
	}
	consecutive, cross := 0, 0
	for _, s := range tree.Sources {
		consecutive += len(s.Suites) - 1
	}
	for _, e := range g.Comparisons {
		if strings.Split(e.Old, "/")[0] != strings.Split(e.New, "/")[0] {
			cross++
		}
	}
	if len(g.Comparisons) != consecutive+cross || cross < 4 || consecutive == 0 {
		t.Errorf("%d comparisons: %d across distributions, want every consecutive pair (%d) and at least 4 across", len(g.Comparisons), cross, consecutive)
	}
}

// TestSuitesEvolve reads two consecutive suites of a source of each
// format from disk with the format's parser: most packages are in both,
// 5–30% of those at another version, some added and some removed.
func TestSuitesEvolve(t *testing.T) {
	tree := generated(t)
	for _, f := range []repo.Format{repo.FormatApt, repo.FormatRPMMD, repo.FormatAPK, repo.FormatALPM} {
		var src *Source
		for i, s := range tree.Sources {
			if s.Format == f && len(s.Suites) > 1 && s.Suites[0].Rows >= 200 {
				src = &tree.Sources[i]
				break
			}
		}
		if src == nil {
			t.Errorf("%s: no source with two suites of 200 packages", f)
			continue
		}
		old, cur := versions(t, tree, *src, 0), versions(t, tree, *src, 1)
		shared, changed, added := 0, 0, 0
		for name, v := range cur {
			ov, ok := old[name]
			switch {
			case !ok:
				added++
			case ov != v:
				shared++
				changed++
			default:
				shared++
			}
		}
		removed := len(old) - shared
		share := float64(changed) / float64(shared)
		if float64(shared) < 0.9*float64(len(old)) || share < 0.05 || share > 0.3 || added == 0 || removed == 0 {
			t.Errorf("%s %s: %d old, %d new: %d shared of which %.0f%% at a new version, %d added, %d removed",
				f, src.Name, len(old), len(cur), shared, 100*share, added, removed)
		}
	}
}

// versions reads suite i of src (its first component) from disk: name → version.
func versions(t *testing.T, tree *Tree, src Source, i int) map[string]string {
	t.Helper()
	su := src.Suites[i]
	comp, arch := src.Components[0], src.Architectures[0]
	var path string
	switch src.Format {
	case repo.FormatApt:
		path = filepath.Join(tree.Dir, src.Name, "dists", su.Name, comp, "binary-"+arch, "Packages.gz")
	case repo.FormatRPMMD:
		m, _ := filepath.Glob(filepath.Join(tree.Dir, src.Name, su.Name, comp, arch, "os", "repodata", "*-primary.xml.gz"))
		if len(m) != 1 {
			t.Fatalf("%s: primary files %v", src.Ref(su.Name), m)
		}
		path = m[0]
	case repo.FormatAPK:
		path = filepath.Join(tree.Dir, src.Name, su.Name, comp, arch, "APKINDEX.tar.gz")
	case repo.FormatALPM:
		path = filepath.Join(tree.Dir, src.Name, "repos", su.Name, comp, "os", arch, comp+".db")
	}
	rows := formatstest.Rows(t, src.Format, path, repo.Index{Component: comp, Architecture: arch})
	out := map[string]string{}
	for _, r := range rows {
		if len(r.Depends) > 15+3 { // rpm-md adds libc, rtld and /bin/sh
			t.Errorf("%s %s: %d dependencies", src.Ref(su.Name), r.Package, len(r.Depends))
		}
		out[r.Package] = r.Version
	}
	if int64(len(rows)) != su.Indexes[0].Rows || len(out) != len(rows) {
		t.Fatalf("%s: %d rows, %d names; the generator said %d", src.Ref(su.Name), len(rows), len(out), su.Indexes[0].Rows)
	}
	return out
}

// TestDeterministicAndCached generates the testConfig tree again elsewhere and
// finds every file byte for byte the same, and a second Generate in the
// same cache reuses the tree instead of writing it.
func TestDeterministicAndCached(t *testing.T) {
	tree := generated(t)
	again, err := Generate(t.TempDir(), testConfig)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := treeHash(t, tree.Dir), treeHash(t, again.Dir); a != b {
		t.Errorf("the same configuration made different trees: %s and %s", a, b)
	}
	reused, err := Generate(genDir, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !reused.Reused || reused.Dir != tree.Dir || reused.Rows != tree.Rows {
		t.Errorf("second Generate: reused %v, dir %s (first %s), %d rows (first %d)", reused.Reused, reused.Dir, tree.Dir, reused.Rows, tree.Rows)
	}
}

func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		h.Write([]byte(rel + "\x00"))
		h.Write(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
