package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// Fetcher gets files from a mirror over HTTP(S) or from a local folder
// (file:// URLs), never reading more than the caller allows.
//
// It does not retry. A failed fetch ends the activity attempt at once and
// Temporal retries it with backoff, where the CLI and the UI show each
// failure; retrying in here as well would multiply the attempts and spend
// the waits in silence. The one exception is a size or hash mismatch on a
// name that can change, which Ingest fetches again itself because only it
// can compare one fetch with the next (see IngestOptions.MismatchRetries).
type Fetcher struct {
	Client    *http.Client
	UserAgent string
	// IdleTimeout fails a download that receives nothing for this long
	// (0: no limit). Activities heartbeat from their own goroutine, so a
	// mirror that stops sending mid-file would otherwise hold an ingest
	// until its start-to-close timeout.
	IdleTimeout time.Duration
}

// DefaultIdleTimeout is DefaultFetcher's IdleTimeout: as long as it waits
// for a mirror's first byte.
const DefaultIdleTimeout = 60 * time.Second

// DefaultFetcher has conservative timeouts: a stalled mirror fails the
// attempt (and Temporal retries it) instead of hanging the worker.
func DefaultFetcher() *Fetcher {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = DefaultIdleTimeout
	// Indexes are compressed already; a transparent gzip layer would only
	// hide sizes from the verification.
	tr.DisableCompression = true
	return &Fetcher{Client: &http.Client{Transport: tr}, UserAgent: "distroscope", IdleTimeout: DefaultIdleTimeout}
}

// FetchError is a fetch that failed, worded for a person: the URL and a
// short reason ("404 Not Found", "connection refused", "unknown host
// mirror.example.org") instead of the transport's nested url.Error and
// net.OpError text, which repeats the URL and the address. The cause stays
// in the chain for errors.Is: ErrNotFound for a 404 or 410 (or a missing
// file), else the transport's error (nil for other HTTP statuses).
type FetchError struct {
	URL        string
	StatusCode int // the HTTP status, 0 when there was no response
	Reason     string
	Err        error
}

func (e *FetchError) Error() string {
	if strings.HasPrefix(e.URL, "file:") {
		return "repo: " + e.URL + ": " + e.Reason
	}
	return "repo: GET " + e.URL + ": " + e.Reason
}

func (e *FetchError) Unwrap() error { return e.Err }

// Open starts reading rawURL. The returned size is the length the server
// announced, or -1. Failures are *FetchError; missing files wrap
// ErrNotFound; a URL that cannot be fetched at all (malformed, unknown
// scheme) is ErrInvalidSource.
func (f *Fetcher) Open(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, 0, Invalid(fmt.Errorf("repo: bad URL %q: %w", rawURL, err))
	}
	switch u.Scheme {
	case "file":
		fh, err := os.Open(u.Path)
		if os.IsNotExist(err) {
			return nil, 0, &FetchError{URL: rawURL, Reason: "no such file", Err: ErrNotFound}
		}
		if err != nil {
			return nil, 0, fmt.Errorf("repo: %w", err)
		}
		fi, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, 0, fmt.Errorf("repo: %w", err)
		}
		return fh, fi.Size(), nil
	case "http", "https":
	default:
		return nil, 0, Invalid(fmt.Errorf("repo: unsupported URL scheme %q in %s (want http, https or file)", u.Scheme, rawURL))
	}
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		cancel(nil)
		return nil, 0, Invalid(fmt.Errorf("repo: bad URL %q: %w", rawURL, err))
	}
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		cancel(nil)
		return nil, 0, &FetchError{URL: rawURL, Reason: shortReason(err), Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return newIdleBody(ctx, cancel, resp.Body, f.IdleTimeout, rawURL), resp.ContentLength, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		cancel(nil)
		return nil, 0, &FetchError{URL: rawURL, StatusCode: resp.StatusCode, Reason: resp.Status, Err: ErrNotFound}
	default:
		resp.Body.Close()
		cancel(nil)
		return nil, 0, &FetchError{URL: rawURL, StatusCode: resp.StatusCode, Reason: resp.Status}
	}
}

// errStalled is the cause an idle body cancels its request with.
var errStalled = errors.New("stalled")

// idleBody cancels its request when no byte arrives for idle, and says so
// instead of "context canceled".
type idleBody struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	rc     io.ReadCloser
	idle   time.Duration
	timer  *time.Timer
	url    string
}

func newIdleBody(ctx context.Context, cancel context.CancelCauseFunc, rc io.ReadCloser, idle time.Duration, url string) io.ReadCloser {
	b := &idleBody{ctx: ctx, cancel: cancel, rc: rc, idle: idle, url: url}
	if idle > 0 {
		b.timer = time.AfterFunc(idle, func() { cancel(errStalled) })
	}
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && b.timer != nil {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), errStalled) {
		return n, &FetchError{URL: b.url, Reason: fmt.Sprintf("no data for %s, giving up", b.idle), Err: errStalled}
	}
	return n, err
}

func (b *idleBody) Close() error {
	if b.timer != nil {
		b.timer.Stop()
	}
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// shortReason says why a request or a read failed in a few words, keeping
// what tells a person where to look: the host name that does not resolve,
// the refused connection, the timeout.
func shortReason(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return "unknown host " + dnsErr.Name
		case dnsErr.IsTimeout:
			return "timed out looking up " + dnsErr.Name
		default:
			return "cannot look up " + dnsErr.Name + ": " + dnsErr.Err
		}
	}
	for _, known := range []struct {
		err  error
		text string
	}{
		{syscall.ECONNREFUSED, "connection refused"},
		{syscall.ECONNRESET, "connection reset"},
		{syscall.EHOSTUNREACH, "host unreachable"},
		{syscall.ENETUNREACH, "network unreachable"},
		{context.Canceled, "canceled"},
		{context.DeadlineExceeded, "timed out"},
		{io.ErrUnexpectedEOF, "connection closed early"},
	} {
		if errors.Is(err, known.err) {
			return known.text
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "timed out"
	}
	// What is left (TLS, proxy, protocol errors) reads well once the
	// layers that repeat the URL and the address are peeled off.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		err = opErr.Err
	}
	return err.Error()
}

// ReadAll fetches a whole small file, refusing anything over limit bytes.
func (f *Fetcher) ReadAll(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	rc, n, err := f.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if n > limit {
		return nil, corrupt(fmt.Errorf("repo: %s is %d bytes, more than the %d allowed", rawURL, n, limit))
	}
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, &FetchError{URL: rawURL, Reason: "reading: " + shortReason(err), Err: err}
	}
	if int64(len(data)) > limit {
		return nil, corrupt(fmt.Errorf("repo: %s is more than the %d bytes allowed", rawURL, limit))
	}
	return data, nil
}

// JoinURL appends slash-separated elements to a base URL.
func JoinURL(base string, elems ...string) string {
	s := strings.TrimRight(base, "/")
	for _, e := range elems {
		s += "/" + strings.Trim(e, "/")
	}
	return s
}
