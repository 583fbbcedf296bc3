package apk

import (
	"errors"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Sentinel errors, wrapped in a *ParseError, for callers that branch on the
// kind of damage (errors.Is). Every parse failure is a *ParseError, so
// errors.As(err, new(*apk.ParseError)) tells corrupt input (not worth
// retrying) from a failing reader.
var (
	ErrLineTooLong         = errors.New("line too long")
	ErrRecordTooLarge      = errors.New("record too large")
	ErrIndexTooLarge       = errors.New("index too large")
	ErrMemberTooLarge      = errors.New("member too large")
	ErrUnsafePath          = errors.New("unsafe path")
	ErrUnsupported         = errors.New("unsupported")
	ErrNoIndex             = errors.New("no APKINDEX member")
	ErrMissingField        = errors.New("missing required field")
	ErrDuplicateField      = errors.New("duplicate field")
	ErrSyntax              = errors.New("syntax error")
	ErrInvalidDepend       = errors.New("invalid dependency")
	ErrCorruptArchive      = errors.New("corrupt archive")
	ErrNoSignature         = errors.New("no signature")
	ErrUnknownKey          = errors.New("no public key for the signature")
	ErrBadSignature        = errors.New("signature does not verify")
	ErrUnknownAlgorithm    = errors.New("unknown signature algorithm")
	ErrTooManyFields       = errors.New("too many fields")
	ErrTooManyDependencies = errors.New("too many dependencies")
	ErrInvalidName         = errors.New("invalid package name")
	ErrInvalidVersion      = errors.New("invalid version")
)

// ParseError reports where an index is malformed: the file (its name as
// given to the reader), the archive member when the damage is in one, the
// 1-based line of APKINDEX when known, and the package and field.
type ParseError struct {
	File    string // e.g. "main/x86_64/APKINDEX.tar.gz"
	Member  string // e.g. "APKINDEX"; empty for damage to the gzip or tar layers
	Line    int    // 0 when not about one line
	Package string // the record's P: when it was reached
	Field   string // e.g. "S"; empty when not about one field
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("apkindex: ")
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
