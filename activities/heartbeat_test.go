package activities_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
