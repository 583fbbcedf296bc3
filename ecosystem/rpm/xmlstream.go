package rpm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/distroscope/distroscope/ecosystem/rpm/internal/xmltok"
)

// errBudget is what budgetReader returns when a stretch of the document
// without a reset (one package) is over its limit; the stream turns it into
// an ErrTooLarge *ParseError.
var errBudget = errors.New("rpmmd: read budget exhausted")

// budgetReader fails once more than left bytes are read since the last
// reset. The tokenizer holds a whole token in memory, so bounding the bytes
// it may read per package is what bounds its memory whatever the input.
type budgetReader struct {
	r    io.Reader
	left int64
	// failed is the underlying reader's error, other than io.EOF, so
	// that a failing reader is not reported as corrupt input.
	failed error
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errBudget
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.failed = err
	}
	return n, err
}

// xmlStream reads a document token by token with package xmltok's
// tokenizer, which returns what encoding/xml's RawToken would, checking
// itself that end tags match (RawToken does not) and keeping the stack of
// open elements for error messages and skipping.
//
// Raw tokens rather than Token's: Token resolves namespace prefixes to URLs,
// allocating for every element, and rpm-md consumers (yum, libsolv,
// createrepo_c's own parser) match elements by their literal "rpm:" prefix
// anyway, so prefixes are compared as written.
type xmlStream struct {
	z      xmltok.Tokenizer
	budget *budgetReader
	file   string
	stack  []xml.Name
	err    error // final: every later call returns it
	text   []byte
}

func newXMLStream(r io.Reader, file string, budget int64) *xmlStream {
	s := &xmlStream{budget: &budgetReader{r: r, left: budget}, file: file}
	s.z.Init(s.budget)
	return s
}

// resetBudget allows n more bytes from here on (plus what is buffered).
func (s *xmlStream) resetBudget(n int64) { s.budget.left = n }

func (s *xmlStream) line() int { return s.z.Line() }

func (s *xmlStream) depth() int { return len(s.stack) }

// top names the innermost open element, for messages.
func (s *xmlStream) top() string {
	if len(s.stack) == 0 {
		return ""
	}
	return qname(s.stack[len(s.stack)-1])
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// fail records a final error and returns it.
func (s *xmlStream) fail(pkg string, err error) error {
	if s.err == nil {
		s.err = err
		var pe *ParseError
		if errors.As(err, &pe) && pe.Package == "" {
			pe.Package = pkg
		}
	}
	return s.err
}

// token returns the next token: start and end elements and character data
// as *xml.StartElement, *xml.EndElement and *xml.CharData (pointers, so that
// handing them out allocates nothing), which, like the bytes of a CharData,
// are only valid until the next call; copy the element (*t) to keep it. At the end of the document it returns io.EOF,
// or an error if elements are still open (a truncated file).
func (s *xmlStream) token() (xml.Token, error) {
	if s.err != nil {
		return nil, s.err
	}
	t, err := s.z.RawToken()
	if err != nil {
		if err = s.convert(err); err == io.EOF {
			// Not final: the caller decides whether the end is an error.
			return nil, io.EOF
		}
		return nil, s.fail("", err)
	}
	switch t := t.(type) {
	case *xml.StartElement:
		s.stack = append(s.stack, t.Name)
	case *xml.EndElement:
		if len(s.stack) == 0 {
			return nil, s.fail("", &ParseError{File: s.file, Line: s.line(),
				Err: fmt.Errorf("%w: unexpected </%s>", ErrSyntax, qname(t.Name))})
		}
		if open := s.stack[len(s.stack)-1]; open != t.Name {
			return nil, s.fail("", &ParseError{File: s.file, Line: s.line(), Element: qname(open),
				Err: fmt.Errorf("%w: closed by </%s>", ErrSyntax, qname(t.Name))})
		}
		s.stack = s.stack[:len(s.stack)-1]
	}
	return t, nil
}

func (s *xmlStream) convert(err error) error {
	var se *xml.SyntaxError
	switch {
	case err == io.EOF && len(s.stack) > 0:
		return &ParseError{File: s.file, Line: s.line(), Element: s.top(),
			Err: fmt.Errorf("%w: unexpected end of file (truncated?)", ErrSyntax)}
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, errBudget):
		return &ParseError{File: s.file, Line: s.line(), Element: s.top(),
			Err: fmt.Errorf("%w: over the size limit", ErrTooLarge)}
	case errors.As(err, &se):
		return &ParseError{File: s.file, Line: se.Line, Element: s.top(),
			Err: fmt.Errorf("%w: %s", ErrSyntax, se.Msg)}
	case s.budget.failed != nil:
		// A failing reader, not corrupt input: not a *ParseError.
		return fmt.Errorf("rpmmd: %s: %w", s.file, err)
	default:
		// The tokenizer's other complaints (an encoding other than UTF-8,
		// ...) are about the document.
		return &ParseError{File: s.file, Line: s.line(), Element: s.top(),
			Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
	}
}

// skip consumes tokens until the element open at depth d (1-based) is
// closed; skip(depth()) skips the rest of the current element.
func (s *xmlStream) skip(d int) error {
	for s.depth() >= d {
		if _, err := s.token(); err != nil {
			return err
		}
	}
	return nil
}

// readText returns the character data of the element just opened, up to its
// end tag, which it consumes. Comments and processing instructions are
// dropped; a child element is an error. The result is valid until the next
// call. limit bounds the text.
func (s *xmlStream) readText(limit int) ([]byte, error) {
	d := s.depth()
	name := s.top()
	s.text = s.text[:0]
	for {
		t, err := s.token()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case *xml.CharData:
			if len(s.text)+len(*t) > limit {
				return nil, &ParseError{File: s.file, Line: s.line(), Element: name,
					Err: fmt.Errorf("%w: text over %d bytes", ErrTooLarge, limit)}
			}
			s.text = append(s.text, *t...)
		case *xml.StartElement:
			return nil, &ParseError{File: s.file, Line: s.line(), Element: name,
				Err: fmt.Errorf("%w: unexpected <%s> in text", ErrSyntax, qname(t.Name))}
		case *xml.EndElement:
			if s.depth() < d {
				return s.text, nil
			}
		}
	}
}

// attr returns the value of the attribute named space:local, or "".
func attr(e xml.StartElement, space, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == local && a.Name.Space == space {
			return a.Value, true
		}
	}
	return "", false
}

// isBlank reports whether character data is only XML white space.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
