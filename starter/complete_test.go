package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/internal/app"
)

// commitSnapshots commits each partition as a snapshot commits it: its
// packages, then its snapshots row, whose manifest marks it done.
func commitSnapshots(t *testing.T, dir string, parts ...datasets.Partition) {
	t.Helper()
	ctx := context.Background()
	st, err := app.OpenStore(ctx, testConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer app.CloseStore(st)
	for _, p := range parts {
		datasetstest.CommitPackages(t, st, p, []datasets.PackageRow{{Package: "hello", Version: "2.10-3", Architecture: "amd64"}})
		var buf bytes.Buffer
		w := datasets.NewWriter(&buf, datasets.Snapshots, datasets.CompareSnapshotRows, 0)
		if err := w.WriteAll([]datasets.SnapshotRow{{Origin: p.Distro, Codename: p.Release, Component: "main", IndexArchitecture: "amd64"}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		key := datasets.StagingKey(datasets.Snapshots, p, "test")
		if err := st.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
			t.Fatal(err)
		}
		if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Snapshots, Partition: p,
			Parts: []datasets.StagedPart{{Key: key, Rows: w.Rows()}}, TempDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
	}
}

// complete asks the CLI what the shell would offer after args, the way
// the generated scripts ask (cobra's hidden __complete command), and
// returns the words and the directive line.
func complete(t *testing.T, env map[string]string, args ...string) (words []string, directive string) {
	t.Helper()
	r := runCLI(t, "", env, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	store := t.TempDir()
	commitSnapshots(t, store,
		datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20250510T091228Z-abcf5882746e"},
		datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20250601T080000Z-0123456789ab"},
		datasets.Partition{Distro: "ubuntu", Release: "noble", Snapshot: "20250601T080000Z-fedcba987654"})
	env := map[string]string{"DISTROSCOPE_STORE": store, "DISTROSCOPE_APT_ROOT": t.TempDir(),
		"DISTROSCOPE_CATALOG": "../repo/catalog/testdata/sources.yaml"}
	const noFiles = ":4" // cobra.ShellCompDirectiveNoFileComp
	committed := []string{"debian/bookworm", "debian/bookworm/20250510T091228Z-abcf5882746e", "debian/bookworm/20250601T080000Z-0123456789ab",
		"ubuntu/noble", "ubuntu/noble/20250601T080000Z-fedcba987654"}
	sources := []string{"debian/bookworm", "debian/trixie", "ubuntu/noble", "fedora/40", "fedora/41", "alpine/v3.20", "alpine/edge", "arch/rolling"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"datasets show: committed snapshots", env, []string{"datasets", "show", ""}, committed},
		{"datasets show: by prefix", env, []string{"datasets", "show", "debian/bookworm/202506"}, []string{"debian/bookworm/20250601T080000Z-0123456789ab"}},
		{"datasets show: one argument only", env, []string{"datasets", "show", "debian/bookworm", ""}, nil},
		{"datasets show: the store named by a flag", map[string]string{"DISTROSCOPE_APT_ROOT": t.TempDir()},
			[]string{"datasets", "show", "--store", store, "ubuntu/"}, []string{"ubuntu/noble", "ubuntu/noble/20250601T080000Z-fedcba987654"}},
		{"snapshot: catalogue sources", env, []string{"snapshot", ""}, sources},
		{"snapshot: more than one, not twice the same", env, []string{"snapshot", "fedora/40", "fedora/"}, []string{"fedora/41"}},
		{"compare: committed snapshots and sources, each once", env, []string{"compare", "deb"},
			[]string{"debian/bookworm", "debian/bookworm/20250510T091228Z-abcf5882746e", "debian/bookworm/20250601T080000Z-0123456789ab", "debian/trixie"}},
		{"compare: the second side", env, []string{"compare", "debian/bookworm", "debian/"},
			[]string{"debian/bookworm/20250510T091228Z-abcf5882746e", "debian/bookworm/20250601T080000Z-0123456789ab", "debian/trixie"}},
		{"compare: two sides at most", env, []string{"compare", "debian/bookworm", "debian/trixie", ""}, nil},
		{"no store, no catalogue: nothing, and no error", map[string]string{"DISTROSCOPE_STORE": t.TempDir() + "/missing", "DISTROSCOPE_APT_ROOT": t.TempDir()},
			[]string{"compare", ""}, nil},
		{"vercmp --format", env, []string{"vercmp", "--format", ""}, []string{"deb", "rpm", "apk", "alpm", "pacman"}},
		{"commands", env, []string{"dat"}, []string{"datasets\tList and show committed datasets"}},
		{"subcommands", env, []string{"datasets", ""}, []string{"ls\tList every committed partition of every table", "show\tShow a committed snapshot: manifest, exact file list, DuckDB queries"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, directive := complete(t, tc.env, tc.args...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if directive != noFiles {
				t.Errorf("directive %s, want %s (no file names)", directive, noFiles)
			}
		})
	}
}

// The scripts the shells load, for the three shells the README names.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_distroscope", "zsh": "#compdef distroscope", "fish": "complete -c distroscope"} {
		r := runCLI(t, "", nil, "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes without %q: %s", shell, r.code, len(r.stdout), want, r.stderr)
		}
	}
}
