package settings

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/distroscope/distroscope/internal/rootfstest"
)

// TestDebootstrapSystemSettings reads real Debian minbase trees, where
// /etc/localtime is an absolute link that os.DirFS alone would follow on
// the host, and minbase ships none of the other formats' files.
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
			for name, parse := range map[string]func(fs.FS) ([]Setting, error){
				"Sysctl": Sysctl, "Locale": Locale, "SELinux": SELinux, "AppArmor": AppArmor, "CryptoPolicy": CryptoPolicy, "Sysconfig": Sysconfig,
			} {
				if rows := run(parse); len(rows) != 0 {
					t.Errorf("%s of minbase = %+v, want none", name, rows)
				}
			}
		})
	}
}
