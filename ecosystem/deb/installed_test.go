package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// readDB reads the dpkg and ucf databases of the tree at root the way a
// caller of Installed does: only the paths WantsPath names. Fixture file
// names are URL-escaped ("libacl1%3Aamd64.list"), since Go module zips
// refuse ':' in file names.
func readDB(t testing.TB, root string) DB {
	t.Helper()
	var db DB
	fsys := os.DirFS(root)
	for _, dir := range []string{InfoDir, StatusDDir} {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		for _, e := range entries {
			name, err := url.PathUnescape(e.Name())
			if err != nil {
				t.Fatal(err)
			}
			p := dir + "/" + name
			if e.Type().IsRegular() && WantsPath(p) {
				data, err := fs.ReadFile(fsys, dir+"/"+e.Name())
				if err != nil {
					t.Fatal(err)
				}
				db.Add(p, data)
			}
		}
	}
	for _, p := range []string{StatusPath, DiversionsPath, UCFHashfilePath, UCFRegistryPath} {
		data, err := fs.ReadFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		db.Add(p, data)
	}
	return db
}

func findFile(p installed.Package, path string) (installed.File, bool) {
	i := slices.IndexFunc(p.Files, func(f installed.File) bool { return f.Path == path })
	if i < 0 {
		return installed.File{}, false
	}
	return p.Files[i], true
}

func md5Of(hex string) installed.Digest { return installed.Digest{Algo: installed.MD5, Hex: hex} }

func TestInstalledBookwormFixture(t *testing.T) {
	pkgs, err := Installed(readDB(t, "testdata/installed/bookworm"))
	if err != nil {
		t.Fatal(err)
	}
	type head struct{ Name, Version, Arch, Source, SourceVersion string }
	var got []head
	for _, p := range pkgs {
		got = append(got, head{p.Name, p.Version, p.Architecture, p.Source, p.SourceVersion})
	}
	want := []head{
		{"adduser", "3.134", "all", "adduser", ""},
		{"bash", "5.2.15-2+b13", "amd64", "bash", "5.2.15-2"},
		{"dash", "0.5.12-2", "amd64", "dash", ""},
		{"libacl1", "2.3.1-3", "amd64", "acl", ""},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("packages:\n got %+v\nwant %+v", got, want)
	}
	adduser, bash, dash, libacl := pkgs[0], pkgs[1], pkgs[2], pkgs[3]

	// adduser.list has 149 lines, "/." among them; md5sums and conffiles
	// name no path the list does not.
	if len(adduser.Files) != 148 {
		t.Errorf("adduser owns %d paths, want the 148 of its .list", len(adduser.Files))
	}
	for _, c := range []struct {
		path string
		want installed.File
	}{
		{"/etc/adduser.conf", installed.File{Path: "/etc/adduser.conf", Config: true, Digest: md5Of("cc3493ecd2d09837ffdcc3e25fdfff18")}},
		{"/etc/deluser.conf", installed.File{Path: "/etc/deluser.conf", Config: true, Digest: md5Of("11a06baf8245fd8d690b99024d228c1f")}},
		{"/usr/sbin/adduser", installed.File{Path: "/usr/sbin/adduser", Digest: md5Of(md5sumOf(t, "testdata/installed/bookworm/var/lib/dpkg/info/adduser.md5sums", "usr/sbin/adduser"))}},
		{"/etc", installed.File{Path: "/etc"}},
	} {
		f, ok := findFile(adduser, c.path)
		if !ok || f != c.want {
			t.Errorf("adduser %s = %+v (found %v), want %+v", c.path, f, ok, c.want)
		}
	}
	if adduser.Files[0].Path != "/etc" {
		t.Errorf("adduser's files start with %s, want /etc, the .list's order", adduser.Files[0].Path)
	}
	// bash has no info files in the fixture: its conffiles still are its.
	if len(bash.Files) != 4 || !bash.Files[0].Config || bash.Files[0].Path != "/etc/bash.bashrc" || bash.Files[0].Digest != md5Of("89269e1298235f1b12b4c16e4065ad0d") {
		t.Errorf("bash files: %+v", bash.Files)
	}
	if len(dash.Files) != 0 {
		t.Errorf("dash has no info files in the fixture, got %d files", len(dash.Files))
	}
	// libacl1 is Multi-Arch: same: its info files are libacl1:amd64.*.
	lib := "/usr/lib/x86_64-linux-gnu/libacl.so.1.1.2301"
	if f, ok := findFile(libacl, lib); !ok || f.Digest.IsZero() || f.Config {
		t.Errorf("libacl1 %s = %+v (found %v)", lib, f, ok)
	}
	if len(libacl.Files) != 14 {
		t.Errorf("libacl1 owns %d paths, want the 14 of its .list", len(libacl.Files))
	}
}

