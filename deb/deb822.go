package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on untrusted input. A real Packages stanza is a few KiB and a real
// Release a few MiB; anything far larger is corrupt or hostile.
const (
	MaxLineSize    = 1 << 20  // longest line (without its newline)
	MaxStanzaSize  = 4 << 20  // largest Packages stanza
	MaxReleaseSize = 32 << 20 // largest Release file
)

const (
	initialBufferSize   = 64 << 10
	preferredBufferSize = 1 << 20
)

// fieldSpan locates one field inside a paragraph's text.
type fieldSpan struct {
	nameStart, nameEnd int
	// valStart..valEnd is the raw value: from just after the colon to the
	// end of the field's last continuation line.
	valStart, valEnd int
	line             int  // 1-based line of the field line
	multiline        bool // has continuation lines (kept ones)
}

// paragraphScanner splits a deb822 stream into paragraphs. It reads through
// its own buffer and finds lines with bytes.IndexByte, records each field as
// offsets, then copies the paragraph into one string, so that a paragraph
// costs one allocation however many fields it has.
type paragraphScanner struct {
	rd    io.Reader
	file  string // index name, for errors
	buf   []byte
	r, w  int // buf[r:w] is unconsumed input; paragraph offsets are relative to r
	eof   bool
	rerr  error // sticky read error
	fatal error // sticky error: after it the stream cannot be resynchronized
	line  int   // lines consumed so far

	maxPara int
	// dropContinuation names a field whose continuation lines are dropped
	// before the paragraph is copied (the long Description, which is most of
	// the bytes of some indexes and is not kept).
	dropContinuation string

	fields  []fieldSpan
	scratch []byte
}

func newParagraphScanner(rd io.Reader, file string, maxPara int, dropContinuation string) *paragraphScanner {
	return &paragraphScanner{rd: rd, file: file, maxPara: maxPara, dropContinuation: dropContinuation}
}

// errEndOfLineLimit is internal: lineAt found no newline within MaxLineSize.
var errEndOfLineLimit = errors.New("line limit")

// fill reads more input, compacting or growing the buffer when it is full.
func (s *paragraphScanner) fill() error {
	if s.rerr != nil {
		return s.rerr
	}
	if s.w == len(s.buf) {
		if s.r > 0 && len(s.buf) >= preferredBufferSize {
			s.w = copy(s.buf, s.buf[s.r:s.w])
			s.r = 0
		} else {
			// The unconsumed input is at most one paragraph plus one line,
			// both bounded, so the buffer never grows past that.
			size := max(2*len(s.buf), initialBufferSize)
			size = min(size, s.maxPara+MaxLineSize+2)
			if size <= s.w-s.r {
				return errors.New("buffer limit") // unreachable: limits are checked first
			}
			nb := make([]byte, size)
			s.w = copy(nb, s.buf[s.r:s.w])
			s.r = 0
			s.buf = nb
		}
	}
	for range 100 {
		n, err := s.rd.Read(s.buf[s.w:])
		s.w += n
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			s.rerr = err
			return err
		}
		if n > 0 {
			return nil
		}
	}
	s.rerr = io.ErrNoProgress
	return s.rerr
}

// lineAt finds the line starting at off (relative to s.r): it returns the
// offset of its end and of the next line. The last line of the input may
// lack a newline (then next == end). At the end of input it returns io.EOF.
func (s *paragraphScanner) lineAt(off int) (end, next int, err error) {
	searched := off
	for {
		data := s.buf[s.r:s.w]
		if i := bytes.IndexByte(data[searched:], '\n'); i >= 0 {
			end = searched + i
			if end-off > MaxLineSize {
				return 0, 0, errEndOfLineLimit
			}
			return end, end + 1, nil
		}
		searched = len(data)
		if searched-off > MaxLineSize {
			return 0, 0, errEndOfLineLimit
		}
		if s.eof {
			if searched == off {
				return 0, 0, io.EOF
			}
			return searched, searched, nil
		}
		if err := s.fill(); err != nil {
			return 0, 0, err
		}
	}
}

// isBlank reports whether a line separates paragraphs: empty or only
// whitespace.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func (s *paragraphScanner) errorAt(line int, err error) *ParseError {
	return &ParseError{File: s.file, Line: line, Err: err}
}

// streamError turns an error from lineAt into the error to return, marking
// it sticky: after a limit or read error the stream cannot be resynchronized.
func (s *paragraphScanner) streamError(err error) error {
	switch {
	case err == errEndOfLineLimit:
		err = s.errorAt(s.line+1, fmt.Errorf("%w: longer than %d bytes", ErrLineTooLong, MaxLineSize))
	default:
		err = fmt.Errorf("deb: %s line %d: read: %w", s.file, s.line+1, err)
	}
	s.fatal = err
	return err
}

