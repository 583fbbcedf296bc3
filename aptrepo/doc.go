// Package aptrepo reads an apt repository the way apt does, for snapshots:
// it fetches the suite's InRelease (or Release + Release.gpg), verifies the
// OpenPGP signature against the keyring the source names, checks Valid-Until,
// chooses for each component × architecture the Packages index in the
// compression that is fastest end to end (by hash when the Release offers
// Acquire-By-Hash), then streams that index through size and SHA256
// verification, decompression and the deb822 parser into Parquet rows.
//
// Nothing here knows about Temporal or object stores: the activities wrap
// these functions, and everything a caller needs to resume or retry (the
// resolved index list) is a small, serialisable value.
//
// Repository format: https://wiki.debian.org/DebianRepository/Format
package aptrepo

import "errors"

// ErrCorrupt marks input that will not get better by fetching it again:
// a bad signature, a hash or size mismatch, a parse error, an oversized or
// malformed file. Callers treat it as non-retryable.
var ErrCorrupt = errors.New("corrupt repository metadata")

// ErrInvalidSource marks a source that cannot work as configured — a
// keyring that cannot be read, for one — so the mirror is not to blame and a
// retry would fail the same way.
var ErrInvalidSource = errors.New("invalid source configuration")

type invalidError struct{ err error }

func (e invalidError) Error() string   { return e.err.Error() }
func (e invalidError) Unwrap() []error { return []error{e.err, ErrInvalidSource} }
func invalid(err error) error          { return invalidError{err} }

// ErrNotFound marks a file the mirror does not have (HTTP 404, missing file).
var ErrNotFound = errors.New("not found on mirror")

type corruptError struct{ err error }

func (e corruptError) Error() string   { return e.err.Error() }
func (e corruptError) Unwrap() []error { return []error{e.err, ErrCorrupt} }
func corrupt(err error) error          { return corruptError{err} }
