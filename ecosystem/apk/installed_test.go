package apk

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

func readInstalledFixture(t testing.TB) []byte {
	t.Helper()
	db, err := os.ReadFile(filepath.Join("testdata", "installed", "alpine-3.18-aarch64.installed"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func fileOf(t *testing.T, pkgs []installed.Package, pkg, p string) installed.File {
	t.Helper()
	for _, pk := range pkgs {
		if pk.Name != pkg {
			continue
		}
		for _, f := range pk.Files {
			if f.Path == p {
				return f
			}
		}
	}
	t.Fatalf("%s does not own %s", pkg, p)
	return installed.File{}
}

func sha1Hex(s string) string   { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// TestInstalledAlpine reads a real Alpine 3.18 installed database: the
// packages its records name, and what each kind of line says of a path.
func TestInstalledAlpine(t *testing.T) {
	pkgs, err := Installed(readInstalledFixture(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		if p.Ecosystem != ecosystem.APK || p.Architecture != "aarch64" {
			t.Errorf("%s: ecosystem %q, architecture %q", p.Name, p.Ecosystem, p.Architecture)
		}
		got = append(got, p.Name+" "+p.Version+" "+p.Source)
	}
	want := []string{
		"alpine-baselayout 3.4.3-r1 alpine-baselayout", "alpine-baselayout-data 3.4.3-r1 alpine-baselayout",
		"libssl3 3.1.2-r0 openssl", "musl 1.2.4-r1 musl", "musl-utils 1.2.4-r1 musl",
		"scanelf 1.3.7-r1 pax-utils", "ssl_client 1.36.1-r2 busybox", "zlib 1.2.13-r1 zlib",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("packages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every F:, R: line is one path, in order.
	if n, want := len(pkgs[0].Files), strings.Count(strings.Split(string(readInstalledFixture(t)), "\n\n")[0], "\nF:")+strings.Count(strings.Split(string(readInstalledFixture(t)), "\n\n")[0], "\nR:"); n != want {
		t.Errorf("alpine-baselayout: %d paths, want %d", n, want)
	}

	shadow := fileOf(t, pkgs, "alpine-baselayout-data", "/etc/shadow")
	if shadow.UID != 0 || shadow.GID != 42 || shadow.Mode != 0o640 || !shadow.HasMode || !shadow.HasOwner || !shadow.Config ||
		shadow.Digest != (installed.Digest{Algo: installed.SHA1, Hex: "96dacf2005b6cc778389a8ec7b1d81766ab7baa0"}) {
		t.Errorf("/etc/shadow = %+v", shadow)
	}
	// No a: line: apk's default for files, root 0644.
	if f := fileOf(t, pkgs, "alpine-baselayout-data", "/etc/passwd"); f.Mode != 0o644 || f.UID != 0 || !f.Config || f.Type != installed.TypeUnknown {
		t.Errorf("/etc/passwd = %+v", f)
	}
	if d := fileOf(t, pkgs, "alpine-baselayout", "/tmp"); d.Type != installed.TypeDir || d.Mode != fs.ModeSticky|0o777 || d.Config {
		t.Errorf("/tmp = %+v", d)
	}
	if d := fileOf(t, pkgs, "alpine-baselayout", "/var/empty"); d.Mode != 0o555 {
		t.Errorf("/var/empty = %+v", d)
	}
	if d := fileOf(t, pkgs, "alpine-baselayout", "/usr/share"); d.Mode != 0o755 || !d.HasOwner {
		t.Errorf("/usr/share (no M:) = %+v", d)
	}
	// Outside etc nothing is protected.
	if f := fileOf(t, pkgs, "musl", "/lib/ld-musl-aarch64.so.1"); f.Config || f.Mode != 0o755 {
		t.Errorf("/lib/ld-musl-aarch64.so.1 = %+v", f)
	}
	// A symlink's digest is that of its target string.
	for _, c := range []struct{ pkg, path, target string }{
		{"alpine-baselayout", "/var/run", "/run"},
		{"alpine-baselayout-data", "/etc/mtab", "/proc/mounts"},
		{"zlib", "/lib/libz.so.1", "libz.so.1.2.13"},
		{"musl", "/lib/libc.musl-aarch64.so.1", "ld-musl-aarch64.so.1"},
	} {
		f := fileOf(t, pkgs, c.pkg, c.path)
		if f.Digest.String() != "sha1:"+sha1Hex(c.target) || f.Mode != 0o777 {
			t.Errorf("%s: %+v, want the SHA-1 of %q and mode 0777", c.path, f, c.target)
		}
	}
	// libssl.so.3 is in /lib and in /usr/lib: two paths.
	if a, b := fileOf(t, pkgs, "libssl3", "/lib/libssl.so.3"), fileOf(t, pkgs, "libssl3", "/usr/lib/libssl.so.3"); a.Digest == b.Digest {
		t.Error("the two libssl.so.3 got one digest")
	}
}

// TestInstalledDigests writes a database of files whose bodies the test
// knows, in each digest spelling apk has written.
func TestInstalledDigests(t *testing.T) {
	bodies := map[string]string{"a": "alpha\n", "b": "bravo\n", "c": "charlie\n", "d": "delta\n", "e": "echo\n"}
	q1 := func(s string) string { h := sha1.Sum([]byte(s)); return "Q1" + base64.StdEncoding.EncodeToString(h[:]) }
	q2 := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return "Q2" + base64.StdEncoding.EncodeToString(h[:])
	}
	x1 := func(s string) string { return "X1" + sha1Hex(s) }
	x2 := func(s string) string { return "X2" + sha256Hex(s) }
	m5 := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	db := fmt.Sprintf("P:digests\nV:1.0-r0\nA:x86_64\nF:usr/share/d\nR:a\nZ:%s\nR:b\nZ:%s\nR:c\nZ:%s\nR:d\nZ:%s\nR:e\nZ:%s\n\n"+
		"P:truncated\nV:2.0-r0\nf:S\nF:usr/share/t\nR:a\nZ:Q1%s\nR:b\nZ:%s\n",
		q1(bodies["a"]), q2(bodies["b"]), x1(bodies["c"]), x2(bodies["d"]), m5(bodies["e"]),
		base64.StdEncoding.EncodeToString(func() []byte { h := sha256.Sum256([]byte(bodies["a"])); return h[:20] }()), q2(bodies["b"]))
	pkgs, err := Installed([]byte(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/usr/share/d/a": "sha1:" + sha1Hex(bodies["a"]),
		"/usr/share/d/b": "sha256:" + sha256Hex(bodies["b"]),
		"/usr/share/d/c": "sha1:" + sha1Hex(bodies["c"]),
		"/usr/share/d/d": "sha256:" + sha256Hex(bodies["d"]),
		"/usr/share/d/e": "md5:" + m5(bodies["e"]),
		"/usr/share/t/a": "sha256-160:" + sha256Hex(bodies["a"])[:40],
		"/usr/share/t/b": "sha256:" + sha256Hex(bodies["b"]),
	}
	n := 0
	for _, p := range pkgs {
		for _, f := range p.Files {
			if f.Type == installed.TypeDir {
				continue
			}
			n++
			if f.Digest.String() != want[f.Path] {
				t.Errorf("%s: %s, want %s", f.Path, f.Digest, want[f.Path])
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d files, want %d", n, len(want))
	}
}

// TestInstalledProtected checks which files are Config under apk's
// built-in rules and the lists of etc/apk/protected_paths.d.
func TestInstalledProtected(t *testing.T) {
	paths := []string{
		"etc/motd", "etc/init.d/sshd", "etc/apk/world", "etc/ssl/certs/ca-cert-x.pem", "etc/ssl/certs/other.pem",
		"etc/ssl/openssl.cnf", "usr/local/etc/app.conf", "usr/local/etc/app.txt", "opt/app/secret",
		"opt/app/public", "etc/skel/x", "etc/skel/.profile", "srv/data/a1", "srv/data/ab", "rootfile",
	}
	var db strings.Builder
	db.WriteString("P:p\nV:1-r0\n")
	for _, p := range paths {
		dir, name := filepath.Split(p)
		fmt.Fprintf(&db, "F:%s\nR:%s\n", strings.TrimSuffix(dir, "/"), name)
	}
	lists := map[string][]byte{
		"ca.list":     []byte("# certificates are replaced, not edited\n-etc/ssl/certs/ca-cert-*.pem\n\n"),
		"local.list":  []byte("+/usr/local/etc/*.conf/\nopt/app/secret\n!srv/data/a[!b]\n-etc/skel/.*\n"),
		"skel.list":   []byte("-etc/skel\n"),
		"ignored.txt": []byte("+opt/app/public\n"),
	}
	pkgs, err := Installed([]byte(db.String()), lists)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"/etc/motd":                    true,  // +etc (built in)
		"/etc/init.d/sshd":             false, // @etc/init.d: symlinks only
		"/etc/apk/world":               true,  // !etc/apk
		"/etc/ssl/certs/ca-cert-x.pem": false, // -etc/ssl/certs/ca-cert-*.pem
		"/etc/ssl/certs/other.pem":     true,
		"/etc/ssl/openssl.cnf":         true,
		"/usr/local/etc/app.conf":      true, // slashes trimmed
		"/usr/local/etc/app.txt":       false,
		"/opt/app/secret":              true,  // no symbol means +
		"/opt/app/public":              false, // not a .list file
		"/etc/skel/x":                  false, // skel.list comes after local.list: the directory's rule
		"/etc/skel/.profile":           false,
		"/srv/data/a1":                 true, // [!b]
		"/srv/data/ab":                 false,
		"/rootfile":                    false,
	}
	for _, f := range pkgs[0].Files {
		if f.Type == installed.TypeDir {
			if f.Config {
				t.Errorf("directory %s is Config", f.Path)
			}
			continue
		}
		w, ok := want[f.Path]
		if !ok {
			t.Errorf("unexpected path %s", f.Path)
		}
		if f.Config != w {
			t.Errorf("%s: Config %v, want %v", f.Path, f.Config, w)
		}
		delete(want, f.Path)
	}
	if len(want) != 0 {
		t.Errorf("paths missing: %v", want)
	}
}

// TestInstalledOrderOfRules: a later rule overrides an earlier one, lists
// in the order of their names.
func TestInstalledOrderOfRules(t *testing.T) {
	db := []byte("P:p\nV:1-r0\nF:etc\nR:a.conf\n")
	for _, c := range []struct {
		lists map[string][]byte
		want  bool
	}{
		{map[string][]byte{"a.list": []byte("-etc/a.conf\n"), "b.list": []byte("+etc/a.conf\n")}, true},
		{map[string][]byte{"a.list": []byte("+etc/a.conf\n"), "b.list": []byte("-etc/a.conf\n")}, false},
		{map[string][]byte{"a.list": []byte("-etc\n")}, false},
	} {
		pkgs, err := Installed(db, c.lists)
		if err != nil {
			t.Fatal(err)
		}
		if got := pkgs[0].Files[1].Config; got != c.want {
			t.Errorf("%q: Config %v, want %v", c.lists, got, c.want)
		}
	}
}

func TestInstalledErrors(t *testing.T) {
	for _, c := range []struct {
		name, db string
		line     int
		field    string
		want     error
	}{
		{"no colon", "P:a\nV:1-r0\nFx\n", 3, "", ErrSyntax},
		{"file before dir", "P:a\nV:1-r0\nR:x\n", 3, "R", ErrSyntax},
		{"dir before name", "V:1-r0\nF:etc\n", 2, "F", ErrSyntax},
		{"acl before file", "P:a\nV:1-r0\nF:etc\na:0:0:644\n", 4, "a", ErrSyntax},
		{"digest before file", "P:a\nV:1-r0\nF:etc\nZ:Q1AAAA\n", 4, "Z", ErrSyntax},
		{"dotdot dir", "P:a\nV:1-r0\nF:etc/../..\n", 3, "F", ErrUnsafePath},
		{"absolute dir", "P:a\nV:1-r0\nF:/etc\n", 3, "F", ErrUnsafePath},
		{"slash in file", "P:a\nV:1-r0\nF:etc\nR:x/y\n", 4, "R", ErrUnsafePath},
		{"dotdot file", "P:a\nV:1-r0\nF:etc\nR:..\n", 4, "R", ErrUnsafePath},
		{"bad acl", "P:a\nV:1-r0\nF:etc\nM:0:0:9\n", 4, "M", ErrSyntax},
		{"negative uid", "P:a\nV:1-r0\nF:etc\nM:-1:0:755\n", 4, "M", ErrSyntax},
		{"short digest", "P:a\nV:1-r0\nF:etc\nR:x\nZ:Q1AAAA\n", 5, "Z", ErrSyntax},
		{"unknown digest", "P:a\nV:1-r0\nF:etc\nR:x\nZ:Y1AAAA\n", 5, "Z", ErrSyntax},
		{"missing version", "P:a\nF:etc\n\nP:b\nV:1-r0\n", 1, "V", ErrMissingField},
		{"bad name", "P:-a\nV:1-r0\n", 1, "P", ErrInvalidName},
		{"bad version", "P:a\nV:x\n", 2, "V", ErrInvalidVersion},
		{"duplicate", "P:a\nV:1-r0\nP:b\n", 3, "P", ErrDuplicateField},
		{"NUL", "P:a\nV:1-r0\nT:a\x00b\n", 3, "T", ErrSyntax},
		{"long line", "P:a\nV:1-r0\nT:" + strings.Repeat("x", MaxLineSize) + "\n", 3, "", ErrLineTooLong},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Installed([]byte(c.db), nil)
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, c.want) {
				t.Fatalf("error %v, want a *ParseError wrapping %v", err, c.want)
			}
			if pe.Line != c.line || pe.Field != c.field || pe.File != InstalledFile {
				t.Errorf("error %q: line %d field %q, want line %d field %q", err, pe.Line, pe.Field, c.line, c.field)
			}
		})
	}
	t.Run("too many rules", func(t *testing.T) {
		_, err := Installed(nil, map[string][]byte{"x.list": []byte(strings.Repeat("+etc/x\n", MaxProtectedRules))})
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrTooManyFields) || pe.File != "etc/apk/protected_paths.d/x.list" {
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzInstalled feeds databases and a protected path list through
// Installed: it fails only with a *ParseError, and every path it returns
// is absolute, clean and under the root.
func FuzzInstalled(f *testing.F) {
	db := string(readInstalledFixture(f))
	for _, rec := range strings.SplitAfter(db, "\n\n") {
		f.Add([]byte(rec), []byte("-etc/ssl\n!usr/*/x\n"))
	}
	f.Add([]byte("P:a\nV:1-r0\nf:S\nF:etc\nM:0:0:4755:Q1AAAA\nR:x\na:1:2:777\nZ:Q1"+strings.Repeat("A", 27)+"=\nF:etc\nR:y\nZ:0123456789abcdef0123456789abcdef\n\x00\n"), []byte("@etc/[!a]*\n\\-x\n#\n"))
	f.Fuzz(func(t *testing.T, db, list []byte) {
		pkgs, err := Installed(db, map[string][]byte{"f.list": list})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "apkindex: ") {
				t.Fatalf("error %q is not a *ParseError", err)
			}
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("package without name or version: %+v", p)
			}
			for _, f := range p.Files {
				if !strings.HasPrefix(f.Path, "/") || filepath.Clean(f.Path) != f.Path || strings.Contains(f.Path, "/../") {
					t.Fatalf("path %q is not absolute and clean", f.Path)
				}
				if f.Mode&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
					t.Fatalf("%s: mode %v has type bits", f.Path, f.Mode)
				}
				if !f.Digest.IsZero() && len(f.Digest.Hex) != map[installed.Algo]int{installed.MD5: 32, installed.SHA1: 40, installed.SHA256: 64, SHA256First160: 40}[f.Digest.Algo] {
					t.Fatalf("%s: digest %s", f.Path, f.Digest)
				}
			}
		}
	})
}

// TestInstalledRootFiles: files directly under the root are never
// protected, even by a rule matching every name (the root directory has no
// rules of its own in apk_db_dir_get).
func TestInstalledRootFiles(t *testing.T) {
	pkgs, err := Installed([]byte("P:p\nV:1-r0\nF:\nR:rootfile\nF:opt\nR:x\n"), map[string][]byte{"all.list": []byte("+*\n")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range pkgs[0].Files {
		got[f.Path] = f.Config
	}
	if got["/rootfile"] || !got["/opt/x"] || len(got) != 4 {
		t.Errorf("Config by path: %v, want /rootfile false and /opt/x true", got)
	}
}
