package repo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/repotest"
)

// TestFetchErrors: each way a fetch fails gives a short message naming the
// URL and what happened — not Go's nested url.Error and net.OpError text —
// and the class callers branch on: missing (ErrNotFound), a URL that cannot
// work (ErrInvalidSource), or transient (neither, nor ErrCorrupt), with the
// cause still in the chain.
func TestFetchErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/busy":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	closed := repotest.ClosedPort(t)
	missingFile := "file://" + filepath.Join(t.TempDir(), "InRelease")

	tests := []struct {
		name    string
		fetcher *repo.Fetcher
		url     string
		timeout time.Duration
		want    string  // the whole message
		is      []error // the error wraps each
		invalid bool    // ErrInvalidSource rather than worth a retry
	}{
		{name: "404", url: srv.URL + "/dists/x/InRelease",
			want: "repo: GET " + srv.URL + "/dists/x/InRelease: 404 Not Found", is: []error{repo.ErrNotFound}},
		{name: "410", url: srv.URL + "/gone",
			want: "repo: GET " + srv.URL + "/gone: 410 Gone", is: []error{repo.ErrNotFound}},
		{name: "missing file", url: missingFile,
			want: "repo: " + missingFile + ": no such file", is: []error{repo.ErrNotFound}},
		{name: "503", url: srv.URL + "/busy",
			want: "repo: GET " + srv.URL + "/busy: 503 Service Unavailable"},
		{name: "closed port", url: closed + "/dists/x/InRelease",
			want: "repo: GET " + closed + "/dists/x/InRelease: connection refused", is: []error{syscall.ECONNREFUSED}},
		{name: "unknown host", fetcher: repotest.UnknownHost(), url: "http://mirror.invalid/debian/dists/x/InRelease",
			want: "repo: GET http://mirror.invalid/debian/dists/x/InRelease: unknown host mirror.invalid"},
		{name: "timeout", url: srv.URL + "/slow", timeout: 100 * time.Millisecond,
			want: "repo: GET " + srv.URL + "/slow: timed out", is: []error{context.DeadlineExceeded}},
		{name: "unknown scheme", url: "ftp://127.0.0.1/debian/dists/x/InRelease", invalid: true,
			want: `repo: unsupported URL scheme "ftp" in ftp://127.0.0.1/debian/dists/x/InRelease (want http, https or file)`},
		{name: "malformed URL", url: "http://127.0.0.1:port/debian", invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fetcher
			if f == nil {
				f = repo.DefaultFetcher()
			}
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := f.ReadAll(ctx, tt.url, 1<<20)
			if err == nil {
				t.Fatal("fetch succeeded")
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("error\n%q\nwant\n%q", err, tt.want)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q does not wrap %v", err, target)
				}
			}
			if errors.Is(err, repo.ErrInvalidSource) != tt.invalid || errors.Is(err, repo.ErrCorrupt) {
				t.Errorf("error %q: ErrInvalidSource %v, ErrCorrupt %v; want %v, false",
					err, errors.Is(err, repo.ErrInvalidSource), errors.Is(err, repo.ErrCorrupt), tt.invalid)
			}
			if !tt.invalid && strings.Count(err.Error(), tt.url) != 1 {
				t.Errorf("error %q names the URL %d times, want once", err, strings.Count(err.Error(), tt.url))
			}
		})
	}
}

// TestIdleTimeout: a mirror that stops sending in the middle of a file
// fails the read — retryably, saying so — instead of holding it until the
// activity's start-to-close timeout.
func TestIdleTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	f := repo.DefaultFetcher()
	f.IdleTimeout = 200 * time.Millisecond
	rc, _, err := f.Open(t.Context(), srv.URL+"/Packages.xz")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	var fe *repo.FetchError
	if n != 100 || !errors.As(err, &fe) || !strings.Contains(err.Error(), "no data for 200ms") || errors.Is(err, repo.ErrCorrupt) {
		t.Fatalf("read %d bytes, err = %v; want 100 and a retryable FetchError saying the mirror stalled", n, err)
	}
}
