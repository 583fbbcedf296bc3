// Package storeurl opens a store.Store named by a URL from the
// configuration: file:///abs/path or a bare path for a local folder,
// s3://bucket/prefix for an S3 bucket.
//
// It is a package of its own, not part of store, because it imports both
// implementations and they import store: keeping the opener apart avoids an
// import cycle, and keeps the store package free of minio-go for code that
// only needs the interface.
package storeurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/store/s3store"
)

// Options holds what a URL does not say. The caller fills it from its
// configuration (secrets from the environment or files).
type Options struct {
	// S3 configures s3:// stores: endpoint, region, TLS, credentials, part
	// size and bucket creation. Bucket and prefix come from the URL.
	S3 s3store.Options
}

// Open returns the store raw names:
//
//	file:///srv/distroscope         local folder (file://localhost/... too)
//	/srv/distroscope, ./data        local folder, a path without "://"
//	s3://bucket                     whole bucket
//	s3://bucket/some/prefix         keys stored under some/prefix/
//
// Credentials never belong in the URL; one carrying user info is refused.
// A local folder store holds an open directory: the result then implements
// io.Closer.
func Open(ctx context.Context, raw string, opts Options) (store.Store, error) {
	if raw == "" {
		return nil, errors.New("storeurl: empty store URL")
	}
	if !strings.Contains(raw, "://") {
		return openDir(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the input, which may hold a secret by mistake.
		return nil, errors.New("storeurl: store URL does not parse")
	}
	if u.User != nil {
		return nil, fmt.Errorf("storeurl: store URL %s holds credentials; configure them separately", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("storeurl: store URL %s: query and fragment are not supported", u.Redacted())
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("storeurl: store URL %s: file URLs name a local path, not host %q", raw, u.Host)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("storeurl: store URL %s: no path", raw)
		}
		return openDir(u.Path)
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("storeurl: store URL %s: no bucket", raw)
		}
		s, err := s3store.New(ctx, u.Host, strings.TrimPrefix(u.Path, "/"), opts.S3)
		if err != nil {
			return nil, fmt.Errorf("storeurl: %s: %w", raw, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("storeurl: store URL %s: unsupported scheme %q (want file or s3)", u.Redacted(), u.Scheme)
}

func openDir(dir string) (store.Store, error) {
	s, err := localfs.New(dir)
	if err != nil {
		return nil, fmt.Errorf("storeurl: %w", err)
	}
	return s, nil
}
