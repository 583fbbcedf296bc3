package formats_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// TestIngestIndex ingests every index of the fixture through every
// candidate — each compression it is published in, by hash and by its
// canonical name — and compares every row, field by field, with what
// python3-apt read from the same files.
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
			how := "canonical"
			if strings.Contains(c.URL, "/by-hash/") {
				how = "by-hash"
			}
			t.Run(ix.Name()+"/"+c.Compression.String()+"/"+how, func(t *testing.T) {
				one := ix
				one.Candidates = []repo.Candidate{c}
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
				if !reflect.DeepEqual(res, wantRes) {
					t.Errorf("result\n%+v\nwant\n%+v", res, wantRes)
				}
				if res.UncompressedBytes <= c.Size && c.Compression != "" {
					t.Errorf("UncompressedBytes %d is not more than the %d compressed bytes", res.UncompressedBytes, c.Size)
				}
				if n := len(progress); n == 0 || progress[n-1] != (repo.Progress{Index: ix.Name(), CompressedBytes: c.Size, Rows: int64(len(want))}) {
					t.Errorf("progress reports %+v, want a final one with all bytes and rows", progress)
				}
				// Every candidate must give the very same rows.
				if first == nil {
					first = got
				} else {
					compareRows(t, "same index from another candidate", first, got)
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

// file names one published copy of an index: its compression, by hash or
// by its canonical name.
type file struct {
	c      repo.Compression
	byHash bool
}

// path is where f of the index ix lies under the index's folder.
func (f file) path(ix repo.Index) string {
	for _, c := range ix.Candidates {
		if c.Compression == f.c {
			if f.byHash {
				return filepath.Join("by-hash", "SHA256", c.SHA256)
			}
			return filepath.Base(c.Path)
		}
	}
	panic("no candidate of compression " + f.c.String())
}

// TestIngestIndexFallback: a candidate the mirror does not have (404) is
// skipped for the next — a by-hash copy for the canonical name, a
// compression for the next — and each skip is a notice in the result; when
// none is there the error says not found.
func TestIngestIndexFallback(t *testing.T) {
	_, keyring := formatstest.Repo(t)
	tests := []struct {
		name     string
		index    string
		remove   []file
		want     file
		notFound bool
	}{
		{name: "nothing missing", index: "main/arm64", want: file{"gz", true}},
		{name: "gz by hash missing", index: "main/amd64", remove: []file{{"gz", true}}, want: file{"gz", false}},
		{name: "gz missing", index: "main/amd64", remove: []file{{"gz", true}, {"gz", false}}, want: file{"xz", true}},
		{name: "gz and xz missing", index: "main/amd64", remove: []file{{"gz", true}, {"gz", false}, {"xz", true}, {"xz", false}}, want: file{"", true}},
		{name: "no by-hash at all", index: "main/amd64", remove: []file{{"gz", true}, {"xz", true}, {"", true}}, want: file{"gz", false}},
		{name: "xz-only index, by hash missing", index: formatstest.XZOnly, remove: []file{{"xz", true}}, want: file{"xz", false}},
		{name: "all missing", index: "main/amd64", notFound: true,
			remove: []file{{"gz", true}, {"gz", false}, {"xz", true}, {"xz", false}, {"", true}, {"", false}}},
		{name: "xz-only index, missing", index: formatstest.XZOnly, remove: []file{{"xz", true}, {"xz", false}}, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := formatstest.CopyRepo(t)
			mirror := formatstest.Serve(t, root)
			ix := resolveFixture(t, mirror, keyring, tt.index)
			for _, f := range tt.remove {
				if err := os.Remove(filepath.Join(formatstest.IndexDir(root, tt.index), f.path(ix))); err != nil {
					t.Fatal(err)
				}
			}
			var heard []repo.Notice
			got, res, err := ingest(t, testContext(t), ix, repo.IngestOptions{OnNotice: func(n repo.Notice) { heard = append(heard, n) }})
			if tt.notFound {
				if !errors.Is(err, repo.ErrNotFound) || errors.Is(err, repo.ErrCorrupt) {
					t.Fatalf("error %v, want one wrapping ErrNotFound and not ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("IngestIndex: %v", err)
			}
			if res.Compression != tt.want.c || strings.Contains(res.URL, "/by-hash/") != tt.want.byHash {
				t.Errorf("ingested %s, want the %+v candidate", res.URL, tt.want)
			}
			compareRows(t, tt.index, expectedRows(t, tt.index), got)
			// One notice per candidate skipped, each naming it, why and
			// the one fetched instead; OnNotice heard the same.
			var want []repo.Notice
			for i, c := range ix.Candidates {
				if c.URL == res.URL {
					break
				}
				want = append(want, repo.Notice{Kind: repo.NoticeFallback, Index: ix.Name(), URL: c.URL, Reason: "404 Not Found", Next: ix.Candidates[i+1].URL})
			}
			if !reflect.DeepEqual(res.Notices, want) || !reflect.DeepEqual(heard, res.Notices) {
				t.Errorf("notices %+v, heard %+v, want %+v", res.Notices, heard, want)
			}
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

// TestSnapshotWithoutByHash: a mirror that lacks by-hash/ although the
// Release says Acquire-By-Hash (partial mirrors, some mirroring tools)
// still snapshots: every index comes by its canonical name, verified
// against the same size and hash, and the result says so.
func TestSnapshotWithoutByHash(t *testing.T) {
	_, keyring := formatstest.Repo(t)
	root := formatstest.CopyRepo(t)
	for _, comp := range formatstest.Components {
		for _, arch := range formatstest.Architectures {
			if err := os.RemoveAll(filepath.Join(formatstest.IndexDir(root, comp+"/"+arch), "by-hash")); err != nil {
				t.Fatal(err)
			}
		}
	}
	mirror := formatstest.Serve(t, root)
	rel, err := formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), fixtureSource(mirror, keyring), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range rel.Indexes {
		got, res, err := ingest(t, testContext(t), ix, repo.IngestOptions{})
		if err != nil {
			t.Fatalf("%s: %v", ix.Name(), err)
		}
		compareRows(t, ix.Name(), expectedRows(t, ix.Name()), got)
		first := ix.Candidates[0]
		if want := mirror + "/dists/fixture/" + first.Path; res.URL != want {
			t.Errorf("%s: ingested %s, want the canonical %s", ix.Name(), res.URL, want)
		}
		want := []repo.Notice{{Kind: repo.NoticeFallback, Index: ix.Name(), URL: first.URL, Reason: "404 Not Found", Next: res.URL}}
		if !reflect.DeepEqual(res.Notices, want) {
			t.Errorf("%s: notices %+v, want %+v", ix.Name(), res.Notices, want)
		}
		if s := res.Notices[0].String(); !strings.Contains(s, "by-hash") || !strings.Contains(s, "404") || !strings.Contains(s, res.URL) {
			t.Errorf("%s: notice reads %q", ix.Name(), s)
		}
	}
}

// syncingMirror serves one good file, but answers its first wrong
// requests with other bytes of the same size — what a mirror in the middle
// of a sync does for a moment — each time different ones when changing.
type syncingMirror struct {
	good     []byte
	wrong    int // requests answered wrongly; -1 is all of them
	changing bool
	mu       sync.Mutex
	requests int
}

func (m *syncingMirror) fetches() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

func (m *syncingMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	n := m.requests
	m.requests++
	m.mu.Unlock()
	body := m.good
	if m.wrong < 0 || n < m.wrong {
		body = bytes.Clone(m.good)
		at := len(body) / 2
		if m.changing {
			at += n
		}
		body[at] ^= 0x20
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// TestIngestIndexMirrorMidSync: a canonical name whose bytes do not match
// is fetched again after a pause, with a notice each time; it is corrupt —
// naming the URL and both hashes — only when every fetch agrees, and still
// retryable when the bytes keep changing. Rows of a failed fetch never
// reach the output.
func TestIngestIndexMirrorMidSync(t *testing.T) {
	plain := fixturePlain(t)
	gz := gzipped(t, plain)
	wrongOnce := bytes.Clone(gz)
	wrongOnce[len(gz)/2] ^= 0x20
	tests := []struct {
		name      string
		wrong     int
		changing  bool
		retries   int
		wantOK    bool
		corrupt   bool
		words     []string
		fetches   int
		byHashURL bool // served under its hash: never fetched again
	}{
		{name: "wrong once, then right", wrong: 1, wantOK: true, fetches: 2},
		{name: "wrong three times, then right", wrong: 3, wantOK: true, fetches: 4},
		{name: "always wrong", wrong: -1, corrupt: true, fetches: 4,
			words: []string{"SHA256", hashOf(wrongOnce), hashOf(gz), "the same on 4 fetches"}},
		{name: "always wrong, one retry", wrong: -1, retries: 1, corrupt: true, fetches: 2,
			words: []string{"SHA256", hashOf(wrongOnce), hashOf(gz), "the same on 2 fetches"}},
		{name: "always wrong, no retries", wrong: -1, retries: -1, corrupt: true, fetches: 1,
			words: []string{"SHA256", hashOf(wrongOnce), hashOf(gz)}},
		{name: "always different", wrong: -1, changing: true, fetches: 4,
			words: []string{"changes from one fetch to the next", "SHA256 " + hashOf(gz)}},
		{name: "wrong once, by hash", wrong: 1, byHashURL: true, corrupt: true, fetches: 1,
			words: []string{"SHA256", hashOf(wrongOnce), hashOf(gz)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &syncingMirror{good: gz, wrong: tt.wrong, changing: tt.changing}
			srv := httptest.NewServer(m)
			t.Cleanup(srv.Close)
			name := "Packages.gz"
			if tt.byHashURL {
				name = "by-hash/SHA256/" + hashOf(gz)
			}
			ix := repo.Index{Component: "main", Architecture: "amd64",
				Candidates: []repo.Candidate{{URL: srv.URL + "/dists/fixture/main/binary-amd64/" + name,
					Path: "main/binary-amd64/Packages.gz", Compression: "gz", Size: int64(len(gz)), SHA256: hashOf(gz)}},
				UncompressedSize: int64(len(plain)), UncompressedSHA256: hashOf(plain)}
			var heard []repo.Notice
			got, res, err := ingest(t, testContext(t), ix, repo.IngestOptions{
				MismatchRetries: tt.retries, MismatchBackoff: time.Millisecond,
				OnNotice: func(n repo.Notice) { heard = append(heard, n) },
			})
			if n := m.fetches(); n != tt.fetches {
				t.Errorf("%d fetches, want %d", n, tt.fetches)
			}
			if tt.wantOK {
				if err != nil {
					t.Fatalf("IngestIndex: %v", err)
				}
				// The rows of the wrong fetches are gone: one copy of each.
				compareRows(t, "main/amd64", expectedRows(t, "main/amd64"), got)
				if len(res.Notices) != tt.wrong || !reflect.DeepEqual(heard, res.Notices) {
					t.Fatalf("notices %+v (heard %+v), want %d retries", res.Notices, heard, tt.wrong)
				}
				for i, n := range res.Notices {
					wait := time.Millisecond << i
					if n.Kind != repo.NoticeRetry || n.URL != ix.Candidates[0].URL || n.Wait != wait ||
						!strings.Contains(n.Reason, hashOf(gz)) || !strings.Contains(n.String(), "sync") {
						t.Errorf("notice %d: %+v (%s), want a retry of %s after %s", i, n, n, ix.Candidates[0].URL, wait)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("IngestIndex succeeded")
			}
			if errors.Is(err, repo.ErrCorrupt) != tt.corrupt {
				t.Errorf("error %q: ErrCorrupt is %v, want %v", err, !tt.corrupt, tt.corrupt)
			}
			for _, w := range append([]string{ix.Candidates[0].URL}, tt.words...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
