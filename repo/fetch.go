package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Fetcher gets files from a mirror over HTTP(S) or from a local folder
// (file:// URLs), never reading more than the caller allows, and never for
// longer than the transfer's size warrants.
//
// It does not retry. A failed fetch ends the activity attempt at once and
// Temporal retries it with backoff, where the CLI and the UI show each
// failure; retrying in here as well would multiply the attempts and spend
// the waits in silence. The one exception is a size or hash mismatch on a
// name that can change, which Ingest fetches again itself because only it
// can compare one fetch with the next (see IngestOptions.MismatchRetries).
//
// Activities heartbeat from their own goroutine, so nothing outside the
// Fetcher notices a mirror that answers too slowly to be useful: a Release
// trickled at a byte a second once held a resolve for 25 minutes, until its
// start-to-close timeout. Three limits end such a transfer, each with a
// retryable *FetchError that says what the mirror did: IdleTimeout (nothing
// at all), MinRate over RateWindow (a trickle), and the request's deadline,
// RequestTimeout plus the expected size at MinRate (a mirror that stays just
// above the floor for far longer than the file needs).
type Fetcher struct {
	Client    *http.Client
	UserAgent string
	// IdleTimeout fails a download that receives nothing for this long,
	// from the request on (0: no limit).
	IdleTimeout time.Duration
	// MinRate fails a download that receives fewer than MinRate bytes a
	// second on average over a RateWindow of its body (0: no minimum).
	// RateWindow is 0 for DefaultRateWindow.
	MinRate    int64
	RateWindow time.Duration
	// RequestTimeout is the deadline of a request of unknown size, from
	// its start to its last byte; a request of known size also gets its
	// size at MinRate (0: no deadline).
	RequestTimeout time.Duration
	// OnTransfer, when set, hears of every read of a body, with the bytes
	// received so far: an activity reports them in its heartbeats, so a
	// transfer that stops growing shows as one. It must be quick.
	OnTransfer func(Transfer)
	// TempDir is where a download that is kept on disk while it is read
	// (a whole pacman database or APKINDEX at resolve) is spooled; "" is
	// the system's. The worker sets its DISTROSCOPE_TEMP_DIR.
	TempDir string
}

// Transfer is how far one download got.
type Transfer struct {
	URL   string `json:"url"`
	Bytes int64  `json:"bytes"`
	Size  int64  `json:"size"` // -1 when unknown
}

// The defaults of DefaultFetcher. A real mirror, even a distant one, sends
// far more than 16 KB a second; half a minute of less is a trickle, not a
// slow link, and half a minute of nothing is a stall — either fails the
// attempt well within the minute a hostile mirror may hold a worker's slot
// (a Release trickled at a byte a second took 25 minutes to fail before
// there were limits). The deadline then gives a 100 KB Release 66 s and a
// 65 MB index 70 minutes, past the ingest's start-to-close: for large files
// it is the rate floor that matters, for small ones the deadline.
const (
	DefaultIdleTimeout    = 30 * time.Second
	DefaultMinRate        = 16_000
	DefaultRateWindow     = 30 * time.Second
	DefaultRequestTimeout = 60 * time.Second
)

// DefaultFetcher has conservative timeouts: a stalled or trickling mirror
// fails the attempt (and Temporal retries it) instead of hanging the worker.
func DefaultFetcher() *Fetcher {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = DefaultIdleTimeout
	// Indexes are compressed already; a transparent gzip layer would only
	// hide sizes from the verification.
	tr.DisableCompression = true
	return &Fetcher{Client: &http.Client{Transport: tr}, UserAgent: "distroscope", IdleTimeout: DefaultIdleTimeout,
		MinRate: DefaultMinRate, RateWindow: DefaultRateWindow, RequestTimeout: DefaultRequestTimeout}
}

// WithProgress is a copy of f that reports its transfers to fn (sharing
// f's HTTP client), for one activity attempt.
func (f *Fetcher) WithProgress(fn func(Transfer)) *Fetcher {
	c := *f
	c.OnTransfer = fn
	return &c
}

