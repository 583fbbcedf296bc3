package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/version"
)

// cli is what every command shares: the process's streams and environment,
// passed in so that tests run whole command lines in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// config loads the shared configuration for cmd: defaults, file,
// environment, then the flags given on its command line. A bad value is a
// usage error, as a bad flag is.
func (c *cli) config(cmd *cobra.Command) (config.Config, error) {
	cfg, err := config.LoadPFlags(cmd.Flags(), c.getenv)
	if err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

const rootLong = `distroscope turns Linux distribution repository metadata (apt, rpm-md, apk and alpm
repositories) into durable, queryable Parquet datasets. Runs are Temporal workflows executed by
distroscope-worker; this CLI starts them, follows their progress and reads what they committed.

Configuration, from lowest to highest precedence: built-in defaults, a YAML file (--config or
DISTROSCOPE_CONFIG; unknown keys are errors), environment variables, flags. The flags below are
shared by every command; the environment variables are (see the README):
`

const rootExample = `  # snapshot this machine's apt suites, list what is committed, compare its release with the next
  distroscope snapshot
  distroscope datasets ls
  distroscope compare

  # the same against a remote Temporal and an S3 store
  TEMPORAL_ADDRESS=temporal.example.org:7233 distroscope --store s3://bucket/distroscope datasets ls`

// newRootCommand builds the command tree. Commands are listed here, in
// one place; each is defined in its own file.
func newRootCommand(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:           "distroscope",
		Short:         "Durable batch analytics over Linux distribution repository metadata",
		Long:          rootLong + wrapWords(config.EnvVars(), "  ", 100),
		Example:       rootExample,
		Version:       version.String(),
		SilenceErrors: true, // run prints them, once, with the exit status they deserve
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	config.RegisterPFlags(root.PersistentFlags())
	root.AddCommand(
		snapshotCommand(c),
		compareCommand(c),
		backfillCommand(c),
		trendsCommand(c),
		imageCommand(c),
		retentionCommand(c),
		datasetsCommand(c),
		sourcesCommand(c),
		planCommand(c),
		scheduleCommand(c),
		nightlyCommand(c),
		statusCommand(c),
		releasesCommand(c),
		janitorCommand(c),
		vercmpCommand(c),
		versionCommand(c),
	)
	markFailures(root)
	return root
}

// markFailures wraps every command's RunE so that the errors of its work
// exit with status 1, while the errors cobra returns itself — an unknown
// command or flag, arguments a command's Args refuses — stay usage errors
// (2).
func markFailures(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var ue usageError
			var ee exitError
			if err == nil || errors.As(err, &ue) || errors.As(err, &ee) {
				return err
			}
			return exitError{code: 1, err: err}
		}
	}
	for _, sub := range cmd.Commands() {
		markFailures(sub)
	}
}

// usageError is a command line that cannot be run as written: exit
// status 2 and a pointer to the command's help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef is a usageError with a formatted message.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// groupCommand is a command that only holds subcommands (datasets ls,
// datasets show): with none, or an unknown one, it is a usage error.
func groupCommand(cmd *cobra.Command) *cobra.Command {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		if len(args) == 0 {
			return usagef("%s: want a command: %s", commandName(cmd), strings.Join(names, ", "))
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, which only its root applies
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{errors.New(msg)}
	}
	return cmd
}

// refArgs checks positional arguments that name snapshots
// (DISTRO/RELEASE[/SNAPSHOT]): between min and max of them, each well
// formed.
func refArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			if min == max {
				return fmt.Errorf("%s: want %d DISTRO/RELEASE[/SNAPSHOT], got %d arguments", commandName(cmd), min, len(args))
			}
			return fmt.Errorf("%s: want %d to %d DISTRO/RELEASE[/SNAPSHOT], got %d arguments", commandName(cmd), min, max, len(args))
		}
		for _, a := range args {
			if _, err := parseRef(a); err != nil {
				return fmt.Errorf("%s: %w", commandName(cmd), err)
			}
		}
		return nil
	}
}

// commandName is cmd's path without the program's name ("datasets show"),
// which prefixes its messages as a package name prefixes errors.
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// snapshotRef is DISTRO/RELEASE[/SNAPSHOT] taken apart.
type snapshotRef struct{ distro, release, snapshot string }

func parseRef(s string) (snapshotRef, error) {
	parts := strings.Split(strings.Trim(s, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return snapshotRef{}, fmt.Errorf("%q: want DISTRO/RELEASE or DISTRO/RELEASE/SNAPSHOT", s)
	}
	r := snapshotRef{distro: parts[0], release: parts[1]}
	if len(parts) == 3 {
		r.snapshot = parts[2]
	}
	return r, nil
}

// wrapWords joins words into indented lines of at most width columns.
func wrapWords(words []string, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range words {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	return b.String() + line
}

func versionCommand(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version (also --version)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(c.stdout, version.String())
			return nil
		},
	}
}
