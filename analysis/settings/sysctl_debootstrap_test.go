package settings

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/rootfstest"
)

// TestDebootstrapSystemSettings reads real Debian minbase trees, where
// /etc/localtime is an absolute link that os.DirFS alone would follow on
// the host, and minbase ships none of the other formats' files.
//
// checkLine (below) holds a row to its file: the line it names sets the
// key (spelled one of the ways given) to the value.
func TestDebootstrapSystemSettings(t *testing.T) {
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) {
			root := rootfstest.Debootstrap(t, suite)
			fsys := os.DirFS(root)
			run := func(parse func(fs.FS) ([]Setting, error)) []Setting {
				t.Helper()
				rows, err := parse(fsys)
				if err != nil {
					t.Fatal(err)
				}
				return rows
			}
			tz := run(Timezone)
			if want := (Setting{Program: "timezone", Key: "timezone", Value: "Etc/UTC", File: "/etc/localtime"}); len(tz) != 1 || tz[0] != want {
				t.Errorf("Timezone = %+v, want %+v", tz, want)
			}
			name, err := os.ReadFile(filepath.Join(root, "etc/hostname"))
			if err != nil {
				t.Fatal(err)
			}
			if h := run(Hostname); len(h) != 1 || h[0].Value != string(bytes.TrimSpace(name)) || h[0].Line != 1 {
				t.Errorf("Hostname = %+v, want %q at line 1", h, bytes.TrimSpace(name))
			}
			useradd, err := os.ReadFile(filepath.Join(root, "etc/default/useradd"))
			if err != nil {
				t.Fatal(err)
			}
			line := bytes.Count(useradd[:bytes.Index(useradd, []byte("\nSHELL=/bin/sh"))+1], []byte{'\n'}) + 1
			want := Setting{Program: "default", Key: "useradd.SHELL", Value: "/bin/sh", File: "/etc/default/useradd", Line: line}
			found := false
			for _, r := range run(EtcDefault) {
				found = found || r == want
			}
			if !found {
				t.Errorf("EtcDefault lacks %+v", want)
			}
			// The packages openssh-server pulls in ship sysctl.d files
			// (procps' 99-protect-links.conf, systemd's 50-pid-max.conf):
			// each row is the line of its file that sets it.
			for _, r := range run(Sysctl) {
				checkLine(t, root, r, strings.ReplaceAll(r.Key, ".", "/"), r.Key)
			}
			for name, parse := range map[string]func(fs.FS) ([]Setting, error){
				"Locale": Locale, "SELinux": SELinux, "AppArmor": AppArmor, "CryptoPolicy": CryptoPolicy, "Sysconfig": Sysconfig,
			} {
				if rows := run(parse); len(rows) != 0 {
					t.Errorf("%s of minbase = %+v, want none", name, rows)
				}
			}
		})
	}
}

// checkLine fails t unless line r.Line of r.File in the tree at root sets
// one of keys to r.Value.
func checkLine(t *testing.T, root string, r Setting, keys ...string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, r.File))
	if err != nil {
		t.Errorf("%s %s: %v", r.Program, r.Key, err)
		return
	}
	lines := strings.Split(string(b), "\n")
	if r.Line < 1 || r.Line > len(lines) {
		t.Errorf("%s %s: line %d of %s, which has %d", r.Program, r.Key, r.Line, r.File, len(lines))
		return
	}
	l := lines[r.Line-1]
	if !strings.Contains(l, r.Value) || !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(l, k) }) {
		t.Errorf("%s %s = %q at %s:%d, which says %q", r.Program, r.Key, r.Value, r.File, r.Line, l)
	}
}
