package imagecmp_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/analysis/image"
	"github.com/distroscope/distroscope/analysis/imagecmp"
	"github.com/distroscope/distroscope/analysis/imagecmp/imagecmptest"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/rootfstest"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/store/localfs"
)

func lineOf(t *testing.T, root, path, text string) int32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if l == text {
			return int32(i + 1)
		}
	}
	t.Fatalf("%s has no line %q", path, text)
	return 0
}

// TestDebootstrapBookwormTrixie compares the real debootstrap bookworm and
// trixie trees after the test changed trixie's sshd_config and
// /etc/default/useradd: the package rows are exactly the packages
// dpkg-query -W lists differently in the two trees, ordered by dpkg
// --compare-versions; both edited conffiles are file rows, modified on B;
// both settings are setting rows with the file and line the test wrote
// them on; and ssh.service, whose link the test removed, is enabled on A
// and disabled on B as systemctl --root says.
func TestDebootstrapBookwormTrixie(t *testing.T) {
	bookworm := rootfstest.Debootstrap(t, "bookworm")
	trixie := rootfstest.Copy(t, rootfstest.Debootstrap(t, "trixie"))
	rootfstest.Append(t, trixie, "/etc/ssh/sshd_config", []byte("PermitRootLogin no\n"))
	rootfstest.Append(t, trixie, "/etc/default/useradd", []byte("SHELL=/bin/bash\n"))
	// systemctl disable ssh.service, by hand: its WantedBy= and Alias= links.
	rootfstest.Remove(t, trixie, "/etc/systemd/system/multi-user.target.wants/ssh.service")
	rootfstest.Remove(t, trixie, "/etc/systemd/system/sshd.service")

	a, b := imagecmptest.Side(t, bookworm), imagecmptest.Side(t, trixie)
	res, err := imagecmp.Diff(a, b, imagecmp.Options{})
	if err != nil {
		t.Fatal(err)
	}

	// The oracle: dpkg-query of each tree, ordered by dpkg itself.
	dpkg := testenv.Require(t, testenv.Dpkg)
	versions := func(root string) map[string]string {
		m := map[string]string{}
		for _, p := range rootfstest.DpkgQuery(t, root) {
			m[p.Package] = p.Version
		}
		return m
	}
	av, bv := versions(bookworm), versions(trixie)
	var want []string
	for name, v := range av {
		if _, ok := bv[name]; !ok {
			want = append(want, "removed "+name+" "+v+" → ")
		}
	}
	for name, v := range bv {
		old, ok := av[name]
		switch {
		case !ok:
			want = append(want, "added "+name+"  → "+v)
		case old == v:
		case exec.Command(dpkg, "--compare-versions", old, "lt", v).Run() == nil:
			want = append(want, "upgraded "+name+" "+old+" → "+v)
		case exec.Command(dpkg, "--compare-versions", old, "gt", v).Run() == nil:
			want = append(want, "downgraded "+name+" "+old+" → "+v)
		default:
			t.Errorf("dpkg says %s %s and %s are equal", name, old, v)
		}
	}
	var got []string
	for _, r := range res.Diffs {
		if r.Kind == datasets.DiffPackage {
			got = append(got, r.Change+" "+r.Key+" "+r.AValue+" → "+r.BValue)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("package rows differ from dpkg-query and dpkg --compare-versions:\n got %q\nwant %q", got, want)
	}
	if len(want) < 20 {
		t.Errorf("only %d packages differ between bookworm and trixie: the trees are not what the test expects", len(want))
	}

	byKey := map[string]datasets.ImageDiffRow{}
	for _, r := range res.Diffs {
		byKey[r.Kind+" "+r.Key] = r
	}
	for _, path := range []string{"/etc/ssh/sshd_config", "/etc/default/useradd"} {
		r, ok := byKey["file "+path]
		if !ok || !strings.HasPrefix(r.AValue, datasets.StateUnchanged) || !strings.HasPrefix(r.BValue, datasets.StateModified) ||
			r.BSource != datasets.SourceChanged || !strings.Contains(r.Detail, "digest") {
			t.Errorf("%s: row %+v (present %v), want unchanged on A, modified on B", path, r, ok)
		}
	}
	for _, tc := range []struct{ key, file, line, a, b string }{
		// bookworm's sshd -T spells its compiled-in default without-password.
		{"sshd permitrootlogin", "/etc/ssh/sshd_config", "PermitRootLogin no", "without-password", "no"},
		{"useradd SHELL", "/etc/default/useradd", "SHELL=/bin/bash", "/bin/sh", "/bin/bash"},
	} {
		r, ok := byKey["setting "+tc.key]
		if !ok || r.AValue != tc.a || r.BValue != tc.b || r.BFile != tc.file || r.BLine != lineOf(t, trixie, tc.file, tc.line) ||
			r.BSource != datasets.SourceChanged || r.Change != imagecmp.ChangeChanged {
			t.Errorf("%s: row %+v (present %v), want %s → %s set on %s line %d", tc.key, r, ok, tc.a, tc.b, tc.file, lineOf(t, trixie, tc.file, tc.line))
		}
	}
	// The service: each side's state as systemctl --root says it.
	systemctl := testenv.Require(t, testenv.Systemctl)
	isEnabled := func(root string) string {
		out, _ := exec.Command(systemctl, "--root="+root, "is-enabled", "ssh.service").Output() // exits 1 when disabled
		return strings.TrimSpace(string(out))
	}
	if r, ok := byKey["service ssh.service"]; !ok || r.AValue != isEnabled(bookworm) || r.BValue != isEnabled(trixie) || r.AValue == r.BValue ||
		r.Condition != "multi-user.target" {
		t.Errorf("ssh.service: row %+v (present %v), want %s → %s as systemctl says, in multi-user.target", r, ok, isEnabled(bookworm), isEnabled(trixie))
	}
	s := res.Summary
	if s.AInit != "none" || s.BInit != "none" {
		t.Errorf("init systems %q and %q, want none (a debootstrap tree has no /sbin/init)", s.AInit, s.BInit)
	}
	if s.CrossDistro || s.ARelease != "bookworm" || s.BRelease != "trixie" || s.Packages != int64(len(want)) || s.Upgraded == 0 || s.Files == 0 || s.Settings < 2 {
		t.Errorf("summary %+v", s)
	}
}

// TestCrossDistro compares the debootstrap bookworm tree with Alpine-,
// Fedora- and Arch-like trees: the packages pair by the cross-distro
// rules (zlib1g with zlib by the zlib rule, the openssh source's
// packages by their source), every package of each side is on exactly one row, what
// pairs with nothing is unmatched (dpkg on A; busybox, dnf, pacman on B),
// sshd's PermitRootLogin is side by side (Debian's built-in default, the
// other tree's package file and line),
// and nothing is "added" or "removed", which only one distribution's rows
// can say.
func TestCrossDistro(t *testing.T) {
	debian := imagecmptest.Side(t, rootfstest.Debootstrap(t, "bookworm"))
	for _, tc := range []struct {
		name, distro, unmatched string
		// sshB is B's package of the openssh source and sshA the Debian
		// one it pairs with: the same binary name, or — Arch has one
		// openssh package — the source's representative on Debian's
		// side, its first binary by name.
		// sshRule is crossmap's name for how they paired.
		sshB, sshA, sshRule string
		tree                func(testing.TB) string
	}{
		{"alpine", "alpine", "busybox", "openssh-server", "openssh-server", "same-name", imagecmptest.Alpine},
		{"fedora", "fedora", "dnf", "openssh-server", "openssh-server", "same-name", imagecmptest.Fedora},
		{"arch", "arch", "pacman", "openssh", "openssh-client", "same-source", imagecmptest.Arch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := imagecmptest.Side(t, tc.tree(t))
			if len(other.Packages) < 5 {
				t.Fatalf("%s tree: packages %+v", tc.name, other.Packages)
			}
			res, err := imagecmp.Diff(debian, other, imagecmp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Summary
			if !s.CrossDistro || s.ADistro != "debian" || s.BDistro != tc.distro {
				t.Errorf("summary %+v", s)
			}
			seenA, seenB := map[string]int{}, map[string]int{}
			rows := map[string]datasets.ImageDiffRow{}
			for _, r := range res.Diffs {
				if r.Kind != datasets.DiffPackage {
					continue
				}
				rows[r.Key] = r
				if r.AValue != "" {
					seenA[cmpOr(r.APackage, r.Key)]++
				}
				if r.BValue != "" {
					seenB[r.Key]++
				}
				if r.Change == imagecmp.ChangeAdded || r.Change == imagecmp.ChangeRemoved {
					t.Errorf("row %+v: added/removed across distributions", r)
				}
			}
			for _, sd := range []struct {
				name string
				pkgs []datasets.ImagePackageRow
				seen map[string]int
			}{{"A", debian.Packages, seenA}, {"B", other.Packages, seenB}} {
				for _, p := range sd.pkgs {
					if sd.seen[p.Package] != 1 {
						t.Errorf("%s's %s is on %d rows, want 1", sd.name, p.Package, sd.seen[p.Package])
					}
				}
			}
			if z := rows["zlib"]; z.APackage != "zlib1g" || z.Rule != "zlib" || z.AValue == "" || z.BValue == "" {
				t.Errorf("zlib row %+v, want B's zlib paired with A's zlib1g by the zlib rule", z)
			}
			if o := rows[tc.sshB]; cmpOr(o.APackage, o.Key) != tc.sshA || o.AValue == "" || o.BValue == "" || o.Rule != tc.sshRule {
				t.Errorf("%s row %+v, want B's %s paired with A's %s (%s)", tc.sshB, o, tc.sshB, tc.sshA, tc.sshRule)
			}
			var ssh datasets.ImageDiffRow
			for _, r := range res.Diffs {
				if r.Kind == datasets.DiffSetting && r.Key == "sshd permitrootlogin" {
					ssh = r
				}
			}
			if ssh.BValue != "yes" || ssh.BFile != "/etc/ssh/sshd_config" || ssh.BLine != 2 || ssh.BSource != datasets.SourcePackage ||
				ssh.ASource != datasets.SourceBuiltin {
				t.Errorf("sshd permitrootlogin row %+v, want A's built-in default against B's package file, line 2", ssh)
			}
			for _, u := range []struct{ name, side string }{{"dpkg", "A"}, {tc.unmatched, "B"}} {
				r := rows[u.name]
				if r.Change != "unmatched" || (u.side == "A") != (r.AValue != "") || (u.side == "B") != (r.BValue != "") {
					t.Errorf("%s row %+v, want unmatched on %s", u.name, r, u.side)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestStoredAnalyses commits the analyses of the bookworm tree and of the
// Alpine-like one with analysis/image's own Commit into a local folder
// store, loads them back with Load and LoadKey, and gets the comparison
// of the analyses in memory, row for row.
func TestStoredAnalyses(t *testing.T) {
	ctx := context.Background()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := imagecmptest.Analyze(t, rootfstest.Debootstrap(t, "bookworm")), imagecmptest.Analyze(t, imagecmptest.Alpine(t))
	for _, r := range []*image.Result{ra, rb} {
		if err := (image.Storage{Store: st, TempDir: t.TempDir()}).Commit(ctx, r, image.Run{}); err != nil {
			t.Fatal(err)
		}
	}
	s := imagecmp.Storage{Store: st, TempDir: t.TempDir()}
	a, err := s.Load(ctx, ra.Partition)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.LoadKey(ctx, rb.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Files) != len(ra.Files) || len(a.Settings) != len(ra.Settings) || len(a.Settings) == 0 || len(b.Packages) != len(rb.Packages) {
		t.Errorf("loaded %d files, %d settings, %d packages; analysed %d, %d, %d", len(a.Files), len(a.Settings), len(b.Packages),
			len(ra.Files), len(ra.Settings), len(rb.Packages))
	}
	stored, err := imagecmp.Diff(a, b, imagecmp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := imagecmp.Diff(&imagecmp.Side{Summary: ra.Summary, Partition: ra.Partition, Packages: ra.Packages, Files: ra.Files, Settings: ra.Settings},
		&imagecmp.Side{Summary: rb.Summary, Partition: rb.Partition, Packages: rb.Packages, Files: rb.Files, Settings: rb.Settings}, imagecmp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored, direct) || len(stored.Diffs) < 100 {
		t.Errorf("the stored analyses compare to %d rows (%+v), the analyses in memory to %d (%+v)",
			len(stored.Diffs), stored.Summary, len(direct.Diffs), direct.Summary)
	}
}
