package deb

import (
	"errors"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Sentinel errors, wrapped in a *ParseError, for callers that branch on the
// kind of damage (errors.Is). Every parse failure, whatever its kind, is a
// *ParseError, so errors.As(err, new(*deb.ParseError)) tells corrupt input
// (not worth retrying) from a failing reader.
var (
	ErrLineTooLong     = errors.New("line too long")
	ErrStanzaTooLarge  = errors.New("stanza too large")
	ErrReleaseTooLarge = errors.New("release too large")
	ErrNUL             = errors.New("NUL byte")
	ErrMissingField    = errors.New("missing required field")
	ErrDuplicateField  = errors.New("duplicate field")
	ErrSyntax          = errors.New("syntax error")
	ErrInvalidRelation = errors.New("invalid relation")
	ErrFieldTooLarge   = errors.New("field too large")
	ErrTooManyFields   = errors.New("too many fields")
	ErrTooManyClauses  = errors.New("too many relation clauses")
	ErrInvalidName     = errors.New("invalid package name")
	ErrInvalidVersion  = errors.New("invalid version")
)

// ParseError reports where an index is malformed: the index (its name as
// given to the reader, or "Release"), the 1-based line, and when known the
// package and field.
type ParseError struct {
	File    string // index name, e.g. "main/binary-amd64/Packages" or "Release"
	Line    int
	Package string // empty when the stanza's Package field was not reached
	Field   string // empty when the error is not about one field
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("deb: ")
	b.WriteString(e.File)
	b.WriteString(" line ")
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	// Both come from the input: a hostile one is quoted and cut.
	if e.Package != "" {
		b.WriteString("package ")
		b.WriteString(ecosystem.Token(e.Package))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(ecosystem.Token(e.Field))
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }
