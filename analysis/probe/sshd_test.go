package probe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/analysis/settings"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/rootfstest"
	"github.com/distroscope/distroscope/internal/sandbox"
	"github.com/distroscope/distroscope/internal/testenv"
)

func TestMain(m *testing.M) {
	sandbox.Init()
	os.Exit(m.Run())
}

// probeSshd runs Sshd on root, failing t on an error other than an
// unavailable sandbox, which skips (fails under CI). The tree needs
// root to build (rootfstest), which also makes the sandbox map its root
// to an id of its own.
func probeSshd(t *testing.T, root string) []Value {
	t.Helper()
	vals, err := Sshd(context.Background(), root, sandbox.Limits{})
	if errors.Is(err, sandbox.ErrUnavailable) {
		if testenv.CI() {
			t.Fatalf("%v; under CI the sandbox must be available", err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// TestSshdEqualsChroot is the probe's oracle: on a copy of each
// debootstrap tree with a drop-in that changes settings, the probe's lines
// equal those the tree's own sshd -T prints in a chroot (with the host
// keys ssh-keygen -A makes there), and the probe writes nothing to the
// tree.
func TestSshdEqualsChroot(t *testing.T) {
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) { testSshdEqualsChroot(t, suite) })
	}
}

func testSshdEqualsChroot(t *testing.T, suite string) {
	root := rootfstest.Copy(t, rootfstest.Debootstrap(t, suite))
	dropIn := "PermitRootLogin no\nPort 2222\nPort 2200\nLoginGraceTime 1m30s\nAcceptEnv TZ\n"
	if err := os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config.d/50-test.conf"), []byte(dropIn), 0o644); err != nil {
		t.Fatal(err)
	}
	// The tree ships keys only readable by root: the probe must make its
	// own. Removing them checks that the chroot's ssh-keygen -A below is
	// what puts keys there, not the probe.
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			t.Fatal(err)
		}
	}
	before := treeDigest(t, root)

	got := probeSshd(t, root)

	if after := treeDigest(t, root); after != before {
		t.Fatalf("the probe changed the tree:\n%s", diffLines(before, after))
	}
	if err := os.MkdirAll(filepath.Join(root, "run/sshd"), 0o755); err != nil {
		t.Fatal(err)
	}
	rootfstest.Chroot(t, root, "ssh-keygen", "-A")
	want := ParseSshdT(rootfstest.Chroot(t, root, "/usr/sbin/sshd", "-T"))
	if !slices.Equal(got, want) {
		t.Fatalf("probe and chroot sshd -T differ:\n%s", diffLines(format(got), format(want)))
	}
	for _, line := range []string{"permitrootlogin no", "port 2222", "port 2200", "logingracetime 90", "acceptenv TZ"} {
		if !strings.Contains(format(got), line+"\n") {
			t.Errorf("the probe's output has no %q:\n%s", line, format(got))
		}
	}
	if len(got) < 50 {
		t.Errorf("sshd -T printed %d lines, want a full dump", len(got))
	}
}

