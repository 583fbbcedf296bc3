// Command distroscope is the CLI: it starts workflows on the worker's task
// queue, follows their progress, and reads committed datasets.
//
// The command tree is built with spf13/cobra (root.go), so every command has
// its own help, examples, argument checks and shell completion, and the
// reference in starter/docs is generated from the same definitions
// (docs_test.go). Each command is thin: choosing sources is repo/catalog's,
// running them is the workflows', and this package parses, starts, follows
// (progress.go) and prints.
//
// Exit status: 0 on success, 1 when a run or a read fails, 2 for a usage
// error (an unknown command or flag, a wrong argument, a bad configuration).
// Results go to standard output; progress, notes and errors to standard
// error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	// Plans name time zones; a minimal container has no zoneinfo.
	_ "time/tzdata"

	"github.com/distroscope/distroscope/internal/sandbox"
)

func main() {
	// The image probe's sandbox re-executes this binary as its init.
	sandbox.Init()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes one command line and returns the process's exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCommand(&cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv})
	root.SetArgs(args)
	// With no arguments cobra would print help and succeed; a script that
	// forgot its command should fail.
	cmd, err := root, error(usageError{errors.New("no command")})
	if len(args) > 0 {
		cmd, err = root.ExecuteC()
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "distroscope:", strings.TrimRight(err.Error(), "\n"))
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// A usageError, or one of cobra's own: an unknown command or flag,
	// arguments the command's Args refused (markFailures in root.go).
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return 2
}

// exitError carries the exit status of a command's failure: 1, or 2 for
// input that cannot be answered (vercmp's invalid versions), which is not
// a usage error.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
