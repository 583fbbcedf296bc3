package version

import (
	"bufio"
	"errors"
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
// line is not two versions or c refuses one: output line N always answers
// input line N. Each bad line is passed to bad with its number (from 1)
// and the reason. It returns how many lines were bad, and an error only
// when reading or writing fails or a line is longer than MaxLineSize.
func CompareLines(r io.Reader, w io.Writer, c Comparator, bad func(line int, err error)) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineSize)
	bw := bufio.NewWriter(w)
	line, nbad := 0, 0
	for sc.Scan() {
		line++
		out, err := compareLine(sc.Text(), c)
		if err != nil {
			nbad++
			bad(line, err)
			out = "?"
		}
		if _, err := fmt.Fprintln(bw, out); err != nil {
			return nbad, fmt.Errorf("version: writing the answer to line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nbad, fmt.Errorf("version: line %d: longer than %d bytes", line+1, MaxLineSize)
		}
		return nbad, fmt.Errorf("version: reading line %d: %w", line+1, err)
	}
	return nbad, bw.Flush()
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
