package rpm

import (
	"errors"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Sentinel errors, wrapped in a *ParseError, for callers that branch on the
// kind of damage (errors.Is). Every failure to read the metadata itself is a
// *ParseError, so errors.As(err, new(*rpm.ParseError)) tells corrupt input
// (not worth retrying) from a failing reader.
var (
	// ErrSyntax: not well-formed XML, or an element where none may be.
	ErrSyntax = errors.New("syntax error")
	// ErrTooLarge: a document, package or element is over its size limit.
	ErrTooLarge = errors.New("too large")
	// ErrMissing: a required element or attribute is absent or empty.
	ErrMissing = errors.New("missing")
	// ErrDuplicate: an element that may appear once appears twice.
	ErrDuplicate = errors.New("duplicate element")
	// ErrVersion: a malformed version element or dependency version.
	ErrVersion = errors.New("malformed version")
	// ErrChecksum: an unknown checksum type, or a value that is not hex of
	// the type's length.
	ErrChecksum = errors.New("bad checksum")
	// ErrCount: the packages="N" attribute disagrees with the packages
	// read; a shortfall usually means a truncated file.
	ErrCount = errors.New("package count mismatch")
	// ErrMismatch: filelists does not list the same packages, in the same
	// order, as primary.
	ErrMismatch = errors.New("filelists does not match primary")
	// ErrDatabase: the sqlite database cannot be read, or is not a
	// createrepo primary database of a known version.
	ErrDatabase = errors.New("unreadable primary database")
	// ErrName: a package name rpm would not build.
	ErrName = errors.New("malformed package name")
	// ErrTooMany: a package lists more entries or files than the limits
	// allow (MaxEntries, MaxFiles).
	ErrTooMany = errors.New("too many entries")
)

// ParseError reports where metadata is malformed: the file (its name as
// given to the reader), the 1-based line when known, and when known the
// package and the element (or sqlite table) at fault.
type ParseError struct {
	File    string // e.g. "repodata/primary.xml" or "repomd.xml"
	Line    int    // 0 when unknown (sqlite)
	Package string // name of the package, empty when not reached
	Element string // e.g. "version", "rpm:entry", "checksum@type"
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("rpmmd: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(" line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Package != "" {
		b.WriteString("package ")
		b.WriteString(ecosystem.Token(e.Package))
		b.WriteString(": ")
	}
	if e.Element != "" {
		b.WriteString("<")
		b.WriteString(ecosystem.Token(e.Element))
		b.WriteString(">: ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }
