package deb

import (
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/installed"
	"github.com/distroscope/distroscope/internal/rootfstest"
)

// TestInstalledDebootstrap reads the databases of real minbase trees and
// checks them against dpkg in a chroot of the same tree: the package list
// is what `dpkg-query -W` lists, and every recorded digest is that of the
// file dpkg installed (dpkg --verify finds nothing in a fresh tree).
func TestInstalledDebootstrap(t *testing.T) {
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) {
			root := rootfstest.Debootstrap(t, suite)
			pkgs, err := Installed(readDB(t, root))
			if err != nil {
				t.Fatal(err)
			}
			var got, want []rootfstest.Pkg
			for _, p := range pkgs {
				sv := p.SourceVersion
				if sv == "" {
					sv = p.Version
				}
				got = append(got, rootfstest.Pkg{Package: p.Name, Architecture: p.Architecture, Version: p.Version,
					Source: p.Source, SourceVersion: sv, Status: "install ok installed"})
			}
			want = rootfstest.DpkgQuery(t, root)
			slices.SortFunc(got, func(a, b rootfstest.Pkg) int {
				return strings.Compare(a.Package+":"+a.Architecture, b.Package+":"+b.Architecture)
			})
			slices.SortFunc(want, func(a, b rootfstest.Pkg) int {
				return strings.Compare(a.Package+":"+a.Architecture, b.Package+":"+b.Architecture)
			})
			if !slices.Equal(got, want) {
				t.Fatalf("Installed and dpkg-query -W differ:\n got %+v\nwant %+v", got, want)
			}

			// Ownership: a package's paths are what dpkg-query -L lists (a
			// Ghost conffile is not shipped, so not in its .list; a file ucf
			// manages, openssh-server's sshd_config, is the package's by
			// ucf's registry, not dpkg's).
			listed := rootfstest.DpkgFiles(t, root)
			ucf := 0
			for _, p := range pkgs {
				var paths []string
				for _, f := range p.Files {
					if f.Managed == "ucf" {
						ucf++
						if got := rootfstest.UCFQuery(t, root, f.Path).Package; got != p.Name {
							t.Errorf("%s: ucf registers %s to %q", p.Key(), f.Path, got)
						}
						continue
					}
					if !f.Ghost {
						paths = append(paths, f.Path)
					}
				}
				want := listed[p.Key()]
				slices.Sort(paths)
				slices.Sort(want)
				if !slices.Equal(paths, want) {
					t.Errorf("%s owns %d paths, dpkg-query -L lists %d", p.Key(), len(paths), len(want))
				}
			}

			var digests, conffiles int
			for _, p := range pkgs {
				for _, f := range p.Files {
					if f.Config {
						conffiles++
					}
					if f.Digest.IsZero() || f.Ghost {
						continue
					}
					digests++
					if sum, ok := fileMD5(t, root, f.Path); !ok || sum != f.Digest.Hex {
						t.Errorf("%s %s: md5 %s (present %v), recorded %s", p.Name, f.Path, sum, ok, f.Digest.Hex)
					}
				}
			}
			t.Logf("%d packages, %d files with a digest, %d conffiles", len(pkgs), digests, conffiles)
			if digests < 1000 || conffiles < 40 {
				t.Errorf("only %d digests and %d conffiles in a minbase tree", digests, conffiles)
			}
			if ucf != 1 {
				t.Errorf("%d files managed by ucf, want openssh-server's sshd_config", ucf)
			}
			if v := rootfstest.DpkgVerify(t, root); len(v) != 0 {
				t.Errorf("dpkg --verify finds %+v in the fresh tree", v)
			}
		})
	}
}

