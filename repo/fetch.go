package repo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Fetcher gets files from a mirror over HTTP(S) or from a local folder
// (file:// URLs), never reading more than the caller allows.
type Fetcher struct {
	Client    *http.Client
	UserAgent string
}

// DefaultFetcher has conservative timeouts: a stalled mirror fails the
// attempt (and Temporal retries it) instead of hanging the worker.
func DefaultFetcher() *Fetcher {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 60 * time.Second
	// Indexes are compressed already; a transparent gzip layer would only
	// hide sizes from the verification.
	tr.DisableCompression = true
	return &Fetcher{Client: &http.Client{Transport: tr}, UserAgent: "distroscope"}
}

// Open starts reading rawURL. The returned size is the length the server
// announced, or -1. Missing files give an error wrapping ErrNotFound.
func (f *Fetcher) Open(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, 0, fmt.Errorf("repo: bad URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		fh, err := os.Open(u.Path)
		if os.IsNotExist(err) {
			return nil, 0, fmt.Errorf("repo: %s: %w", rawURL, ErrNotFound)
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
		return nil, 0, fmt.Errorf("repo: unsupported URL scheme %q in %s", u.Scheme, rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("repo: %w", err)
	}
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("repo: get %s: %w", rawURL, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp.Body, resp.ContentLength, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		return nil, 0, fmt.Errorf("repo: get %s: %s: %w", rawURL, resp.Status, ErrNotFound)
	default:
		resp.Body.Close()
		return nil, 0, fmt.Errorf("repo: get %s: %s", rawURL, resp.Status)
	}
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
		return nil, fmt.Errorf("repo: read %s: %w", rawURL, err)
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
