package repo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
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

// trickle serves size bytes (announcing them) one every gap, after
// holding the response headers for hold.
func trickle(size int, gap, hold time.Duration) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.WriteHeader(http.StatusOK)
		for range size {
			w.Write([]byte{'x'})
			w.(http.Flusher).Flush()
			select {
			case <-time.After(gap):
			case <-r.Context().Done():
				return
			}
		}
	}))
}

// TestSlowMirrorsFail: a mirror that keeps sending, too slowly to be of
// use, fails the fetch — retryably, naming the URL and what the mirror
// did — within about the limit it broke, where the idle timeout alone
// (bytes keep coming) let a trickled Release hold an attempt for 25
// minutes. The bound checked is the limit plus a margin for a loaded
// machine; the watchdog checks ten times per limit.
func TestSlowMirrorsFail(t *testing.T) {
	for _, tc := range []struct {
		name    string
		srv     *httptest.Server
		fetcher repo.Fetcher
		size    int64 // the caller's expected size, -1 unknown
		limit   time.Duration
		want    string
	}{
		{
			name:    "a trickle below the minimum rate",
			srv:     trickle(100_000, 10*time.Millisecond, 0), // 100 B/s
			fetcher: repo.Fetcher{MinRate: 1000, RateWindow: 400 * time.Millisecond, IdleTimeout: 5 * time.Second},
			size:    -1, limit: 400 * time.Millisecond,
			want: `mirror sent \d+ B in 0\.4\d* s, less than the 1 KB/s minimum, giving up$`,
		},
		{
			name:    "headers never sent, a deadline sized to the caller's size",
			srv:     trickle(1000, 0, time.Minute),
			fetcher: repo.Fetcher{MinRate: 10_000, RequestTimeout: 200 * time.Millisecond, IdleTimeout: 5 * time.Second},
			size:    2000, limit: 400 * time.Millisecond, // 200 ms plus 2000 B at 10 KB/s
			want: `mirror sent 0 B of 2 KB in 0\.4\d* s, the deadline for it, giving up$`,
		},
		{
			name:    "a body above the idle timeout's reach, past the deadline",
			srv:     trickle(100_000, 20*time.Millisecond, 0),
			fetcher: repo.Fetcher{RequestTimeout: 300 * time.Millisecond, IdleTimeout: 5 * time.Second},
			size:    -1, limit: 300 * time.Millisecond,
			want: `mirror sent \d+ B in 0\.3\d* s, the deadline for it, giving up$`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.srv.Close()
			f := tc.fetcher
			f.Client = &http.Client{}
			url := tc.srv.URL + "/dists/x/InRelease"
			start := time.Now()
			var err error
			rc, _, err := f.OpenSized(t.Context(), url, tc.size)
			if err == nil {
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			took := time.Since(start)
			var fe *repo.FetchError
			if !errors.As(err, &fe) || !errors.Is(err, repo.ErrTooSlow) || errors.Is(err, repo.ErrCorrupt) || errors.Is(err, repo.ErrInvalidSource) {
				t.Fatalf("err = %v, want a retryable FetchError wrapping ErrTooSlow", err)
			}
			if !strings.HasPrefix(err.Error(), "repo: GET "+url+": ") || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Errorf("error %q, want the URL and %s", err, tc.want)
			}
			if margin := 2 * time.Second; took < tc.limit || took > tc.limit+margin {
				t.Errorf("failed after %v, want %v to %v", took, tc.limit, tc.limit+margin)
			}
		})
	}
}

// TestReadAllSaysWhyOnce: a small file read whole (a Release) that a limit
// ended says the URL and the reason once, as a read through Open does —
// not "GET url: reading: repo: GET url: mirror sent …".
func TestReadAllSaysWhyOnce(t *testing.T) {
	srv := trickle(100_000, 20*time.Millisecond, 0)
	defer srv.Close()
	f := repo.Fetcher{Client: &http.Client{}, RequestTimeout: 300 * time.Millisecond}
	url := srv.URL + "/dists/x/InRelease"
	_, err := f.ReadAll(t.Context(), url, 1<<20)
	want := regexp.MustCompile(`^repo: GET ` + regexp.QuoteMeta(url) + `: mirror sent \d+ B in 0\.3\d* s, the deadline for it, giving up$`)
	if !errors.Is(err, repo.ErrTooSlow) || !want.MatchString(err.Error()) {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestTransferProgress: the Fetcher reports the bytes of every download
// as they arrive, with the expected size, so an activity can heartbeat a
// count that grows — and a stuck transfer shows as one that does not.
func TestTransferProgress(t *testing.T) {
	srv := trickle(300, 0, 0)
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "Packages")
	if err := os.WriteFile(file, make([]byte, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{srv.URL + "/Packages", "file://" + file} {
		var seen []repo.Transfer
		f := repo.DefaultFetcher().WithProgress(func(tr repo.Transfer) { seen = append(seen, tr) })
		rc, n, err := f.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if len(seen) == 0 {
			t.Fatalf("%s: no progress reported", url)
		}
		last := seen[len(seen)-1]
		if last != (repo.Transfer{URL: url, Bytes: n, Size: n}) {
			t.Errorf("%s: the last of %d reports is %+v; want %d of %d bytes", url, len(seen), last, n, n)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i].Bytes <= seen[i-1].Bytes {
				t.Errorf("%s: bytes went from %d to %d", url, seen[i-1].Bytes, seen[i].Bytes)
			}
		}
	}
	if repo.DefaultFetcher().OnTransfer != nil {
		t.Error("WithProgress changed the fetcher it copied")
	}
}
