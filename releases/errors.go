package releases

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors, wrapped in a *ParseError, for callers that branch on the
// kind of damage (errors.Is). Every parse failure is a *ParseError, so
// errors.As(err, new(*releases.ParseError)) tells corrupt input (not worth
// retrying) from a failing reader.
var (
	ErrTooLarge      = errors.New("file too large")
	ErrSyntax        = errors.New("syntax error")
	ErrMissingColumn = errors.New("missing required column")
	ErrDuplicate     = errors.New("duplicate")
	ErrEmpty         = errors.New("empty value")
	ErrInvalidName   = errors.New("invalid name")
	ErrInvalidDate   = errors.New("invalid date")
	ErrDateOrder     = errors.New("dates out of order")
	ErrNoReleases    = errors.New("no releases")
)

// ParseError reports where a distro-info CSV is malformed: the file (its
// name as given to the parser), the 1-based line, and when known the series
// and column.
type ParseError struct {
	File   string // e.g. "debian.csv"
	Line   int
	Series string // empty when the row's series was not read
	Column string // empty when the error is not about one column
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("releases: ")
	b.WriteString(e.File)
	b.WriteString(" line ")
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	if e.Series != "" {
		b.WriteString("series ")
		b.WriteString(e.Series)
		b.WriteString(": ")
	}
	if e.Column != "" {
		b.WriteString(e.Column)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }
