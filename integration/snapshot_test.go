// Package integration runs whole snapshots through a real Temporal dev
// server, a real S3 server (MinIO) and a real signed apt repository served on
// 127.0.0.1. `go tool task test` starts the servers; see internal/testenv.
package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/store/s3store"
	"github.com/distroscope/distroscope/workflows"
)

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// minioStore gives the test a fresh bucket on the MinIO the task started.
// folderStore is a local folder store in a temp dir, for the tests that
// hand its files to DuckDB.
func folderStore(t *testing.T) (string, *localfs.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return dir, st
}

func minioStore(t *testing.T) *s3store.Store {
	t.Helper()
	env := testenv.MinIO(t)
	ctx := context.Background()
	st, err := s3store.New(ctx, randomName("ds-it-"), "datasets", s3store.Options{Endpoint: env.Endpoint, Region: env.Region,
		AccessKey: env.AccessKey, SecretKey: env.SecretKey, CreateBucket: true, PartSize: s3store.MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		objs, _ := st.List(ctx, "")
		for _, o := range objs {
			st.Delete(ctx, o.Key)
		}
	})
	return st
}

type harness struct {
	c     client.Client
	queue string
	st    store.Store
}

func newHarness(t *testing.T, st store.Store) *harness {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: testenv.Temporal(t), Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &harness{c: c, queue: randomName("it-"), st: st}
}

// startWorker runs a worker like workers/main.go does, on the test's queue.
func (h *harness) startWorker(t *testing.T, f *repo.Fetcher) worker.Worker {
	t.Helper()
	w := worker.New(h.c, h.queue, worker.Options{MaxConcurrentActivityExecutionSize: 2, WorkerStopTimeout: time.Second})
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: h.st, Fetcher: f, TempDir: t.TempDir(), Producer: "integration test"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	return w
}

func (h *harness) snapshot(t *testing.T, src repo.Spec) (workflows.SnapshotResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.SnapshotWorkflowID(src) + "/" + h.queue, TaskQueue: h.queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.SnapshotWorkflowName, workflows.SnapshotInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.SnapshotResult
	err = run.Get(ctx, &res)
	return res, err
}

func fixtureSource(baseURL, keyring string) repo.Spec {
	return repo.Spec{Mirror: baseURL, Suite: formatstest.Suite, Components: []string{"main", "contrib"},
		Architectures: []string{"amd64", "arm64"}, SignedBy: []string{keyring}}
}

func readPackages(t *testing.T, st store.Store, key string) []datasets.PackageRow {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return readPackagesBytes(t, data)
}