// FetchError is a fetch that failed, worded for a person: the URL and a
// short reason ("404 Not Found", "connection refused", "unknown host
// mirror.example.org", "mirror sent 12 KB in 60 s") instead of the
// transport's nested url.Error and net.OpError text, which repeats the URL
// and the address. The cause stays in the chain for errors.Is: ErrNotFound
// for a 404 or 410 (or a missing file), ErrTooSlow for a transfer a limit
// of the Fetcher ended, else the transport's error (nil for other HTTP
// statuses).
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

// ErrTooSlow marks a transfer the Fetcher gave up on: nothing for
// IdleTimeout, less than MinRate, or past its deadline. It is worth
// retrying — the next attempt may reach a mirror that has recovered.
var ErrTooSlow = errors.New("mirror too slow")

// Open starts reading rawURL. The returned size is the length the server
// announced, or -1. Failures are *FetchError; missing files wrap
// ErrNotFound; a URL that cannot be fetched at all (malformed, unknown
// scheme) is ErrInvalidSource.
func (f *Fetcher) Open(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	return f.OpenSized(ctx, rawURL, -1)
}

// OpenSized is Open for a file whose size the caller knows from signed
// metadata (-1: unknown). The request's deadline is sized to it rather
// than to the length the server announces, which a hostile mirror chooses.
func (f *Fetcher) OpenSized(ctx context.Context, rawURL string, size int64) (io.ReadCloser, int64, error) {
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
		if f.OnTransfer == nil {
			return fh, fi.Size(), nil
		}
		return &countedFile{f: fh, on: f.OnTransfer, t: Transfer{URL: rawURL, Size: fi.Size()}}, fi.Size(), nil
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
	w := f.watch(cancel, rawURL, size)
	resp, err := f.Client.Do(req)
	if err != nil {
		w.stop()
		cancel(nil)
		if cause := context.Cause(ctx); errors.Is(cause, ErrTooSlow) {
			return nil, 0, &FetchError{URL: rawURL, Reason: cause.Error(), Err: cause}
		}
		return nil, 0, &FetchError{URL: rawURL, Reason: shortReason(err), Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if size < 0 {
			size = resp.ContentLength
		}
		w.begin(size)
		return &watchedBody{ctx: ctx, cancel: cancel, rc: resp.Body, w: w, on: f.OnTransfer,
			t: Transfer{URL: rawURL, Size: size}}, resp.ContentLength, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		w.stop()
		resp.Body.Close()
		cancel(nil)
		return nil, 0, &FetchError{URL: rawURL, StatusCode: resp.StatusCode, Reason: resp.Status, Err: ErrNotFound}
	default:
		w.stop()
		resp.Body.Close()
		cancel(nil)
		return nil, 0, &FetchError{URL: rawURL, StatusCode: resp.StatusCode, Reason: resp.Status}
	}
}

// watchedBody is a response body its watchdog may cut short; a read that
// fails because it did says why instead of "context canceled".
type watchedBody struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	rc     io.ReadCloser
	w      *watchdog
	on     func(Transfer)
	t      Transfer
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.t.Bytes = b.w.received(n)
		if b.on != nil {
			b.on(b.t)
		}
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); errors.Is(cause, ErrTooSlow) {
			return n, &FetchError{URL: b.t.URL, Reason: cause.Error(), Err: cause}
		}
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.w.stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// countedFile reports a local file's reads as a transfer. It hides the
// file's WriterTo, which would read past the count.
type countedFile struct {
	f  *os.File
	on func(Transfer)
	t  Transfer
}

func (c *countedFile) Close() error { return c.f.Close() }

func (c *countedFile) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if n > 0 {
		c.t.Bytes += int64(n)
		c.on(c.t)
	}
	return n, err
}

// watchdog ends one request, through its context, when the mirror breaks
// one of the Fetcher's limits. It checks a few times per limit from its own
// goroutine, so a read costs two atomic stores.
type watchdog struct {
	cancel   context.CancelCauseFunc
	idle     time.Duration
	minRate  int64
	window   time.Duration
	base     time.Duration
	start    time.Time
	bytes    atomic.Int64
	lastRead atomic.Int64 // nanoseconds since start of the latest byte, or of the request
	body     atomic.Int64 // nanoseconds since start of the response headers, -1 before
	size     atomic.Int64 // the size the deadline is for, -1 while unknown
	done     chan struct{}
	once     sync.Once
}

