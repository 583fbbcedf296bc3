package imagefs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distroscope/distroscope/internal/testenv"
)

// makeRoot writes a small root filesystem: files, a setuid binary,
// relative and absolute symlinks, a hardlink, a fifo, an empty directory,
// a /proc whose contents must be skipped, and /dev/null when the test may
// make device nodes.
func makeRoot(t testing.TB) (root string, devices bool) {
	t.Helper()
	root = t.TempDir()
	files := map[string]string{
		"etc/passwd":                        "root:x:0:0:root:/root:/bin/sh\n",
		"etc/ssh/sshd_config":               "PermitRootLogin no\n",
		"usr/bin/sudo":                      "ELF sudo",
		"usr/lib/sysimage/rpm/rpmdb.sqlite": "SQLite format 3\x00",
		"var/lib/dpkg/status":               "Package: base-files\nStatus: install ok installed\n",
		"proc/1/status":                     "not to be read",
		"usr/share/zoneinfo/UTC":            "TZif2",
		"usr/share/doc/" + strings.Repeat("long-name-", 20) + "/copyright": strings.Repeat("c", 70000),
	}
	for p, body := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(filepath.Join(root, "usr/bin/sudo"), 0o755|fs.ModeSetuid))
	must(os.MkdirAll(filepath.Join(root, "var/lib"), 0o755))
	must(os.Symlink("../../usr/lib/sysimage/rpm", filepath.Join(root, "var/lib/rpm")))
	must(os.Symlink("/usr/share/zoneinfo/UTC", filepath.Join(root, "etc/localtime")))
	must(os.Link(filepath.Join(root, "etc/passwd"), filepath.Join(root, "etc/passwd-")))
	must(os.Mkdir(filepath.Join(root, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(root, "tmp"), 0o777|fs.ModeSticky))
	must(os.Mkdir(filepath.Join(root, "dev"), 0o755))
	must(syscall.Mkfifo(filepath.Join(root, "dev/initctl"), 0o600))
	devices = syscall.Mknod(filepath.Join(root, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3) == nil
	// A fixed mtime for everything, so a tar of the tree says the same.
	when := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	must(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return lchtimes(p, when)
	}))
	return root, devices
}

func lchtimes(p string, when time.Time) error {
	ts := []syscall.Timespec{syscall.NsecToTimespec(when.UnixNano()), syscall.NsecToTimespec(when.UnixNano())}
	return utimensat(p, ts)
}

