package rpmdb

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors, wrapped in a *ParseError, for callers that branch on
// the kind of damage (errors.Is). Every failure to read a database is a
// *ParseError, so errors.As(err, new(*rpmdb.ParseError)) tells corrupt
// input (not worth retrying) from a failing caller.
var (
	// ErrFormat: the bytes are not the structure the backend or the header
	// format says (bad magic, an offset out of range, a page of the wrong
	// type, a checksum that does not match).
	ErrFormat = errors.New("malformed")
	// ErrTooLarge: a header, a count or a database is over its limit
	// (MaxHeaderSize, MaxTags, MaxPackages, MaxFiles).
	ErrTooLarge = errors.New("too large")
	// ErrMissing: a tag every package has (NAME, VERSION, RELEASE) is absent.
	ErrMissing = errors.New("missing")
	// ErrLoop: Berkeley DB pages link back to a page already read.
	ErrLoop = errors.New("page loop")
	// ErrUnsupported: a valid database this reader does not read (an
	// encrypted Berkeley DB, a sqlite database with an unread WAL).
	ErrUnsupported = errors.New("unsupported")
	// ErrNoDatabase: Read found none of the three backends' files.
	ErrNoDatabase = errors.New("no rpm database")
)

// ParseError reports where a database is malformed: its file, the package
// (its header number: the sqlite hnum, the Berkeley DB key, the ndb
// pkgidx; 0 when not reached), the tag or structure at fault, and what
// was wrong.
type ParseError struct {
	File    string // "rpmdb.sqlite", "Packages", "Packages.db", or "header"
	Package uint32 // header number; 0 when unknown
	Tag     string // e.g. "FILEMODES (1030)", "page 7", "slot 3"; empty when none
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("rpmdb: ")
	b.WriteString(e.File)
	if e.Package != 0 {
		b.WriteString(": package ")
		b.WriteString(strconv.FormatUint(uint64(e.Package), 10))
	}
	if e.Tag != "" {
		b.WriteString(": ")
		b.WriteString(e.Tag) // ours, never the input's
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }
