// Package rootfstest gives tests real Debian root filesystems and the
// answers of the real tools about them: a minbase tree made by
// debootstrap(8), what `dpkg-query -W` and `dpkg --verify` say in a chroot
// of it, and what ucf(1) recorded. The installed-package readers and the
// image analysis are checked against these, never against expectations
// written by hand.
//
// A tree is built once per suite and kept under the module's
// .cache/rootfs/SUITE-minbase, with SUITE-minbase.complete beside it once
// debootstrap succeeded (a tree without it is rebuilt). A cold build on
// this project's 2-core machine, most of it downloading from the mirror
// and unpacking: bookworm 1 min 56 s, trixie 1 min 49 s alone and 4 min
// 25 s while other test binaries ran (plain minbase, without ucf: bookworm
// 2 min 9 s). Later runs find it at once. It is shared, so a test that
// changes files works on a Copy.
//
// debootstrap and chroot need root; without it, or without debootstrap or
// a mirror, tests skip — and fail under CI (internal/testenv).
package rootfstest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distroscope/distroscope/internal/testenv"
)

// Suites are the suites the tests build trees of. The archive keyring
// Debian's debootstrap uses (/usr/share/keyrings/debian-archive-keyring.gpg
// of debian-archive-keyring 2023.3+deb12u2) verifies both: it holds the
// trixie archive keys beside bookworm's.
var Suites = []string{"bookworm", "trixie"}

// Include are the packages added to minbase (debootstrap adds their
// dependencies): ucf, so that a test can make a file ucf manages with the
// real ucf (minbase has none), and openssh-server, whose sshd_config is
// the setting every comparison of images is asked about first and whose
// sshd -T is the oracle of the settings probe. A cached tree built with
// another list is built again (the marker's first line records it).
var Include = []string{"ucf", "openssh-server"}

// buildTimeout bounds one debootstrap run: a cold build took about two
// minutes here; a mirror that stalls must not hold the test binary.
const buildTimeout = 20 * time.Minute

// Debootstrap returns the root of a Debian minbase tree of suite (plus
// Include), building it with `debootstrap --variant=minbase` from the
// machine's apt mirror when the cache has no complete one. The tree is
// shared by every test and test binary: do not change it (see Copy).
func Debootstrap(t testing.TB, suite string) string {
	t.Helper()
	// Root first: reading the tree's database needs none, but every test
	// of a tree runs dpkg in a chroot of it.
	requireRoot(t, testenv.Debootstrap)
	cache, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(cache, suite+"-minbase")
	marker := root + ".complete"
	unlock, err := lock(root + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if b, err := os.ReadFile(marker); err == nil && strings.HasPrefix(string(b), buildLine(suite)+"\n") {
		return root
	}
	// Only a build needs debootstrap and the mirror: a cached tree serves
	// offline.
	debootstrap := testenv.Require(t, testenv.Debootstrap)
	mirror := testenv.Require(t, testenv.AptMirror)
	keyring := testenv.Require(t, testenv.DebianKeys)
	// A tree without its marker is what a killed build left: start over.
	if err := os.RemoveAll(root); err != nil {
		t.Fatalf("rootfstest: removing the incomplete %s: %v", root, err)
	}
	tmp := root + ".building"
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, debootstrap, "--variant=minbase", "--include="+strings.Join(Include, ","),
		"--keyring="+keyring, suite, tmp, mirror)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rootfstest: debootstrap %s from %s: %v\n%s", suite, mirror, err, tail(out, 40))
	}
	if err := os.Rename(tmp, root); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start).Round(time.Second)
	note := fmt.Sprintf("%s\nmirror %s\nbuilt %s in %s\n", buildLine(suite), mirror, time.Now().UTC().Format(time.RFC3339), took)
	if err := os.WriteFile(marker, []byte(note), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("rootfstest: built %s in %s", root, took)
	return root
}

// buildLine is the marker's first line: what the cached tree was built
// with, so that a change of Include builds it again.
func buildLine(suite string) string {
	return fmt.Sprintf("debootstrap --variant=minbase --include=%s %s", strings.Join(Include, ","), suite)
}

// Copy returns a copy of the tree at root in a directory of t's, for a
// test that changes files. `cp -a` keeps owners, modes, links and times.
func Copy(t testing.TB, root string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", root, dst).CombinedOutput(); err != nil {
		t.Fatalf("rootfstest: cp -a %s: %v\n%s", root, err, out)
	}
	return dst
}

