package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/alpm/alpmlocaltest"
	"github.com/distroscope/distroscope/ecosystem/rpm/rpmdb/rpmdbtest"
	"github.com/distroscope/distroscope/internal/rootfstest"
)

// states are a result's files of one ecosystem whose state is not
// unchanged, path to state, with ok deciding which rows count.
func states(res *Result, ok func(datasets.ImageFileRow) bool) map[string]string {
	m := map[string]string{}
	for _, f := range res.Files {
		if f.State != datasets.StateUnchanged && f.State != datasets.StateNotOwned && ok(f) {
			m[f.Path] = f.State
		}
	}
	return m
}

func diffStates(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var paths []string
	for p := range got {
		paths = append(paths, p)
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		if got[p] != want[p] {
			t.Errorf("%s: %s is %q, the real tool says %q", what, p, got[p], want[p])
		}
	}
}

// TestDebootstrapTrees analyses real Debian minbase root filesystems made
// by debootstrap, after the test edits, deletes and re-modes conffiles
// and a non-conffile and changes a file ucf manages: the packages equal
// what dpkg-query -W lists in a chroot of the tree, the states of every
// file with a recorded digest equal what dpkg --verify reports there, and
// the ucf file is reported against ucf's own hash.
func TestDebootstrapTrees(t *testing.T) {
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) {
			root := rootfstest.Copy(t, rootfstest.Debootstrap(t, suite))
			const ucfFile = "/etc/distroscope-ucf.conf"
			rootfstest.UCFInstall(t, root, "ucf", ucfFile, []byte("# a default ucf installed\nkey = 1\n"))
			rootfstest.Append(t, root, ucfFile, []byte("key = 2\n"))
			rootfstest.Append(t, root, "/etc/bash.bashrc", []byte("# edited\n"))     // conffile of bash
			rootfstest.Remove(t, root, "/etc/skel/.bashrc")                          // conffile of bash
			rootfstest.Chmod(t, root, "/etc/login.defs", 0o600)                      // conffile: dpkg records no mode
			rootfstest.Append(t, root, "/usr/share/base-files/motd", []byte("hi\n")) // not a conffile
			rootfstest.Remove(t, root, "/usr/share/base-files/dot.bashrc")           // not a conffile

			res := analyze(t, "dir:"+root)

			var want, got []string
			for _, p := range rootfstest.DpkgQuery(t, root) {
				want = append(want, p.Package+":"+p.Architecture+"="+p.Version)
			}
			for _, p := range res.Packages {
				got = append(got, p.Package+":"+p.Architecture+"="+p.Version)
			}
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("packages differ from dpkg-query -W:\n got %v\nwant %v", got, want)
			}

			oracle := map[string]string{}
			for _, v := range rootfstest.DpkgVerify(t, root) {
				switch {
				case v.Missing:
					oracle[v.Path] = datasets.StateDeleted
				case strings.Contains(v.Checks, "5"):
					oracle[v.Path] = datasets.StateModified
				}
			}
			if len(oracle) < 4 {
				t.Fatalf("dpkg --verify reports %v: the test's changes did not take", oracle)
			}
			// dpkg --verify checks the files it has a digest of; so does
			// the comparison, and the rest must all be unchanged.
			diffStates(t, "dpkg --verify", states(res, func(f datasets.ImageFileRow) bool { return f.Managed == "" }), oracle)

			files := byPath(res)
			if f := files["/etc/login.defs"]; f.State != datasets.StateUnchanged || f.Mode != 0o600 || !f.Config {
				t.Errorf("/etc/login.defs = %+v, want unchanged (dpkg records no mode), mode 0600, a conffile", f)
			}
			u := files[ucfFile]
			if u.Managed != "ucf" || !u.Config || u.Package != "ucf" || u.State != datasets.StateModified ||
				u.Expected != "md5:"+rootfstest.UCFMD5(t, root, ucfFile) {
				t.Errorf("%s = %+v, want managed by ucf, registered to ucf, modified against ucf's md5 %s", ucfFile, u, rootfstest.UCFMD5(t, root, ucfFile))
			}
			if q := rootfstest.UCFQuery(t, root, ucfFile); !q.Changed {
				t.Errorf("ucfq says %s is unchanged: the test's edit did not take", ucfFile)
			}
			if res.Summary.OSID != "debian" || res.Partition.Release != suite || res.Summary.EtcFiles == 0 {
				t.Errorf("summary %+v, partition %+v", res.Summary, res.Partition)
			}

			if suite != rootfstest.Suites[0] {
				return
			}
			// The same tree as a tarball gives the same rows.
			tarball := filepath.Join(t.TempDir(), "rootfs.tar")
			if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
				t.Fatalf("tar: %v\n%s", err, out)
			}
			fromTar := analyze(t, "file:"+tarball)
			if !slices.EqualFunc(fromTar.Files, res.Files, equalRow) {
				tf := byPath(fromTar)
				n := 0
				for _, f := range res.Files {
					if g := tf[f.Path]; !equalRow(g, f) && n < 10 {
						t.Errorf("file: %s = %+v\n  dir: %+v", f.Path, g, f)
						n++
					}
				}
				if len(fromTar.Files) != len(res.Files) {
					t.Errorf("file: %d rows, dir: %d", len(fromTar.Files), len(res.Files))
				}
			}
		})
	}
}

