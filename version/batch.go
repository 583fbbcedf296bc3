package version

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// MaxLineSize bounds one line of CompareLines' input.
const MaxLineSize = 64 << 10

// Symbol renders an order as "<", "=" or ">".
func Symbol(order int) string {
	switch {
	case order < 0:
		return "<"
	case order > 0:
		return ">"
	}
	return "="
}

// CompareLines reads lines of two blank-separated versions from r and
// writes, a line for each, Symbol of their order to w, or "?" when the
// line is not two versions, is longer than MaxLineSize (its newline not
// counted) or c refuses one: output line N always answers input line N.
// Each bad line is passed to bad with its number (from 1) and the reason.
// Answers are flushed whenever the input has nothing more buffered, so a
// program that writes a pair and then reads its answer is not left
// waiting. It returns how many lines were bad, and an error only when
// reading or writing fails, after writing the answers before it.
func CompareLines(r io.Reader, w io.Writer, c Comparator, bad func(line int, err error)) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	line, nbad := 0, 0
	for {
		if br.Buffered() == 0 {
			// The next read may wait for a writer that waits for us.
			if err := bw.Flush(); err != nil {
				return nbad, fmt.Errorf("version: writing the answer to line %d: %w", line, err)
			}
		}
		text, long, err := readLine(br)
		if err == io.EOF && text == nil && !long {
			break
		}
		if err != nil && err != io.EOF {
			if ferr := bw.Flush(); ferr != nil {
				return nbad, fmt.Errorf("version: writing the answer to line %d: %w", line, ferr)
			}
			return nbad, fmt.Errorf("version: reading line %d: %w", line+1, err)
		}
		line++
		var out string
		if long {
			out, err = "", fmt.Errorf("longer than %d bytes", MaxLineSize)
		} else {
			out, err = compareLine(string(text), c)
		}
		if err != nil {
			nbad++
			bad(line, err)
			out = "?"
		}
		if _, err := fmt.Fprintln(bw, out); err != nil {
			return nbad, fmt.Errorf("version: writing the answer to line %d: %w", line, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return nbad, fmt.Errorf("version: writing the answer to line %d: %w", line, err)
	}
	return nbad, nil
}

// readLine reads one line without its newline. A line longer than
// MaxLineSize is read to its end and dropped: long is true and text nil,
// so a hostile line costs a bounded buffer, not its length. At the end of
// the input err is io.EOF, with the last line's text if it had no
// newline.
func readLine(br *bufio.Reader) (text []byte, long bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			if len(buf)+len(chunk) > MaxLineSize+1 { // +1: the newline
				long, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) == 0 && !long:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		if long {
			return nil, true, err
		}
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
		}
		if len(buf) > MaxLineSize {
			return nil, true, err
		}
		return buf, false, err
	}
}
func compareLine(text string, c Comparator) (string, error) {
	f := strings.Fields(text)
	if len(f) != 2 {
		return "", fmt.Errorf("want two versions separated by blanks, got %d field(s)", len(f))
	}
	order, err := c.Compare(f[0], f[1])
	if err != nil {
		return "", err
	}
	return Symbol(order), nil
}
