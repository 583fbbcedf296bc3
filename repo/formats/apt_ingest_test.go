package formats_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// TestIngestIndex ingests every index of the fixture through every
// compression it is published in and compares every row, field by field,
// with what python3-apt read from the same files.
func TestIngestIndex(t *testing.T) {
	mirror, keyring := formatstest.Repo(t)
	src := fixtureSource(mirror, keyring)
	src.CompressionOrder = []repo.Compression{"gz", "xz", ""}
	rel, err := formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), src, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	exp := formatstest.Release(t)
	for _, ix := range rel.Indexes {
		want := expectedRows(t, ix.Name())
		if len(want) == 0 {
			t.Fatalf("%s: the oracle has no rows; the fixture is broken", ix.Name())
		}
		plain, hasPlain := exp.Files[ix.Component+"/binary-"+ix.Architecture+"/Packages"]
		var first []datasets.PackageRow
		for _, c := range ix.Candidates {
			t.Run(ix.Name()+"/"+c.Compression.String(), func(t *testing.T) {
				one := only(t, ix, c.Compression)
				var progress []repo.Progress
				got, res, err := ingest(t, testContext(t), one, repo.IngestOptions{
					OnProgress: func(p repo.Progress) { progress = append(progress, p) },
				})
				if err != nil {
					t.Fatalf("IngestIndex: %v", err)
				}
				compareRows(t, ix.Name(), want, got)
				if !slices.IsSortedFunc(got, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) }) {
					t.Errorf("rows of one row group are not in ComparePackageRows order")
				}
				wantRes := repo.IngestResult{
					Index: ix.Name(), URL: c.URL, Path: c.Path, Compression: c.Compression,
					CompressedBytes: c.Size, SHA256: c.SHA256, Rows: int64(len(want)),
					UncompressedBytes: res.UncompressedBytes, ParquetBytes: res.ParquetBytes,
				}
				if hasPlain {
					wantRes.UncompressedBytes = plain.Size
				}
				if res != wantRes {
					t.Errorf("result\n%+v\nwant\n%+v", res, wantRes)
				}
				if res.UncompressedBytes <= c.Size && c.Compression != "" {
					t.Errorf("UncompressedBytes %d is not more than the %d compressed bytes", res.UncompressedBytes, c.Size)
				}
				if n := len(progress); n == 0 || progress[n-1] != (repo.Progress{Index: ix.Name(), CompressedBytes: c.Size, Rows: int64(len(want))}) {
					t.Errorf("progress reports %+v, want a final one with all bytes and rows", progress)
				}
				// Every compression must give the very same rows.
				if first == nil {
					first = got
				} else {
					compareRows(t, "same index in another compression", first, got)
				}
			})
		}
	}
}

// TestIngestIndexArchitectureAll: an Architecture: all stanza is a row of
// each architecture's index, told apart by IndexArchitecture.
func TestIngestIndexArchitectureAll(t *testing.T) {
	mirror, keyring := formatstest.Repo(t)
	var amd64, arm64 []datasets.PackageRow
	for _, p := range []struct {
		name string
		dst  *[]datasets.PackageRow
	}{{"main/amd64", &amd64}, {"main/arm64", &arm64}} {
		rows, _, err := ingest(t, testContext(t), resolveFixture(t, mirror, keyring, p.name), repo.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		*p.dst = rows
	}
	n := 0
	for _, r := range arm64 {
		if r.Architecture != "all" || r.IndexArchitecture != "arm64" {
			t.Errorf("arm64 index row %s: architecture %q, index architecture %q", rowKey(&r), r.Architecture, r.IndexArchitecture)
			continue
		}
		i := slices.IndexFunc(amd64, func(a datasets.PackageRow) bool { return a.Package == r.Package && a.Version == r.Version })
		if i < 0 {
			t.Errorf("%s is in the arm64 index only", r.Package)
			continue
		}
		twin := amd64[i]
		if twin.IndexArchitecture != "amd64" {
			t.Errorf("amd64 index row %s has index architecture %q", rowKey(&twin), twin.IndexArchitecture)
		}
		twin.IndexArchitecture = r.IndexArchitecture
		for _, d := range diffRow(&twin, &r) {
			t.Errorf("%s differs between the indexes: %s", r.Package, d)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no Architecture: all package found in both indexes")
	}
}

// TestIngestIndexSmallRowGroups: rows split over many row groups come back
// all the same.
func TestIngestIndexSmallRowGroups(t *testing.T) {
	mirror, keyring := formatstest.Repo(t)
	ix := resolveFixture(t, mirror, keyring, "main/amd64")
	got, res, err := ingest(t, testContext(t), ix, repo.IngestOptions{RowGroupRows: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := expectedRows(t, "main/amd64")
	compareRows(t, "main/amd64 in row groups of 5", want, got)
	if res.Rows != int64(len(want)) {
		t.Errorf("Rows = %d, want %d", res.Rows, len(want))
	}
}

// TestIngestIndexFallback: a candidate the mirror does not have (404) is
// skipped for the next; when none is there the error says not found.
func TestIngestIndexFallback(t *testing.T) {
	_, keyring := formatstest.Repo(t)
	tests := []struct {
		name     string
		index    string
		remove   []repo.Compression // by-hash copies to delete
		want     repo.Compression
		notFound bool
	}{
		{name: "gz missing", index: "main/amd64", remove: []repo.Compression{"gz"}, want: "xz"},
		{name: "gz and xz missing", index: "main/amd64", remove: []repo.Compression{"gz", "xz"}, want: ""},
		{name: "nothing missing", index: "main/arm64", want: "gz"},
		{name: "all missing", index: "main/amd64", remove: []repo.Compression{"gz", "xz", ""}, notFound: true},
		{name: "xz-only index, missing", index: formatstest.XZOnly, remove: []repo.Compression{"xz"}, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := formatstest.CopyRepo(t)
			mirror := formatstest.Serve(t, root)
			ix := resolveFixture(t, mirror, keyring, tt.index)
			for _, c := range ix.Candidates {
				if slices.Contains(tt.remove, c.Compression) {
					if err := os.Remove(filepath.Join(formatstest.IndexDir(root, tt.index), "by-hash", "SHA256", c.SHA256)); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, res, err := ingest(t, testContext(t), ix, repo.IngestOptions{})
			if tt.notFound {
				if !errors.Is(err, repo.ErrNotFound) || errors.Is(err, repo.ErrCorrupt) {
					t.Fatalf("error %v, want one wrapping ErrNotFound and not ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("IngestIndex: %v", err)
			}
			if res.Compression != tt.want {
				t.Errorf("ingested the %s candidate, want %s", res.Compression, tt.want)
			}
			compareRows(t, tt.index, expectedRows(t, tt.index), got)
		})
	}
}

// TestIngestIndexNoCandidates: an index with nothing to fetch is an error,
// not an empty table.
func TestIngestIndexNoCandidates(t *testing.T) {
	_, _, err := ingest(t, testContext(t), repo.Index{Component: "main", Architecture: "amd64"}, repo.IngestOptions{})
	if err == nil {
		t.Fatal("IngestIndex of an index without candidates succeeded")
	}
}
