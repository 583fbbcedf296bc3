package activities_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
)

// beats counts the heartbeats activities record, as they record them (an
// interceptor: the SDK sends the server only some of them). hold stands for
// a step that makes no progress: it returns once three more heartbeats were
// recorded — beats that can only come from the activity's own heartbeat
// goroutine — or fails after a deadline far beyond the three seconds they
// take.
type beats struct {
	interceptor.WorkerInterceptorBase
	n atomic.Int64

	mu      sync.Mutex
	details []any // of every heartbeat, in order
}

func listen(env *testsuite.TestActivityEnvironment) *beats {
	b := &beats{}
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{b}})
	return b
}

func (b *beats) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &beatsInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, b: b}
}

type beatsInbound struct {
	interceptor.ActivityInboundInterceptorBase
	b *beats
}

func (i *beatsInbound) Init(out interceptor.ActivityOutboundInterceptor) error {
	return i.Next.Init(&beatsOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: out}, b: i.b})
}

type beatsOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	b *beats
}

func (o *beatsOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	o.b.mu.Lock()
	o.b.details = append(o.b.details, details...)
	o.b.mu.Unlock()
	o.b.n.Add(1)
	o.Next.RecordHeartbeat(ctx, details...)
}

func (b *beats) hold() error {
	want := b.n.Load() + 3
	deadline := time.Now().Add(30 * time.Second)
	for b.n.Load() < want {
		if time.Now().After(deadline) {
			return errors.New("no heartbeats while the step was stalled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// stallingStore holds the writes (Put, Copy) and reads of keys containing
// key in b.hold.
type stallingStore struct {
	store.Store
	key string
	b   *beats
}

func (s stallingStore) stall(key string) error {
	if strings.Contains(key, s.key) {
		return s.b.hold()
	}
	return nil
}

func (s stallingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.stall(key); err != nil {
		return err
	}
	return s.Store.Put(ctx, key, r, size)
}

func (s stallingStore) Copy(ctx context.Context, src, dst string) error {
	if err := s.stall(dst); err != nil {
		return err
	}
	return s.Store.Copy(ctx, src, dst)
}

func (s stallingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := s.stall(key); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, key)
}

// stallingMirror serves the fixture repository, holding requests whose
// path contains path in b.hold first.
func stallingMirror(t *testing.T, path string, b *beats) repo.Spec {
	t.Helper()
	files := http.FileServer(http.Dir(formatstest.Path(t, "repo")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, path) {
			if err := b.hold(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	_, keyring := formatstest.Repo(t)
	return repo.Spec{Mirror: srv.URL, Suite: formatstest.Suite, Components: []string{"main", "contrib"},
		Architectures: []string{"amd64", "arm64"}, SignedBy: []string{keyring}}
}

// TestActivitiesHeartbeatWhileStalled: every long activity heartbeats
// while one of its steps makes no progress — a mirror that has not
// answered yet, a store write that has not returned — so the server keeps
// a live attempt and gives up a dead worker's within its heartbeat
// timeout, whatever the step.
func TestActivitiesHeartbeatWhileStalled(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, env *testsuite.TestActivityEnvironment, b *beats) error
	}{
		{"ResolveRelease, the Release not answered yet", func(t *testing.T, env *testsuite.TestActivityEnvironment, b *beats) error {
			a := &activities.Snapshot{Store: newStore(t), Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir()}
			env.RegisterActivity(a)
			_, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: stallingMirror(t, "Release", b)})
			return err
		}},
		{"IngestIndex, the index not answered yet", func(t *testing.T, env *testsuite.TestActivityEnvironment, b *beats) error {
			a := &activities.Snapshot{Store: newStore(t), Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir()}
			env.RegisterActivity(a)
			rel := resolve(t, env, a, stallingMirror(t, "/main/binary-amd64/", b))
			_, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: rel.Partition, Index: rel.Indexes[0]})
			return err
		}},
		{"CommitSnapshot, the packages data object being written", func(t *testing.T, env *testsuite.TestActivityEnvironment, b *beats) error {
			st := newStore(t)
			a := &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir()}
			env.RegisterActivity(a)
			base, keyring := formatstest.Repo(t)
			rel := resolve(t, env, a, repo.Spec{Mirror: base, Suite: formatstest.Suite, Components: []string{"main"},
				Architectures: []string{"amd64", "arm64"}, SignedBy: []string{keyring}})
			var parts []activities.IngestResult
			for _, ix := range rel.Indexes {
				v, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: rel.Partition, Index: ix})
				if err != nil {
					t.Fatal(err)
				}
				var r activities.IngestResult
				v.Get(&r)
				parts = append(parts, r)
			}
			a.Store = stallingStore{Store: st, key: datasets.Packages.DataKey(rel.Partition), b: b}
			_, err := env.ExecuteActivity(a.CommitSnapshot, activities.CommitInput{Resolved: rel, Parts: parts})
			return err
		}},
		{"CompareSnapshots, a packages file being read", func(t *testing.T, env *testsuite.TestActivityEnvironment, b *beats) error {
			st := newStore(t)
			datasetstest.CommitPackages(t, st, oldPart, parsePackages(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages", "amd64"))
			datasetstest.CommitPackages(t, st, newPart, parsePackages(t, "../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages", "amd64"))
			a := &activities.Compare{Store: stallingStore{Store: st, key: datasets.Packages.DataKey(newPart), b: b}, TempDir: t.TempDir()}
			env.RegisterActivity(a)
			_, err := env.ExecuteActivity(a.CompareSnapshots, activities.CompareInput{Old: oldPart, New: newPart})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			b := listen(env)
			if err := tc.run(t, env, b); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStoppedAttemptIsInterrupted: when the worker's activity context
// ends mid-work (workers/ cancels it when its drain is over), the attempt
// fails with a retryable Interrupted error that says why — not with what
// the cut-short work looks like — so the server retries it at once.
func TestStoppedAttemptIsInterrupted(t *testing.T) {
	bg, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: bg})
	a := &activities.Snapshot{Store: newStore(t), Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir()}
	env.RegisterActivity(a)
	base, keyring := formatstest.Repo(t)
	src := repo.Spec{Mirror: base, Suite: formatstest.Suite, Components: []string{"main"},
		Architectures: []string{"amd64"}, SignedBy: []string{keyring}}
	rel := resolve(t, env, a, src)
	// The index is cut off half-way, then the worker stops.
	files := http.FileServer(http.Dir(formatstest.Path(t, "repo")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/binary-amd64/") {
			files.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		files.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		stop(errors.New("worker shutting down"))
		<-r.Context().Done()
	}))
	defer srv.Close()
	ix := rel.Indexes[0]
	for i := range ix.Candidates {
		ix.Candidates[i].URL = srv.URL + strings.TrimPrefix(ix.Candidates[i].URL, base)
	}
	_, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: rel.Partition, Index: ix})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != activities.ErrTypeInterrupted || ae.NonRetryable() || !strings.Contains(ae.Error(), "worker shutting down") {
		t.Fatalf("err = %v, want a retryable %s saying the worker is shutting down", err, activities.ErrTypeInterrupted)
	}
	if ae.NextRetryDelay() != activities.InterruptedRetryDelay {
		t.Errorf("next attempt in %v, want %v: nothing is wrong with the work", ae.NextRetryDelay(), activities.InterruptedRetryDelay)
	}
	noTempFiles(t, a.TempDir)
}

