package activities_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/store/storetest"
)

// countingMirror serves a fixture tree and counts index fetches.
type countingMirror struct {
	h    http.Handler
	mu   sync.Mutex
	hits map[string]int
}

func (m *countingMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.hits[r.URL.Path]++
	m.mu.Unlock()
	m.h.ServeHTTP(w, r)
}

func (m *countingMirror) indexFetches() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for p, c := range m.hits {
		if strings.Contains(p, "/binary-") {
			n += c
		}
	}
	return n
}

func setup(t *testing.T, root string) (*activities.Snapshot, *testsuite.TestActivityEnvironment, repo.Spec, *countingMirror) {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := &countingMirror{h: http.FileServer(http.Dir(root)), hits: map[string]int{}}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	_, keyring := formatstest.Repo(t)
	a := &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir(), Producer: "test"}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	src := repo.Spec{Mirror: srv.URL, Suite: formatstest.Suite, Components: []string{"main", "contrib"},
		Architectures: []string{"amd64", "arm64"}, SignedBy: []string{keyring}}
	return a, env, src, m
}

func TestActivitiesAreIdempotent(t *testing.T) {
	a, env, src, mirror := setup(t, formatstest.Path(t, "repo"))
	v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ResolveResult
	v.Get(&res)
	if res.Committed != nil || len(res.Resolved.Indexes) != 4 {
		t.Fatalf("resolve = %+v", res)
	}
	var parts []activities.IngestResult
	for _, ix := range res.Resolved.Indexes {
		v, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: ix})
		if err != nil {
			t.Fatal(err)
		}
		var r activities.IngestResult
		v.Get(&r)
		parts = append(parts, r)
	}
	fetched := mirror.indexFetches()
	if fetched != 4 {
		t.Fatalf("%d index fetches for 4 indexes", fetched)
	}
	// A retry after a crash that followed staging returns the receipt: no refetch.
	v, err = env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: res.Resolved.Indexes[0]})
	if err != nil {
		t.Fatal(err)
	}
	var again activities.IngestResult
	v.Get(&again)
	if again.Staged != parts[0].Staged || mirror.indexFetches() != fetched {
		t.Errorf("re-ingest = %+v with %d fetches, want the staged receipt and no fetch", again, mirror.indexFetches()-fetched)
	}

	in := activities.CommitInput{Resolved: res.Resolved, Parts: parts, WorkflowID: "wf", RunID: "run"}
	v, err = env.ExecuteActivity(a.CommitSnapshot, in)
	if err != nil {
		t.Fatal(err)
	}
	var c1 activities.CommitResult
	v.Get(&c1)
	var want int64
	for _, p := range parts {
		want += p.Staged.Rows
	}
	if c1.Rows != want || len(c1.Manifests) != 2 || len(c1.DataKeys) != 2 {
		t.Fatalf("commit = %+v, want %d rows", c1, want)
	}
	// Committing again (a retried commit) changes nothing.
	v, err = env.ExecuteActivity(a.CommitSnapshot, in)
	if err != nil {
		t.Fatal(err)
	}
	var c2 activities.CommitResult
	v.Get(&c2)
	if c2.Rows != c1.Rows || c2.ParquetBytes != c1.ParquetBytes {
		t.Errorf("second commit = %+v, first %+v", c2, c1)
	}
	// And the next resolve of the same Release reports it committed.
	v, err = env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res2 activities.ResolveResult
	v.Get(&res2)
	if res2.Committed == nil || res2.Committed.Rows != want {
		t.Errorf("resolve after commit = %+v", res2.Committed)
	}
	m, ok, err := datasets.Committed(t.Context(), a.Store, datasets.Snapshots, res.Resolved.Partition)
	if err != nil || !ok || m.Rows != 4 {
		t.Errorf("snapshots manifest = %+v %v %v (want one row per index)", m, ok, err)
	}
}

func TestCorruptInputIsNonRetryable(t *testing.T) {
	root := formatstest.CopyRepo(t)
	// Replace the signed InRelease's body: the signature no longer matches.
	p := root + "/dists/" + formatstest.Suite + "/InRelease"
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), "Suite: testing", "Suite: tampered", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, env, src, _ := setup(t, root)
	_, err = env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != activities.ErrTypeCorrupt || !strings.Contains(ae.Error(), "InRelease") {
		t.Fatalf("err = %v, want a non-retryable %s naming InRelease", err, activities.ErrTypeCorrupt)
	}
}

