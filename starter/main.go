// Command distroscope is the CLI: it starts workflows on the worker's task
// queue, follows their progress, and reads committed datasets.
//
//	distroscope snapshot [--suite S[,S]] [--components C] [--arch A] [--mirror URL] [--keyring FILE]
//	distroscope datasets ls
//	distroscope datasets show DISTRO/RELEASE[/SNAPSHOT]
//	distroscope vercmp --format deb|rpm|apk|pacman A B   (or pairs on stdin)
//	distroscope compare debian/bookworm debian/trixie
//	distroscope releases sync
//	distroscope janitor [--max-age 48h]
//	distroscope sources ls
//	distroscope snapshot DISTRO[/SUITE]...   (from the sources catalogue)
//	distroscope --version
//
// Every command takes the shared configuration flags (see internal/config
// and the README); `distroscope CMD -h` lists them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/version"
)

// exitError carries a specific exit status (2 for usage errors).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	code := 1
	var ee exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "distroscope:", err)
	}
	os.Exit(code)
}

const usage = `usage: distroscope COMMAND [flags]

commands:
  snapshot   snapshot apt suites into the packages and snapshots datasets
  datasets   ls | show DISTRO/RELEASE[/SNAPSHOT]: committed datasets
  compare    OLD NEW: what changed between two snapshots (DISTRO/RELEASE[/SNAPSHOT]);
             no arguments: this machine's release against the next one
  releases   sync: the releases table from distro-info-data
  janitor    remove what crashed runs left behind
  sources    ls: the sources catalogue (and the machine's apt sources)
  vercmp     --format deb|rpm|apk|pacman A B: order two versions as the package manager does
  version    print the version

Run 'distroscope COMMAND -h' for a command's flags.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{2, errors.New("no command")}
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, version.String())
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		fmt.Fprintf(stdout, "\nenvironment (see README): %s\n", strings.Join(config.EnvVars(), " "))
		return nil
	case "snapshot":
		return cmdSnapshot(args[1:], stdout, stderr)
	case "datasets":
		return cmdDatasets(args[1:], stdout, stderr)
	case "compare":
		return cmdCompare(args[1:], stdout, stderr)
	case "releases":
		return cmdReleases(args[1:], stdout, stderr)
	case "janitor":
		return cmdJanitor(args[1:], stdout, stderr)
	case "sources":
		return cmdSources(args[1:], stdout, stderr)
	case "vercmp":
		return cmdVercmp(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return exitError{2, fmt.Errorf("unknown command %q", args[0])}
}