// TestMergeDebootstrap merges the probe of the plain bookworm tree into
// the static rows: every unconditional key the static reader knows is
// probed, none differs (the static reader agrees with sshd), and the keys
// only sshd knows come as probe rows.
func TestMergeDebootstrap(t *testing.T) {
	root := rootfstest.Debootstrap(t, "bookworm")
	got := probeSshd(t, root)
	static, err := settings.Sshd(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	rows := Merge(toRows(static), "sshd", got)
	probeRows := 0
	for _, r := range rows {
		switch {
		case r.Source == datasets.SourceProbe:
			probeRows++
			if !r.Probed || r.Value != r.Effective || r.Differs {
				t.Errorf("probe-only row %+v: want Probed, Value = Effective, no Differs", r)
			}
		case r.Condition == "" && !r.Probed:
			t.Errorf("static row %s %q was not probed", r.Key, r.Value)
		case r.Differs:
			t.Errorf("static row %s %q differs from sshd -T's %q", r.Key, r.Value, r.Effective)
		}
	}
	if probeRows < 50 {
		t.Errorf("%d probe-only rows, want sshd's many compiled-in defaults", probeRows)
	}
}

func TestMerge(t *testing.T) {
	rows := []datasets.ConfigSettingRow{
		{Program: "sshd", Key: "permitrootlogin", Value: "prohibit-password", Source: datasets.SourceImage},
		{Program: "sshd", Key: "logingracetime", Value: "2m", Source: datasets.SourceImage},
		{Program: "sshd", Key: "x11forwarding", Value: "Yes", Source: datasets.SourceImage},
		{Program: "sshd", Key: "passwordauthentication", Value: "yes", Source: datasets.SourceImage},
		{Program: "sshd", Key: "port", Value: "22", Source: datasets.SourceImage},
		{Program: "sshd", Key: "acceptenv", Value: "LANG", Source: datasets.SourceImage},
		{Program: "sshd", Key: "acceptenv", Value: "LC_*", Source: datasets.SourceImage},
		{Program: "sshd", Key: "passwordauthentication", Value: "no", Condition: "Match User sftp", Source: datasets.SourceImage},
		{Program: "sshd", Key: "unknownkeyword", Value: "1", Source: datasets.SourceImage},
		{Program: "sysctl", Key: "port", Value: "22", Source: datasets.SourceImage},
	}
	eff := []Value{
		{"port", "22"}, {"port", "2222"},
		{"permitrootlogin", "without-password"},
		{"logingracetime", "120"},
		{"x11forwarding", "yes"},
		{"passwordauthentication", "no"},
		{"acceptenv", "LANG"}, {"acceptenv", "LC_*"},
		{"maxsessions", "10"},
	}
	got := Merge(rows, "sshd", eff)
	want := []datasets.ConfigSettingRow{
		{Program: "sshd", Key: "permitrootlogin", Value: "prohibit-password", Source: datasets.SourceImage, Probed: true, Effective: "without-password"},
		{Program: "sshd", Key: "logingracetime", Value: "2m", Source: datasets.SourceImage, Probed: true, Effective: "120"},
		{Program: "sshd", Key: "x11forwarding", Value: "Yes", Source: datasets.SourceImage, Probed: true, Effective: "yes"},
		{Program: "sshd", Key: "passwordauthentication", Value: "yes", Source: datasets.SourceImage, Probed: true, Effective: "no", Differs: true},
		{Program: "sshd", Key: "port", Value: "22", Source: datasets.SourceImage, Probed: true, Effective: "22 2222", Differs: true},
		{Program: "sshd", Key: "acceptenv", Value: "LANG", Source: datasets.SourceImage, Probed: true, Effective: "LANG"},
		{Program: "sshd", Key: "acceptenv", Value: "LC_*", Source: datasets.SourceImage, Probed: true, Effective: "LC_*"},
		{Program: "sshd", Key: "passwordauthentication", Value: "no", Condition: "Match User sftp", Source: datasets.SourceImage},
		{Program: "sshd", Key: "unknownkeyword", Value: "1", Source: datasets.SourceImage},
		{Program: "sysctl", Key: "port", Value: "22", Source: datasets.SourceImage},
		{Program: "sshd", Key: "maxsessions", Value: "10", Source: datasets.SourceProbe, Probed: true, Effective: "10"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Merge:\n got %+v\nwant %+v", got, want)
	}
	if rows[0].Probed {
		t.Error("Merge changed its input rows")
	}
}

func TestConvtime(t *testing.T) {
	for in, want := range map[string]int64{"120": 120, "2m": 120, "1h30m": 5400, "1W": 604800, "10s": 10} {
		if got, ok := convtime(in); !ok || got != want {
			t.Errorf("convtime(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "m", "2x", "-1"} {
		if _, ok := convtime(in); ok {
			t.Errorf("convtime(%q) accepted", in)
		}
	}
}

// toRows turns static settings into rows as the image analysis does, for
// what Merge reads (program, key, value, condition).
func toRows(ss []settings.Setting) []datasets.ConfigSettingRow {
	rows := make([]datasets.ConfigSettingRow, len(ss))
	for i, s := range ss {
		src := datasets.SourceImage
		if s.Builtin {
			src = datasets.SourceBuiltin
		}
		rows[i] = datasets.ConfigSettingRow{Program: s.Program, Key: s.Key, Value: s.Value, Condition: s.Condition,
			File: s.File, Line: int32(s.Line), Source: src, Default: s.Default}
	}
	return rows
}

// treeDigest lists every path under root with its type, mode, owner, size
// and content digest, one per line.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := fmt.Sprintf("%s %v %d %s", rel, info.Mode(), info.Size(), info.ModTime().UTC())
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(data))
		}
		b.WriteString(line + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func format(vals []Value) string {
	var b strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&b, "%s %s\n", v.Key, v.Value)
	}
	return b.String()
}

// diffLines lists the lines only in a (-) and only in b (+).
func diffLines(a, b string) string {
	as, bs := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out bytes.Buffer
	for _, l := range as {
		if !slices.Contains(bs, l) {
			fmt.Fprintf(&out, "- %s\n", l)
		}
	}
	for _, l := range bs {
		if !slices.Contains(as, l) {
			fmt.Fprintf(&out, "+ %s\n", l)
		}
	}
	return out.String()
}

// TestSshdMissing: a tree without sshd is ErrNoSshd, not a failure of the
// sandbox.
func TestSshdMissing(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Sshd(context.Background(), root, sandbox.Limits{})
	if errors.Is(err, sandbox.ErrUnavailable) {
		if testenv.CI() {
			t.Fatalf("%v; under CI the sandbox must be available", err)
		}
		t.Skip(err)
	}
	if !errors.Is(err, ErrNoSshd) {
		t.Errorf("err = %v, want ErrNoSshd", err)
	}
}
