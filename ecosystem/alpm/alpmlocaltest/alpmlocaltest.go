// Package alpmlocaltest builds real pacman root filesystems for tests:
// packages made by makepkg (run as an unprivileged user, as makepkg
// requires) and installed by pacman -U --root into a scratch root, and
// what pacman itself says of that root (pacman -Q, pacman -Qkk). The tests
// of alpm.Local and the shared file-state comparison check their results
// against these oracles. It knows nothing of the reader's types.
package alpmlocaltest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
)

// DBPath is the root-relative database path BuildRoot installs with
// (pacman's default), so that Local's input is ROOT/DBPath/local.
const DBPath = "var/lib/pacman"

// SourceDateEpoch is the build time makepkg gives every packaged file
// (SOURCE_DATE_EPOCH: 2024-01-05T00:00:00Z), so that mtimes are known.
const SourceDateEpoch = 1704412800

// nobody builds the packages: makepkg refuses to run as root.
const nobody = 65534

// PKGBUILD is the split package BuildRoot builds: a pkgbase other than
// the package names (%BASE%), an epoch, a backup=() configuration file, a
// symlink, a directory of its own mode and owner, a setuid file, a sticky
// directory and a name that mtree must escape.
const PKGBUILD = `pkgbase=dsfix-base
pkgname=(dsfix dsfix-doc)
pkgver=1.2
pkgrel=3
epoch=1
pkgdesc="distroscope local database fixture"
arch=(any)
license=(MIT)

package_dsfix() {
	backup=(etc/dsfix.conf etc/dsfix/extra.conf)
	install -Dm644 /dev/stdin "$pkgdir/etc/dsfix.conf" <<< 'verbose=0'
	install -Dm600 /dev/stdin "$pkgdir/etc/dsfix/extra.conf" <<< 'secret=1'
	install -Dm755 /dev/stdin "$pkgdir/usr/bin/dsfix" <<< '#!/bin/sh'
	install -Dm4755 /dev/stdin "$pkgdir/usr/bin/dsfix-suid" <<< 'suid'
	ln -s dsfix "$pkgdir/usr/bin/dsfix-link"
	install -dm750 "$pkgdir/var/lib/dsfix"
	chown 5:7 "$pkgdir/var/lib/dsfix"
	install -dm1777 "$pkgdir/var/spool/dsfix"
	install -Dm644 /dev/stdin "$pkgdir/usr/share/dsfix/with space\\x" <<< 'odd name'
}

package_dsfix-doc() {
	install -Dm644 /dev/stdin "$pkgdir/usr/share/doc/dsfix/README" <<< 'dsfix documentation'
}
`

// pacmanConf is all pacman -U needs: unsigned local packages.
const pacmanConf = "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n"