// md5sumOf finds path's digest in an md5sums file with a plain scan.
func md5sumOf(t *testing.T, file, path string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range strings.Split(string(data), "\n") {
		if sum, p, ok := strings.Cut(ln, "  "); ok && p == path {
			return sum
		}
	}
	t.Fatalf("%s has no %s", file, path)
	return ""
}

func TestInstalledDistroless(t *testing.T) {
	pkgs, err := Installed(readDB(t, "testdata/installed/distroless"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Name != "base-files" || pkgs[1].Name != "libacl1" {
		t.Fatalf("packages: %+v", pkgs)
	}
	base := pkgs[0]
	if base.Version != "12.4+deb12u15" || base.Architecture != "amd64" || base.Source != "base-files" {
		t.Errorf("base-files: %s %s %s", base.Version, base.Architecture, base.Source)
	}
	// Only md5sums say what a distroless package owns: 28 regular files.
	if len(base.Files) != 28 {
		t.Errorf("base-files owns %d paths, want the 28 of its md5sums", len(base.Files))
	}
	for _, f := range base.Files {
		if f.Digest.Algo != installed.MD5 || len(f.Digest.Hex) != 32 || f.Config || !strings.HasPrefix(f.Path, "/") {
			t.Errorf("base-files file %+v", f)
		}
	}
	if pkgs[1].Source != "acl" || len(pkgs[1].Files) != 5 {
		t.Errorf("libacl1: source %s, %d files", pkgs[1].Source, len(pkgs[1].Files))
	}
}

func TestParseStatusStates(t *testing.T) {
	in := `Package: gone
Status: purge ok not-installed
Priority: optional

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1:2.0-1
Conffiles:
 /etc/removed.conf 0123456789abcdef0123456789abcdef

Package: half
Status: install reinstreq half-configured
Architecture: all
Version: 1.0
Multi-Arch: foreign

Package: noselection
Architecture: all
Version: 3

Package: flags
status: install ok installed
Architecture: arm64
Version: 2.0
source: up (1.9)
CONFFILES:
 /etc/with space.conf 0123456789abcdef0123456789abcdef
 /etc/old.conf 0123456789abcdef0123456789abcdef obsolete
 /etc/gone.conf 0123456789abcdef0123456789abcdef remove-on-upgrade
 /etc/both.conf 0123456789abcdef0123456789abcdef remove-on-upgrade obsolete
 /etc/new.conf newconffile
`
	got, err := ParseStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Package+"/"+e.State())
	}
	if want := []string{"removed/config-files", "half/half-configured", "noselection/", "flags/installed"}; !slices.Equal(names, want) {
		t.Fatalf("entries %v, want %v (not-installed is not listed)", names, want)
	}
	if got[0].Version != "1:2.0-1" || len(got[0].Conffiles) != 1 || got[0].Line != 5 {
		t.Errorf("removed: %+v", got[0])
	}
	if got[1].MultiArch != "foreign" || got[1].Status != "install reinstreq half-configured" {
		t.Errorf("half: %+v", got[1])
	}
	flags := got[3]
	if flags.Source != "up" || flags.SourceVersion != "1.9" {
		t.Errorf("flags source %q %q", flags.Source, flags.SourceVersion)
	}
	const h = "0123456789abcdef0123456789abcdef"
	want := []Conffile{
		{Path: "/etc/with space.conf", MD5: h},
		{Path: "/etc/old.conf", MD5: h, Obsolete: true},
		{Path: "/etc/gone.conf", MD5: h, RemoveOnUpgrade: true},
		{Path: "/etc/both.conf", MD5: h, Obsolete: true, RemoveOnUpgrade: true},
		{Path: "/etc/new.conf"},
	}
	if !slices.Equal(flags.Conffiles, want) {
		t.Errorf("conffiles:\n got %+v\nwant %+v", flags.Conffiles, want)
	}

	// In Installed, the Status-less stanza of a status file is dpkg's
	// "not-installed" default; the conffile flags become Ghost and a
	// newconffile has no digest.
	pkgs, err := Installed(DB{Status: []byte(in)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range pkgs {
		keys = append(keys, p.Key())
	}
	if want := []string{"removed:amd64", "half:all", "flags:arm64"}; !slices.Equal(keys, want) {
		t.Fatalf("Installed: %v, want %v", keys, want)
	}
	files := pkgs[2].Files
	ghost := func(i int) bool { return files[i].Ghost }
	if len(files) != 5 || ghost(0) || !ghost(1) || !ghost(2) || !ghost(3) || ghost(4) || !files[4].Digest.IsZero() || files[0].Digest != md5Of(h) {
		t.Errorf("flags files: %+v", files)
	}
	if pkgs[2].Source != "up" || pkgs[2].SourceVersion != "1.9" || pkgs[0].SourceVersion != "" {
		t.Errorf("sources: %+v %+v", pkgs[2], pkgs[0])
	}
}

func TestInstalledDiversions(t *testing.T) {
	db := DB{
		Status: []byte("Package: coreutils\nStatus: install ok installed\nArchitecture: amd64\nVersion: 9.1-1\n\n" +
			"Package: wrapper\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n"),
		Info: map[string][]byte{
			"coreutils.list":    []byte("/.\n/usr\n/usr/bin\n/usr/bin/tac\n/usr/bin/cat\n"),
			"coreutils.md5sums": []byte("00000000000000000000000000000001  usr/bin/tac\n00000000000000000000000000000002  usr/bin/cat\n"),
			"wrapper.list":      []byte("/.\n/usr/bin/tac\n"),
			"wrapper.md5sums":   []byte("00000000000000000000000000000003  usr/bin/tac\n"),
		},
		// wrapper diverts coreutils' tac; cat is diverted locally.
		Diversions: []byte("/usr/bin/tac\n/usr/bin/tac.coreutils\nwrapper\n/usr/bin/cat\n/usr/bin/cat.distrib\n:\n"),
	}
	pkgs, err := Installed(db)
	if err != nil {
		t.Fatal(err)
	}
	core, wrapper := pkgs[0], pkgs[1]
	if f, ok := findFile(core, "/usr/bin/tac.coreutils"); !ok || f.Digest != md5Of("00000000000000000000000000000001") {
		t.Errorf("coreutils' diverted tac: %+v (found %v)", f, ok)
	}
	if f, ok := findFile(core, "/usr/bin/cat.distrib"); !ok || f.Digest != md5Of("00000000000000000000000000000002") {
		t.Errorf("coreutils' locally diverted cat: %+v (found %v)", f, ok)
	}
	if _, ok := findFile(core, "/usr/bin/tac"); ok {
		t.Errorf("coreutils still owns /usr/bin/tac after the diversion")
	}
	if f, ok := findFile(wrapper, "/usr/bin/tac"); !ok || f.Digest != md5Of("00000000000000000000000000000003") {
		t.Errorf("the diverting package's own tac: %+v (found %v)", f, ok)
	}
}

// ucfFixture is ucf's state after `ucf NEW /etc/distroscope-ucf.conf` and
// `ucfr ucf /etc/distroscope-ucf.conf` in a bookworm tree (see
// testdata/README.md), plus the host's registration of a dpkg conffile.
const ucfStatus = `Package: ucf
Status: install ok installed
Architecture: all
Version: 3.0043+nmu1+deb12u1
Conffiles:
 /etc/ucf.conf 5565b8b26108c49ba575ba452cd69b3e

Package: other
Status: install ok installed
Architecture: all
Version: 1
`

func TestInstalledUCF(t *testing.T) {
	hashfile, err := os.ReadFile("testdata/installed/ucf/var/lib/ucf/hashfile")
	if err != nil {
		t.Fatal(err)
	}
	registry, err := os.ReadFile("testdata/installed/ucf/var/lib/ucf/registry")
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := ParseUCFHashfile(bytes.NewReader(hashfile))
	if err != nil || len(hashes) != 1 || hashes[0].Path != "/etc/distroscope-ucf.conf" {
		t.Fatalf("hashfile: %+v, %v", hashes, err)
	}
	regs, err := ParseUCFRegistry(bytes.NewReader(registry))
	if err != nil || len(regs) != 1 || regs[0] != (UCFRegistration{Package: "ucf", Path: "/etc/distroscope-ucf.conf"}) {
		t.Fatalf("registry: %+v, %v", regs, err)
	}
	// A dpkg conffile that ucf also registers stays dpkg's; a registration
	// by a package that is not installed owns nothing.
	registry = append(registry, "other \t /etc/ucf.conf\nuninstalled \t /etc/orphan.conf\n"...)
	hashfile = append(hashfile, "ffffffffffffffffffffffffffffffff  /etc/ucf.conf\n"...)
	pkgs, err := Installed(DB{Status: []byte(ucfStatus), UCF: hashfile, UCFRegistry: registry})
	if err != nil {
		t.Fatal(err)
	}
	ucf, other := pkgs[0], pkgs[1]
	want := installed.File{Path: "/etc/distroscope-ucf.conf", Config: true, Managed: "ucf", Digest: md5Of(hashes[0].MD5)}
	if f, ok := findFile(ucf, want.Path); !ok || f != want {
		t.Errorf("ucf-managed file: %+v (found %v), want %+v", f, ok, want)
	}
	if f, _ := findFile(ucf, "/etc/ucf.conf"); f.Managed != "" || f.Digest != md5Of("5565b8b26108c49ba575ba452cd69b3e") {
		t.Errorf("the dpkg conffile became ucf's: %+v", f)
	}
	if len(other.Files) != 0 {
		t.Errorf("other owns %+v", other.Files)
	}
}

func TestWantsPath(t *testing.T) {
	for p, want := range map[string]bool{
		"var/lib/dpkg/status":                   true,
		"var/lib/dpkg/status-old":               false,
		"var/lib/dpkg/status.d/libc6":           true,
		"var/lib/dpkg/status.d/libc6.md5sums":   true,
		"var/lib/dpkg/info/bash.list":           true,
		"var/lib/dpkg/info/libc6:amd64.md5sums": true,
		"var/lib/dpkg/info/bash.conffiles":      true,
		"var/lib/dpkg/info/bash.postinst":       false,
		"var/lib/dpkg/diversions":               true,
		"var/lib/ucf/hashfile":                  true,
		"var/lib/ucf/hashfile.0":                false,
		"var/lib/ucf/registry":                  true,
		"etc/passwd":                            false,
	} {
		if got := WantsPath(p); got != want {
			t.Errorf("WantsPath(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestInstalledRefusesBadInput: each kind of damage is a *ParseError that
// names the file and the line.
func TestInstalledRefusesBadInput(t *testing.T) {
	const ok = "Package: a1\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n"
	info := func(name, data string) DB {
		return DB{Status: []byte(ok), Info: map[string][]byte{name: []byte(data)}}
	}
	tooManyStanzas := strings.Repeat("Package: aa\nStatus: purge ok not-installed\n\n", MaxStatusEntries+1)
	tooManyPaths := strings.Repeat("/a\n", MaxOwnedPaths+1)
	manyStatusD := map[string][]byte{}
	for i := range MaxStatusEntries + 1 {
		manyStatusD[fmt.Sprint("p", i)] = nil
	}
	// Stanzas of 64 KiB, fewer than MaxStatusEntries, past MaxStatusSize.
	bigStanza := "Package: aa\nStatus: purge ok not-installed\nX: " + strings.Repeat("x", 64<<10) + "\n\n"
	tooLarge := strings.Repeat(bigStanza, MaxStatusSize/len(bigStanza)+1)
	// The limit cuts the last stanza's long line: the line reported is its
	// Package line plus two.
	tooLargeLines := 4*(MaxStatusSize/len(bigStanza)) + 3
	for _, c := range []struct {
		name     string
		db       DB
		file     string
		line     int
		sentinel error
	}{
		{"long status line", DB{Status: []byte(ok + "X: " + strings.Repeat("x", MaxLineSize) + "\n")}, "status", 5, ErrLineTooLong},
		{"bad status word", DB{Status: []byte("Package: a1\nStatus: install ok gone\nArchitecture: all\nVersion: 1\n")}, "status", 2, ErrSyntax},
		{"no version", DB{Status: []byte("Package: a1\nStatus: install ok installed\nArchitecture: all\n")}, "status", 1, ErrMissingField},
		{"bad version", DB{Status: []byte("Package: a1\nStatus: install ok installed\nArchitecture: all\nVersion: 1 2\n")}, "status", 4, ErrInvalidVersion},
		{"bad name", DB{Status: []byte("Package: A/1\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n")}, "status", 1, ErrInvalidName},
		{"bad architecture", DB{Status: []byte("Package: a1\nStatus: install ok installed\nArchitecture: ../x\nVersion: 1\n")}, "status", 3, ErrSyntax},
		{"bad conffile digest", DB{Status: []byte(ok + "Conffiles:\n /etc/a 1234\n")}, "status", 5, ErrSyntax},
		{"conffile outside", DB{Status: []byte(ok + "Conffiles:\n /etc/../../x 0123456789abcdef0123456789abcdef\n")}, "status", 5, errPath},
		{"duplicate package", DB{Status: []byte(ok + "\n" + ok)}, "status", 6, ErrDuplicateField},
		{"duplicate field", DB{Status: []byte(ok + "Version: 2\n")}, "status", 5, ErrDuplicateField},
		{"too many stanzas", DB{Status: []byte(tooManyStanzas)}, "status", 3*MaxStatusEntries + 1, ErrTooManyEntries},
		{"status too large", DB{Status: []byte(tooLarge)}, "status", tooLargeLines, ErrTooManyEntries},
		{"list escapes", info("a1.list", "/.\n/etc\n/etc/../../root\n"), "info/a1.list", 3, errPath},
		{"list NUL", info("a1.list", "/.\n/etc\x00x\n"), "info/a1.list", 2, ErrNUL},
		{"list long line", info("a1.list", "/"+strings.Repeat("x", MaxInfoLine)+"\n"), "info/a1.list", 1, ErrLineTooLong},
		{"list too long", info("a1.list", tooManyPaths), "info/a1.list", MaxOwnedPaths + 1, ErrTooManyEntries},
		{"md5sums one space", info("a1.md5sums", "0123456789abcdef0123456789abcdef usr/bin/a\n"), "info/a1.md5sums", 1, ErrSyntax},
		{"md5sums not hex", info("a1.md5sums", "0123456789abcdef0123456789ABCDEF  usr/bin/a\n"), "info/a1.md5sums", 1, ErrSyntax},
		{"conffiles bad flag", info("a1.conffiles", "keep /etc/a\n"), "info/a1.conffiles", 1, ErrSyntax},
		{"diversions cut", DB{Status: []byte(ok), Diversions: []byte("/a\n/b\nx1\n/c\n")}, "diversions", 4, ErrSyntax},
		{"diversions twice", DB{Status: []byte(ok), Diversions: []byte("/a\n/b\nx1\n/a\n/c\n:\n")}, "diversions", 6, ErrSyntax},
		{"ucf digest", DB{Status: []byte(ok), UCFRegistry: []byte("a1 \t /etc/a\n"), UCF: []byte("xyz  /etc/a\n")}, "ucf/hashfile", 1, ErrSyntax},
		{"ucf relative", DB{Status: []byte(ok), UCFRegistry: []byte("a1 \t etc/a\n")}, "ucf/registry", 1, errPath},
		{"status.d", DB{StatusD: map[string][]byte{"a1": []byte("Package: a1\nVersion: 1\n")}}, "status.d/a1", 1, ErrMissingField},
		{"status and status.d", DB{Status: []byte(ok), StatusD: map[string][]byte{"a1": []byte("Package: a1\nArchitecture: all\nVersion: 2\n")}}, "status.d/a1", 1, ErrDuplicateField},
		{"status.d files", DB{StatusD: manyStatusD}, "status.d", 1, ErrTooManyEntries},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Installed(c.db)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.File != c.file || pe.Line != c.line || !errors.Is(err, c.sentinel) {
				t.Fatalf("error %q: file %s line %d, want %s line %d and %v", err, pe.File, pe.Line, c.file, c.line, c.sentinel)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long: the input is not cut", len(err.Error()))
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	seedStanzas(f, statusFixture, "testdata/installed/bookworm/var/lib/dpkg/status")
	f.Add([]byte("Package: a1\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nConffiles:\n /etc/a b 0123456789abcdef0123456789abcdef obsolete\n /etc/n newconffile\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		entries, err := ParseStatus(bytes.NewReader(in))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "deb: status line ") {
				t.Fatalf("error %q is not a *ParseError naming a line", err)
			}
			return
		}
		for _, e := range entries {
			if checkPackageName(e.Package) != nil || checkVersion(e.Version) != nil || e.Architecture == "" || e.Line < 1 || e.State() == "not-installed" {
				t.Fatalf("entry %+v", e)
			}
			for _, c := range e.Conffiles {
				if !path.IsAbs(c.Path) || path.Clean(c.Path) != c.Path || (c.MD5 != "" && len(c.MD5) != 32) {
					t.Fatalf("conffile %+v", c)
				}
			}
		}
	})
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/tac":    "/usr/bin/tac",
		"usr/bin/tac":     "/usr/bin/tac",
		"./usr/bin/tac":   "/usr/bin/tac",
		"/usr//bin/./tac": "/usr/bin/tac",
		"/usr/bin/":       "/usr/bin",
		"/":               "/",
		"/usr/bin/.":      "/usr/bin",
		"/with space/x":   "/with space/x",
		"/usr/..":         "",
		"/a/../b":         "",
		"/a\x00":          "",
		"":                "",
	} {
		got, err := cleanPath(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("cleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