// noTempFiles fails t if dir holds anything: a failed or cancelled
// attempt must not leave its spool files behind.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left in the temp dir: %s", e.Name())
	}
}

// TestBackoffSpansMinutes: the delays after transient failures grow from
// two seconds to a minute, so the attempts the workflows allow
// (workflows/options.go) outlast a mirror hiccup of minutes, not seconds.
func TestBackoffSpansMinutes(t *testing.T) {
	b := activities.DefaultBackoff
	for attempt, want := range map[int32]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second, 6: time.Minute, 1000: time.Minute} {
		if got := b.Delay(attempt); got != want {
			t.Errorf("after attempt %d: %v, want %v", attempt, got, want)
		}
	}
	var total time.Duration
	for attempt := int32(1); attempt < 10; attempt++ {
		total += b.Delay(attempt)
	}
	if total < 4*time.Minute {
		t.Errorf("ten attempts span %v, want minutes", total)
	}
}

// TestTransientFailuresGetAJitteredDelay: a mirror failing with a 500
// fails the attempt retryably, with the delay of the next attempt set by
// the activity — the backoff's, moved at random — so that the indexes of a
// snapshot failing together do not come back together; the message is
// the fetch's own. Corrupt input stays final, with no delay.
func TestTransientFailuresGetAJitteredDelay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	}))
	defer srv.Close()
	_, keyring := formatstest.Repo(t)
	src := repo.Spec{Mirror: srv.URL, Suite: formatstest.Suite, Components: []string{"main"}, Architectures: []string{"amd64"}, SignedBy: []string{keyring}}
	b := activities.Backoff{First: 10 * time.Second, Max: time.Minute}
	delays := map[time.Duration]bool{}
	for range 8 {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment()
		a := &activities.Snapshot{Store: newStore(t), Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir(), Backoff: b}
		env.RegisterActivity(a)
		_, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.NonRetryable() || !strings.Contains(ae.Message(), "500 Internal Server Error") {
			t.Fatalf("err = %v, want a retryable failure saying 500", err)
		}
		if d := ae.NextRetryDelay(); d < 7500*time.Millisecond || d > 12500*time.Millisecond {
			t.Errorf("next attempt in %v, want 10 s ± 25 %%", d)
		}
		delays[ae.NextRetryDelay()] = true
		noTempFiles(t, a.TempDir)
	}
	if len(delays) < 2 {
		t.Errorf("eight failures, one delay: %v", delays)
	}
}