// BuildRoot builds PKGBUILD with makepkg and installs its packages with
// pacman -U --root into a new scratch root, which it returns. pacman's
// cache, log and configuration are kept outside the root, so the root
// holds the packages' files and the local database (ROOT/DBPath/local)
// only. It needs root (pacman -U) and skips — fails under CI — without
// pacman, makepkg or fakeroot.
func BuildRoot(t testing.TB) string {
	t.Helper()
	pacman := testenv.Require(t, testenv.Pacman)
	makepkg := testenv.Require(t, testenv.Makepkg)
	testenv.Require(t, testenv.Fakeroot)
	if os.Geteuid() != 0 {
		testenv.Missing(t, testenv.Pacman, errors.New("pacman -U --root must run as root"))
	}

	// makepkg runs as nobody, who must reach and write its folders:
	// t.TempDir's are private to root.
	work, err := os.MkdirTemp("", "alpmlocaltest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	build := filepath.Join(work, "build")
	for _, d := range []string{build, filepath.Join(work, "pkgs"), filepath.Join(work, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(build, "PKGBUILD"), []byte(PKGBUILD), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(work, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(makepkg, "--nodeps", "--skipinteg", "--noconfirm", "--nocolor")
	cmd.Dir = build
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(work, "home"),
		"PKGDEST=" + filepath.Join(work, "pkgs"),
		"SRCDEST=" + filepath.Join(work, "src"),
		"BUILDDIR=" + filepath.Join(work, "makepkg"),
		"PKGEXT=.pkg.tar.gz",
		"PACKAGER=distroscope fixtures <fixtures@example.org>",
		"SOURCE_DATE_EPOCH=" + strconv.Itoa(SourceDateEpoch),
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("alpmlocaltest: makepkg: %v\n%s", err, out)
	}
	pkgs, err := filepath.Glob(filepath.Join(work, "pkgs", "*.pkg.tar.gz"))
	if err != nil || len(pkgs) != 2 {
		t.Fatalf("alpmlocaltest: makepkg made %v (%v), want two packages", pkgs, err)
	}

	root := filepath.Join(work, "root")
	if err := os.MkdirAll(filepath.Join(root, DBPath), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(work, "pacman.conf")
	if err := os.WriteFile(conf, []byte(pacmanConf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-U", "--noconfirm", "--nodeps", "--nodeps", "--noscriptlet",
		"--root", root, "--dbpath", filepath.Join(root, DBPath), "--config", conf,
		"--cachedir", filepath.Join(work, "cache"), "--logfile", filepath.Join(work, "pacman.log"),
		"--gpgdir", filepath.Join(work, "gnupg")}, pkgs...)
	if out, err := exec.Command(pacman, args...).CombinedOutput(); err != nil {
		t.Fatalf("alpmlocaltest: pacman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return root
}

// queryArgs are the options that point pacman at root's database.
func queryArgs(root string) []string {
	return []string{"--root", root, "--dbpath", filepath.Join(root, DBPath), "--config", "/dev/null"}
}

// Query is pacman -Q of root: "name version" per installed package, in
// pacman's order (by name).
func Query(t testing.TB, root string) []string {
	t.Helper()
	pacman := testenv.Require(t, testenv.Pacman)
	out, err := exec.Command(pacman, append(queryArgs(root), "-Q")...).Output()
	if err != nil {
		t.Fatalf("alpmlocaltest: pacman -Q: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// CheckLine is one problem pacman -Qkk reports of one file.
type CheckLine struct {
	Package string
	Path    string // absolute inside the root: "/etc/dsfix.conf"
	// Problem is pacman's own words: "No such file or directory", "File
	// type mismatch", "Permissions mismatch", "UID mismatch", "GID
	// mismatch", "Symlink path mismatch", "Modification time mismatch",
	// "Size mismatch", "MD5 checksum mismatch", "SHA256 checksum mismatch".
	Problem string
	// Backup marks a problem of a %BACKUP% file that a modified
	// configuration file is expected to have (mtime, size, digests):
	// pacman reports those as "backup file:" and does not count them as
	// alterations. A backup file's other problems (permissions, owner,
	// type, a missing file) are plain warnings.
	Backup bool
}

// Qkk runs pacman -Qkk on root and parses every line about a file, in
// pacman's order; its exit status (1 when a file is altered) is not an
// error. Lines it cannot parse fail the test, so a change of pacman's
// output is noticed rather than read as "no problems".
func Qkk(t testing.TB, root string) []CheckLine {
	t.Helper()
	pacman := testenv.Require(t, testenv.Pacman)
	cmd := exec.Command(pacman, append(queryArgs(root), "-Qkk")...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("alpmlocaltest: pacman -Qkk: %v\n%s", err, out.String())
		}
	}
	var lines []CheckLine
	for _, line := range strings.Split(out.String(), "\n") {
		if line == "" || strings.Contains(line, " total files, ") {
			continue
		}
		var c CheckLine
		rest, ok := strings.CutPrefix(line, "warning: ")
		if !ok {
			rest, ok = strings.CutPrefix(line, "backup file: ")
			c.Backup = ok
		}
		var path string
		if ok {
			c.Package, path, ok = strings.Cut(rest, ": ")
		}
		open := strings.LastIndex(path, " (")
		if !ok || open < 0 || !strings.HasSuffix(path, ")") {
			t.Fatalf("alpmlocaltest: pacman -Qkk line %q is not \"warning: pkg: path (problem)\"", line)
		}
		c.Problem = path[open+2 : len(path)-1]
		rel, err := filepath.Rel(root, path[:open])
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("alpmlocaltest: pacman -Qkk line %q names a path outside %s", line, root)
		}
		c.Path = "/" + rel
		lines = append(lines, c)
	}
	return lines
}

// ReadLocal reads root's local database as alpm.Local takes it: package
// directory → file name → bytes. Entries that are not directories (the
// ALPM_DB_VERSION file) are left out.
func ReadLocal(t testing.TB, root string) map[string]map[string][]byte {
	t.Helper()
	dir := filepath.Join(root, DBPath, "local")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	db := map[string]map[string][]byte{}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		db[e.Name()] = map[string][]byte{}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(dir, e.Name(), f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			db[e.Name()][f.Name()] = b
		}
	}
	if len(db) == 0 {
		t.Fatalf("alpmlocaltest: no package in %s", dir)
	}
	return db
}

// Sorted returns the lines sorted, for comparing sets of CheckLine.
func Sorted(lines []CheckLine) []CheckLine {
	s := slices.Clone(lines)
	slices.SortFunc(s, func(a, b CheckLine) int {
		return strings.Compare(a.Package+"\x00"+a.Path+"\x00"+a.Problem, b.Package+"\x00"+b.Path+"\x00"+b.Problem)
	})
	return s
}