func TestUnreadableKeyringIsAnInvalidSource(t *testing.T) {
	a, env, src, mirror := setup(t, formatstest.Path(t, "repo"))
	src.SignedBy = []string{t.TempDir() + "/no-such-keyring.gpg"}
	_, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != activities.ErrTypeInvalid || !strings.Contains(ae.Error(), "no-such-keyring.gpg") {
		t.Fatalf("err = %v, want a non-retryable %s naming the keyring", err, activities.ErrTypeInvalid)
	}
	if mirror.indexFetches() != 0 {
		t.Errorf("fetched indexes for a source that cannot be verified")
	}
}

func TestMinPackagesGuardCommitsNothing(t *testing.T) {
	a, env, src, _ := setup(t, formatstest.Path(t, "repo"))
	src.MinPackages = 1000 // the fixture has 59 rows
	v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ResolveResult
	v.Get(&res)
	var parts []activities.IngestResult
	for _, ix := range res.Resolved.Indexes {
		v, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: ix})
		if err != nil {
			t.Fatal(err)
		}
		var r activities.IngestResult
		v.Get(&r)
		parts = append(parts, r)
	}
	_, err = env.ExecuteActivity(a.CommitSnapshot, activities.CommitInput{Resolved: res.Resolved, Parts: parts})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || !strings.Contains(ae.Error(), "fewer than the 1000") {
		t.Fatalf("err = %v, want the minimum-count guard", err)
	}
	for _, tb := range datasets.Tables {
		if objs, _ := a.Store.List(t.Context(), tb.Prefix()); len(objs) != 0 {
			t.Errorf("guarded snapshot committed %v", objs)
		}
	}
}

// TestPartialMirrorIsLogged: a mirror without by-hash/ snapshots from the
// canonical names, and the activity says so in the worker's log, once per
// index that fell back.
func TestPartialMirrorIsLogged(t *testing.T) {
	root := formatstest.CopyRepo(t)
	byHash, err := filepath.Glob(filepath.Join(root, "dists", formatstest.Suite, "*", "binary-*", "by-hash"))
	if err != nil || len(byHash) == 0 {
		t.Fatalf("no by-hash folders in the fixture: %v", err)
	}
	for _, d := range byHash {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	a, _, src, _ := setup(t, root)
	var logged bytes.Buffer
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ResolveResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	for _, ix := range res.Resolved.Indexes {
		if _, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: ix}); err != nil {
			t.Fatalf("%s from a mirror without by-hash/: %v", ix.Name(), err)
		}
	}
	if n := strings.Count(logged.String(), "level=WARN"); n != len(res.Resolved.Indexes) || !strings.Contains(logged.String(), "instead") {
		t.Errorf("%d warnings for %d indexes fetched by their canonical names:\n%s", n, len(res.Resolved.Indexes), logged.String())
	}
}

// unsignedRepo writes an unsigned apt suite "hostile" of one index,
// main/binary-amd64/Packages, holding packages, and returns its root.
func unsignedRepo(t *testing.T, packages string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "dists", "hostile", "main", "binary-amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Packages"), []byte(packages), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(packages))
	release := fmt.Sprintf("Origin: Hostile\nSuite: hostile\nCodename: hostile\nDate: Sat, 05 Dec 2026 10:00:00 UTC\n"+
		"Architectures: amd64\nComponents: main\nSHA256:\n %x %d main/binary-amd64/Packages\n", sum, len(packages))
	if err := os.WriteFile(filepath.Join(root, "dists", "hostile", "Release"), []byte(release), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// snapshotUnsigned resolves and ingests the suite of root: it returns the
// resolved snapshot, its parts and the first ingest error.
func snapshotUnsigned(t *testing.T, root string) (*activities.Snapshot, *testsuite.TestActivityEnvironment, activities.ResolveResult, []activities.IngestResult, error) {
	t.Helper()
	a, env, src, _ := setup(t, root)
	src.Suite, src.Components, src.Architectures, src.SignedBy, src.AllowUnsigned = "hostile", []string{"main"}, []string{"amd64"}, nil, true
	v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ResolveResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	var parts []activities.IngestResult
	for _, ix := range res.Resolved.Indexes {
		v, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: ix})
		if err != nil {
			return a, env, res, parts, err
		}
		var r activities.IngestResult
		if err := v.Get(&r); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, r)
	}
	return a, env, res, parts, nil
}

