package harness

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Hold is one request held at a point of its transfer until its client
// goes away (the worker that sent it was killed) or it is released. A hold
// takes the first request it matches, once: the retry after the kill goes
// through.
type Hold struct {
	Name    string
	matches func(r *http.Request) bool
	claimed atomic.Bool
	hit     chan struct{}
	release chan struct{}
	relOnce sync.Once
	mu      sync.Mutex
	at      time.Time
	file    string
	sent    int64
	size    int64
	// fraction of a mirror file sent before holding.
	fraction float64
}

func newHold(name string, matches func(r *http.Request) bool) *Hold {
	return &Hold{Name: name, matches: matches, hit: make(chan struct{}), release: make(chan struct{})}
}

// Hit is closed once the request is held.
func (h *Hold) Hit() <-chan struct{} { return h.hit }

// HitAt is when the request was held: when the work that sent it stopped.
func (h *Hold) HitAt() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.at
}

// Release lets the held request go on (for a disruption that does not kill
// the worker, such as a Temporal server restart).
func (h *Hold) Release() { h.relOnce.Do(func() { close(h.release) }) }

// Sent is how much of the held file had been sent, of how much, and the
// file's local path (mirror holds only).
func (h *Hold) Sent() (file string, sent, size int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.file, h.sent, h.size
}

func (h *Hold) held(file string, sent, size int64) {
	h.mu.Lock()
	h.at, h.file, h.sent, h.size = time.Now(), file, sent, size
	h.mu.Unlock()
	close(h.hit)
}

// wait blocks until the client leaves (true) or the hold is released.
func (h *Hold) wait(ctx context.Context) (gone bool) {
	select {
	case <-ctx.Done():
		return true
	case <-h.release:
		return false
	}
}

// holds is a list of holds, matched in order.
type holds struct {
	mu   sync.Mutex
	list []*Hold
}

func (hs *holds) add(h *Hold) *Hold {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.list = append(hs.list, h)
	return h
}

// claim is the first unclaimed hold matching r, claimed, or nil.
func (hs *holds) claim(r *http.Request) *Hold {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for _, h := range hs.list {
		if !h.claimed.Load() && h.matches(r) && h.claimed.CompareAndSwap(false, true) {
			return h
		}
	}
	return nil
}

// Mirror serves a folder on 127.0.0.1 as a mirror does (http.FileServer),
// and holds the files its holds match part-way.
type Mirror struct {
	URL   string
	root  string
	files http.Handler
	holds holds
	srv   *http.Server
}

// ServeMirror serves root on 127.0.0.1. Close stops it.
func ServeMirror(root string) (*Mirror, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &Mirror{URL: "http://" + ln.Addr().String(), root: root, files: http.FileServer(http.Dir(root))}
	m.srv = &http.Server{Handler: m}
	go m.srv.Serve(ln)
	return m, nil
}

// Close stops the server and its held requests.
func (m *Mirror) Close() error { return m.srv.Close() }

// HoldFile holds the first GET of a file whose path contains pathPart
// after fraction (0–1) of its bytes were sent.
func (m *Mirror) HoldFile(name, pathPart string, fraction float64) *Hold {
	h := newHold(name, func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.Header.Get("Range") == "" && strings.Contains(r.URL.Path, pathPart)
	})
	h.fraction = fraction
	return m.holds.add(h)
}

func (m *Mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := m.holds.claim(r)
	if h == nil {
		m.files.ServeHTTP(w, r)
		return
	}
	file := filepath.Join(m.root, filepath.FromSlash(path.Clean("/"+r.URL.Path)))
	f, err := os.Open(file)
	if err != nil {
		h.claimed.Store(false) // not the file: leave the hold for the next
		m.files.ServeHTTP(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		h.claimed.Store(false)
		m.files.ServeHTTP(w, r)
		return
	}
	first := int64(float64(fi.Size()) * h.fraction)
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	n, _ := io.CopyN(w, f, first)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	h.held(file, n, fi.Size())
	if h.wait(r.Context()) {
		return
	}
	io.Copy(w, f)
}

// S3Proxy forwards S3 requests to an S3 endpoint and holds those its holds
// match until their client goes away (or they are released).
type S3Proxy struct {
	Addr  string
	holds holds
	srv   *http.Server
}

// NewS3Proxy forwards to endpoint (host:port, plain HTTP). Close stops it.
func NewS3Proxy(endpoint string) (*S3Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &S3Proxy{Addr: ln.Addr().String()}
	// The Host header is kept as the client sent it: it is signed.
	forward := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: endpoint})
	// A killed worker's requests end half-way: that is the point, not news.
	forward.ErrorLog = log.New(io.Discard, "", 0)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := p.holds.claim(r)
		if h == nil {
			forward.ServeHTTP(w, r)
			return
		}
		// net/http notices a client leave only once the body is read; a
		// released request is sent on with the body read.
		body, _ := io.ReadAll(r.Body)
		h.held("", int64(len(body)), r.ContentLength)
		if h.wait(r.Context()) {
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		forward.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the proxy.
func (p *S3Proxy) Close() error { return p.srv.Close() }

// HoldRequest holds the first request of method whose object key contains
// every one of parts (PUTs of a multipart upload included: their path is
// the key's).
func (p *S3Proxy) HoldRequest(name, method string, parts ...string) *Hold {
	return p.holds.add(newHold(name, func(r *http.Request) bool {
		if r.Method != method {
			return false
		}
		key, _ := url.PathUnescape(r.URL.Path)
		for _, s := range parts {
			if !strings.Contains(key, s) {
				return false
			}
		}
		return true
	}))
}