func readPackagesBytes(t *testing.T, data []byte) []datasets.PackageRow {
	t.Helper()
	r := parquet.NewGenericReader[datasets.PackageRow](bytes.NewReader(data))
	defer r.Close()
	rows := make([]datasets.PackageRow, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return rows[:n]
}

func listKeys(t *testing.T, st store.Store, prefix string) []string {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// TestSnapshotCommitsTheFixtureExactly is the end-to-end check: the rows
// read back from the committed Parquet are exactly the fixture's stanzas as
// python3-apt reads them, in every index; a second run commits nothing new.
func TestSnapshotCommitsTheFixtureExactly(t *testing.T) {
	st := minioStore(t)
	h := newHarness(t, st)
	h.startWorker(t, repo.DefaultFetcher())
	base, keyring := formatstest.Repo(t)
	src := fixtureSource(base, keyring)

	res, err := h.snapshot(t, src)
	if err != nil {
		t.Fatal(err)
	}
	expected := formatstest.Expected(t)
	var want []datasets.PackageRow
	for _, ix := range []string{"main/amd64", "main/arm64", "contrib/amd64", "contrib/arm64"} {
		comp, arch, _ := strings.Cut(ix, "/")
		if len(expected[ix]) == 0 {
			t.Fatalf("the fixture has no rows for %s", ix)
		}
		for _, e := range expected[ix] {
			want = append(want, e.PackageRow(comp, arch))
		}
	}
	slices.SortStableFunc(want, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
	if res.Rows != int64(len(want)) || res.Reused || res.Indexes != 4 {
		t.Fatalf("result = %+v, want %d rows from 4 indexes", res, len(want))
	}
	rel := formatstest.Release(t)
	wantPart := datasets.Partition{Distro: "distroscope-fixture", Release: "fixture", Snapshot: datasets.SnapshotID(rel.Date, rel.SHA256)}
	if res.Partition != wantPart {
		t.Errorf("partition = %+v, want %+v", res.Partition, wantPart)
	}

	got := readPackages(t, st, datasets.Packages.DataKey(res.Partition))
	if len(got) != len(want) {
		t.Fatalf("committed %d rows, the fixture has %d", len(got), len(want))
	}
	// Rows are sorted within each row group, and the parts are concatenated:
	// compare as sets, in one order.
	slices.SortStableFunc(got, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
	for i := range want {
		normalizeRow(&got[i])
		normalizeRow(&want[i])
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	// Exactly one data object and a manifest per table; nothing staged left.
	var wantKeys []string
	for _, tb := range datasets.SnapshotTables {
		wantKeys = append(wantKeys, tb.ManifestKey(res.Partition), tb.DataKey(res.Partition))
	}
	var gotKeys []string
	for _, tb := range datasets.SnapshotTables {
		gotKeys = append(gotKeys, listKeys(t, st, tb.Prefix())...)
	}
	slices.Sort(wantKeys)
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("store holds %v, want %v", gotKeys, wantKeys)
	}
	if left := listKeys(t, st, "_staging/"); len(left) != 0 {
		t.Errorf("staged objects left after commit: %v", left)
	}
	m, ok, err := datasets.Committed(context.Background(), st, datasets.Packages, res.Partition)
	if err != nil || !ok || m.Rows != res.Rows || len(m.Inputs) != 4 || m.WorkflowID == "" {
		t.Errorf("packages manifest = %+v (%v, %v)", m, ok, err)
	}
	for _, in := range m.Inputs {
		if f, ok := rel.Files[in.Path]; !ok || f.SHA256 != in.SHA256 || f.Size != in.Size {
			t.Errorf("manifest input %+v does not match the Release's %+v", in, f)
		}
	}

	// Second run: the same Release is reused, nothing is rewritten.
	before, _ := st.Stat(context.Background(), datasets.Packages.DataKey(res.Partition))
	again, err := h.snapshot(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || again.Rows != res.Rows {
		t.Errorf("second run = %+v, want reused with %d rows", again, res.Rows)
	}
	after, _ := st.Stat(context.Background(), datasets.Packages.DataKey(res.Partition))
	if !after.Modified.Equal(before.Modified) {
		t.Errorf("second run rewrote the data object")
	}
	var keys2 []string
	for _, tb := range datasets.SnapshotTables {
		keys2 = append(keys2, listKeys(t, st, tb.Prefix())...)
	}
	slices.Sort(keys2)
	if !slices.Equal(keys2, wantKeys) {
		t.Errorf("second run changed the store: %v", keys2)
	}
}

// TestHashMismatchFailsAndCommitsNothing tampers with one index (same size,
// different bytes): the run must fail with a corrupt-metadata error naming
// the file, without retrying, and leave no manifest or data object.
func TestHashMismatchFailsAndCommitsNothing(t *testing.T) {
	st := minioStore(t)
	h := newHarness(t, st)
	h.startWorker(t, repo.DefaultFetcher())
	root := formatstest.CopyRepo(t)
	dir := formatstest.IndexDir(root, "main/amd64")
	tamperIndex(t, dir) // same size, different content: only the hash can tell
	_, keyring := formatstest.Repo(t)
	_, err := h.snapshot(t, fixtureSource(formatstest.Serve(t, root), keyring))
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != activities.ErrTypeCorrupt || !strings.Contains(ae.Message(), "main/amd64") ||
		!strings.Contains(ae.Message(), "SHA256") {
		t.Fatalf("err = %v, want a CorruptMetadata error naming main/amd64 and its SHA256", err)
	}
	for _, tb := range datasets.SnapshotTables {
		if keys := listKeys(t, st, tb.Prefix()); len(keys) != 0 {
			t.Errorf("a failed run committed %v", keys)
		}
	}
}

// stallingMirror serves root and holds requests whose path contains block
// until release is closed, counting requests per path.
type stallingMirror struct {
	root, block string
	release     chan struct{}
	mu          sync.Mutex
	hits        map[string]int
	blocked     atomic.Int32
}

func (m *stallingMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.hits[r.URL.Path]++
	m.mu.Unlock()
	if strings.Contains(r.URL.Path, m.block) {
		m.blocked.Add(1)
		select {
		case <-m.release:
		case <-r.Context().Done():
			return
		}
	}
	http.FileServer(http.Dir(m.root)).ServeHTTP(w, r)
}

// TestKilledWorkerResumes stops the worker while one index is still being
// fetched; a second worker finishes the run, and the index that was already
// staged is not fetched again: the run resumes where it stopped.
func TestKilledWorkerResumes(t *testing.T) {
	st := minioStore(t)
	h := newHarness(t, st)
	root := formatstest.CopyRepo(t)
	m := &stallingMirror{root: root, block: "/contrib/binary-arm64/", release: make(chan struct{}), hits: map[string]int{}}
	srv := httptest.NewServer(m)
	defer srv.Close()
	_, keyring := formatstest.Repo(t)
	src := fixtureSource(srv.URL, keyring)

	w1 := h.startWorker(t, repo.DefaultFetcher())
	type outcome struct {
		res workflows.SnapshotResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := h.snapshot(t, src)
		done <- outcome{res, err}
	}()
	// Wait until the other three indexes are staged and contrib/arm64 hangs.
	deadline := time.Now().Add(time.Minute)
	for len(listKeys(t, st, "_staging/")) < 6 || m.blocked.Load() == 0 { // 3 parts + 3 receipts
		if time.Now().After(deadline) {
			t.Fatalf("run did not reach the stalled index; staged: %v", listKeys(t, st, "_staging/"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	w1.Stop() // the "kill": its in-flight activity is cancelled
	h.startWorker(t, repo.DefaultFetcher())
	close(m.release)

	var o outcome
	select {
	case o = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the run did not finish on the second worker")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.Indexes != 4 || o.res.Reused {
		t.Errorf("result = %+v", o.res)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for p, n := range m.hits {
		if strings.Contains(p, "/main/binary-amd64/") && n != 1 {
			t.Errorf("%s fetched %d times; a staged index must not be fetched again", p, n)
		}
	}
	if _, ok, _ := datasets.Committed(context.Background(), st, datasets.Snapshots, o.res.Partition); !ok {
		t.Errorf("the resumed run did not commit")
	}
}

// normalizeRow makes empty lists and maps nil: Parquet does not tell an
// empty list from an absent one.
func normalizeRow(r *datasets.PackageRow) {
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0 {
			f.Set(reflect.Zero(f.Type()))
		}
	}
}

// readAll reads every row of a committed Parquet object.
func readAll[T any](t *testing.T, st store.Store, key string) ([]T, error) {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	r := parquet.NewGenericReader[T](bytes.NewReader(data))
	defer r.Close()
	rows := make([]T, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return rows[:n], nil
}
