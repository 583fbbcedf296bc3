package report

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvWriter writes records byte for byte as encoding/csv's Writer does
// with its defaults (comma separator, "\n" line ends; a field is quoted
// when it holds a comma, a quote, CR or LF, starts with a space, or is
// `\.`; quotes inside are doubled), into a buffer it hands to w 64 KiB at
// a time.
//
// Why not encoding/csv: the dependency changes of a release upgrade are
// ~10 MB of CSV, most of it long clause lists, and csv.Writer's
// byte-at-a-time quoting check was a third of the report's rendering;
// this one checks long fields with IndexByte's vectorised scan.
type csvWriter struct {
	w   io.Writer
	buf []byte
	err error
}

const csvFlushAt = 64 << 10

func newCSVWriter(w io.Writer) *csvWriter {
	return &csvWriter{w: w, buf: make([]byte, 0, csvFlushAt+4<<10)}
}

// Write appends one record. Its error is the writer's, from an earlier
// flush.
func (c *csvWriter) Write(rec []string) error {
	if c.err != nil {
		return c.err
	}
	if len(c.buf) >= csvFlushAt {
		c.Flush()
		if c.err != nil {
			return c.err
		}
	}
	for i, f := range rec {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendCSVField(c.buf, f)
	}
	c.buf = append(c.buf, '\n')
	return nil
}

// Flush writes the buffered records to w.
func (c *csvWriter) Flush() {
	if c.err != nil || len(c.buf) == 0 {
		return
	}
	_, c.err = c.w.Write(c.buf)
	c.buf = c.buf[:0]
}

// Error is the first error writing to w.
func (c *csvWriter) Error() error { return c.err }

func appendCSVField(buf []byte, f string) []byte {
	if !csvNeedsQuotes(f) {
		return append(buf, f...)
	}
	buf = append(buf, '"')
	for {
		i := strings.IndexByte(f, '"')
		if i < 0 {
			break
		}
		buf = append(buf, f[:i+1]...)
		buf = append(buf, '"')
		f = f[i+1:]
	}
	buf = append(buf, f...)
	return append(buf, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma separator.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` {
		return true
	}
	if len(f) < 32 {
		for i := 0; i < len(f); i++ {
			switch f[i] {
			case ',', '"', '\r', '\n':
				return true
			}
		}
	} else if strings.IndexByte(f, ',') >= 0 || strings.IndexByte(f, '"') >= 0 ||
		strings.IndexByte(f, '\n') >= 0 || strings.IndexByte(f, '\r') >= 0 {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}