// TestInvalidUTF8 (issue 9, item 7): a package name that is not UTF-8
// made a whole table unreadable to DuckDB once committed. Such a name is
// corrupt metadata, refused naming the line; free text that is not UTF-8
// (Latin-1, in old third-party repositories) is committed as valid UTF-8,
// and the snapshot's record counts the rows and fields it was in.
func TestInvalidUTF8(t *testing.T) {
	const stanza = "Package: %s\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: %s\nDescription: %s\n\n"
	t.Run("a name that is not UTF-8 is corrupt", func(t *testing.T) {
		packages := fmt.Sprintf(stanza, "good", "A <a@example.org>", "fine") + fmt.Sprintf(stanza, "bad\xffname", "A <a@example.org>", "fine")
		_, _, _, _, err := snapshotUnsigned(t, unsignedRepo(t, packages))
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != activities.ErrTypeCorrupt {
			t.Fatalf("err = %v, want a non-retryable %s", err, activities.ErrTypeCorrupt)
		}
		for _, want := range []string{"main/binary-amd64/Packages line 7", "invalid package name", `"bad\xffname"`} {
			if !strings.Contains(ae.Error(), want) {
				t.Errorf("error %q does not say %q", ae.Error(), want)
			}
		}
	})
	t.Run("Latin-1 text is committed as UTF-8 and counted", func(t *testing.T) {
		packages := fmt.Sprintf(stanza, "clean", "A <a@example.org>", "fine") +
			fmt.Sprintf(stanza, "latin", "J\xfcrgen <j@example.org>", "caf\xe9 cr\xe8me") +
			fmt.Sprintf(stanza, "latin-desc", "A <a@example.org>", "na\xefve")
		a, env, res, parts, err := snapshotUnsigned(t, unsignedRepo(t, packages))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.ExecuteActivity(a.CommitSnapshot, activities.CommitInput{Resolved: res.Resolved, Parts: parts, WorkflowID: "wf", RunID: "run"}); err != nil {
			t.Fatal(err)
		}
		p := res.Resolved.Partition
		snaps := readCommitted[datasets.SnapshotRow](t, a, datasets.Snapshots, p)
		if len(snaps) != 1 {
			t.Fatalf("%d snapshots rows, want 1", len(snaps))
		}
		if s := snaps[0]; s.InvalidUTF8Rows != 2 || s.InvalidUTF8Fields != 3 || !slices.Equal(s.InvalidUTF8Columns, []string{"description", "maintainer"}) {
			t.Errorf("snapshots row counts %d rows, %d fields, columns %q; want 2, 3, [description maintainer]",
				s.InvalidUTF8Rows, s.InvalidUTF8Fields, s.InvalidUTF8Columns)
		}
		rows := readCommitted[datasets.PackageRow](t, a, datasets.Packages, p)
		got := map[string]string{}
		for _, r := range rows {
			got[r.Package] = r.Maintainer + " | " + r.Description
		}
		want := map[string]string{"clean": "A <a@example.org> | fine", "latin": "Jürgen <j@example.org> | café crème", "latin-desc": "A <a@example.org> | naïve"}
		if !maps.Equal(got, want) {
			t.Errorf("committed rows %q, want %q", got, want)
		}
	})
}

// readCommitted reads the data object of table tb's committed partition p.
func readCommitted[T any](t *testing.T, a *activities.Snapshot, tb datasets.Table, p datasets.Partition) []T {
	t.Helper()
	rc, err := a.Store.Get(t.Context(), tb.DataKey(p))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[T](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", tb.DataKey(p), err)
	}
	return rows
}

// snapshotRowBeforeUTF8Counts is datasets.SnapshotRow as version 1 of
// the snapshots table first was, without the invalid_utf8 columns.
type snapshotRowBeforeUTF8Counts struct {
	Origin            string    `parquet:"origin,dict"`
	Label             string    `parquet:"label,optional,dict"`
	Suite             string    `parquet:"suite,optional,dict"`
	Codename          string    `parquet:"codename,optional,dict"`
	Version           string    `parquet:"version,optional,dict"`
	ReleaseDate       time.Time `parquet:"release_date,timestamp(millisecond)"`
	ValidUntil        time.Time `parquet:"valid_until,optional,timestamp(millisecond)"`
	ReleaseSHA256     string    `parquet:"release_sha256,dict"`
	SignedBy          []string  `parquet:"signed_by,list"`
	Mirror            string    `parquet:"mirror,dict"`
	Component         string    `parquet:"component,dict"`
	IndexArchitecture string    `parquet:"index_architecture,dict"`
	IndexPath         string    `parquet:"index_path"`
	Compression       string    `parquet:"compression,dict"`
	IndexSize         int64     `parquet:"index_size"`
	IndexSHA256       string    `parquet:"index_sha256"`
	UncompressedSize  int64     `parquet:"uncompressed_size,optional"`
	Rows              int64     `parquet:"rows"`
	FetchedAt         time.Time `parquet:"fetched_at,timestamp(millisecond)"`
}