// watch starts the watchdog of a request for rawURL of size bytes (-1:
// not known yet; see sized).
func (f *Fetcher) watch(cancel context.CancelCauseFunc, rawURL string, size int64) *watchdog {
	w := &watchdog{cancel: cancel, idle: f.IdleTimeout, minRate: f.MinRate, window: f.RateWindow, base: f.RequestTimeout,
		start: time.Now(), done: make(chan struct{})}
	if w.window <= 0 {
		w.window = DefaultRateWindow
	}
	w.size.Store(size)
	w.body.Store(-1)
	check := time.Duration(math.MaxInt64)
	for _, d := range []time.Duration{w.idle, w.window, w.base} {
		if d > 0 && d < check {
			check = d
		}
	}
	if w.minRate <= 0 && w.idle <= 0 && w.base <= 0 {
		return w // nothing to watch
	}
	// Checked at a tenth of the shortest limit: a limit is noticed within
	// 10% of its time, for one wake-up every few seconds with the defaults.
	tick := min(max(check/10, 5*time.Millisecond), time.Second)
	go w.run(tick)
	return w
}

// begin marks the start of the body: the rate is measured from here on.
// size is what the deadline is for: the caller's, else the server's.
func (w *watchdog) begin(size int64) {
	w.size.Store(size)
	w.body.Store(int64(time.Since(w.start)))
}

// received counts n more bytes and returns the total.
func (w *watchdog) received(n int) int64 {
	w.lastRead.Store(int64(time.Since(w.start)))
	return w.bytes.Add(int64(n))
}

func (w *watchdog) stop() { w.once.Do(func() { close(w.done) }) }

func (w *watchdog) run(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	windowStart := time.Duration(-1) // since start: the body's current rate window
	var windowBytes int64            // bytes received before it
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
		}
		now := time.Since(w.start)
		got := w.bytes.Load()
		if w.idle > 0 {
			if quiet := now - time.Duration(w.lastRead.Load()); quiet >= w.idle {
				w.cancel(&slowError{fmt.Sprintf("no data for %s, giving up", w.idle)})
				return
			}
		}
		if size := w.size.Load(); w.base > 0 {
			limit, of := w.base, ""
			if size >= 0 && w.minRate > 0 {
				limit += time.Duration(float64(size) / float64(w.minRate) * float64(time.Second))
				of = " of " + humanSize(size)
			}
			if now >= limit {
				w.cancel(&slowError{fmt.Sprintf("mirror sent %s%s in %s, the deadline for it, giving up", humanSize(got), of, humanDuration(now))})
				return
			}
		}
		if w.minRate <= 0 {
			continue
		}
		if windowStart < 0 {
			// The rate is the body's: the wait for the response is the idle
			// timeout's and the deadline's business.
			if body := w.body.Load(); body >= 0 {
				windowStart = time.Duration(body)
			}
			continue
		}
		if span := now - windowStart; span >= w.window {
			sent := got - windowBytes
			if float64(sent) < float64(w.minRate)*span.Seconds() {
				w.cancel(&slowError{fmt.Sprintf("mirror sent %s in %s, less than the %s/s minimum, giving up",
					humanSize(sent), humanDuration(span), humanSize(w.minRate))})
				return
			}
			windowStart, windowBytes = now, got
		}
	}
}

// slowError is the reason a watchdog ended a request; it is ErrTooSlow.
type slowError struct{ reason string }

func (e *slowError) Error() string { return e.reason }
func (e *slowError) Unwrap() error { return ErrTooSlow }

// humanSize is a byte count for a message: "12 KB", "1.2 MB".
func humanSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.3g KB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.3g MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.3g GB", float64(n)/1e9)
}

// humanDuration is a duration for a message: "60 s", "2.5 s", "25 min".
func humanDuration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.2g s", d.Seconds())
	case d < 5*time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	}
	return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
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
	var fe *FetchError
	if errors.As(err, &fe) {
		return nil, err // a limit ended the read: it says the URL and why already
	}
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