func equalRow(a, b datasets.ImageFileRow) bool {
	return a.Path == b.Path && a.Type == b.Type && a.Mode == b.Mode && a.SHA256 == b.SHA256 && a.State == b.State &&
		a.Package == b.Package && slices.Equal(a.Owners, b.Owners) && slices.Equal(a.Changes, b.Changes)
}

// TestRPMRoot analyses a root whose rpm database Debian's rpm wrote, from
// packages rpmbuild made, after the test edits, re-modes, deletes and
// touches files: every state equals what rpm -Va reports on the same root.
func TestRPMRoot(t *testing.T) {
	root := rpmdbtest.BuildRoot(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(filepath.Join(root, "etc/dsc/base.conf"), os.O_APPEND|os.O_WRONLY, 0)
	must(err)
	_, err = f.WriteString("setting = 2\n")
	must(err)
	must(f.Close())
	must(os.Chmod(filepath.Join(root, "usr/bin/dsc-tool"), 0o755)) // drops setuid
	must(os.Remove(filepath.Join(root, "usr/share/dsc/data.txt")))
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	must(os.Chtimes(filepath.Join(root, "usr/lib/dsc/libdsc.txt"), old, old))
	must(os.Remove(filepath.Join(root, "usr/share/dsc/link")))
	must(os.Symlink("elsewhere", filepath.Join(root, "usr/share/dsc/link")))

	res := analyze(t, "dir:"+root)
	oracle := map[string]string{}
	for _, l := range rpmdbtest.Verify(t, root) {
		switch {
		case l.Missing():
			oracle[l.Path] = datasets.StateDeleted
		case strings.ContainsAny(l.Flags, "S5LD"):
			oracle[l.Path] = datasets.StateModified
		default:
			oracle[l.Path] = datasets.StateMetadataChanged
		}
	}
	if len(oracle) < 4 {
		t.Fatalf("rpm -Va reports %v: the test's changes did not take", oracle)
	}
	diffStates(t, "rpm -Va", states(res, func(f datasets.ImageFileRow) bool { return f.Ecosystem == "rpm" }), oracle)
	if len(res.Packages) == 0 || res.Summary.Ecosystems[0] != "rpm" {
		t.Errorf("packages %v, ecosystems %v", res.Packages, res.Summary.Ecosystems)
	}
}

// TestPacmanRoot analyses a root pacman -U installed packages makepkg
// built into, after the test changes files: every state equals what
// pacman -Qkk reports — except a backup file's content, which pacman
// leaves unchecked on purpose and distroscope compares with the md5 the
// package recorded (pacman's own test for writing a .pacnew).
func TestPacmanRoot(t *testing.T) {
	root := alpmlocaltest.BuildRoot(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "etc/dsfix.conf"), []byte("verbose=1\n"), 0o644)) // backup file
	must(os.Chmod(filepath.Join(root, "usr/bin/dsfix-suid"), 0o755))
	must(os.Remove(filepath.Join(root, "usr/share/doc/dsfix/README")))
	must(os.WriteFile(filepath.Join(root, "usr/bin/dsfix"), []byte("#!/bin/sh\necho changed\n"), 0o755))
	must(os.Lchown(filepath.Join(root, "var/lib/dsfix"), 0, 0))

	res := analyze(t, "dir:"+root)
	oracle := map[string]string{}
	for _, l := range alpmlocaltest.Qkk(t, root) {
		s := datasets.StateMetadataChanged
		switch l.Problem {
		case "No such file or directory":
			s = datasets.StateDeleted
		case "File type mismatch", "Symlink path mismatch", "Size mismatch", "MD5 checksum mismatch", "SHA256 checksum mismatch":
			s = datasets.StateModified
		}
		if l.Backup && s == datasets.StateModified {
			continue // pacman does not count a backup file's content; see below
		}
		if oracle[l.Path] != datasets.StateModified && oracle[l.Path] != datasets.StateDeleted {
			oracle[l.Path] = s
		}
	}
	oracle["/etc/dsfix.conf"] = datasets.StateModified // against %BACKUP%'s md5
	if len(oracle) < 4 {
		t.Fatalf("pacman -Qkk reports %v: the test's changes did not take", oracle)
	}
	diffStates(t, "pacman -Qkk", states(res, func(f datasets.ImageFileRow) bool { return f.Ecosystem == "alpm" }), oracle)
	if f := byPath(res)["/etc/dsfix.conf"]; !f.Config || !strings.HasPrefix(f.Expected, "md5:") {
		t.Errorf("/etc/dsfix.conf = %+v, want a backup (config) file with its md5", f)
	}
}
