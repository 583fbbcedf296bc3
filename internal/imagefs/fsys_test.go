package imagefs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// fsMembers are a small root with what the readers of FS meet: nested
// directories, a hardlink, relative and absolute symlinks to files and to
// directories, and a device.
func fsMembers() []member {
	return []member{
		dir("etc/"), reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), reg("etc/hostname", "box\n"),
		dir("etc/ssh/"), reg("etc/ssh/sshd_config", "Port 22\n"), hard("etc/ssh/hard", "etc/ssh/sshd_config"),
		dir("usr/"), dir("usr/share/"), dir("usr/share/zoneinfo/"), reg("usr/share/zoneinfo/UTC", "TZif2"),
		sym("etc/localtime", "/usr/share/zoneinfo/UTC"), sym("etc/rel", "ssh/sshd_config"),
		sym("etc/sshdir", "/etc/ssh"), dir("lib/"), sym("lib/up", "../etc/hostname"),
		{name: "dev/", typ: tar.TypeDir, mode: 0o755}, {name: "dev/null", typ: tar.TypeChar, mode: 0o666},
	}
}

var fsExpected = []string{"etc/passwd", "etc/hostname", "etc/ssh/sshd_config", "etc/ssh/hard", "etc/localtime", "etc/rel", "etc/sshdir", "lib/up", "usr/share/zoneinfo/UTC", "dev/null"}

// TestFSConformance runs io/fs's own conformance suite over the FS of a
// tree from each kind of source: an uncompressed tarball read lazily, a
// streamed layer whose files are all kept, and a directory.
func TestFSConformance(t *testing.T) {
	data := layer(t, fsMembers()...)
	tarball := filepath.Join(t.TempDir(), "root.tar")
	if err := os.WriteFile(tarball, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fromTar, err := FromTarFile(context.Background(), tarball, Limits{}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer fromTar.Close()

	streamed := New(Limits{})
	apply(t, streamed, 0, gzipped(t, data), ApplyOptions{Keep: func(string, int64) bool { return true }})

	root := t.TempDir()
	if err := extract(root, data); err != nil {
		t.Fatal(err)
	}
	fromDir, err := FromDir(context.Background(), root, Limits{}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer fromDir.Close()

	for name, tree := range map[string]*Tree{"file:": fromTar, "streamed": streamed, "dir:": fromDir} {
		expected := fsExpected
		if name == "dir:" {
			expected = slices.DeleteFunc(slices.Clone(expected), func(p string) bool { return p == "dev/null" })
		}
		if err := fstest.TestFS(tree.FS(), expected...); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// extract writes the regular files, directories and symlinks of a test layer
// under root (devices need privileges the tests do not ask for).
func extract(root string, data []byte) error {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(root, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			b, _ := io.ReadAll(tr)
			err = os.WriteFile(p, b, 0o644)
		case tar.TypeLink:
			err = os.Link(filepath.Join(root, h.Linkname), p)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		}
		if err != nil {
			return err
		}
	}
}

// TestFSChroot follows symlinks inside the tree for Open, Stat and
// ReadFile, never for Lstat and ReadLink, and refuses what fs.FS refuses.
func TestFSChroot(t *testing.T) {
	tree := New(Limits{MaxLinkDepth: 8})
	apply(t, tree, 0, layer(t, append(fsMembers(),
		sym("etc/loop", "/etc/loop2"), sym("etc/loop2", "loop"), sym("etc/dangling", "/run/nothing"),
		sym("etc/abs-out", "/../../../etc/passwd"))...), ApplyOptions{Capture: func(string) bool { return true }})
	fsys := tree.FS()
	rl := fsys.(fs.ReadLinkFS)

	for name, want := range map[string]string{
		"etc/localtime":   "TZif2",
		"etc/rel":         "Port 22\n",
		"etc/sshdir/hard": "Port 22\n",
		"lib/up":          "box\n",
		"etc/abs-out":     "root:x:0:0::/root:/bin/sh\n", // the tree's /etc/passwd, not the host's
	} {
		got, err := fs.ReadFile(fsys, name)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%q) = %q, %v, want %q", name, got, err, want)
		}
		fi, err := fs.Stat(fsys, name)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(want)) || fi.Name() != filepathBase(name) {
			t.Errorf("Stat(%q) = %v, %v", name, fi, err)
		}
		li, err := rl.Lstat(name)
		if name != "etc/sshdir/hard" && (err != nil || li.Mode()&fs.ModeSymlink == 0) {
			t.Errorf("Lstat(%q) = %v, %v, want a symlink", name, li, err)
		}
	}
	if target, err := rl.ReadLink("etc/localtime"); err != nil || target != "/usr/share/zoneinfo/UTC" {
		t.Errorf("ReadLink(etc/localtime) = %q, %v", target, err)
	}
	// Lstat follows the directories on the way: /etc/sshdir is /etc/ssh.
	if fi, err := rl.Lstat("etc/sshdir/sshd_config"); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("Lstat through a symlinked directory = %v, %v", fi, err)
	}
	if ents, err := fs.ReadDir(fsys, "etc/sshdir"); err != nil || len(ents) != 2 || ents[0].Name() != "hard" {
		t.Errorf("ReadDir(etc/sshdir) = %v, %v", ents, err)
	}
	if _, err := rl.ReadLink("etc/passwd"); err == nil {
		t.Error("ReadLink of a regular file succeeded")
	}
	if _, err := fsys.Open("etc/loop"); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("Open of a symlink loop = %v", err)
	}
	if _, err := fsys.Open("etc/dangling"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a dangling symlink = %v, want fs.ErrNotExist", err)
	}
	if _, err := rl.Lstat("etc/dangling"); err != nil {
		t.Errorf("Lstat of a dangling symlink = %v", err)
	}
	for _, bad := range []string{"/etc/passwd", "etc/", "./etc", "", "etc/sshdir/../passwd"} {
		if _, err := fsys.Open(bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want fs.ErrInvalid", bad, err)
		}
		if _, err := fs.ReadFile(fsys, bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("ReadFile(%q) = %v, want fs.ErrInvalid", bad, err)
		}
		if _, err := rl.Lstat(bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Lstat(%q) = %v, want fs.ErrInvalid", bad, err)
		}
	}
	// A captured file's bytes are the tree's: ReadFile hands out a copy.
	b, _ := fs.ReadFile(fsys, "etc/hostname")
	b[0] = 'X'
	if again, _ := fs.ReadFile(fsys, "etc/hostname"); string(again) != "box\n" {
		t.Errorf("the tree's bytes changed through ReadFile's result: %q", again)
	}
	if got, err := fs.ReadFile(fsys, "dev/null"); err != nil || len(got) != 0 {
		t.Errorf("ReadFile(dev/null) = %q, %v, want empty", got, err)
	}
}

