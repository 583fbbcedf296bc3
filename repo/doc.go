// Package repo is what every repository format shares: the Spec of what to
// snapshot, the Resolved list of indexes with the sizes and hashes they must
// match, the Source interface each format implements (apt, rpm-md, APKINDEX,
// pacman), a bounded Fetcher, and the streaming Ingest pipeline — fetch →
// size/SHA256 check → decompress → the format's parser → Parquet rows —
// whose stages run side by side.
//
// Errors say what callers branch on. ErrCorrupt: the bytes are wrong and
// fetching again will not help. ErrInvalidSource (with ErrNoSuchSuite for a
// suite the mirror does not have): the request is wrong. Anything else —
// a refused connection, an unknown host, a 5xx, a timeout — is worth
// retrying, and the Fetcher leaves that to the caller (Temporal), worded as
// a short *FetchError. What Ingest does on its own — falling back from a
// by-hash name the mirror lacks to the canonical one, fetching a canonical
// name again while a mirror syncs — it reports as Notices.
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

// ErrNoSuchSuite marks a source whose top-level metadata the mirror does
// not have — apt's InRelease and Release, rpm-md's repomd.xml, an APKINDEX,
// a pacman database answer 404: a misspelt suite, branch, component or
// architecture, or a mirror URL that points at the wrong folder. A 404 is
// an answer, not an outage, so it matches ErrInvalidSource too and is not
// retried.
var ErrNoSuchSuite = errors.New("no such suite on the mirror")

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

type noSuchSuiteError struct{ err error }

func (e noSuchSuiteError) Error() string { return e.err.Error() }
func (e noSuchSuiteError) Unwrap() []error {
	return []error{e.err, ErrNoSuchSuite, ErrInvalidSource}
}

// NoSuchSuite marks err as ErrNoSuchSuite, and so ErrInvalidSource,
// keeping its message.
func NoSuchSuite(err error) error { return noSuchSuiteError{err} }

// corrupt and invalid are the package's own short forms.
func corrupt(err error) error { return Corrupt(err) }
