package activities_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store/localfs"
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
