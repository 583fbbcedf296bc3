package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/distroscope/distroscope/version"
)

const vercmpUsage = `usage: distroscope vercmp --format deb|rpm|apk|pacman [--] [A B]

Orders two versions exactly as the format's package manager does (dpkg,
rpm, apk-tools, pacman) and prints <, = or >. Without A and B it reads
"A B" pairs from standard input, one a line, and prints one answer a line;
a line it cannot answer gets "?" and an error on standard error naming the
line, and the exit status is 2 at the end. An invalid version (one the
package manager refuses) exits 2. Put -- before a version starting with -.
`

// cmdVercmp is `distroscope vercmp`. It needs no configuration: it touches
// neither Temporal nor the store.
func cmdVercmp(args []string, stdout, stderr io.Writer) error {
	return vercmp(args, os.Stdin, stdout, stderr)
}

func vercmp(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("distroscope vercmp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, vercmpUsage); fs.PrintDefaults() }
	format := fs.String("format", "", "version format: "+strings.Join(version.Formats, ", "))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError{2, err}
	}
	if *format == "" {
		fs.Usage()
		return exitError{2, errors.New("vercmp: --format is required")}
	}
	c, err := version.ForFormat(*format)
	if err != nil {
		return exitError{2, fmt.Errorf("vercmp: %w", err)}
	}
	switch fs.NArg() {
	case 2:
		order, err := c.Compare(fs.Arg(0), fs.Arg(1))
		if err != nil {
			return exitError{2, fmt.Errorf("vercmp: %w", err)}
		}
		fmt.Fprintln(stdout, version.Symbol(order))
		return nil
	case 0:
		bad, err := version.CompareLines(stdin, stdout, c, func(line int, err error) {
			fmt.Fprintf(stderr, "distroscope: vercmp: stdin line %d: %v\n", line, err)
		})
		if err != nil {
			return exitError{2, fmt.Errorf("vercmp: stdin: %w", err)}
		}
		if bad > 0 {
			return exitError{2, fmt.Errorf("vercmp: %d of the input lines could not be compared", bad)}
		}
		return nil
	}
	fs.Usage()
	return exitError{2, fmt.Errorf("vercmp: want two versions or none (pairs on stdin), got %d arguments", fs.NArg())}
}