// next returns the next paragraph: its text, its fields (valid until the
// following call) and the line of its first field. It returns io.EOF after
// the last paragraph. A *ParseError about the paragraph's syntax is returned
// after the whole paragraph has been consumed, so the next call goes on with
// the following one; limit and read errors are sticky.
func (s *paragraphScanner) next() (text string, fields []fieldSpan, first int, err error) {
	if s.fatal != nil {
		return "", nil, 0, s.fatal
	}
	var end, nxt int
	var syntaxErr error
	// Skip blank lines and comments between paragraphs.
	for {
		end, nxt, err = s.lineAt(0)
		if err == io.EOF {
			if syntaxErr != nil {
				return "", nil, 0, syntaxErr
			}
			return "", nil, 0, io.EOF
		}
		if err != nil {
			return "", nil, 0, s.streamError(err)
		}
		s.line++
		ln := s.buf[s.r : s.r+end]
		if isBlank(ln) {
			s.r += nxt
			continue
		}
		if ln[0] == '#' {
			if syntaxErr == nil && bytes.IndexByte(ln, 0) >= 0 {
				syntaxErr = s.errorAt(s.line, ErrNUL)
			}
			s.r += nxt
			continue
		}
		break
	}
	first = s.line
	s.fields = s.fields[:0]
	dropField, dropStart, dropEnd := -1, -1, -1
	off, paraEnd, consumed := 0, 0, 0
	for {
		ln := s.buf[s.r+off : s.r+end]
		if len(ln) == 0 || ((ln[0] == ' ' || ln[0] == '\t' || ln[0] == '\r') && isBlank(ln)) {
			consumed = nxt
			break
		}
		switch c := ln[0]; {
		case c == ' ' || c == '\t':
			if len(s.fields) == 0 {
				if syntaxErr == nil {
					syntaxErr = s.errorAt(s.line, fmt.Errorf("%w: continuation line before any field", ErrSyntax))
				}
				break
			}
			last := len(s.fields) - 1
			f := &s.fields[last]
			if s.dropContinuation != "" && (dropField == last ||
				dropField < 0 && asciiEqualFoldBytes(s.buf[s.r+f.nameStart:s.r+f.nameEnd], s.dropContinuation)) {
				if dropField < 0 {
					dropField, dropStart = last, f.valEnd
				}
				dropEnd = end
				break
			}
			f.valEnd = end
			f.multiline = true
		case c == '#':
			// A comment, ignored even between continuation lines.
		default:
			colon := bytes.IndexByte(ln, ':')
			if colon <= 0 {
				if syntaxErr == nil {
					msg := "field line without colon"
					if colon == 0 {
						msg = "empty field name"
					}
					syntaxErr = s.errorAt(s.line, fmt.Errorf("%w: %s", ErrSyntax, msg))
				}
				break
			}
			s.fields = append(s.fields, fieldSpan{
				nameStart: off, nameEnd: off + colon,
				valStart: off + colon + 1, valEnd: end,
				line: s.line,
			})
		}
		paraEnd = end
		off = nxt
		if off > s.maxPara {
			err := s.errorAt(first, fmt.Errorf("%w: stanza larger than %d bytes", ErrStanzaTooLarge, s.maxPara))
			s.fatal = err
			return "", nil, 0, err
		}
		// The line is nearly always already in the buffer: look for it
		// here before calling lineAt.
		if i := bytes.IndexByte(s.buf[s.r+off:s.w], '\n'); i >= 0 && i <= MaxLineSize {
			end, nxt = off+i, off+i+1
		} else {
			end, nxt, err = s.lineAt(off)
			if err == io.EOF {
				consumed = off
				break
			}
			if err != nil {
				return "", nil, 0, s.streamError(err)
			}
		}
		s.line++
	}
	para := s.buf[s.r : s.r+paraEnd]
	if i := bytes.IndexByte(para, 0); i >= 0 && syntaxErr == nil {
		syntaxErr = s.errorAt(first+bytes.Count(para[:i], []byte{'\n'}), ErrNUL)
	}
	if syntaxErr != nil {
		s.r += consumed
		return "", nil, 0, syntaxErr
	}
	if dropField < 0 {
		text = string(para)
	} else {
		s.scratch = append(append(s.scratch[:0], para[:dropStart]...), para[dropEnd:]...)
		text = string(s.scratch)
		shift := dropEnd - dropStart
		for i := dropField + 1; i < len(s.fields); i++ {
			f := &s.fields[i]
			f.nameStart -= shift
			f.nameEnd -= shift
			f.valStart -= shift
			f.valEnd -= shift
		}
	}
	s.r += consumed
	return text, s.fields, first, nil
}

// asciiEqualFold reports whether a equals b under ASCII case folding, which
// is how deb822 compares field names.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func asciiEqualFoldBytes(a []byte, b string) bool {
	return string(a) == b || asciiEqualFold(string(a), b)
}

// isSpace is deb822 whitespace (plus the CR of CRLF files).
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// simpleValue is a field's value with continuation lines folded into one
// line (for fields whose line breaks carry no meaning).
func simpleValue(text string, f *fieldSpan) string {
	raw := text[f.valStart:f.valEnd]
	if !f.multiline {
		return trimSpace(raw)
	}
	var b strings.Builder
	for line := range strings.SplitSeq(raw, "\n") {
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		line = trimSpace(line)
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(line)
	}
	return b.String()
}

// multilineValue is a field's value with continuation lines joined by "\n":
// each continuation line loses its leading space, " ." stands for an empty
// line, and an empty first line is left out.
func multilineValue(text string, f *fieldSpan) string {
	raw := text[f.valStart:f.valEnd]
	if !f.multiline {
		return trimSpace(raw)
	}
	firstLine, rest, _ := strings.Cut(raw, "\n")
	var b strings.Builder
	b.WriteString(trimSpace(firstLine))
	wrote := b.Len() > 0
	for line := range strings.SplitSeq(rest, "\n") {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		line = strings.TrimRight(line[1:], " \t\r")
		if line == "." {
			line = ""
		}
		if wrote {
			b.WriteByte('\n')
		}
		b.WriteString(line)
		wrote = true
	}
	return b.String()
}
