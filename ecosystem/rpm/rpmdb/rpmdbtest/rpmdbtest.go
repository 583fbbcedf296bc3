// Package rpmdbtest builds a real rpm database for the tests of the rpm
// installed-package reader and of the file-state comparison: it rpmbuilds
// a few tiny packages that use what the reader maps (%config,
// %config(noreplace), %ghost, %verify, a symlink, a setuid file, a
// directory, an epoch, subpackages of one source rpm, a header past one
// Berkeley DB page, a %doc file), installs them into a scratch root with
// Debian's rpm, and reads rpm's own answers (rpm -qa, rpm -q --qf, rpm
// -Va) as the oracles. It knows nothing of the reader's types, so both can use it.
package rpmdbtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
)

// DBPath is where BuildRoot's database lives inside the root: rpm's
// default on Debian and on Fedora before 36 (later ones use
// /usr/lib/sysimage/rpm, with a symlink from here).
const DBPath = "/var/lib/rpm"

// Specs are the spec files BuildRoot builds, by file name. dsc makes two
// binary packages from one source rpm (dsc and dsc-libs) and has an epoch;
// dsc-big's description makes its header span two 4 KiB pages.
var Specs = map[string]string{
	"dsc.spec": `Name: dsc
Epoch: 2
Version: 1.0
Release: 3
Summary: distroscope rpmdb fixture
License: MIT
BuildArch: noarch

%description
A package of the distroscope rpm database tests.

%package libs
Summary: the library half
%description libs
A subpackage, so two binary packages share one source rpm.

%install
mkdir -p %{buildroot}/usr/share/doc/dsc %{buildroot}/etc/dsc %{buildroot}/usr/bin %{buildroot}/usr/share/dsc %{buildroot}/var/log %{buildroot}/var/lib/dsc %{buildroot}/usr/lib/dsc
printf 'setting = 1\n' > %{buildroot}/etc/dsc/base.conf
printf 'keep = yes\n' > %{buildroot}/etc/dsc/keep.conf
printf '#!/bin/sh\necho dsc\n' > %{buildroot}/usr/bin/dsc-tool
printf 'data\n' > %{buildroot}/usr/share/dsc/data.txt
ln -s data.txt %{buildroot}/usr/share/dsc/link
printf 'state\n' > %{buildroot}/var/lib/dsc/state
touch %{buildroot}/var/log/dsc.log
printf 'lib\n' > %{buildroot}/usr/lib/dsc/libdsc.txt
printf 'read me\n' > %{buildroot}/usr/share/doc/dsc/README

%files
%config /etc/dsc/base.conf
%config(noreplace) /etc/dsc/keep.conf
%attr(4755, root, root) /usr/bin/dsc-tool
%dir /usr/share/dsc
/usr/share/dsc/data.txt
/usr/share/dsc/link
%ghost /var/log/dsc.log
%verify(not md5 size mtime) /var/lib/dsc/state
%attr(0640, root, root) %doc /usr/share/doc/dsc/README

%files libs
/usr/lib/dsc
`,
	"dsc-big.spec": `Name: dsc-big
Version: 0.9.1
Release: 1.fc40
Summary: distroscope rpmdb fixture with a large header
License: MIT
BuildArch: noarch

%description
` + strings.Repeat("A header larger than a Berkeley DB page, so that it is stored on a chain of overflow pages.\n", 80) + `
%install
mkdir -p %{buildroot}/usr/share/dsc-big
for i in 1 2 3; do printf 'file %s\n' $i > %{buildroot}/usr/share/dsc-big/file-$i.txt; done

%files
/usr/share/dsc-big
`,
}

