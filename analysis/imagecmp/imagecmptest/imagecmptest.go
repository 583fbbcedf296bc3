// Package imagecmptest writes small root filesystems of other
// distributions for the tests of image comparisons: an Alpine-like tree
// with apk's installed database, a Fedora-like one whose rpm database
// Debian's rpm wrote from packages rpmbuild made, and an Arch-like one with
// pacman's local database — each with an os-release, a few configuration
// files and packages that the cross-distro rules pair with Debian's
// (zlib, openssl, bash, openssh) beside ones they cannot (busybox, dnf,
// pacman). The databases are written in their documented formats
// (apk-package(5)'s installed database, alpm-local-files(5)), or by the
// ecosystem's own tool (rpm), never by distroscope's readers.
package imagecmptest

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
)

// file is one path a fixture package installs.
type file struct {
	path, body string
	config     bool
}

// pkg is one fixture package.
type pkg struct {
	name, version, source, arch string
	files                       []file
}

// write creates root/rel with body.
func write(t testing.TB, root, rel, body string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// SshdConfig is the sshd_config each tree's openssh package installs:
// it sets PermitRootLogin on line 2.
const SshdConfig = "# fixture\nPermitRootLogin yes\nInclude /etc/ssh/sshd_config.d/*.conf\n"

// AlpinePackages are the packages Alpine writes, by name.
var alpinePackages = []pkg{
	{"musl", "1.2.5-r9", "musl", "x86_64", []file{{"lib/ld-musl-x86_64.so.1", "musl\n", false}}},
	{"busybox", "1.37.0-r12", "busybox", "x86_64", []file{{"bin/busybox", "busybox\n", false}, {"etc/securetty", "console\n", true}}},
	{"zlib", "1.3.1-r2", "zlib", "x86_64", []file{{"usr/lib/libz.so.1.3.1", "zlib\n", false}}},
	{"libcrypto3", "3.3.3-r0", "openssl", "x86_64", []file{{"usr/lib/libcrypto.so.3", "crypto\n", false}, {"etc/ssl/openssl.cnf", "# openssl\n", true}}},
	{"libssl3", "3.3.3-r0", "openssl", "x86_64", []file{{"usr/lib/libssl.so.3", "ssl\n", false}}},
	{"bash", "5.2.37-r0", "bash", "x86_64", []file{{"bin/bash", "bash\n", false}}},
	{"openssh-server-common", "9.9_p2-r0", "openssh", "x86_64", []file{{"etc/ssh/sshd_config", SshdConfig, true}}},
	{"openssh-server", "9.9_p2-r0", "openssh", "x86_64", []file{{"usr/sbin/sshd", "sshd\n", false}}},
}

// q1 is apk's Z: checksum: "Q1" and the base64 of the content's SHA-1.
func q1(s string) string {
	h := sha1.Sum([]byte(s))
	return "Q1" + base64.StdEncoding.EncodeToString(h[:])
}

// Alpine returns the root of an Alpine-like tree (os-release ID alpine,
// VERSION_ID 3.21.3): apk's lib/apk/db/installed lists the packages the
// tree holds, with each file's SHA-1 as apk records it, /etc/hostname and
// /etc/timezone are the image's own, and the files are unchanged.
func Alpine(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	var db strings.Builder
	for _, p := range alpinePackages {
		fmt.Fprintf(&db, "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:%s\nV:%s\nA:%s\nS:1000\nI:2000\nT:fixture\no:%s\n", p.name, p.version, p.arch, p.source)
		dir := ""
		for _, f := range p.files {
			write(t, root, f.path, f.body)
			if d := path.Dir(f.path); d != dir {
				fmt.Fprintf(&db, "F:%s\n", d)
				dir = d
			}
			fmt.Fprintf(&db, "R:%s\nZ:%s\n", path.Base(f.path), q1(f.body))
		}
		db.WriteString("\n")
	}
	write(t, root, "lib/apk/db/installed", db.String())
	write(t, root, "etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.3\nPRETTY_NAME=\"Alpine Linux v3.21\"\n")
	write(t, root, "etc/hostname", "alpine\n")
	write(t, root, "etc/timezone", "UTC\n")
	return root
}

// archPackages are the packages Arch writes. Arch's openssl is one
// package, its name the source's.
var archPackages = []pkg{
	{"filesystem", "2024.11.21-1", "filesystem", "x86_64", []file{{"etc/hostname", "arch\n", true}}},
	{"zlib", "1:1.3.1-2", "zlib", "x86_64", []file{{"usr/lib/libz.so.1.3.1", "zlib\n", false}}},
	{"openssl", "3.4.1-1", "openssl", "x86_64", []file{{"etc/ssl/openssl.cnf", "# openssl\n", true}, {"usr/lib/libssl.so.3", "ssl\n", false}}},
	{"bash", "5.2.037-2", "bash", "x86_64", []file{{"usr/bin/bash", "bash\n", false}}},
	{"openssh", "9.9p2-1", "openssh", "x86_64", []file{{"etc/ssh/sshd_config", SshdConfig, true}, {"usr/bin/sshd", "sshd\n", false}}},
	{"pacman", "7.0.0.r6.gc685ae6-2", "pacman", "x86_64", []file{{"etc/pacman.conf", "[options]\n", true}, {"usr/bin/pacman", "pacman\n", false}}},
}

// Arch returns the root of an Arch-like tree (os-release ID arch, no
// VERSION_ID: a rolling release): pacman's local database
// (var/lib/pacman/local/NAME-VERSION/{desc,files}, alpm-local-files(5))
// lists the packages, configuration files as %BACKUP% with their MD5.
func Arch(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	const local = "var/lib/pacman/local"
	write(t, root, local+"/ALPM_DB_VERSION", "9\n")
	for _, p := range archPackages {
		dir := local + "/" + p.name + "-" + p.version
		write(t, root, dir+"/desc", fmt.Sprintf("%%NAME%%\n%s\n\n%%VERSION%%\n%s\n\n%%BASE%%\n%s\n\n%%DESC%%\nfixture\n\n%%ARCH%%\n%s\n\n%%BUILDDATE%%\n1735689600\n\n%%INSTALLDATE%%\n1735689700\n\n%%SIZE%%\n100\n\n%%VALIDATION%%\nnone\n\n",
			p.name, p.version, p.source, p.arch))
		var paths []string
		var backup strings.Builder
		for _, f := range p.files {
			write(t, root, f.path, f.body)
			for d := path.Dir(f.path); d != "."; d = path.Dir(d) {
				if !slices.Contains(paths, d+"/") {
					paths = append(paths, d+"/")
				}
			}
			paths = append(paths, f.path)
			if f.config {
				sum := md5.Sum([]byte(f.body))
				fmt.Fprintf(&backup, "%s\t%s\n", f.path, hex.EncodeToString(sum[:]))
			}
		}
		slices.Sort(paths)
		files := "%FILES%\n" + strings.Join(paths, "\n") + "\n\n"
		if backup.Len() > 0 {
			files += "%BACKUP%\n" + backup.String() + "\n"
		}
		write(t, root, dir+"/files", files)
	}
	write(t, root, "etc/os-release", "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\nPRETTY_NAME=\"Arch Linux\"\n")
	return root
}

// fedoraSpecs are the spec files Fedora builds: openssl makes openssl and
// openssl-libs, openssh makes openssh and openssh-server, as Fedora's do.
var fedoraSpecs = map[string]string{
	"zlib.spec": spec("zlib", "", "1.3.1", "2.fc41", "mkdir -p %{buildroot}/usr/lib64\nprintf 'zlib\\n' > %{buildroot}/usr/lib64/libz.so.1.3.1\n",
		"%files\n/usr/lib64/libz.so.1.3.1\n"),
	"openssl.spec": spec("openssl", "1", "3.2.2", "12.fc41", "mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib64 %{buildroot}/etc/pki/tls\n"+
		"printf 'openssl\\n' > %{buildroot}/usr/bin/openssl\nprintf 'ssl\\n' > %{buildroot}/usr/lib64/libssl.so.3\nprintf '# openssl\\n' > %{buildroot}/etc/pki/tls/openssl.cnf\n",
		"%files\n/usr/bin/openssl\n\n%package libs\nSummary: libs\n%description libs\nlibs\n\n%files libs\n%config(noreplace) /etc/pki/tls/openssl.cnf\n/usr/lib64/libssl.so.3\n"),
	"bash.spec": spec("bash", "", "5.2.32", "1.fc41", "mkdir -p %{buildroot}/usr/bin\nprintf 'bash\\n' > %{buildroot}/usr/bin/bash\n", "%files\n/usr/bin/bash\n"),
	"openssh.spec": spec("openssh", "", "9.8p1", "4.fc41", "mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/sbin %{buildroot}/etc/ssh\n"+
		"printf 'ssh\\n' > %{buildroot}/usr/bin/ssh-keygen\nprintf 'sshd\\n' > %{buildroot}/usr/sbin/sshd\nprintf '"+strings.ReplaceAll(SshdConfig, "\n", "\\n")+"' > %{buildroot}/etc/ssh/sshd_config\n",
		"%files\n/usr/bin/ssh-keygen\n\n%package server\nSummary: server\n%description server\nserver\n\n%files server\n%config(noreplace) /etc/ssh/sshd_config\n/usr/sbin/sshd\n"),
	"dnf.spec": spec("dnf", "", "4.21.1", "1.fc41", "mkdir -p %{buildroot}/etc/dnf\nprintf '[main]\\n' > %{buildroot}/etc/dnf/dnf.conf\n",
		"%files\n%config(noreplace) /etc/dnf/dnf.conf\n"),
}

func spec(name, epoch, version, release, install, files string) string {
	s := "Name: " + name + "\n"
	if epoch != "" {
		s += "Epoch: " + epoch + "\n"
	}
	return s + "Version: " + version + "\nRelease: " + release + "\nSummary: fixture\nLicense: MIT\nBuildArch: noarch\n\n%description\nfixture\n\n" +
		"%install\n" + install + "\n" + files
}

// Fedora returns the root of a Fedora-like tree (os-release ID fedora,
// VERSION_ID 41) whose rpm database (ROOT/var/lib/rpm, Debian rpm's
// sqlite backend) Debian's rpm wrote, installing packages rpmbuild made
// of fedoraSpecs. It needs rpm, rpmbuild and root (rpm --root), and skips
// without them — failing under CI.
func Fedora(t testing.TB) string {
	t.Helper()
	rpm := testenv.Require(t, testenv.RPM)
	rpmbuild := testenv.Require(t, testenv.Rpmbuild)
	if os.Geteuid() != 0 {
		testenv.Missing(t, testenv.RPM, fmt.Errorf("installing into a root with rpm --root needs root (uid %d)", os.Geteuid()))
	}
	top, root := t.TempDir(), t.TempDir()
	names := make([]string, 0, len(fedoraSpecs))
	for name := range fedoraSpecs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := filepath.Join(top, name)
		if err := os.WriteFile(p, []byte(fedoraSpecs[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, rpmbuild, "--define", "_topdir "+top, "--define", "_build_id_links none", "--define", "_buildhost distroscope.test", "--quiet", "-bb", p)
	}
	rpms, err := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if err != nil || len(rpms) != 7 {
		t.Fatalf("imagecmptest: rpmbuild made %v (%v), want 7 packages", rpms, err)
	}
	run(t, rpm, "--root", root, "--dbpath", "/var/lib/rpm", "--initdb")
	run(t, rpm, append([]string{"--root", root, "--dbpath", "/var/lib/rpm", "--nodeps", "--ignorearch", "-i"}, rpms...)...)
	write(t, root, "etc/os-release", "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=41\nPRETTY_NAME=\"Fedora Linux 41 (Container Image)\"\n")
	write(t, root, "etc/hostname", "fedora\n")
	return root
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("imagecmptest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
