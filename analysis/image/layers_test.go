package image

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/imageref"
	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
)

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// pkg is a dpkg package as a test writes it into a layer.
type pkg struct {
	name, version string
	files         map[string]string // path without the leading slash -> body
	conffiles     []string          // paths among files
}

func (p pkg) stanza() string {
	s := fmt.Sprintf("Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n", p.name, p.version)
	if len(p.conffiles) > 0 {
		s += "Conffiles:\n"
		for _, c := range p.conffiles {
			s += fmt.Sprintf(" /%s %s\n", c, md5hex(p.files[c]))
		}
	}
	return s + "Description: test package " + p.name + "\n"
}

// dpkgFiles are the tar members a package installs: its files, its
// info/*.list and info/*.md5sums (conffiles left out, as dh_md5sums does).
func (p pkg) dpkgFiles() []imagereftest.File {
	var out []imagereftest.File
	list := "/.\n"
	var sums strings.Builder
	for path, body := range p.files {
		out = append(out, imagereftest.File{Name: path, Body: body})
		list += "/" + path + "\n"
		conf := false
		for _, c := range p.conffiles {
			conf = conf || c == path
		}
		if !conf {
			fmt.Fprintf(&sums, "%s  %s\n", md5hex(body), path)
		}
	}
	return append(out,
		imagereftest.File{Name: "var/lib/dpkg/info/" + p.name + ".list", Body: list},
		imagereftest.File{Name: "var/lib/dpkg/info/" + p.name + ".md5sums", Body: sums.String()})
}

func status(pkgs ...pkg) imagereftest.File {
	var s []string
	for _, p := range pkgs {
		s = append(s, p.stanza())
	}
	return imagereftest.File{Name: "var/lib/dpkg/status", Body: strings.Join(s, "\n")}
}

var baseDirs = []imagereftest.File{{Name: "etc/"}, {Name: "usr/"}, {Name: "usr/bin/"}, {Name: "var/"}, {Name: "var/lib/"},
	{Name: "var/lib/dpkg/"}, {Name: "var/lib/dpkg/info/"}}

// layeredImage is three layers: a base with a and b, then c installed,
// then a upgraded, b removed (whiteouts) and a's conffile edited.
func layeredImage(t *testing.T) v1.Image {
	a1 := pkg{name: "alpha", version: "1.0", files: map[string]string{"usr/bin/a": "a one\n", "etc/a.conf": "default=1\n"}, conffiles: []string{"etc/a.conf"}}
	b := pkg{name: "beta", version: "1.0", files: map[string]string{"usr/bin/b": "b\n"}}
	c := pkg{name: "gamma", version: "1.0", files: map[string]string{"usr/bin/c": "c\n"}}
	a2 := a1
	a2.version, a2.files = "2.0", map[string]string{"usr/bin/a": "a two\n", "etc/a.conf": "default=1\n"}

	l0 := append(append([]imagereftest.File{}, baseDirs...), imagereftest.File{Name: "etc/os-release", Body: "ID=debian\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Test Debian\"\n"},
		imagereftest.File{Name: "etc/hostname", Body: "box\n"}, status(a1, b))
	l0 = append(append(l0, a1.dpkgFiles()...), b.dpkgFiles()...)
	l1 := append([]imagereftest.File{status(a1, b, c)}, c.dpkgFiles()...)
	l2 := []imagereftest.File{status(a2, c), {Name: "usr/bin/.wh.b"}, {Name: "var/lib/dpkg/info/.wh.beta.list"}, {Name: "var/lib/dpkg/info/.wh.beta.md5sums"}}
	for _, f := range a2.dpkgFiles() {
		if f.Name == "etc/a.conf" {
			f.Body = "default=2 # edited by the image's author\n"
		}
		l2 = append(l2, f)
	}
	return imagereftest.Image(t, "linux/amd64",
		imagereftest.LayerFromFiles(t, l0), imagereftest.LayerFromFiles(t, l1), imagereftest.LayerFromFiles(t, l2))
}

