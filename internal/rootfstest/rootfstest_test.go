package rootfstest

import (
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestTrees builds (or finds) each suite's tree and checks the helpers
// against the real tools in it: dpkg-query lists minbase and ucf, and
// dpkg --verify reports exactly a changed conffile and a deleted file, in
// the format DpkgVerify reads.
func TestTrees(t *testing.T) {
	for _, suite := range Suites {
		t.Run(suite, func(t *testing.T) {
			root := Debootstrap(t, suite)
			if _, err := os.Stat(root + ".complete"); err != nil {
				t.Fatalf("no completion marker: %v", err)
			}
			pkgs := DpkgQuery(t, root)
			names := map[string]Pkg{}
			for _, p := range pkgs {
				names[p.Package] = p
			}
			for _, want := range []string{"dpkg", "base-files", "ucf", "sensible-utils"} {
				if _, ok := names[want]; !ok {
					t.Errorf("dpkg-query -W does not list %s", want)
				}
			}
			if p := names["dpkg"]; p.Status != "install ok installed" || p.Source != "dpkg" || p.SourceVersion == "" {
				t.Errorf("dpkg: %+v", p)
			}
			if got := DpkgVerify(t, root); len(got) != 0 {
				t.Fatalf("a fresh tree verifies with %d findings: %+v", len(got), got)
			}

			cp := Copy(t, root)
			Append(t, cp, "/etc/debconf.conf", []byte("# changed\n"))
			Remove(t, cp, "/usr/bin/tac")
			Chmod(t, cp, "/etc/login.defs", 0o600)
			got := DpkgVerify(t, cp)
			want := []VerifyLine{
				{Checks: "??5??????", Conffile: true, Path: "/etc/debconf.conf"},
				{Missing: true, Path: "/usr/bin/tac"},
			}
			slices.SortFunc(got, func(a, b VerifyLine) int { return cmpString(a.Path, b.Path) })
			if !slices.Equal(got, want) {
				t.Errorf("dpkg --verify after the changes:\n got %+v\nwant %+v", got, want)
			}
			if _, err := os.Stat(filepath.Join(root, "usr/bin/tac")); err != nil {
				t.Errorf("the shared tree changed with its copy: %v", err)
			}
		})
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestUCF makes a ucf-managed file with the real ucf and checks what
// UCFMD5 and UCFQuery read back.
func TestUCF(t *testing.T) {
	root := Copy(t, Debootstrap(t, "bookworm"))
	const path = "/etc/distroscope-ucf.conf"
	content := []byte("answer = 42\n")
	UCFInstall(t, root, "ucf", path, content)
	if got, want := UCFMD5(t, root, path), fmt.Sprintf("%x", md5.Sum(content)); got != want {
		t.Fatalf("UCFMD5 = %q, want %s", got, want)
	}
	if q := UCFQuery(t, root, path); q != (UCFFile{Package: "ucf", Exists: true}) {
		t.Fatalf("ucfq after install: %+v", q)
	}
	Append(t, root, path, []byte("answer = 43\n"))
	if q := UCFQuery(t, root, path); !q.Changed {
		t.Fatalf("ucfq after a change: %+v", q)
	}
}
