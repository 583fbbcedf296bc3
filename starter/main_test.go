package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/workflows"
)

// result is one in-process run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs a command line in-process with the given standard input and
// environment (nothing else of the process's environment leaks in).
func runCLI(t *testing.T, stdin string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

// The exit status, and which stream says what, are what scripts rely on.
func TestExitStatusAndStreams(t *testing.T) {
	empty := t.TempDir() // an apt root without sources, a store without datasets
	env := map[string]string{"DISTROSCOPE_STORE": empty, "DISTROSCOPE_APT_ROOT": empty}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string // contained in stdout ("" = stdout empty)
		stderr      string // contained in stderr ("" = stderr empty)
	}{
		{"no command", "", nil, 2, "", "distroscope: no command\nRun 'distroscope --help' for usage."},
		{"--version", "", []string{"--version"}, 0, "distroscope ", ""},
		{"version", "", []string{"version"}, 0, "distroscope ", ""},
		{"help", "", []string{"--help"}, 0, "distroscope datasets ls", ""},
		{"a command's help", "", []string{"snapshot", "-h"}, 0, "distroscope snapshot fedora/41 alpine/v3.20", ""},
		{"unknown command", "", []string{"snapshto"}, 2, "", "unknown command \"snapshto\" for \"distroscope\"\n\nDid you mean this?\n\tsnapshot"},
		{"unknown flag", "", []string{"snapshot", "--no-such-flag"}, 2, "", "distroscope: unknown flag: --no-such-flag\nRun 'distroscope snapshot --help' for usage."},
		{"single-dash long flags are shorthands now", "", []string{"janitor", "-max-age", "1h"}, 2, "", "unknown shorthand flag: 'm' in -max-age"},
		{"a bad flag value", "", []string{"janitor", "--max-age", "soon"}, 2, "", "invalid argument \"soon\" for \"--max-age\""},
		{"a bad configuration value", "", []string{"datasets", "ls", "--log-level", "loud"}, 2, "", "config: log level \"loud\""},
		{"a group without its command", "", []string{"datasets"}, 2, "", "datasets: want a command: ls, show\nRun 'distroscope datasets --help' for usage."},
		{"a group's unknown command", "", []string{"releases", "snyc"}, 2, "", "unknown command \"snyc\" for \"distroscope releases\"; did you mean sync?"},
		{"datasets show without a name", "", []string{"datasets", "show"}, 2, "", "datasets show: want 1 DISTRO/RELEASE[/SNAPSHOT], got 0 arguments"},
		{"datasets show with a malformed name", "", []string{"datasets", "show", "debian"}, 2, "", `datasets show: "debian": want DISTRO/RELEASE or DISTRO/RELEASE/SNAPSHOT`},
		{"datasets show of nothing committed", "", []string{"datasets", "show", "debian/bookworm"}, 1, "", "datasets show: no committed snapshot debian/bookworm in " + empty},
		{"datasets ls of an empty store", "", []string{"datasets", "ls"}, 0, "no committed datasets in " + empty, ""},
		{"datasets ls takes no arguments", "", []string{"datasets", "ls", "debian"}, 2, "", "unknown command \"debian\" for \"distroscope datasets ls\""},
		{"janitor of an empty store", "", []string{"janitor"}, 0, "janitor: 0 staged and 0 uncommitted objects removed from " + empty, ""},
		{"compare with one side", "", []string{"compare", "debian/bookworm"}, 2, "", "compare: want OLD and NEW"},
		{"compare with no arguments and no apt source", "", []string{"compare"}, 2, "", "compare: no arguments and no apt source"},
		{"snapshot with no apt source", "", []string{"snapshot"}, 2, "", "snapshot: catalog: no suite given and no deb entry in the apt sources under " + empty},
		{"snapshot: suites twice", "", []string{"snapshot", "--suite", "40", "fedora/41"}, 2, "", "snapshot: give suites in the reference (fedora/SUITE) or with --suite, not both"},
		{"snapshot: a bad compression", "", []string{"snapshot", "--suite", "sid", "--compression", "rar"}, 2, "", "snapshot: "},
		{"sources of a machine without any", "", []string{"sources"}, 0, "no sources: write a catalogue", ""},
		{"sources ls with a catalogue", "", []string{"sources", "ls", "--catalog", "../repo/catalog/testdata/sources.yaml"}, 0,
			"fedora  rpm-md  https://mirror.example.org/fedora/linux", ""},
		{"sources ls shows a dated archive", "", []string{"sources", "ls", "--catalog", "testdata/archive-sources.yaml"}, 0,
			"https://mirror.example.org/debian archive=https://archive.example.org/debian/{date}/", ""},
		{"vercmp", "", []string{"vercmp", "--format", "deb", "1:1.0", "2.0"}, 0, ">\n", ""},
		{"vercmp: -- before a version starting with -", "", []string{"vercmp", "--format", "rpm", "--", "1.0", "1.0"}, 0, "=\n", ""},
		{"vercmp: pairs on stdin", "1.0 1.0-1\n2.0 1.9\n", []string{"vercmp", "--format", "deb"}, 0, "<\n>\n", ""},
		{"vercmp --batch", "1.0 1.0-1\n2.0 1.9\n", []string{"vercmp", "--format", "deb", "--batch"}, 0, "<\n>\n", ""},
		{"vercmp --batch with versions", "", []string{"vercmp", "--format", "deb", "--batch", "1", "2"}, 2, "", "vercmp: --batch reads pairs from standard input"},
		{"vercmp with one version", "", []string{"vercmp", "--format", "deb", "1"}, 2, "", "vercmp: want two versions or none"},
		{"vercmp without --format", "", []string{"vercmp", "1", "2"}, 2, "", `required flag(s) "format" not set`},
		{"vercmp with an unknown format", "", []string{"vercmp", "--format", "ebuild", "1", "2"}, 2, "", "vercmp: "},
		{"vercmp of an invalid version", "", []string{"vercmp", "--format", "deb", "1:", "2"}, 2, "", "vercmp: "},
		{"vercmp: a line it cannot answer", "1 2\nonly-one\n3 3\n", []string{"vercmp", "--format", "deb", "--batch"}, 2, "<\n?\n=\n",
			"distroscope: vercmp: stdin line 2: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, env, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, s := range []struct{ name, got, want string }{{"stdout", r.stdout, tc.stdout}, {"stderr", r.stderr, tc.stderr}} {
				if s.want == "" && s.got != "" || !strings.Contains(s.got, s.want) {
					t.Errorf("%s = %q, want it to contain %q", s.name, s.got, s.want)
				}
			}
		})
	}
}