func filepathBase(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// TestFSStreamedKeep reads what a streamed layer kept: Capture's and
// Keep's files read back, a file neither kept fails naming itself, a file
// Keep selects over MaxCaptureBytes is skipped without failing the layer,
// and only Capture's paths are Changed.
func TestFSStreamedKeep(t *testing.T) {
	tree := New(Limits{MaxCaptureBytes: 16})
	var asked []string
	st := apply(t, tree, 0, gzipped(t, layer(t,
		reg("var/lib/db", "db"), reg("etc/small.conf", "a=1\n"), reg("etc/big.conf", strings.Repeat("x", 17)),
		reg("usr/bin/tool", "binary"))), ApplyOptions{
		Capture: func(p string) bool { return p == "/var/lib/db" },
		Keep: func(p string, size int64) bool {
			asked = append(asked, p)
			return strings.HasPrefix(p, "/etc/")
		},
	})
	if !slices.Equal(st.Changed, []string{"/var/lib/db"}) {
		t.Errorf("Changed = %v, want only the Capture path", st.Changed)
	}
	if !slices.Equal(asked, []string{"/etc/small.conf", "/usr/bin/tool"}) {
		t.Errorf("Keep asked about %v, want the files within MaxCaptureBytes not captured", asked)
	}
	fsys := tree.FS()
	for name, want := range map[string]string{"var/lib/db": "db", "etc/small.conf": "a=1\n"} {
		if got, err := fs.ReadFile(fsys, name); err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v", name, got, err)
		}
	}
	for _, name := range []string{"etc/big.conf", "usr/bin/tool"} {
		_, err := fs.ReadFile(fsys, name)
		var e *Error
		wantKind := KindNoContent
		if name == "etc/big.conf" {
			wantKind = KindFileTooLarge // ReadFile checks the bound first
		}
		if !errors.As(err, &e) || e.Kind != wantKind || !strings.Contains(err.Error(), "/"+name) {
			t.Errorf("ReadFile(%s) = %v, want a %s error naming it", name, err, wantKind)
		}
		if _, err := fsys.Open(name); !errors.As(err, &e) || e.Kind != KindNoContent || !strings.Contains(err.Error(), "not kept") {
			t.Errorf("Open(%s) = %v, want a no-content error", name, err)
		}
		if fi, err := fs.Stat(fsys, name); err != nil || fi.Size() == 0 {
			t.Errorf("Stat(%s) = %v, %v: the metadata is kept", name, fi, err)
		}
	}
	// Removing a kept file in a later layer is no database change.
	st = apply(t, tree, 1, layer(t, whiteout("etc", "small.conf")), ApplyOptions{Capture: func(p string) bool { return p == "/var/lib/db" }})
	if len(st.Changed) != 0 {
		t.Errorf("a kept file's whiteout changed %v", st.Changed)
	}
}
