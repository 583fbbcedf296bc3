package imagefs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenBeneath opens a file of the root with openat2 and refuses what
// would leave it: a symlink on the way, "..", an absolute path.
func TestOpenBeneath(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := openBeneath(d.Fd(), "etc/passwd")
	if err == errNoOpenat2 {
		t.Skip("this kernel or seccomp filter offers no openat2; os.Root is used instead")
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	rel, _ := filepath.Rel(root, filepath.Join(outside, "secret"))
	for _, p := range []string{"out/secret", rel, filepath.Join(outside, "secret")} {
		if f, err := openBeneath(d.Fd(), p); err == nil {
			f.Close()
			t.Errorf("openBeneath(%q) opened a file outside the root", p)
		}
	}
}