func analyze(t *testing.T, ref string) *Result {
	t.Helper()
	r, err := imageref.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageref.Open(context.Background(), r, imageref.Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	res, err := Analyze(context.Background(), img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func byPath(res *Result) map[string]datasets.ImageFileRow {
	m := map[string]datasets.ImageFileRow{}
	for _, f := range res.Files {
		m[f.Path] = f
	}
	return m
}

// TestLayeredImage analyses a three-layer image served by a registry:
// packages are attributed to the layers that added and last changed them,
// a package removed by a later layer (whiteouts) is gone with its files,
// and a conffile edited in a layer is modified against its package.
func TestLayeredImage(t *testing.T) {
	img := layeredImage(t)
	host := imagereftest.Serve(t, map[string]v1.Image{"library/app:1": img})
	res := analyze(t, "registry:"+host+"/library/app:1")

	diffIDs := make([]string, 3)
	layers, _ := img.Layers()
	for i, l := range layers {
		d, _ := l.DiffID()
		diffIDs[i] = d.String()
	}
	got := map[string]datasets.ImagePackageRow{}
	for _, p := range res.Packages {
		got[p.Package] = p
	}
	if len(got) != 2 {
		t.Fatalf("packages %v, want a and c (b was removed by layer 2)", got)
	}
	for _, w := range []struct {
		name, version string
		first, last   int32
	}{{"alpha", "2.0", 0, 2}, {"gamma", "1.0", 1, 1}} {
		p := got[w.name]
		if p.Version != w.version || p.FirstLayer != w.first || p.LastLayer != w.last ||
			p.FirstLayerDigest != diffIDs[w.first] || p.LastLayerDigest != diffIDs[w.last] {
			t.Errorf("%s = %+v, want version %s, layers %d..%d (%s..%s)", w.name, p, w.version, w.first, w.last, diffIDs[w.first], diffIDs[w.last])
		}
	}
	files := byPath(res)
	if _, ok := files["/usr/bin/b"]; ok {
		t.Errorf("/usr/bin/b of the removed package is reported: %+v", files["/usr/bin/b"])
	}
	for path, want := range map[string]struct {
		state   string
		layer   int32
		config  bool
		pkgName string
	}{
		"/usr/bin/a":    {datasets.StateUnchanged, 2, false, "alpha"},
		"/usr/bin/c":    {datasets.StateUnchanged, 1, false, "gamma"},
		"/etc/a.conf":   {datasets.StateModified, 2, true, "alpha"},
		"/etc/hostname": {datasets.StateNotOwned, 0, false, ""},
	} {
		f, ok := files[path]
		if !ok || f.State != want.state || f.Layer != want.layer || f.Config != want.config || f.Package != want.pkgName {
			t.Errorf("%s = %+v, want state %s, layer %d, config %v, package %q", path, f, want.state, want.layer, want.config, want.pkgName)
		}
	}
	if conf := files["/etc/a.conf"]; conf.Expected != "md5:"+md5hex("default=1\n") || conf.SHA256 == "" {
		t.Errorf("/etc/a.conf expected %q sha256 %q", conf.Expected, conf.SHA256)
	}
	s := res.Summary
	if s.Layers != 3 || s.OSID != "debian" || s.Codename != "bookworm" || s.Packages != 2 || s.Modified != 1 || s.ConfigChanged != 1 ||
		s.NotOwned == 0 || s.Identity == "" || !strings.HasPrefix(res.Key, strings.Replace(s.Identity, ":", "-", 1)) {
		t.Errorf("summary %+v (key %s)", s, res.Key)
	}
	if res.Partition.Distro != "debian" || res.Partition.Release != "bookworm" {
		t.Errorf("partition %+v", res.Partition)
	}
}

// TestSourcesAgree writes the image's final tree to a directory and to a
// tarball (by GNU tar) and checks that dir: and file: give the same files
// and packages as the layered image did, layers apart.
func TestSourcesAgree(t *testing.T) {
	img := layeredImage(t)
	host := imagereftest.Serve(t, map[string]v1.Image{"library/app:1": img})
	want := analyze(t, "registry:"+host+"/library/app:1")

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	// Extract the flattened image with GNU tar, as a user would make a
	// root filesystem of it.
	flat := filepath.Join(dir, "flat.tar")
	rc := mutate.Extract(img)
	flatBytes, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(flat, flatBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-C", root, "-xf", flat).CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	tarball := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar -c: %v\n%s", err, out)
	}
	for _, ref := range []string{"dir:" + root, "file:" + tarball} {
		got := analyze(t, ref)
		if len(got.Packages) != len(want.Packages) {
			t.Fatalf("%s: %d packages, want %d", ref, len(got.Packages), len(want.Packages))
		}
		gf := byPath(got)
		for _, w := range want.Files {
			g, ok := gf[w.Path]
			if !ok || g.State != w.State || g.SHA256 != w.SHA256 || g.Type != w.Type || g.Package != w.Package || g.Config != w.Config {
				t.Errorf("%s: %s = %+v, want %+v", ref, w.Path, g, w)
			}
		}
		if len(gf) != len(want.Files) {
			t.Errorf("%s: %d files, want %d", ref, len(gf), len(want.Files))
		}
		if got.Summary.Layers != 1 || !strings.HasPrefix(got.Summary.Identity, "sha256:") {
			t.Errorf("%s: summary %+v", ref, got.Summary)
		}
	}
}
