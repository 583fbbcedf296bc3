// Package aptrepo reads an apt repository the way apt does, for snapshots:
// it fetches the suite's InRelease (or Release + Release.gpg), verifies the
// OpenPGP signature against the keyring the source names, checks Valid-Until,
// chooses for each component × architecture the Packages index in the
// compression that is fastest end to end (by hash when the Release offers
// Acquire-By-Hash), and parses the index into Parquet rows. The fetch,
// verification and streaming pipeline it shares with every format lives in
// package repo; the names re-exported here keep apt callers short.
//
// Repository format: https://wiki.debian.org/DebianRepository/Format
package aptrepo

import "github.com/distroscope/distroscope/repo"

// Shared types and errors, from package repo.
type (
	Source        = repo.Spec
	Candidate     = repo.Candidate
	Index         = repo.Index
	Resolved      = repo.Resolved
	Compression   = repo.Compression
	Fetcher       = repo.Fetcher
	Progress      = repo.Progress
	IngestResult  = repo.IngestResult
	IngestOptions = repo.IngestOptions
)

var (
	ErrCorrupt              = repo.ErrCorrupt
	ErrInvalidSource        = repo.ErrInvalidSource
	ErrNotFound             = repo.ErrNotFound
	DefaultFetcher          = repo.DefaultFetcher
	DefaultCompressionOrder = repo.DefaultCompressionOrder
	ParseCompressionOrder   = repo.ParseCompressionOrder
)

// DefaultMaxUncompressed bounds an index whose Release lists no plain size.
const DefaultMaxUncompressed = repo.DefaultMaxUncompressed

func corrupt(err error) error { return repo.Corrupt(err) }
func invalid(err error) error { return repo.Invalid(err) }
func join(base string, elems ...string) string {
	return repo.JoinURL(base, elems...)
}
