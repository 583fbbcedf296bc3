// Package store is the object-storage seam of distroscope: every dataset,
// manifest and staged file goes through the small Store interface so the same
// pipeline runs on a local folder (the embedded default), MinIO (compose and
// tests) and Ceph RGW (production).
//
// The interface is deliberately the intersection of what a POSIX folder and a
// plain S3 API both do well: whole-object puts, ranged-free gets, server-side
// copy, prefix listing and delete. There is no rename, because S3 has none;
// the dataset commit protocol is built on Put and Copy alone.
package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) by Get, Stat and Copy when the key does
// not exist. Callers branch on it with errors.Is.
var ErrNotFound = errors.New("store: object not found")

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Store is an object store addressed by slash-separated keys ("a/b/c.parquet").
// Keys never start with "/" and never contain "." or ".." segments;
// implementations reject such keys (see ValidateKey) with an error that is
// not ErrNotFound. The conformance suite in store/storetest pins down the
// rest of the contract.
type Store interface {
	// Put stores the whole content of r under key, replacing any object that
	// was there. size is the exact length of r when known, or -1; a reader
	// of another length fails the Put. The object becomes visible to readers
	// atomically, only once complete: a Put that fails (reader error,
	// cancellation) leaves the previous object, or none, in place.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens the object for reading. The caller closes it. A missing key
	// is reported by Get itself, not by the first Read.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat returns the object's size and modification time.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns every object whose key starts with prefix, sorted by key
	// (bytewise). The prefix is a plain string prefix, not a folder: "a/b"
	// matches "a/bc" as well as "a/b/c".
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Copy copies src to dst inside the store (server-side where possible),
	// replacing dst atomically. Copying a key onto itself is a no-op.
	Copy(ctx context.Context, src, dst string) error
	// Delete removes the object. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store for logs and messages, without secrets.
	String() string
}