func TestFromDir(t *testing.T) {
	root, devices := makeRoot(t)
	capture := func(p string) bool { return p == "/var/lib/dpkg/status" }
	tree, err := FromDir(context.Background(), root, Limits{}, ApplyOptions{Capture: capture})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	checkTree(t, tree)

	if n, ok := tree.Lookup("/proc"); !ok || n.Type != Dir || len(n.children) != 0 {
		t.Errorf("/proc: %v, want the directory without its contents", n)
	}
	if n, _ := tree.Lookup("/usr/bin/sudo"); n.Mode != 0o755|fs.ModeSetuid || n.Size != 8 {
		t.Errorf("sudo mode %v size %d", n.Mode, n.Size)
	}
	if n, _ := tree.Lookup("/tmp"); n.Mode != 0o777|fs.ModeSticky {
		t.Errorf("/tmp mode %v", n.Mode)
	}
	if n, _ := tree.Lookup("/dev/initctl"); n.Type != FIFO {
		t.Errorf("fifo: %v", n)
	}
	if !devices && testenv.CI() {
		t.Error("mknod /dev/null failed: the test task runs as root, where it must work")
	}
	if devices {
		if n, _ := tree.Lookup("/dev/null"); n.Type != CharDev || n.Major != 1 || n.Minor != 3 {
			t.Errorf("/dev/null: %+v", n)
		}
	}
	if n, _ := tree.Lookup("/etc/localtime"); n.Type != Symlink || n.Link != "/usr/share/zoneinfo/UTC" {
		t.Errorf("/etc/localtime: %+v", n)
	}
	if n, _ := tree.Lookup("/etc/passwd"); n.UID != os.Getuid() || !n.MTime.Equal(time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("/etc/passwd: uid %d mtime %v", n.UID, n.MTime)
	}
	// The captured file was read at once: it is there after the disk changed.
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := tree.ReadFile("/var/lib/dpkg/status"); err != nil || !strings.HasPrefix(string(b), "Package: base-files") {
		t.Errorf("captured status: %q, %v", b, err)
	}
	// Others are read lazily, through symlinks in the tree.
	if b, err := tree.ReadFile("/var/lib/rpm/rpmdb.sqlite"); err != nil || string(b) != "SQLite format 3\x00" {
		t.Errorf("rpmdb through a symlink: %q, %v", b, err)
	}
	// Lazy digests from several goroutines, as the analysis hashes.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			errs <- tree.Walk("/", func(n *Node) error {
				if n.Type != Regular {
					return nil
				}
				d, err := tree.Digest(n, "sha256")
				if err != nil {
					return err
				}
				body, err := os.ReadFile(filepath.Join(root, n.Path))
				if err != nil {
					return err
				}
				if n.Path != "/var/lib/dpkg/status" && d != sha(string(body)) {
					return fmt.Errorf("%s: digest %s, want %s", n.Path, d, sha(string(body)))
				}
				return nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestFromDirRefuses(t *testing.T) {
	for name, mk := range map[string]func(root string) error{
		"symlink-escape": func(root string) error {
			return os.Symlink("../../../etc/shadow", filepath.Join(root, "etc/x"))
		},
		"device-outside-dev": func(root string) error {
			return syscall.Mknod(filepath.Join(root, "etc/null"), syscall.S_IFCHR|0o666, 1<<8|3)
		},
		"too-many-entries": func(root string) error {
			for i := range 20 {
				if err := os.WriteFile(filepath.Join(root, "etc", fmt.Sprint(i)), nil, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := mk(root); err != nil {
				if errors.Is(err, fs.ErrPermission) && !testenv.CI() {
					t.Skipf("cannot make the case here (mknod needs root; the test task runs as root): %v", err)
				}
				t.Fatal(err)
			}
			tree, err := FromDir(context.Background(), root, Limits{MaxEntries: 10}, ApplyOptions{})
			var e *Error
			want := map[string]Kind{"symlink-escape": KindSymlinkEscape, "device-outside-dev": KindDevice, "too-many-entries": KindTooManyEntries}[name]
			if !errors.As(err, &e) || e.Kind != want || !strings.HasPrefix(err.Error(), "imagefs: dir:"+root+": member ") {
				t.Errorf("got %v, %v; want %s", tree, err, want)
			}
		})
	}
}

// writeTar writes the tree at root as an uncompressed tar with
// archive/tar, members named like "./etc/passwd" or "etc/passwd".
func writeTar(t testing.TB, root string, w io.Writer, dotSlash bool) {
	t.Helper()
	tw := tar.NewWriter(w)
	seen := map[uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = rel
		if dotSlash {
			h.Name = "./" + rel
		}
		if fi.IsDir() {
			h.Name += "/"
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			if first, ok := seen[st.Ino]; ok {
				h.Typeflag, h.Linkname, h.Size = tar.TypeLink, first, 0
			} else {
				seen[st.Ino] = h.Name
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// sameTree compares two trees node by node: metadata and content.
func sameTree(t *testing.T, what string, want, got *Tree) {
	t.Helper()
	var wn, gn []*Node
	want.Walk("/", func(n *Node) error { wn = append(wn, n); return nil })
	got.Walk("/", func(n *Node) error { gn = append(gn, n); return nil })
	if len(wn) != len(gn) {
		t.Errorf("%s: %d nodes, want %d", what, len(gn), len(wn))
	}
	for i := range min(len(wn), len(gn)) {
		w, g := wn[i], gn[i]
		if w.Path == "/proc" {
			continue // the directory's mtime and children are the source's business
		}
		if w.Path != g.Path || w.Type != g.Type || w.Mode != g.Mode || w.UID != g.UID || w.GID != g.GID ||
			w.Size != g.Size || w.Link != g.Link || w.Major != g.Major || w.Minor != g.Minor ||
			!w.MTime.Truncate(time.Second).Equal(g.MTime) {
			t.Errorf("%s: %+v\nwant %+v", what, *g, *w)
			continue
		}
		if w.Type == Regular {
			wd, err1 := want.Digest(w, "sha256")
			gd, err2 := got.Digest(g, "sha256")
			if err1 != nil || err2 != nil || wd != gd {
				t.Errorf("%s: %s sha256 %s (%v), want %s (%v)", what, g.Path, gd, err2, wd, err1)
			}
		}
	}
}

// TestFromTarFile reads the same root from tars made by archive/tar
// (plain and gzip, "./" names and bare ones) and by GNU tar, and compares
// each tree with FromDir's: lazy digests from the uncompressed tar, eager
// ones from the gzip stream, lazy ones from the directory.
func TestFromTarFile(t *testing.T) {
	root, _ := makeRoot(t)
	// A /proc is skipped in a directory but is content in a tarball.
	if err := os.RemoveAll(filepath.Join(root, "proc", "1")); err != nil {
		t.Fatal(err)
	}
	fromDir, err := FromDir(context.Background(), root, Limits{}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer fromDir.Close()
	out := t.TempDir()

	tars := map[string]string{}
	for _, dotSlash := range []bool{false, true} {
		p := filepath.Join(out, fmt.Sprintf("go-%v.tar", dotSlash))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		writeTar(t, root, f, dotSlash)
		f.Close()
		tars[filepath.Base(p)] = p
	}
	data, err := os.ReadFile(tars["go-true.tar"])
	if err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(out, "go.tar.gz")
	if err := os.WriteFile(gz, gzipped(t, data), 0o644); err != nil {
		t.Fatal(err)
	}
	tars["go.tar.gz"] = gz
	gnu, err := exec.LookPath("tar")
	if err != nil {
		t.Fatalf("GNU tar: %v", err)
	}
	gnuTar := filepath.Join(out, "gnu.tar")
	if b, err := exec.Command(gnu, "-C", root, "-cf", gnuTar, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar -cf: %v: %s", err, b)
	}
	tars["gnu.tar"] = gnuTar

	for name, p := range tars {
		t.Run(name, func(t *testing.T) {
			tree, err := FromTarFile(context.Background(), p, Limits{}, ApplyOptions{Digests: []Algo{"sha256"}, Capture: func(p string) bool { return p == "/etc/passwd" }})
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			checkTree(t, tree)
			sameTree(t, name, fromDir, tree)
			passwd, _ := tree.Lookup("/etc/passwd")
			hardlink, _ := tree.Lookup("/etc/passwd-")
			wantLoc := locTar
			if strings.HasSuffix(name, ".gz") {
				wantLoc = locNone
			}
			if passwd.body.loc != wantLoc || !passwd.body.captured || hardlink.body != passwd.body {
				t.Errorf("passwd: locator %d captured %v, hardlink sharing %v", passwd.body.loc, passwd.body.captured, hardlink.body == passwd.body)
			}
			// From an uncompressed tar nothing was hashed ahead: the digests
			// sameTree asked for were read then.
			if sudo, _ := tree.Lookup("/usr/bin/sudo"); wantLoc == locTar && len(sudo.body.digests) != 1 {
				t.Errorf("sudo digests %v, want the one asked for", sudo.body.digests)
			}
		})
	}
}

// TestFromTarFileSeeksOverBodies reads an uncompressed tar holding a
// 64 MiB member nobody asks about: the tar reader seeks over it, and
// less than a buffer around each header is read from the file.
func TestFromTarFileSeeksOverBodies(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	big := int64(64 << 20)
	for _, h := range []*tar.Header{
		{Typeflag: tar.TypeReg, Name: "usr/lib/big.so", Size: big, Mode: 0o644},
		{Typeflag: tar.TypeReg, Name: "etc/passwd", Size: 5, Mode: 0o644},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size == big {
			// A hole: the file stays small on disk.
			if _, err := f.Seek(big, io.SeekCurrent); err != nil {
				t.Fatal(err)
			}
			tw = tar.NewWriter(f) // the writer's accounting is bypassed; the stream stays aligned (64 MiB is whole blocks)
			continue
		}
		tw.Write([]byte("root\n"))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tree := New(Limits{})
	tree.file = r
	or := &offsetReader{f: r, buf: make([]byte, 64<<10)}
	if _, err := tree.apply(context.Background(), nil, ApplyOptions{Digests: []Algo{"sha256"}}, "file:"+p, &tarSource{r: or}); err != nil {
		t.Fatal(err)
	}
	if or.read > 4*64<<10 {
		t.Errorf("read %d bytes of a %d-byte tar, want only around its headers", or.read, or.pos)
	}
	n, _ := tree.Lookup("/etc/passwd")
	if b, err := tree.ReadFile("/etc/passwd"); err != nil || string(b) != "root\n" {
		t.Errorf("passwd: %q, %v", b, err)
	}
	if d, err := tree.Digest(n, "sha256"); err != nil || d != sha("root\n") {
		t.Errorf("passwd sha256 %s, %v", d, err)
	}
}

func TestApplyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Limits{}).Apply(ctx, strings.NewReader(string(layer(t, reg("a", "b")))), ApplyOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "imagefs: layer 0: ") {
		t.Errorf("cancelled Apply: %v", err)
	}
}