// BuildRoot rpmbuilds Specs and installs the packages into a new scratch
// root (a t.TempDir) with `rpm --root ROOT --dbpath /var/lib/rpm
// --excludedocs` — as container images are installed, so the %doc file is
// recorded but not installed, and rpm -V skips it: the database is rpm's
// default backend (sqlite on Debian's rpm 4.18) at ROOT/var/lib/rpm. It
// needs rpm and rpmbuild (testenv.RPM, testenv.Rpmbuild) and root, for the
// owners and the setuid bit. It also imports a key (rpm --import), which
// rpm records as a gpg-pubkey pseudo-package.
func BuildRoot(t testing.TB) string {
	t.Helper()
	rpmPath := testenv.Require(t, testenv.RPM)
	rpmbuild := testenv.Require(t, testenv.Rpmbuild)
	if os.Geteuid() != 0 {
		testenv.Missing(t, testenv.RPM, fmt.Errorf("installing into a root with rpm --root needs root (uid %d)", os.Geteuid()))
	}
	top := t.TempDir()
	root := t.TempDir()
	for name, spec := range Specs {
		path := filepath.Join(top, name)
		if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, rpmbuild, "--define", "_topdir "+top, "--define", "_build_id_links none",
			"--define", "_buildhost distroscope.test", "--quiet", "-bb", path)
	}
	rpms, err := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if err != nil || len(rpms) == 0 {
		t.Fatalf("rpmdbtest: rpmbuild made no packages under %s (%v)", top, err)
	}
	run(t, rpmPath, "--root", root, "--dbpath", DBPath, "--initdb")
	run(t, rpmPath, append([]string{"--root", root, "--dbpath", DBPath, "--nodeps", "--ignorearch", "--excludedocs", "-i"}, rpms...)...)
	// A trusted key, as every distribution image has: rpm keeps it as a
	// gpg-pubkey pseudo-package that rpm -qa lists.
	run(t, rpmPath, "--root", root, "--dbpath", DBPath, "--import", signingKey(t))
	return root
}

// signingKey is the rpm fixture repository's public key
// (ecosystem/rpm/testdata/fixture-signing-key.asc).
func signingKey(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("rpmdbtest: cannot locate its own source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "fixture-signing-key.asc")
}

// DBDir is the absolute path of the database BuildRoot made in root.
func DBDir(root string) string { return filepath.Join(root, DBPath) }

// Query runs `rpm --root ROOT --dbpath /var/lib/rpm -qa --qf FORMAT`
// and returns its output: the oracle for what the reader maps.
func Query(t testing.TB, root, format string, args ...string) string {
	t.Helper()
	rpmPath := testenv.Require(t, testenv.RPM)
	return run(t, rpmPath, append([]string{"--root", root, "--dbpath", DBPath, "--qf", format}, args...)...)
}

// VerifyLine is one line of rpm -Va: a file that differs from its package.
type VerifyLine struct {
	// Flags is rpm's nine-letter result ("S.5....T.": Size, Mode,
	// digest (5), Device, Link, User, Group, mTime, capabilities; '.' for
	// a check passed, '?' for one that could not be made), or "missing".
	Flags string
	// Marker is rpm's file attribute letter: 'c' %config, 'd' %doc, 'g'
	// %ghost, 'l' %license, 'r' %readme; 0 for none.
	Marker byte
	Path   string
}

// Missing reports whether rpm found the file absent.
func (l VerifyLine) Missing() bool { return l.Flags == "missing" }

// Config reports whether the file is a %config file.
func (l VerifyLine) Config() bool { return l.Marker == 'c' }

// Verify runs `rpm --root ROOT --dbpath /var/lib/rpm -Va` and parses its
// lines. rpm exits 1 when a file differs, which is not a failure here;
// lines that are not file results (a dependency problem, say) are skipped.
func Verify(t testing.TB, root string) []VerifyLine {
	t.Helper()
	rpmPath := testenv.Require(t, testenv.RPM)
	cmd := exec.Command(rpmPath, "--root", root, "--dbpath", DBPath, "--nodeps", "-Va")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("rpmdbtest: rpm -Va: %v: %s", err, stderr.String())
		}
	}
	return ParseVerify(stdout.String())
}

// ParseVerify parses rpm -V output: "FLAGS  M PATH" lines, where M is an
// attribute letter or a space.
func ParseVerify(out string) []VerifyLine {
	var lines []VerifyLine
	for _, line := range strings.Split(out, "\n") {
		flags, rest, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || (flags != "missing" && len(flags) != 9) {
			continue
		}
		rest = strings.TrimLeft(rest, " ")
		l := VerifyLine{Flags: flags}
		if !strings.HasPrefix(rest, "/") {
			if len(rest) < 3 || rest[1] != ' ' {
				continue
			}
			l.Marker, rest = rest[0], strings.TrimLeft(rest[2:], " ")
		}
		if !strings.HasPrefix(rest, "/") {
			continue
		}
		l.Path = rest
		lines = append(lines, l)
	}
	return lines
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rpmdbtest: %s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}