// A reused snapshot says which files it reused, not that it wrote them.
func TestPrintSnapshotResult(t *testing.T) {
	cfg := testConfig(t, "/srv/store")
	res := workflows.SnapshotResult{
		Partition: datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20250510T091228Z-abcf5882746e"},
		Indexes:   2, Rows: 63000, ParquetSize: 3 << 20,
		DataKeys: []string{"packages/v1/distro=debian/release=bookworm/snapshot=20250510T091228Z-abcf5882746e/part-00000.parquet",
			"snapshots/v1/distro=debian/release=bookworm/snapshot=20250510T091228Z-abcf5882746e/part-00000.parquet"},
	}
	const files = "/srv/store/packages/v1/distro=debian/release=bookworm/snapshot=20250510T091228Z-abcf5882746e/part-00000.parquet\n" +
		"  %[1]s /srv/store/snapshots/v1/distro=debian/release=bookworm/snapshot=20250510T091228Z-abcf5882746e/part-00000.parquet\n"
	for _, tc := range []struct {
		reused bool
		want   string
	}{
		{false, "bookworm: committed debian/bookworm snapshot 20250510T091228Z-abcf5882746e: 63000 rows from 2 indexes, 3.0 MiB of Parquet, in 1.5s\n" +
			"  wrote " + strings.ReplaceAll(files, "%[1]s", "wrote") + "  run http://ui/run\n"},
		{true, "bookworm: already committed, reused debian/bookworm snapshot 20250510T091228Z-abcf5882746e: 63000 rows from 2 indexes, 3.0 MiB of Parquet, in 1.5s\n" +
			"  reused " + strings.ReplaceAll(files, "%[1]s", "reused") + "  run http://ui/run\n"},
	} {
		res.Reused = tc.reused
		var b bytes.Buffer
		printSnapshotResult(&b, cfg, "bookworm", res, 1500*time.Millisecond, "http://ui/run")
		if b.String() != tc.want {
			t.Errorf("reused=%v:\n%s\nwant\n%s", tc.reused, b.String(), tc.want)
		}
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string]string{"": "", "main": "main", "main,contrib": "main|contrib", "main contrib, non-free ": "main|contrib|non-free"} {
		if got := strings.Join(splitList(in), "|"); got != want {
			t.Errorf("splitList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMain(m *testing.M) {
	// Commands must not read the real user's catalogue or store.
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(os.TempDir(), "distroscope-test-no-config"))
	os.Exit(m.Run())
}

func testConfig(t *testing.T, store string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Store.URL = store
	return cfg
}