// TestHeartbeatsCountBytes: while an index downloads, the heartbeats say
// which file and how many of its bytes have arrived — a transfer that
// stops or crawls shows as such in the UI — and a mirror that trickles
// below the fetcher's minimum rate fails the attempt (retryably, saying
// so) within the rate window instead of holding it, leaving no
// temporary file behind.
func TestHeartbeatsCountBytes(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	b := listen(env)
	f := repo.DefaultFetcher()
	f.MinRate, f.RateWindow = 50_000, 2*time.Second
	a := &activities.Snapshot{Store: newStore(t), Fetcher: f, TempDir: t.TempDir()}
	env.RegisterActivity(a)
	base, keyring := formatstest.Repo(t)
	rel := resolve(t, env, a, repo.Spec{Mirror: base, Suite: formatstest.Suite, Components: []string{"main"},
		Architectures: []string{"amd64"}, SignedBy: []string{keyring}})
	// The index's first half at once, then a byte every 100 ms.
	files := http.FileServer(http.Dir(formatstest.Path(t, "repo")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		files.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		for _, c := range body[len(body)/2:] {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			w.Write([]byte{c})
		}
	}))
	defer srv.Close()
	ix := rel.Indexes[0]
	for i := range ix.Candidates {
		ix.Candidates[i].URL = srv.URL + strings.TrimPrefix(ix.Candidates[i].URL, base)
	}
	start := time.Now()
	_, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: rel.Partition, Index: ix})
	took := time.Since(start)
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.NonRetryable() || !strings.Contains(ae.Message(), "less than the 50 KB/s minimum") {
		t.Fatalf("err = %v, want a retryable failure saying the mirror is too slow", err)
	}
	if took > f.RateWindow+5*time.Second {
		t.Errorf("the trickle held the attempt %v, more than its %v window and a margin", took, f.RateWindow)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var last activities.Progress
	for _, d := range b.details {
		if p, ok := d.(activities.Progress); ok && p.URL != "" {
			last = p
		}
	}
	c := ix.Candidates[0]
	if last.URL != c.URL || last.Size != c.Size || last.Bytes < c.Size/2 || last.Bytes >= c.Size {
		t.Errorf("last heartbeat with a transfer: %+v; want %s, at least half of its %d bytes", last, c.URL, c.Size)
	}
	noTempFiles(t, a.TempDir)
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func resolve(t *testing.T, env *testsuite.TestActivityEnvironment, a *activities.Snapshot, src repo.Spec) repo.Resolved {
	t.Helper()
	v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ResolveResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res.Resolved
}
