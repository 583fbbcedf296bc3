package image

import (
	"crypto/sha1"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/distroscope/distroscope/datasets"
)

// q1 is apk's Z: checksum of content: "Q1" and the base64 of its SHA-1.
func q1(s string) string {
	h := sha1.Sum([]byte(s))
	return "Q1" + base64.StdEncoding.EncodeToString(h[:])
}

// TestAPKTree analyses an Alpine-like root whose installed database the
// test writes from apk's documented format (apk-package(5), the "Apk
// spec"), with checksums it computes of the bodies it writes: an edited
// file under a protected path is a modified configuration file, a chmod
// of a file whose mode apk recorded is metadata-changed, a deleted file is
// deleted, and a symlink is compared by the SHA-1 of its target, as apk
// records it.
func TestAPKTree(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"etc/motd": "Welcome to Alpine!\n", "etc/shells": "/bin/sh\n", "bin/busybox": "ELF busybox\n", "usr/bin/tool": "tool\n"}
	for p, body := range files {
		must(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
		must(t, os.WriteFile(filepath.Join(root, p), []byte(body), 0o644))
	}
	must(t, os.Chmod(filepath.Join(root, "bin/busybox"), 0o755))
	must(t, os.Symlink("/bin/busybox", filepath.Join(root, "bin/sh")))
	db := "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:busybox\nV:1.36.1-r5\nA:x86_64\nS:500000\nI:900000\nT:Size optimized toolkit\no:busybox\n" +
		"F:bin\nR:busybox\na:0:0:755\nZ:" + q1(files["bin/busybox"]) + "\nR:sh\na:0:0:777\nZ:" + q1("/bin/busybox") + "\n" +
		"F:etc\nR:motd\nZ:" + q1(files["etc/motd"]) + "\nR:shells\nZ:" + q1(files["etc/shells"]) + "\n" +
		"F:usr\nF:usr/bin\nR:tool\nZ:" + q1(files["usr/bin/tool"]) + "\nR:gone\nZ:" + q1("gone") + "\n\n"
	must(t, os.MkdirAll(filepath.Join(root, "lib/apk/db"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "lib/apk/db/installed"), []byte(db), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=alpine\nVERSION_ID=3.21.0\n"), 0o644))

	must(t, os.WriteFile(filepath.Join(root, "etc/motd"), []byte("Welcome to our Alpine!\n"), 0o644))
	must(t, os.Chmod(filepath.Join(root, "usr/bin/tool"), 0o600))

	res := analyze(t, "dir:"+root)
	if len(res.Packages) != 1 || res.Packages[0].Package != "busybox" || res.Packages[0].Ecosystem != "apk" || res.Packages[0].Source != "busybox" {
		t.Fatalf("packages %+v", res.Packages)
	}
	files2 := byPath(res)
	for path, want := range map[string]struct {
		state  string
		config bool
	}{
		"/etc/motd":    {datasets.StateModified, true},
		"/etc/shells":  {datasets.StateUnchanged, true},
		"/bin/busybox": {datasets.StateUnchanged, false},
		"/bin/sh":      {datasets.StateUnchanged, false},
		// No a: line: apk's default, root 0644, is what apk audit compares
		// the chmod to 0600 with.
		"/usr/bin/tool":   {datasets.StateMetadataChanged, false},
		"/usr/bin/gone":   {datasets.StateDeleted, false},
		"/etc/os-release": {datasets.StateNotOwned, false},
	} {
		f := files2[path]
		if f.State != want.state || f.Config != want.config {
			t.Errorf("%s = %+v, want %s, config %v", path, f, want.state, want.config)
		}
	}
	if res.Partition.Distro != "alpine" || res.Partition.Release != "3.21.0" {
		t.Errorf("partition %+v", res.Partition)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
