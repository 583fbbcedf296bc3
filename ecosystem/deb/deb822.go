package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits on untrusted input, each about ten times what the largest real
// value needs. Measured on Debian bookworm main/amd64 (63,442 stanzas): the
// largest stanza is 76 KB and so is the longest line (a Provides), the most
// fields in a stanza 29, the most clauses in a relationship field 1,603 (a
// Provides) and the most alternatives in a clause 20. A real Release is a
// few hundred KiB. Past a limit the input is refused with a *ParseError
// naming the line: without them one stanza of 40,000 fields, or a thousand
// stanzas of 900 KB Depends, held a worker for hours or took it to 2 GB.
const (
	MaxLineSize     = 512 << 10 // longest line (without its newline)
	MaxFieldSize    = 512 << 10 // largest Packages field, continuation lines included
	MaxStanzaSize   = 1 << 20   // largest Packages stanza
	MaxFields       = 256       // fields in one stanza (Packages or Release)
	MaxClauses      = 8192      // clauses in one relationship field
	MaxAlternatives = 64        // alternatives in one relationship clause
	MaxReleaseSize  = 32 << 20  // largest Release file
)

const (
	initialBufferSize   = 64 << 10
	preferredBufferSize = 1 << 20
)

// fieldSpan locates one field inside a paragraph's text.
type fieldSpan struct {
	// Offsets are int32 to keep the per-line record small; paragraphs are
	// bounded far below 2 GiB.
	nameStart, nameEnd int32
	// valStart..valEnd is the raw value: from just after the colon to the
	// end of the field's last continuation line.
	valStart, valEnd int32
	line             int  // 1-based line of the field line
	multiline        bool // has continuation lines
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

	maxPara   int
	maxField  int // bytes of one field, continuation lines included
	maxFields int // fields of one paragraph
	fields    []fieldSpan
}

func newParagraphScanner(rd io.Reader, file string, maxPara, maxField, maxFields int) *paragraphScanner {
	return &paragraphScanner{rd: rd, file: file, maxPara: maxPara, maxField: maxField, maxFields: maxFields}
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

// fieldTooLarge reports a field, just read into the paragraph, that is
// over the field size limit.
func (s *paragraphScanner) fieldTooLarge(f *fieldSpan) *ParseError {
	name := s.buf[s.r+int(f.nameStart) : s.r+int(f.nameEnd)]
	return &ParseError{File: s.file, Line: f.line, Field: string(name),
		Err: fmt.Errorf("%w: more than %d bytes", ErrFieldTooLarge, s.maxField)}
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

// next returns the next paragraph: its bytes and its fields (both valid
// until the following call) and the line of its first field. It returns
// io.EOF after the last paragraph. A *ParseError about the paragraph's syntax is returned
// after the whole paragraph has been consumed, so the next call goes on with
// the following one; limit and read errors are sticky.
func (s *paragraphScanner) next() (para []byte, fields []fieldSpan, first int, err error) {
	if s.fatal != nil {
		return nil, nil, 0, s.fatal
	}
	var end, nxt int
	var syntaxErr error
	// Skip blank lines and comments between paragraphs.
	for {
		end, nxt, err = s.lineAt(0)
		if err == io.EOF {
			if syntaxErr != nil {
				return nil, nil, 0, syntaxErr
			}
			return nil, nil, 0, io.EOF
		}
		if err != nil {
			return nil, nil, 0, s.streamError(err)
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
			f := &s.fields[len(s.fields)-1]
			f.valEnd = int32(end)
			f.multiline = true
			if int(f.valEnd-f.nameStart) > s.maxField && syntaxErr == nil {
				syntaxErr = s.fieldTooLarge(f)
			}
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
			if len(s.fields) == s.maxFields {
				// The rest of the paragraph is read, not recorded, so the
				// next call goes on with the following one.
				if syntaxErr == nil {
					syntaxErr = s.errorAt(s.line, fmt.Errorf("%w: more than %d in one stanza", ErrTooManyFields, s.maxFields))
				}
				break
			}
			s.fields = append(s.fields, fieldSpan{
				nameStart: int32(off), nameEnd: int32(off + colon),
				valStart: int32(off + colon + 1), valEnd: int32(end),
				line: s.line,
			})
			if end-off > s.maxField && syntaxErr == nil {
				syntaxErr = s.fieldTooLarge(&s.fields[len(s.fields)-1])
			}
		}
		paraEnd = end
		off = nxt
		if off > s.maxPara {
			err := s.errorAt(first, fmt.Errorf("%w: stanza larger than %d bytes", ErrStanzaTooLarge, s.maxPara))
			s.fatal = err
			return nil, nil, 0, err
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
				return nil, nil, 0, s.streamError(err)
			}
		}
		s.line++
	}
	para = s.buf[s.r : s.r+paraEnd]
	if i := bytes.IndexByte(para, 0); i >= 0 && syntaxErr == nil {
		syntaxErr = s.errorAt(first+bytes.Count(para[:i], []byte{'\n'}), ErrNUL)
	}
	if syntaxErr != nil {
		s.r += consumed
		return nil, nil, 0, syntaxErr
	}
	s.r += consumed
	return para, s.fields, first, nil
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

func trimSpaceBytes(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// appendFolded appends a field's raw value with its continuation lines
// folded into one line, for fields whose line breaks carry no meaning.
func appendFolded(dst, raw []byte, multiline bool) []byte {
	if !multiline {
		return append(dst, trimSpaceBytes(raw)...)
	}
	start := len(dst)
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		if line = trimSpaceBytes(line); len(line) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		dst = append(dst, line...)
	}
	return dst
}

// appendMultiline appends a field's raw value with continuation lines joined
// by "\n": each continuation line loses its leading space, " ." stands for
// an empty line, and an empty first line is left out.
func appendMultiline(dst, raw []byte, multiline bool) []byte {
	if !multiline {
		return append(dst, trimSpaceBytes(raw)...)
	}
	first, rest, _ := bytes.Cut(raw, []byte{'\n'})
	start := len(dst)
	dst = append(dst, trimSpaceBytes(first)...)
	wrote := len(dst) > start
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		line = bytes.TrimRight(line[1:], " \t\r")
		if len(line) == 1 && line[0] == '.' {
			line = nil
		}
		if wrote {
			dst = append(dst, '\n')
		}
		dst = append(dst, line...)
		wrote = true
	}
	return dst
}
