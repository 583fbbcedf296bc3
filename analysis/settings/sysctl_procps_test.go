package settings

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/distroscope/distroscope/internal/rootfstest"
)

// TestSysctlOrderAgainstProcps checks the file order against the real
// `sysctl --system` of trixie's minbase (procps 4.0.4), run in a chroot
// with --dry-run: without a /proc it writes nothing but still says which
// files it applies, in order. Every row must come from the last applied
// file that sets its key.
func TestSysctlOrderAgainstProcps(t *testing.T) {
	root := rootfstest.Copy(t, rootfstest.Debootstrap(t, "trixie"))
	for name, content := range map[string]string{
		"usr/lib/sysctl.d/20-b.conf":       "vm.swappiness = 60\nnet/ipv4/ip_forward = 1\n",
		"usr/lib/sysctl.d/30-a.conf":       "vm.swappiness = 1\n", // masked by /etc's 30-a.conf
		"etc/sysctl.d/30-a.conf":           "vm.swappiness=10\n",
		"run/sysctl.d/10-c.conf":           "net.ipv4.ip_forward = 0\nkernel.sysrq = 1\n",
		"usr/local/lib/sysctl.d/99-z.conf": "kernel.sysrq = 0\n",
		"etc/sysctl.conf":                  "kernel.sysrq = 16\n",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := rootfstest.Chroot(t, root, "sysctl", "--system", "--dry-run")
	var applied []string
	for _, m := range regexp.MustCompile(`(?m)^\* Applying (\S+) \.\.\.$`).FindAllStringSubmatch(string(out), -1) {
		applied = append(applied, m[1])
	}
	// The tree's own packages ship files too (systemd's 50-pid-max.conf):
	// the test's files must come in this order among them.
	want := []string{"/run/sysctl.d/10-c.conf", "/usr/lib/sysctl.d/20-b.conf", "/etc/sysctl.d/30-a.conf", "/usr/local/lib/sysctl.d/99-z.conf", "/etc/sysctl.conf"}
	ours := slices.DeleteFunc(slices.Clone(applied), func(f string) bool { return !slices.Contains(want, f) })
	if !slices.Equal(ours, want) {
		t.Fatalf("sysctl --system applied %q, the test expected its files in the order %q:\n%s", applied, want, out)
	}
	rows, err := Sysctl(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Key] = r.File
		if !slices.Contains(applied, r.File) {
			t.Errorf("%s from %s, a file sysctl --system does not apply", r.Key, r.File)
		}
	}
	wantFile := map[string]string{
		"vm.swappiness":       "/etc/sysctl.d/30-a.conf",
		"net.ipv4.ip_forward": "/usr/lib/sysctl.d/20-b.conf",
		"kernel.sysrq":        "/etc/sysctl.conf",
	}
	for k, f := range wantFile {
		if got[k] != f {
			t.Errorf("%s from %s, want %s (the last file sysctl --system applies that sets it)", k, got[k], f)
		}
	}
}