// requireRoot skips (fails under CI) when the test does not run as root,
// which debootstrap and chroot need.
func requireRoot(t testing.TB, need testenv.Need) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, need, errors.New("debootstrap and chroot need root (run the tests as root, as `go tool task test` does in CI)"))
	}
}

// cacheDir is the module's .cache/rootfs, found from the test's working
// directory (a package directory inside the module).
func cacheDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(dir, ".cache", "rootfs")
			return c, os.MkdirAll(c, 0o755)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("rootfstest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// lock takes an exclusive lock on path: test binaries of several packages
// run at once and may ask for the same suite.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("rootfstest: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// Chroot runs name with args in a chroot of root (a Copy, when the command
// changes anything) and returns its standard output; t fails when it does
// not exit 0.
func Chroot(t testing.TB, root, name string, args ...string) []byte {
	t.Helper()
	return chroot(t, root, nil, name, args...)
}

// chroot runs name with args in a chroot of root and returns its output;
// exit codes other than 0 and okCodes fail t.
func chroot(t testing.TB, root string, okCodes []int, name string, args ...string) []byte {
	t.Helper()
	requireRoot(t, testenv.Debootstrap)
	cmd := exec.Command("chroot", append([]string{root, name}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		for _, c := range okCodes {
			if exit.ExitCode() == c {
				return out
			}
		}
	}
	if err != nil {
		t.Fatalf("rootfstest: chroot %s %s %s: %v\n%s", root, name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func tail(b []byte, lines int) []byte {
	all := bytes.Split(bytes.TrimRight(b, "\n"), []byte{'\n'})
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return bytes.Join(all, []byte{'\n'})
}

// Pkg is one line of `dpkg-query -W`.
type Pkg struct {
	Package       string
	Architecture  string
	Version       string
	Source        string // ${source:Package}: the Source field's name, or the package's own
	SourceVersion string // ${source:Version}: the Source field's version, or the package's own
	Status        string // ${Status}: "install ok installed"
}

// DpkgQuery returns what `dpkg-query -W` lists in a chroot of root: with
// no pattern, every package of the status file whose state is not
// "not-installed" (config-files ones included), in dpkg's order.
func DpkgQuery(t testing.TB, root string) []Pkg {
	t.Helper()
	out := chroot(t, root, nil, "dpkg-query", "-W",
		"-f", `${Package}\t${Architecture}\t${Version}\t${source:Package}\t${source:Version}\t${Status}\n`)
	var pkgs []Pkg
	for _, ln := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(ln, "\t")
		if len(f) != 6 {
			t.Fatalf("rootfstest: dpkg-query line %q has %d fields, want 6", ln, len(f))
		}
		pkgs = append(pkgs, Pkg{f[0], f[1], f[2], f[3], f[4], f[5]})
	}
	return pkgs
}

// VerifyLine is one line of `dpkg --verify` in its rpm format:
// "??5?????? c /etc/adduser.conf" or "missing   c /etc/bash.bashrc".
type VerifyLine struct {
	// Missing: the file is absent (or could not be looked at: Err says
	// why, when it is not simply absent).
	Missing bool
	// Checks are the nine result characters ("??5??????": the md5 differs;
	// dpkg checks nothing else), empty when Missing.
	Checks   string
	Conffile bool
	Path     string
	Err      string
}

// DpkgVerify returns what `dpkg --verify` reports in a chroot of root: a
// line per file whose md5 differs from the database's or that is missing.
// Only files with an md5 are checked (not directories, symlinks, or files
// of packages without md5sums); modes and owners are not. dpkg exits 0
// even when it reports files (1.21.22 in bookworm, 1.22.22 in trixie); 1
// is taken as well, should a later dpkg say "found differences" by it.
func DpkgVerify(t testing.TB, root string) []VerifyLine {
	t.Helper()
	out := chroot(t, root, []int{1}, "dpkg", "--verify", "--verify-format", "rpm")
	var lines []VerifyLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		ln := sc.Text()
		if len(ln) < 13 || ln[9] != ' ' || ln[11] != ' ' || (ln[10] != 'c' && ln[10] != ' ') {
			t.Fatalf("rootfstest: dpkg --verify line %q is not \"CHECKS c PATH\"", ln)
		}
		v := VerifyLine{Conffile: ln[10] == 'c', Path: ln[12:]}
		if strings.HasPrefix(ln, "missing ") {
			v.Missing = true
			if i := strings.LastIndex(v.Path, " ("); i >= 0 && strings.HasSuffix(v.Path, ")") {
				v.Path, v.Err = v.Path[:i], v.Path[i+2:len(v.Path)-1]
			}
		} else {
			v.Checks = ln[:9]
		}
		lines = append(lines, v)
	}
	return lines
}

// UCFMD5 returns the md5 ucf recorded for path in root's
// /var/lib/ucf/hashfile (the default it last installed there), failing t
// when ucf has none.
func UCFMD5(t testing.TB, root, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "var/lib/ucf/hashfile"))
	if err != nil {
		t.Fatalf("rootfstest: ucf hashfile: %v", err)
	}
	for _, ln := range strings.Split(string(data), "\n") {
		if f := strings.Fields(ln); len(f) == 2 && f[1] == path {
			return f[0]
		}
	}
	t.Fatalf("rootfstest: ucf's hashfile in %s has no %s", root, path)
	return ""
}

// UCFFile is what ucfq(1) says of one file.
type UCFFile struct {
	Package string // the package that registered it with ucfr; empty when none
	Exists  bool
	Changed bool // the file differs from the default ucf recorded
}

// UCFQuery returns what `ucfq --with-colons path` says in a chroot of root.
func UCFQuery(t testing.TB, root, path string) UCFFile {
	t.Helper()
	out := strings.TrimSpace(string(chroot(t, root, nil, "ucfq", "--with-colons", path)))
	f := strings.Split(out, ":")
	if len(f) != 4 || f[0] != path {
		t.Fatalf("rootfstest: ucfq %s said %q, want \"path:package:exists:changed\"", path, out)
	}
	return UCFFile{Package: f[1], Exists: f[2] == "Yes", Changed: f[3] == "Yes"}
}

// UCFInstall makes path a file ucf manages in root, as a package's
// maintainer script does: `ucf NEW path` installs content as the default
// (and records its md5 in ucf's hashfile), `ucfr pkg path` registers it to
// pkg. root must be a Copy.
func UCFInstall(t testing.TB, root, pkg, path string, content []byte) {
	t.Helper()
	src, err := os.CreateTemp(filepath.Join(root, "tmp"), "ucf-new-")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Write(content); err != nil {
		t.Fatal(err)
	}
	src.Close()
	defer os.Remove(src.Name())
	inRoot := "/tmp/" + filepath.Base(src.Name())
	chroot(t, root, nil, "ucf", "--debconf-ok", inRoot, path)
	chroot(t, root, nil, "ucfr", pkg, path)
}

// Append appends data to the file at path inside root (a Copy), through
// os.Root: the trees hold absolute symlinks (/usr/bin/which ->
// /etc/alternatives/which), and a plain open would follow them out of the
// tree into the host's own files.
func Append(t testing.TB, root, path string, data []byte) {
	t.Helper()
	r := openRoot(t, root)
	f, err := r.OpenFile(strings.TrimPrefix(path, "/"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatalf("rootfstest: append to %s: %v", path, err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// Remove removes the file at path inside root (a Copy), through os.Root.
func Remove(t testing.TB, root, path string) {
	t.Helper()
	if err := openRoot(t, root).Remove(strings.TrimPrefix(path, "/")); err != nil {
		t.Fatalf("rootfstest: remove %s: %v", path, err)
	}
}

// Chmod changes the mode of the file at path inside root (a Copy), through
// os.Root.
func Chmod(t testing.TB, root, path string, mode os.FileMode) {
	t.Helper()
	if err := openRoot(t, root).Chmod(strings.TrimPrefix(path, "/"), mode); err != nil {
		t.Fatalf("rootfstest: chmod %s: %v", path, err)
	}
}

func openRoot(t testing.TB, root string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// DpkgFiles returns what `dpkg-query -L` lists for each package of
// DpkgQuery in a chroot of root, keyed by "package:architecture": the
// paths of its .list without the "/." line and without dpkg's notes about
// diversions ("diverted by dash to: /usr/bin/sh.distrib").
func DpkgFiles(t testing.TB, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range DpkgQuery(t, root) {
		key := p.Package + ":" + p.Architecture
		var paths []string
		for _, ln := range strings.Split(string(chroot(t, root, nil, "dpkg-query", "-L", key)), "\n") {
			if strings.HasPrefix(ln, "/") && ln != "/." {
				paths = append(paths, ln)
			}
		}
		out[key] = paths
	}
	return out
}
