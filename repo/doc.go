// Package repo is what every repository format shares: the Spec of what to
// snapshot, the Resolved list of indexes with the sizes and hashes they must
// match, the Source interface each format implements (apt, rpm-md, APKINDEX,
// pacman), a bounded Fetcher, and the streaming Ingest pipeline — fetch →
// size/SHA256 check → decompress → the format's parser → Parquet rows —
// whose stages run side by side.
//
// Nothing here knows about Temporal or object stores; the activities wrap it.
//
// Beside it: repo/formats, the one registry of repository formats, each a
// Source with the mapping of its ecosystem's records to packages rows;
// repo/catalog, the sources catalogue that names what to snapshot; and
// repo/repotest, the conformance suite every format passes.
package repo

import "errors"

// ErrCorrupt marks input that will not get better by fetching it again:
// a bad signature, a hash or size mismatch, a parse error, an oversized or
// malformed file. Callers treat it as non-retryable.
var ErrCorrupt = errors.New("corrupt repository metadata")

// ErrInvalidSource marks a source that cannot work as configured — a
// keyring that cannot be read, for one — so the mirror is not to blame and a
// retry would fail the same way.
var ErrInvalidSource = errors.New("invalid source configuration")

// ErrNotFound marks a file the mirror does not have (HTTP 404, missing file).
var ErrNotFound = errors.New("not found on mirror")

type corruptError struct{ err error }

func (e corruptError) Error() string   { return e.err.Error() }
func (e corruptError) Unwrap() []error { return []error{e.err, ErrCorrupt} }

// Corrupt marks err as ErrCorrupt, keeping its message.
func Corrupt(err error) error { return corruptError{err} }

type invalidError struct{ err error }

func (e invalidError) Error() string   { return e.err.Error() }
func (e invalidError) Unwrap() []error { return []error{e.err, ErrInvalidSource} }

// Invalid marks err as ErrInvalidSource, keeping its message.
func Invalid(err error) error { return invalidError{err} }

// corrupt and invalid are the package's own short forms.
func corrupt(err error) error { return Corrupt(err) }
