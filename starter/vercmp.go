package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/version"
)

const vercmpLong = `Order two versions exactly as the format's package manager does (dpkg, rpm, apk-tools, pacman)
and print <, = or >.

Without A and B, or with --batch, it reads "A B" pairs from standard input, one a line, and
prints one answer a line; a line it cannot answer gets "?" and an error on standard error naming
the line, and the exit status is 2 at the end. An invalid version (one the package manager
refuses) exits 2. Put -- before a version starting with -. It needs no configuration: it touches
neither Temporal nor the store.`

const vercmpExample = `  distroscope vercmp --format deb 1:1.0 2.0
  distroscope vercmp --format rpm -- 1.0~rc1 1.0
  printf '1.0 1.0-1\n2.0 1.9\n' | distroscope vercmp --format deb --batch`

func vercmpCommand(c *cli) *cobra.Command {
	var format string
	var batch bool
	cmd := &cobra.Command{
		Use:     "vercmp --format deb|rpm|apk|pacman [--batch | A B]",
		Short:   "Order two versions as the package manager does; pairs on stdin in batch mode",
		Long:    vercmpLong,
		Example: vercmpExample,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case batch && len(args) > 0:
				return fmt.Errorf("vercmp: --batch reads pairs from standard input; give no versions with it, got %d arguments", len(args))
			case len(args) != 0 && len(args) != 2:
				return fmt.Errorf("vercmp: want two versions or none (pairs on stdin), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return vercmp(format, args, c.stdin, c.stdout, c.stderr)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "version format: "+strings.Join(version.Formats, ", "))
	cmd.Flags().BoolVar(&batch, "batch", false, `read "A B" pairs from standard input (what no versions also does)`)
	cmd.MarkFlagRequired("format")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(version.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// vercmp compares the two versions in args, or every pair on stdin when
// there are none.
func vercmp(format string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if format == "" {
		return usageError{errors.New("vercmp: --format is required")}
	}
	c, err := version.ForFormat(format)
	if err != nil {
		return usageError{fmt.Errorf("vercmp: %w", err)}
	}
	if len(args) == 2 {
		order, err := c.Compare(args[0], args[1])
		if err != nil {
			return exitError{code: 2, err: fmt.Errorf("vercmp: %w", err)}
		}
		fmt.Fprintln(stdout, version.Symbol(order))
		return nil
	}
	bad, err := version.CompareLines(stdin, stdout, c, func(line int, err error) {
		fmt.Fprintf(stderr, "distroscope: vercmp: stdin line %d: %v\n", line, err)
	})
	if err != nil {
		return exitError{code: 2, err: fmt.Errorf("vercmp: stdin: %w", err)}
	}
	if bad > 0 {
		return exitError{code: 2, err: fmt.Errorf("vercmp: %d of the input lines could not be compared", bad)}
	}
	return nil
}
