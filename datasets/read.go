package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/distroscope/distroscope/store"
)

// File is a committed data object open for reading at random offsets, as
// Parquet is read, its bytes checked against its manifest.
type File struct {
	io.ReaderAt
	size  int64
	close func() error
}

// Size is the object's size in bytes.
func (f *File) Size() int64 { return f.size }

// Close releases the object (and removes its spooled copy, if any).
func (f *File) Close() error { return f.close() }

// localFile is what a local folder's Get returns: a file that can be read
// in place.
type localFile interface {
	io.ReaderAt
	Stat() (os.FileInfo, error)
}

// hashBufferSize is the read size when hashing a local file in place.
const hashBufferSize = 1 << 20

// OpenFile opens data object f, an entry of a manifest read from st, and
// checks every byte of it against the manifest before returning it: its
// size, and its SHA-256 when the manifest records one. A local folder's
// object is read in place (objects are replaced by rename, never
// rewritten, so the open file stays what was checked); another store's is
// spooled into a file in tempDir ("" is the system's) and hashed on the
// way, so checking costs no extra read.
//
// An object that fails the check, or that its manifest lists but the
// store does not have, is an error wrapping ErrCorrupt naming it. A file
// from a manifest written before SHA-256s were recorded has only its size
// checked (f.Verified says which).
func OpenFile(ctx context.Context, st store.Store, f ManifestFile, tempDir string) (*File, error) {
	rc, err := st.Get(ctx, f.Key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, corrupt(f.Key, "listed by its manifest, missing from the store")
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", f.Key, err)
	}
	d := NewDigest()
	if lf, ok := rc.(localFile); ok {
		if _, err := io.CopyBuffer(d, io.NewSectionReader(lf, 0, f.Bytes+1), make([]byte, hashBufferSize)); err != nil {
			rc.Close()
			return nil, fmt.Errorf("datasets: %s: %w", f.Key, err)
		}
		if err := f.Check(d); err != nil {
			rc.Close()
			return nil, err
		}
		return &File{ReaderAt: lf, size: f.Bytes, close: rc.Close}, nil
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(tempDir, "distroscope-read-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("datasets: spool %s: %w", f.Key, err)
	}
	discard := func() { tmp.Close(); os.Remove(tmp.Name()) }
	// One byte more than the manifest says, to tell a longer object.
	if _, err := io.Copy(io.MultiWriter(tmp, d), io.LimitReader(rc, f.Bytes+1)); err != nil {
		discard()
		return nil, fmt.Errorf("datasets: spool %s: %w", f.Key, err)
	}
	if err := f.Check(d); err != nil {
		discard()
		return nil, err
	}
	return &File{ReaderAt: tmp, size: f.Bytes, close: func() error { discard(); return nil }}, nil
}

// ReadFile reads data object f, an entry of a manifest read from st, into
// memory and checks it as OpenFile does. Objects larger than limit bytes
// (by the manifest, or in fact) are refused: it is for small tables.
func ReadFile(ctx context.Context, st store.Store, f ManifestFile, limit int64) ([]byte, error) {
	if f.Bytes > limit || f.Bytes < 0 {
		return nil, fmt.Errorf("datasets: %s: %d bytes by its manifest, more than the %d this reader takes", f.Key, f.Bytes, limit)
	}
	rc, err := st.Get(ctx, f.Key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, corrupt(f.Key, "listed by its manifest, missing from the store")
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", f.Key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, f.Bytes+1))
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", f.Key, err)
	}
	d := NewDigest()
	d.Write(data)
	if err := f.Check(d); err != nil {
		return nil, err
	}
	return data, nil
}