// TestSnapshotsWrittenBeforeUTF8CountsRead: the invalid_utf8 columns were
// added to version 1 of the snapshots table as optional columns at its
// end, so a snapshots file committed before them still reads, with zero
// counts, as the table's readers read it (parquet-go into SnapshotRow).
func TestSnapshotsWrittenBeforeUTF8CountsRead(t *testing.T) {
	old := snapshotRowBeforeUTF8Counts{Origin: "Debian", Codename: "bookworm", ReleaseDate: time.Unix(1700000000, 0).UTC(),
		ReleaseSHA256: strings.Repeat("a", 64), SignedBy: []string{"key"}, Mirror: "http://127.0.0.1/debian", Component: "main",
		IndexArchitecture: "amd64", IndexPath: "main/binary-amd64/Packages.xz", Compression: "xz", IndexSize: 1, IndexSHA256: strings.Repeat("b", 64),
		Rows: 7, FetchedAt: time.Unix(1700000001, 0).UTC()}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []snapshotRowBeforeUTF8Counts{old}); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewGenericReader[datasets.SnapshotRow](f)
	rows := make([]datasets.SnapshotRow, 2)
	n, err := r.Read(rows)
	if n != 1 || (err != nil && err != io.EOF) {
		t.Fatalf("read %d rows, %v", n, err)
	}
	got := rows[0]
	if got.Origin != old.Origin || got.Rows != old.Rows || !slices.Equal(got.SignedBy, old.SignedBy) || got.IndexSHA256 != old.IndexSHA256 ||
		got.InvalidUTF8Rows != 0 || got.InvalidUTF8Fields != 0 || len(got.InvalidUTF8Columns) != 0 {
		t.Errorf("read %+v from %+v", got, old)
	}
}

// TestMaxUncompressedIsTheHardCap: the worker's cap on what an index
// decompresses to reaches the ingest (issue 9, item 3: a Release
// declaring 4.36 GB let a bomb commit 2.2 M rows).
func TestMaxUncompressedIsTheHardCap(t *testing.T) {
	packages := strings.Repeat("Package: pkg\nVersion: 1.0-1\nArchitecture: amd64\n\n", 10)
	root := unsignedRepo(t, packages)
	a, env, src, _ := setup(t, root)
	a.MaxUncompressed = 100
	src.Suite, src.Components, src.Architectures, src.SignedBy, src.AllowUnsigned = "hostile", []string{"main"}, []string{"amd64"}, nil, true
	v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ResolveResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	_, err = env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: res.Resolved.Indexes[0]})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || !strings.Contains(ae.Error(), "more than the limit of 100") {
		t.Fatalf("err = %v, want a non-retryable error naming the limit of 100", err)
	}
}

// TestFlippedStagedPartIsNotCommitted: an ingest records its staged part's
// SHA-256, and the commit checks the part against it — a byte changed in
// between fails the commit, non-retryably, naming the part, with nothing
// committed; the part is gone, so the index's next ingest fetches it again
// and the commit then succeeds.
func TestFlippedStagedPartIsNotCommitted(t *testing.T) {
	a, env, src, mirror := setup(t, formatstest.Path(t, "repo"))
	v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ResolveResult
	v.Get(&res)
	ingest := func(ix repo.Index) activities.IngestResult {
		t.Helper()
		v, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: ix})
		if err != nil {
			t.Fatal(err)
		}
		var r activities.IngestResult
		v.Get(&r)
		return r
	}
	var parts []activities.IngestResult
	for _, ix := range res.Resolved.Indexes {
		parts = append(parts, ingest(ix))
	}
	key := parts[0].Staged.Key
	if parts[0].Staged.SHA256 == "" {
		t.Fatalf("staged part %s recorded no SHA-256", key)
	}
	data := storetest.Get(t, a.Store, key)
	data[len(data)/2] ^= 1
	storetest.Put(t, a.Store, key, data)

	in := activities.CommitInput{Resolved: res.Resolved, Parts: parts, WorkflowID: "wf", RunID: "run"}
	_, err = env.ExecuteActivity(a.CommitSnapshot, in)
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != activities.ErrTypeCorrupt || !strings.Contains(err.Error(), key) {
		t.Fatalf("commit with a flipped staged part: %v; want a non-retryable %s naming %s", err, activities.ErrTypeCorrupt, key)
	}
	if _, ok, _ := datasets.Committed(t.Context(), a.Store, datasets.Packages, res.Resolved.Partition); ok {
		t.Error("packages committed from a flipped part")
	}
	fetched := mirror.indexFetches()
	parts[0] = ingest(res.Resolved.Indexes[0])
	if mirror.indexFetches() != fetched+1 {
		t.Errorf("the index was not fetched again (%d fetches)", mirror.indexFetches()-fetched)
	}
	if _, err := env.ExecuteActivity(a.CommitSnapshot, in); err != nil {
		t.Errorf("commit after staging again: %v", err)
	}
}