// TestInstalledStatesMatchDpkgVerify changes conffiles and a non-conffile
// of a copy of each tree, and checks that what the records predict — a
// file with a digest is missing, or its md5 differs — is line for line
// what dpkg --verify reports in a chroot of the copy. A diverted file is
// looked for at its diverted-to name, as dpkg does.
func TestInstalledStatesMatchDpkgVerify(t *testing.T) {
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) {
			root := rootfstest.Copy(t, rootfstest.Debootstrap(t, suite))
			rootfstest.Append(t, root, "/etc/debconf.conf", []byte("# changed\n"))
			rootfstest.Append(t, root, "/etc/debian_version", []byte("x"))
			rootfstest.Remove(t, root, "/etc/bash.bashrc")
			rootfstest.Chmod(t, root, "/etc/login.defs", 0o600) // dpkg records no modes
			rootfstest.Append(t, root, "/usr/bin/tac", []byte{0})
			rootfstest.Chroot(t, root, "dpkg-divert", "--local", "--rename", "--add", "/usr/bin/cut")
			rootfstest.Remove(t, root, "/usr/bin/cut.distrib")

			pkgs, err := Installed(readDB(t, root))
			if err != nil {
				t.Fatal(err)
			}
			var predicted []rootfstest.VerifyLine
			for _, p := range pkgs {
				for _, f := range p.Files {
					if f.Digest.IsZero() || f.Ghost || f.Managed != "" {
						continue
					}
					sum, ok := fileMD5(t, root, f.Path)
					switch {
					case !ok:
						predicted = append(predicted, rootfstest.VerifyLine{Missing: true, Conffile: f.Config, Path: f.Path})
					case sum != f.Digest.Hex:
						predicted = append(predicted, rootfstest.VerifyLine{Checks: "??5??????", Conffile: f.Config, Path: f.Path})
					}
				}
			}
			reported := rootfstest.DpkgVerify(t, root)
			byPath := func(a, b rootfstest.VerifyLine) int { return strings.Compare(a.Path, b.Path) }
			slices.SortFunc(predicted, byPath)
			slices.SortFunc(reported, byPath)
			if !slices.Equal(predicted, reported) {
				t.Fatalf("the records predict\n%+v\ndpkg --verify reports\n%+v", predicted, reported)
			}
			if len(reported) != 5 {
				t.Errorf("dpkg --verify reports %d files, want the 5 changed", len(reported))
			}

			// Where distroscope says more than dpkg: a diverted file whose
			// content changed. dpkg --verify looks for it at its diverted
			// name (above) but does not compare it; the record keeps the
			// package's digest, so the change is seen.
			rootfstest.Chroot(t, root, "dpkg-divert", "--local", "--rename", "--add", "/usr/bin/tr")
			rootfstest.Append(t, root, "/usr/bin/tr.distrib", []byte{0})
			if again := rootfstest.DpkgVerify(t, root); len(again) != len(reported) {
				t.Errorf("dpkg --verify now reports %+v: it compared a diverted file's content", again)
			}
			pkgs, err = Installed(readDB(t, root))
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(pkgs, func(p installed.Package) bool { return p.Name == "coreutils" })
			if f, ok := findFile(pkgs[i], "/usr/bin/tr.distrib"); !ok {
				t.Errorf("coreutils' diverted tr is not recorded at /usr/bin/tr.distrib")
			} else if sum, _ := fileMD5(t, root, f.Path); sum == f.Digest.Hex || f.Digest.IsZero() {
				t.Errorf("the changed diverted tr has md5 %s, recorded %q: the change is not seen", sum, f.Digest.Hex)
			}
		})
	}
}

// TestInstalledUCFFile makes a file ucf manages with the real ucf in a
// copy of a tree, and checks that its record carries ucf's hash: equal to
// the file as ucf installed it, different once it is changed — as ucfq
// says.
func TestInstalledUCFFile(t *testing.T) {
	root := rootfstest.Copy(t, rootfstest.Debootstrap(t, "trixie"))
	const path = "/etc/distroscope-ucf.conf"
	rootfstest.UCFInstall(t, root, "ucf", path, []byte("answer = 42\n"))
	record := func() installed.File {
		pkgs, err := Installed(readDB(t, root))
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(pkgs, func(p installed.Package) bool { return p.Name == "ucf" })
		if i < 0 {
			t.Fatal("no ucf package")
		}
		f, ok := findFile(pkgs[i], path)
		if !ok {
			t.Fatalf("ucf does not own %s: %+v", path, pkgs[i].Files)
		}
		return f
	}
	f := record()
	if !f.Config || f.Managed != "ucf" || f.Digest != md5Of(rootfstest.UCFMD5(t, root, path)) {
		t.Fatalf("record %+v, want a ucf-managed conffile with ucf's md5", f)
	}
	if sum, _ := fileMD5(t, root, path); sum != f.Digest.Hex || rootfstest.UCFQuery(t, root, path).Changed {
		t.Fatalf("a fresh ucf file: md5 %s, record %s, ucfq %+v", sum, f.Digest.Hex, rootfstest.UCFQuery(t, root, path))
	}
	rootfstest.Append(t, root, path, []byte("answer = 43\n"))
	if sum, _ := fileMD5(t, root, path); sum == record().Digest.Hex || !rootfstest.UCFQuery(t, root, path).Changed {
		t.Fatalf("a changed ucf file: md5 %s, record %s, ucfq %+v", sum, f.Digest.Hex, rootfstest.UCFQuery(t, root, path))
	}
}

// fileMD5 is the md5 of the file at p inside root, opened as a chroot
// would (symlinks resolved inside the tree); ok is false when it does not
// exist.
func fileMD5(t *testing.T, root, p string) (sum string, ok bool) {
	t.Helper()
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	name := strings.TrimPrefix(p, "/")
	for range 16 {
		fi, err := r.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		// os.Root refuses absolute links (/usr/bin/which ->
		// /etc/alternatives/which): resolve them against the tree.
		target, err := r.Readlink(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(target, "/") {
			name = strings.TrimPrefix(target, "/")
		} else {
			name = strings.TrimPrefix(dirOf(name)+"/"+target, "/")
		}
	}
	f, err := r.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), true
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// BenchmarkInstalled reads the dpkg database of a bookworm minbase tree
// (90 packages, about 6,000 owned paths) from memory into records: the
// dpkg part of the image analysis, without its I/O.
func BenchmarkInstalled(b *testing.B) {
	db := readDB(b, rootfstest.Debootstrap(b, "bookworm"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Installed(db); err != nil {
			b.Fatal(err)
		}
	}
}
