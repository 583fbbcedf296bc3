package alpm

import (
	"errors"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Sentinel errors, wrapped in a *ParseError, for callers that branch on the
// kind of damage (errors.Is). Every parse failure is a *ParseError, so
// errors.As(err, new(*alpm.ParseError)) tells corrupt input (not worth
// retrying) from a failing reader.
var (
	ErrLineTooLong       = errors.New("line too long")
	ErrMemberTooLarge    = errors.New("member too large")
	ErrDatabaseTooLarge  = errors.New("database too large")
	ErrUnsafePath        = errors.New("unsafe path")
	ErrUnsupported       = errors.New("unsupported")
	ErrMissingField      = errors.New("missing required section")
	ErrDuplicateField    = errors.New("duplicate section")
	ErrDuplicatePackage  = errors.New("duplicate package directory")
	ErrInconsistent      = errors.New("directory name does not match %NAME%-%VERSION%")
	ErrSyntax            = errors.New("syntax error")
	ErrInvalidRelation   = errors.New("invalid relation")
	ErrCorruptArchive    = errors.New("corrupt archive")
	ErrUnknownCompressor = errors.New("unknown compression")
	ErrTooManyFields     = errors.New("too many sections")
	ErrTooManyValues     = errors.New("too many values")
	ErrInvalidName       = errors.New("invalid package name")
	ErrInvalidVersion    = errors.New("invalid version")
)

// ParseError reports where a database is malformed: the database (its name
// as given to the reader), the tar member, the 1-based line within that
// member when the damage is in a desc or files entry, and when known the
// package directory and section.
type ParseError struct {
	File    string // database name, e.g. "core.db"
	Member  string // tar member, e.g. "zlib-1:1.3.1-2/desc"; empty for archive-level damage
	Line    int    // 0 when the error is not about one line
	Section string // e.g. "%CSIZE%"; empty when not about one section
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("alpm: ")
	b.WriteString(e.File)
	if e.Member != "" {
		b.WriteString(": ")
		b.WriteString(ecosystem.Token(e.Member))
	}
	if e.Line > 0 {
		b.WriteString(" line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Section != "" {
		b.WriteString(ecosystem.Token(e.Section))
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }
