package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
)

// ErrCorrupt is wrapped by the errors of a data object whose bytes are not
// the ones recorded when it was written — its manifest's SHA-256 or size,
// or the SHA-256 its stager recorded — of one that its manifest lists but
// the store no longer has, and of a manifest that no longer decodes.
// Reading it again gives the same bytes, so callers treat it as final.
var ErrCorrupt = errors.New("corrupt object")

// CorruptError is the ErrCorrupt of one object: which, and what differs
// from what was recorded of it. It ends its error chain, so that a message
// rendered cause by cause (as the CLI renders a failed run's) says it once.
type CorruptError struct {
	Key    string
	Reason string
}

func (e *CorruptError) Error() string { return e.Key + ": " + ErrCorrupt.Error() + ": " + e.Reason }

// Is makes a CorruptError ErrCorrupt to errors.Is.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// corrupt is the ErrCorrupt of object key, as this package returns it.
func corrupt(key, format string, args ...any) error {
	return fmt.Errorf("datasets: %w", &CorruptError{Key: key, Reason: fmt.Sprintf(format, args...)})
}

// Why a whole-file SHA-256 rather than Parquet's page checksums: parquet-go
// writes a CRC-32 on every page and checks it when it reads, but Arrow's
// Go reader (what comparisons read with) checks none, and a page CRC covers
// neither page headers nor the footer — schema, offsets, row counts and the
// statistics that readers use to skip row groups. A flipped bit there
// changes what a reader sees without failing any page's CRC. A hash of the
// whole object, recorded in the manifest, covers every byte for every
// reader that reads the manifest; readers that glob the tree (DuckDB) have
// only the page CRCs.

// Digest computes what a manifest records of the bytes written through it:
// their SHA-256 and their count.
type Digest struct {
	h hash.Hash
	n int64
}

// NewDigest starts a Digest of no bytes.
func NewDigest() *Digest { return &Digest{h: sha256.New()} }

// Write adds p; it never fails.
func (d *Digest) Write(p []byte) (int, error) {
	d.h.Write(p)
	d.n += int64(len(p))
	return len(p), nil
}

// SHA256 is the SHA-256 of the bytes written so far, in lowercase hex.
func (d *Digest) SHA256() string { return hex.EncodeToString(d.h.Sum(nil)) }

// Size is the number of bytes written so far.
func (d *Digest) Size() int64 { return d.n }

// Verified reports whether the manifest records f's SHA-256. Manifests
// written before distroscope recorded one do not: such a file is read
// with only its size checked.
func (f ManifestFile) Verified() bool { return f.SHA256 != "" }

// Check reports whether d saw exactly data object f as its manifest
// records it: an error wrapping ErrCorrupt naming the object otherwise.
func (f ManifestFile) Check(d *Digest) error {
	if d.Size() != f.Bytes {
		return corrupt(f.Key, "%d bytes where its manifest records %d", d.Size(), f.Bytes)
	}
	if f.SHA256 != "" {
		if got := d.SHA256(); got != f.SHA256 {
			return corrupt(f.Key, "SHA-256 %s where its manifest records %s", got, f.SHA256)
		}
	}
	return nil
}

// check reports whether d saw exactly staged part s as its stager wrote
// it. A part whose stager recorded no hash passes.
func (s StagedPart) check(d *Digest) error {
	if s.SHA256 != "" {
		if got := d.SHA256(); got != s.SHA256 {
			return &CorruptError{Key: s.Key, Reason: fmt.Sprintf("SHA-256 %s where its stager recorded %s", got, s.SHA256)}
		}
	}
	return nil
}
