package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// Defaults of the Options' limits. They are far beyond what a healthy
// MinIO or RGW needs — a HEAD answers in milliseconds, a part of 16 MiB
// uploads in well under a second on a LAN — and short enough that a server
// which accepts connections and never answers fails a worker's start-up or
// `datasets ls` within a minute, saying so, instead of hanging them (once
// for more than three minutes, silently: minio-go alone waits a minute per
// request for response headers, and retries ten times).
const (
	DefaultConnectTimeout  = 10 * time.Second
	DefaultResponseTimeout = 30 * time.Second
	DefaultOpTimeout       = time.Minute
	// DefaultMinRate sizes the deadlines of transfers: a 100 MB object gets
	// the minute plus 100 s.
	DefaultMinRate = 1_000_000
)

// TimeoutError is an operation the store gave up on because the server
// took longer than its deadline. It says what was being waited for.
type TimeoutError struct {
	Op      string        // "put \"key\"", "list \"prefix\""
	Limit   time.Duration // the operation's deadline
	Waiting string        // "a connection to host:port", "the response to PUT", …
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no result within %s, waiting for %s", e.Limit.Round(time.Millisecond), e.Waiting)
}

// Timeout reports true, for net.Error-style checks.
func (e *TimeoutError) Timeout() bool { return true }

// opClock is the deadline of one operation. It counts only the time spent
// waiting for the server: not the time a Put waits for its caller's reader
// (a stream produced as the upload goes), nor the time between the reads
// of a Get's caller (which may spool, or parse as it reads). Its limit is
// the Options' OpTimeout plus, for a transfer, the object's size at
// MinRate; a Put of unknown size earns time as its bytes are read.
type opClock struct {
	mu      sync.Mutex
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	op      string
	limit   time.Duration
	used    time.Duration // before since, while running
	since   time.Time     // when the clock last started, if running
	running bool
	ended   bool
	waiting string // what the server was last asked for
}

type clockKey struct{}

// startOp starts op's clock with limit and returns the context the
// operation must run under. The clock runs until pause or end.
func startOp(ctx context.Context, op string, limit time.Duration) (context.Context, *opClock) {
	ctx, cancel := context.WithCancelCause(ctx)
	c := &opClock{cancel: cancel, op: op, limit: limit, waiting: "the server"}
	c.timer = time.AfterFunc(limit, c.check)
	c.since, c.running = time.Now(), true
	return context.WithValue(ctx, clockKey{}, c), c
}

// check runs when the timer fires: the limit may have grown since it was
// set, in which case it is set again.
func (c *opClock) check() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running || c.ended {
		return
	}
	used := c.used + time.Since(c.since)
	if used < c.limit {
		c.timer.Reset(c.limit - used)
		return
	}
	c.ended = true
	c.cancel(&TimeoutError{Op: c.op, Limit: c.limit, Waiting: c.waiting})
}

// grow adds d to the limit.
func (c *opClock) grow(d time.Duration) {
	c.mu.Lock()
	c.limit += d
	c.mu.Unlock()
}

// pause stops the clock while the caller has the time.
func (c *opClock) pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running && !c.ended {
		c.used += time.Since(c.since)
		c.running = false
		c.timer.Stop()
	}
}

// resume starts the clock again.
func (c *opClock) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running && !c.ended {
		c.since, c.running = time.Now(), true
		c.timer.Reset(max(c.limit-c.used, 0))
	}
}

// wait records what the server was asked for, for the timeout's message.
func (c *opClock) wait(what string) {
	c.mu.Lock()
	c.waiting = what
	c.mu.Unlock()
}

// end stops the clock for good and releases the operation's context.
func (c *opClock) end() {
	c.mu.Lock()
	c.ended = true
	c.timer.Stop()
	c.mu.Unlock()
	c.cancel(nil)
}

// timedOut is the clock's TimeoutError when it ended ctx's operation.
func timedOut(ctx context.Context) *TimeoutError {
	var te *TimeoutError
	if errors.As(context.Cause(ctx), &te) {
		return te
	}
	return nil
}

// clockFrom is the clock of the operation ctx belongs to, if any.
func clockFrom(ctx context.Context) *opClock {
	c, _ := ctx.Value(clockKey{}).(*opClock)
	return c
}

// sizeTime is how long size bytes may take at rate bytes a second.
func sizeTime(size, rate int64) time.Duration {
	if size <= 0 || rate <= 0 {
		return 0
	}
	return time.Duration(float64(size) / float64(rate) * float64(time.Second))
}

// pausingReader stops its operation's clock while the caller's reader
// (a Put's source) has the time: minio-go waiting for the next bytes of a
// stream is not the server's delay. When rate is set, each byte read also
// earns the operation time, for a Put of unknown size.
type pausingReader struct {
	r     io.Reader
	clock *opClock
	rate  int64
}

func (p *pausingReader) Read(b []byte) (int, error) {
	p.clock.pause()
	n, err := p.r.Read(b)
	if p.rate > 0 && n > 0 {
		p.clock.grow(sizeTime(int64(n), p.rate))
	}
	p.clock.resume()
	return n, err
}

// errNoResponse is the cause a request is cancelled with when its response
// headers do not come within the response timeout.
var errNoResponse = errors.New("no response")

// timedTransport bounds the wait for each response's headers, from the
// moment the request (with its body) is written — as
// http.Transport.ResponseHeaderTimeout does, but not for server-side
// copies, which some servers answer only once the copy is done and which
// their operation's deadline, sized by the object, bounds instead. It also
// tells the operation's clock what is being waited for.
type timedTransport struct {
	base            http.RoundTripper
	responseTimeout time.Duration
}

func (t *timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	clock := clockFrom(req.Context())
	bounded := t.responseTimeout > 0 && req.Header.Get("X-Amz-Copy-Source") == ""
	if clock == nil && !bounded {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	var mu sync.Mutex
	var timer *time.Timer
	stopTimer := func() {
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
	}
	if clock != nil {
		clock.wait("a connection to " + req.URL.Host)
	}
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			if clock != nil {
				clock.wait("the server to read the " + req.Method + " request")
			}
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			if clock != nil {
				clock.wait("the response to " + req.Method)
			}
			if bounded {
				mu.Lock()
				timer = time.AfterFunc(t.responseTimeout, func() { cancel(errNoResponse) })
				mu.Unlock()
			}
		},
		GotFirstResponseByte: stopTimer,
	}
	resp, err := t.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(ctx, trace)))
	stopTimer()
	if err != nil {
		defer cancel(nil)
		if errors.Is(context.Cause(ctx), errNoResponse) && req.Context().Err() == nil {
			return nil, fmt.Errorf("no response to %s within %s", req.Method, t.responseTimeout)
		}
		return nil, err
	}
	if clock != nil {
		clock.wait("the body of the response to " + req.Method)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases a request's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}
