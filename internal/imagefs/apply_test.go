package imagefs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

var testTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// member is one tar member of a test layer; a body makes a regular file.
type member struct {
	name, body, link string
	typ              byte
	mode             int64
}

func reg(name, body string) member {
	return member{name: name, body: body, typ: tar.TypeReg, mode: 0o644}
}
func dir(name string) member { return member{name: name, typ: tar.TypeDir, mode: 0o755} }
func sym(name, target string) member {
	return member{name: name, link: target, typ: tar.TypeSymlink, mode: 0o777}
}
func hard(name, target string) member {
	return member{name: name, link: target, typ: tar.TypeLink, mode: 0o644}
}
func whiteout(dir, name string) member { return reg(strings.TrimSuffix(dir, "/")+"/.wh."+name, "") }

func layer(t testing.TB, ms ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range ms {
		h := &tar.Header{Typeflag: m.typ, Name: m.name, Linkname: m.link, Mode: m.mode, ModTime: testTime, Uid: 1, Gid: 2}
		if m.typ == tar.TypeReg {
			h.Size = int64(len(m.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(m.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func zstded(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return zw.EncodeAll(b, nil)
}

func apply(t testing.TB, tree *Tree, n int, data []byte, o ApplyOptions) LayerStats {
	t.Helper()
	o.Layer = n
	st, err := tree.Apply(context.Background(), bytes.NewReader(data), o)
	if err != nil {
		t.Fatalf("layer %d: %v", n, err)
	}
	checkTree(t, tree)
	return st
}

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// paths is every path of the tree, with its type and layer.
func paths(t testing.TB, tree *Tree) []string {
	t.Helper()
	var out []string
	if err := tree.Walk("/", func(n *Node) error {
		s := n.Path + " " + n.Type.String() + " " + string(rune('0'+n.Layer))
		if n.Type == Symlink {
			s += " -> " + n.Link
		}
		out = append(out, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkTree asserts what every tree must hold, whatever its input: names
// that are single clean components, sorted and unique, parents and paths
// that agree, no whiteout left, devices only under /dev, Len right.
func checkTree(t testing.TB, tree *Tree) {
	t.Helper()
	count := -1
	err := tree.Walk("/", func(n *Node) error {
		count++
		if n != tree.root {
			want := n.parent.Path + "/" + n.name
			if n.parent == tree.root {
				want = "/" + n.name
			}
			if n.Path != want || n.name == "" || n.name == "." || n.name == ".." || strings.Contains(n.name, "/") {
				t.Errorf("node %q: name %q under %q", n.Path, n.name, n.parent.Path)
			}
			if strings.HasPrefix(n.name, ".wh.") {
				t.Errorf("whiteout %q left in the tree", n.Path)
			}
			if n.parent.Type != Dir {
				t.Errorf("%q under a %s", n.Path, n.parent.Type)
			}
		}
		if (n.Type == CharDev || n.Type == BlockDev) && !strings.HasPrefix(n.Path, "/dev/") {
			t.Errorf("device %q outside /dev", n.Path)
		}
		if n.Type == Regular && n.body == nil {
			t.Errorf("regular %q without a body", n.Path)
		}
		if n.Type != Dir && len(n.children) > 0 {
			t.Errorf("%s %q has children", n.Type, n.Path)
		}
		for i, c := range n.children {
			if c.parent != n {
				t.Errorf("%q: parent is not %q", c.Path, n.Path)
			}
			if i > 0 && n.children[i-1].name >= c.name {
				t.Errorf("%q: children not sorted and unique at %q", n.Path, c.name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != tree.Len() {
		t.Errorf("Len() = %d, walked %d", tree.Len(), count)
	}
}

func TestApplyLayers(t *testing.T) {
	capture := func(p string) bool { return strings.HasPrefix(p, "/var/lib/db/") }
	tree := New(Limits{})
	st0 := apply(t, tree, 0, layer(t,
		dir("./"),
		dir("./etc/"), reg("./etc/a", "a0"), dir("./etc/sub/"), reg("./etc/sub/x", "x0"),
		reg("usr/bin/tool", "tool0"), // parents made implicitly
		hard("usr/bin/tool-same-layer", "usr/bin/tool"),
		reg("var/lib/db/status", "pkgs0"), reg("var/lib/db/other", "o0"),
		dir("opq/"), reg("opq/old", "old"), dir("opq/d/"), reg("opq/d/old2", "old2"),
		dir("repl/"), reg("repl/child", "c"),
		reg("file2dir", "f"),
		sym("etc/localtime", "/usr/share/zoneinfo/UTC"),
	), ApplyOptions{Capture: capture, Digests: []Algo{"sha256", "md5"}})
	if st0.Entries != 17 || st0.Files != 10 || st0.Whiteouts != 0 {
		t.Errorf("layer 0 stats %+v", st0)
	}
	if !slices.Equal(st0.Changed, []string{"/var/lib/db/other", "/var/lib/db/status"}) {
		t.Errorf("layer 0 changed %q", st0.Changed)
	}

	st1 := apply(t, tree, 1, gzipped(t, layer(t,
		whiteout("etc", "a"),
		member{name: "etc/", typ: tar.TypeDir, mode: 0o700}, // merges: etc/sub stays
		dir("opq/"), reg("opq/.wh..wh..opq", ""), reg("opq/new", "new"), dir("opq/d/"), reg("opq/d/new2", "new2"),
		reg("repl", "now a file"),
		dir("file2dir/"), reg("file2dir/inside", "i"),
		hard("usr/bin/tool2", "usr/bin/tool"),
		whiteout("var/lib/db", "other"),
		reg("var/lib/db/status", "pkgs1"),
		whiteout("nowhere", "x"), // a whiteout of nothing is nothing
	)), ApplyOptions{Capture: capture, Digests: []Algo{"sha256"}})
	if st1.Whiteouts != 4 || st1.Files != 6 || st1.CompressedBytes >= st1.Bytes {
		t.Errorf("layer 1 stats %+v", st1)
	}
	if !slices.Equal(st1.Changed, []string{"/var/lib/db/other", "/var/lib/db/status"}) {
		t.Errorf("layer 1 changed %q", st1.Changed)
	}

	want := []string{
		"/ dir 0",
		"/etc dir 1",
		"/etc/localtime symlink 0 -> /usr/share/zoneinfo/UTC",
		"/etc/sub dir 0",
		"/etc/sub/x regular 0",
		"/file2dir dir 1",
		"/file2dir/inside regular 1",
		"/opq dir 1",
		"/opq/d dir 1",
		"/opq/d/new2 regular 1",
		"/opq/new regular 1",
		"/repl regular 1",
		"/usr dir 0",
		"/usr/bin dir 0",
		"/usr/bin/tool regular 0",
		"/usr/bin/tool-same-layer regular 0",
		"/usr/bin/tool2 regular 1",
		"/var dir 0",
		"/var/lib dir 0",
		"/var/lib/db dir 0",
		"/var/lib/db/status regular 1",
	}
	if got := paths(t, tree); !slices.Equal(got, want) {
		t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n, _ := tree.Lookup("/etc"); n.Mode != 0o700 || n.UID != 1 || !n.MTime.Equal(testTime) {
		t.Errorf("/etc took %v %d %v, want the new layer's metadata", n.Mode, n.UID, n.MTime)
	}

	// A hardlink shares its target's content, across layers: the digest
	// computed while layer 0 streamed.
	tool2, _ := tree.Lookup("/usr/bin/tool2")
	if d, err := tree.Digest(tool2, "sha256"); err != nil || d != sha("tool0") {
		t.Errorf("tool2 sha256 %s, %v; want %s", d, err, sha("tool0"))
	}
	md := md5.Sum([]byte("tool0"))
	if d, err := tree.Digest(tool2, "md5"); err != nil || d != hex.EncodeToString(md[:]) {
		t.Errorf("tool2 md5 %s, %v", d, err)
	}
	if tool2.Size != 5 || tool2.Layer != 1 {
		t.Errorf("tool2 size %d layer %d", tool2.Size, tool2.Layer)
	}
	// Layer 1 computed no md5: a streamed file's digest that was not
	// asked for is an error naming the file and the algorithm.
	inside, _ := tree.Lookup("/file2dir/inside")
	_, err := tree.Digest(inside, "md5")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNoContent || !strings.Contains(err.Error(), `"/file2dir/inside": no md5 digest`) {
		t.Errorf("md5 of a streamed file: %v", err)
	}
	if _, err := tree.ReadFile("/file2dir/inside"); !errors.As(err, &e) || e.Kind != KindNoContent {
		t.Errorf("ReadFile of a streamed file: %v", err)
	}
	if b, err := tree.ReadFile("/var/lib/db/status"); err != nil || string(b) != "pkgs1" {
		t.Errorf("captured status: %q, %v", b, err)
	}
	// A captured file's digest is computed from its bytes when not eager.
	status, _ := tree.Lookup("/var/lib/db/status")
	if d, err := tree.Digest(status, "sha512"); err != nil || len(d) != 128 {
		t.Errorf("sha512 of a captured file: %q, %v", d, err)
	}
}

func TestApplyCompressions(t *testing.T) {
	plain := layer(t, dir("etc/"), reg("etc/os-release", "ID=debian\n"), sym("etc/x", "os-release"))
	for name, data := range map[string][]byte{"plain": plain, "gzip": gzipped(t, plain), "zstd": zstded(t, plain)} {
		tree := New(Limits{})
		st := apply(t, tree, 0, data, ApplyOptions{Capture: func(p string) bool { return p == "/etc/os-release" }})
		if b, err := tree.ReadFile("/etc/x"); err != nil || string(b) != "ID=debian\n" {
			t.Errorf("%s: ReadFile through a symlink: %q, %v", name, b, err)
		}
		if st.Bytes != int64(len(plain)) || st.CompressedBytes != int64(len(data)) {
			t.Errorf("%s: %d bytes from %d, want %d from %d", name, st.Bytes, st.CompressedBytes, len(plain), len(data))
		}
	}
}

func TestApplyProgress(t *testing.T) {
	var ms []member
	for i := range 2500 {
		ms = append(ms, reg("f/"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i/26), ""))
	}
	var calls []int
	tree := New(Limits{})
	apply(t, tree, 0, layer(t, ms...), ApplyOptions{Progress: func(s LayerStats) { calls = append(calls, s.Entries) }})
	if !slices.Equal(calls, []int{1000, 2000}) {
		t.Errorf("progress at %v, want [1000 2000]", calls)
	}
}

func TestResolve(t *testing.T) {
	tree := New(Limits{})
	apply(t, tree, 0, layer(t,
		reg("usr/lib/sysimage/rpm/rpmdb.sqlite", "db"),
		dir("var/lib/"), sym("var/lib/rpm", "../../usr/lib/sysimage/rpm"),
		reg("usr/share/zoneinfo/UTC", "TZif"), sym("etc/localtime", "/usr/share/zoneinfo/UTC"),
		sym("lib", "usr/lib"), sym("abs", "/lib/sysimage/./rpm/"),
		sym("etc/dangling", "/nowhere"),
		reg("etc/file", "f"),
	), ApplyOptions{})
	for p, want := range map[string]string{
		"/var/lib/rpm/rpmdb.sqlite":          "/usr/lib/sysimage/rpm/rpmdb.sqlite",
		"/etc/localtime":                     "/usr/share/zoneinfo/UTC",
		"/lib/sysimage/rpm":                  "/usr/lib/sysimage/rpm",
		"/abs/rpmdb.sqlite":                  "/usr/lib/sysimage/rpm/rpmdb.sqlite",
		"/../../../etc/localtime":            "/usr/share/zoneinfo/UTC", // ".." at the root stays there
		"var/lib/rpm/../../../../etc/./file": "/etc/file",               // ".." after a symlink: from its target
	} {
		n, err := tree.Resolve(p)
		if err != nil || n.Path != want {
			t.Errorf("Resolve(%q) = %v, %v; want %s", p, n, err, want)
		}
	}
	if n, ok := tree.Lookup("/var/lib/rpm"); !ok || n.Type != Symlink {
		t.Errorf("Lookup follows no symlink: %v", n)
	}
	for p, want := range map[string]string{"/lib/sysimage/rpm": "/usr/lib/sysimage/rpm", "/var/lib/rpm": "/var/lib/rpm", "/lib": "/lib", "/": "/"} {
		if n, err := tree.Lstat(p); err != nil || n.Path != want {
			t.Errorf("Lstat(%q) = %v, %v; want %s", p, n, err, want)
		}
	}
	if _, err := tree.Lstat("/lib/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat of nothing: %v", err)
	}
	for p, kind := range map[string]Kind{"/etc/dangling": KindNotExist, "/etc/file/x": KindNotDir, "/nope": KindNotExist} {
		_, err := tree.Resolve(p)
		var e *Error
		if !errors.As(err, &e) || e.Kind != kind {
			t.Errorf("Resolve(%q): %v, want %s", p, err, kind)
		}
		if kind == KindNotExist && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Resolve(%q): %v is not fs.ErrNotExist", p, err)
		}
	}
	ents, err := tree.ReadDir("/var/lib/rpm")
	if err != nil || len(ents) != 1 || ents[0].Path != "/usr/lib/sysimage/rpm/rpmdb.sqlite" {
		t.Errorf("ReadDir through a symlink: %v, %v", ents, err)
	}
	var walked []string
	tree.Walk("/usr", func(n *Node) error {
		walked = append(walked, n.Path)
		if n.Path == "/usr/lib" {
			return fs.SkipDir
		}
		return nil
	})
	if !slices.Equal(walked, []string{"/usr", "/usr/lib", "/usr/share", "/usr/share/zoneinfo", "/usr/share/zoneinfo/UTC"}) {
		t.Errorf("Walk with SkipDir: %q", walked)
	}
}

// TestApplyFollowsSymlinkedParent puts a member whose parent is a symlink
// into the directory it resolves to in the tree, as extracting in a
// chroot would: "evil -> /" makes evil/etc/passwd the tree's /etc/passwd,
// and nothing outside.
func TestApplyFollowsSymlinkedParent(t *testing.T) {
	tree := New(Limits{})
	apply(t, tree, 0, layer(t, sym("evil", "/"), reg("evil/etc/passwd", "root"), sym("lib", "usr/lib"), dir("usr/lib/"), reg("lib/libc.so", "c"), hard("lib/libc2.so", "lib/libc.so")), ApplyOptions{})
	for _, p := range []string{"/etc/passwd", "/usr/lib/libc.so", "/usr/lib/libc2.so"} {
		if n, ok := tree.Lookup(p); !ok || n.Type != Regular {
			t.Errorf("%s: %v", p, n)
		}
	}
	_, err := tree.Apply(context.Background(), bytes.NewReader(layer(t, reg("etc/passwd/x", "y"))), ApplyOptions{Layer: 1})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNotDir {
		t.Errorf("a member under a file: %v", err)
	}
}

// TestCaptureBound keeps no file larger than MaxCaptureBytes in memory:
// Capture refuses it while applying, ReadFile while reading lazily.
func TestCaptureBound(t *testing.T) {
	data := layer(t, reg("var/lib/db", "0123456789"))
	_, err := New(Limits{MaxCaptureBytes: 4}).Apply(context.Background(), bytes.NewReader(data), ApplyOptions{Capture: func(string) bool { return true }})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindFileTooLarge || !strings.Contains(err.Error(), `member "var/lib/db": file of 10 bytes to keep in memory, more than 4`) {
		t.Errorf("capture of a big file: %v", err)
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := FromDir(context.Background(), root, Limits{MaxCaptureBytes: 4}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if _, err := tree.ReadFile("/big"); !errors.As(err, &e) || e.Kind != KindFileTooLarge {
		t.Errorf("ReadFile of a big file: %v", err)
	}
}
