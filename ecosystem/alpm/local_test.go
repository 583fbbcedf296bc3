package alpm

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/alpm/alpmlocaltest"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

func readLocalFixture(t testing.TB) map[string]map[string][]byte {
	t.Helper()
	dir := filepath.Join("testdata", "local", "dsfix-1.0-1")
	db := map[string]map[string][]byte{"dsfix-1.0-1": {}}
	for _, name := range []string{"desc", "files", "mtree"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		db["dsfix-1.0-1"][name] = b
	}
	return db
}

// TestLocalFixture reads a local database entry pacman 6.0.2 wrote
// (testdata/local): every %FILES% path with what its mtree and %BACKUP%
// say.
func TestLocalFixture(t *testing.T) {
	pkgs, err := Local(readLocalFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 {
		t.Fatalf("%d packages", len(pkgs))
	}
	p := pkgs[0]
	if p.Ecosystem != ecosystem.ALPM || p.Name != "dsfix" || p.Version != "1.0-1" || p.Architecture != "any" || p.Source != "dsfix" {
		t.Errorf("package %+v", p)
	}
	var paths []string
	byPath := map[string]installed.File{}
	for _, f := range p.Files {
		paths = append(paths, f.Path)
		byPath[f.Path] = f
	}
	want := []string{"/etc", "/etc/dsfix.conf", "/usr", "/usr/bin", "/usr/bin/dsfix", "/usr/bin/dsfix-link",
		"/usr/bin/dsfix-suid", "/usr/share", "/usr/share/dsfix", `/usr/share/dsfix/with space\x`, "/var", "/var/lib", "/var/lib/dsfix"}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %q\nwant %q", paths, want)
	}
	built := time.Unix(1796615089, 0).UTC()
	for _, c := range []struct {
		path string
		want installed.File
	}{
		{"/etc/dsfix.conf", installed.File{Type: installed.TypeRegular, Config: true,
			Digest:  installed.Digest{Algo: installed.MD5, Hex: "5a5f600cf68ed9eb94acc34bb8d3313a"},
			HasMode: true, Mode: 0o644, HasOwner: true, HasSize: true, Size: 10, HasMTime: true, MTime: built}},
		{"/usr/bin/dsfix", installed.File{Type: installed.TypeRegular,
			Digest:  installed.Digest{Algo: installed.SHA256, Hex: "a8076d3d28d21e02012b20eaf7dbf75409a6277134439025f282e368e3305abf"},
			HasMode: true, Mode: 0o755, HasOwner: true, HasSize: true, Size: 10, HasMTime: true, MTime: built}},
		{"/usr/bin/dsfix-suid", installed.File{Type: installed.TypeRegular,
			Digest:  installed.Digest{Algo: installed.SHA256, Hex: "3efa6038b87ba6c3a43c670192609994a4c8a7403efb26cea1a8cfb929df987b"},
			HasMode: true, Mode: fs.ModeSetuid | 0o755, HasOwner: true, HasSize: true, Size: 5, HasMTime: true, MTime: built}},
		{"/usr/bin/dsfix-link", installed.File{Type: installed.TypeSymlink, HasLink: true, Link: "dsfix",
			HasMode: true, Mode: 0o777, HasOwner: true, HasMTime: true, MTime: built}},
		{"/var/lib/dsfix", installed.File{Type: installed.TypeDir, HasMode: true, Mode: 0o750, HasOwner: true}},
		{`/usr/share/dsfix/with space\x`, installed.File{Type: installed.TypeRegular,
			Digest:  installed.Digest{Algo: installed.SHA256, Hex: "80a3ef2f5539b0a6b5ee045e2a1de83bfb38550da54aa4d60dc1b9526b4b0805"},
			HasMode: true, Mode: 0o644, HasOwner: true, HasSize: true, Size: 4, HasMTime: true, MTime: built}},
	} {
		c.want.Path = c.path
		if got := byPath[c.path]; got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.path, got, c.want)
		}
	}
}

// TestLocalPacman builds packages with makepkg, installs them with pacman
// -U into a scratch root, and checks Local against pacman: the package
// list against pacman -Q, each file's record against the file pacman put
// on disk, and — after the test changes, deletes, re-modes, re-owns and
// replaces files — the problems the records predict against pacman -Qkk.
func TestLocalPacman(t *testing.T) {
	root := alpmlocaltest.BuildRoot(t)
	pkgs, err := Local(alpmlocaltest.ReadLocal(t, root))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+" "+p.Version)
		if p.Source != "dsfix-base" || p.Architecture != "any" || p.Ecosystem != ecosystem.ALPM {
			t.Errorf("%s: source %q, architecture %q", p.Name, p.Source, p.Architecture)
		}
	}
	if want := alpmlocaltest.Query(t, root); !slices.Equal(got, want) {
		t.Fatalf("Local: %q\npacman -Q: %q", got, want)
	}

	// Freshly installed, every record matches its file, and pacman agrees.
	if problems := predictQkk(t, root, pkgs); len(problems) != 0 {
		t.Fatalf("fresh root: the records predict %+v", problems)
	}
	if lines := alpmlocaltest.Qkk(t, root); len(lines) != 0 {
		t.Fatalf("fresh root: pacman -Qkk says %+v", lines)
	}
	files := map[string]installed.File{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			files[f.Path] = f
		}
	}
	for path, want := range map[string]string{
		"/etc/dsfix.conf":             "config md5:" + md5Hex("verbose=0\n"),
		"/etc/dsfix/extra.conf":       "config md5:" + md5Hex("secret=1\n") + " -rw-------",
		"/usr/bin/dsfix-suid":         "sha256:" + sha256Hex("suid\n") + " urwxr-xr-x",
		"/var/lib/dsfix":              "dir 5:7 drwxr-x---",
		"/var/spool/dsfix":            "dir 0:0 dtrwxrwxrwx",
		"/usr/bin/dsfix-link":         "link dsfix",
		"/usr/share/doc/dsfix/README": "sha256:" + sha256Hex("dsfix documentation\n"),
	} {
		f, ok := files[path]
		if !ok {
			t.Errorf("%s: not owned", path)
			continue
		}
		var ok2 bool
		switch {
		case strings.HasPrefix(want, "config "):
			ok2 = f.Config && strings.HasPrefix(want, "config "+f.Digest.String()) && (!strings.Contains(want, " -") || strings.HasSuffix(want, f.Mode.String()))
		case strings.HasPrefix(want, "dir "):
			ok2 = f.Type == installed.TypeDir && want == "dir "+strconv.Itoa(f.UID)+":"+strconv.Itoa(f.GID)+" "+(f.Mode|fs.ModeDir).String()
		case strings.HasPrefix(want, "link "):
			ok2 = f.Type == installed.TypeSymlink && f.HasLink && "link "+f.Link == want
		default:
			ok2 = !f.Config && strings.HasPrefix(want, f.Digest.String()) && (!strings.Contains(want, " ") || strings.HasSuffix(want, f.Mode.String()))
		}
		if !ok2 {
			t.Errorf("%s: %+v, want %s", path, f, want)
		}
		if f.Type != installed.TypeDir && (!f.HasMTime || f.MTime.Unix() != alpmlocaltest.SourceDateEpoch) {
			t.Errorf("%s: mtime %v, want the build's SOURCE_DATE_EPOCH", path, f.MTime)
		}
	}

	at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(at("etc/dsfix.conf"), []byte("verbose=1\n"), 0o644)) // same size
	must(os.Chmod(at("etc/dsfix/extra.conf"), 0o644))
	f, err := os.OpenFile(at("usr/bin/dsfix"), os.O_APPEND|os.O_WRONLY, 0)
	must(err)
	_, err = f.WriteString("exit 0\n")
	must(err)
	must(f.Close())
	must(os.Remove(at(`usr/share/dsfix/with space\x`)))
	must(os.Chmod(at("usr/bin/dsfix-suid"), 0o755))
	must(os.Remove(at("usr/bin/dsfix-link")))
	must(os.Symlink("elsewhere", at("usr/bin/dsfix-link")))
	must(os.Lchown(at("var/lib/dsfix"), 0, 0))
	must(os.Remove(at("usr/share/doc/dsfix/README")))
	must(os.Mkdir(at("usr/share/doc/dsfix/README"), 0o644))
	must(os.Chtimes(at("etc/dsfix/extra.conf"), time.Unix(1, 0), time.Unix(1, 0)))

	predicted := alpmlocaltest.Sorted(predictQkk(t, root, pkgs))
	pacman := alpmlocaltest.Sorted(alpmlocaltest.Qkk(t, root))
	if !slices.Equal(predicted, pacman) {
		t.Fatalf("the records predict:\n%s\npacman -Qkk says:\n%s", formatLines(predicted), formatLines(pacman))
	}
	if len(pacman) < 14 {
		t.Fatalf("pacman -Qkk found only %d problems:\n%s", len(pacman), formatLines(pacman))
	}
}

func md5Hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func formatLines(lines []alpmlocaltest.CheckLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  " + l.Package + " " + l.Path + ": " + l.Problem)
		if l.Backup {
			b.WriteString(" (backup)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// predictQkk derives from the records alone, and the files on disk, what
// pacman -Qkk reports, in its words and in the order of its checks
// (pacman's src/pacman/check.c): a missing file ends its checks, so does a
// type mismatch; directories' mtimes are not compared; sizes and digests
// only of regular files.
func predictQkk(t *testing.T, root string, pkgs []installed.Package) []alpmlocaltest.CheckLine {
	t.Helper()
	var lines []alpmlocaltest.CheckLine
	for _, p := range pkgs {
		for _, f := range p.Files {
			add := func(problem string) {
				// pacman marks a backup file's problems "backup file:"
				// only for the checks a modified configuration file
				// is expected to fail.
				backup := f.Config && (problem == "Modification time mismatch" || problem == "Size mismatch" ||
					problem == "MD5 checksum mismatch" || problem == "SHA256 checksum mismatch")
				lines = append(lines, alpmlocaltest.CheckLine{Package: p.Name, Path: f.Path, Problem: problem, Backup: backup})
			}
			full := filepath.Join(root, filepath.FromSlash(f.Path))
			fi, err := os.Lstat(full)
			if err != nil {
				add("No such file or directory")
				continue
			}
			var onDisk installed.FileType
			switch {
			case fi.Mode().IsRegular():
				onDisk = installed.TypeRegular
			case fi.IsDir():
				onDisk = installed.TypeDir
			case fi.Mode()&fs.ModeSymlink != 0:
				onDisk = installed.TypeSymlink
			default:
				onDisk = installed.TypeOther
			}
			if onDisk != f.Type {
				add("File type mismatch")
				continue
			}
			if f.HasMode && fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != f.Mode {
				add("Permissions mismatch")
			}
			st := fi.Sys().(*syscall.Stat_t)
			if f.HasOwner && int(st.Uid) != f.UID {
				add("UID mismatch")
			}
			if f.HasOwner && int(st.Gid) != f.GID {
				add("GID mismatch")
			}
			if f.Type == installed.TypeSymlink {
				if target, err := os.Readlink(full); err != nil || target != f.Link {
					add("Symlink path mismatch")
				}
			}
			if f.HasMTime && fi.ModTime().Unix() != f.MTime.Unix() {
				add("Modification time mismatch")
			}
			if f.Type != installed.TypeRegular {
				continue
			}
			if f.HasSize && fi.Size() != f.Size {
				add("Size mismatch")
			}
			body, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			var sum string
			switch f.Digest.Algo {
			case installed.MD5:
				sum = md5Hex(string(body))
			case installed.SHA256:
				sum = sha256Hex(string(body))
			default:
				t.Fatalf("%s: digest %q", f.Path, f.Digest)
			}
			// The mtree holds both digests; pacman checks both.
			if sum != f.Digest.Hex {
				add("MD5 checksum mismatch")
				add("SHA256 checksum mismatch")
			}
		}
	}
	return lines
}

func TestParseMTree(t *testing.T) {
	text := "#mtree\n" +
		"/set type=file uid=0 gid=0 mode=644\n" +
		"./.PKGINFO time=1.0 size=3\n" +
		"./etc time=1704412800.0 type=dir mode=755\n" +
		"./etc/a\\040b\\134c time=1704412800.5 size=7 md5digest=0123456789ABCDEF0123456789abcdef \\\n" +
		"    sha256digest=" + strings.Repeat("ab", 32) + "\n" +
		"/set uid=5 mode=4711\n" +
		"./usr/bin/x time=2.0\n" +
		"/unset uid mode\n" +
		"./usr/bin/l type=link link=x\\sy unknownkeyword=1 nochange\n" +
		"./dev/null type=char\n"
	for name, data := range map[string][]byte{"plain": []byte(text), "gzip": gzipped(t, text)} {
		t.Run(name, func(t *testing.T) {
			es, err := ParseMTree(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			want := []MTreeEntry{
				{Path: "/etc", Type: "dir", HasMode: true, Mode: 0o755, HasUID: true, HasGID: true, HasTime: true, Time: time.Unix(1704412800, 0).UTC()},
				{Path: `/etc/a b\c`, Type: "file", HasMode: true, Mode: 0o644, HasUID: true, HasGID: true, HasSize: true, Size: 7,
					HasTime: true, Time: time.Unix(1704412800, 5).UTC(), MD5: "0123456789abcdef0123456789abcdef", SHA256: strings.Repeat("ab", 32)},
				{Path: "/usr/bin/x", Type: "file", HasMode: true, Mode: fs.ModeSetuid | 0o711, HasUID: true, UID: 5, HasGID: true, HasTime: true, Time: time.Unix(2, 0).UTC()},
				{Path: "/usr/bin/l", Type: "link", HasGID: true, HasLink: true, Link: "x y"},
				{Path: "/dev/null", Type: "char", HasGID: true},
			}
			if len(es) != len(want) {
				t.Fatalf("%d entries: %+v", len(es), es)
			}
			for i := range want {
				if es[i] != want[i] {
					t.Errorf("entry %d:\n got %+v\nwant %+v", i, es[i], want[i])
				}
			}
		})
	}
}

func gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseMTreeErrors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		want       error
	}{
		{"relative entry", "#mtree\nfile type=file\n", 2, ErrUnsupported},
		{"dotdot", "./a/../../etc/x type=file\n", 1, ErrUnsafePath},
		{"absolute", ".//etc/x type=file\n", 1, ErrUnsafePath},
		{"bad mode", "./a mode=9\n", 1, ErrSyntax},
		{"bad type", "./a type=door\n", 1, ErrSyntax},
		{"bad uid", "./a uid=-1\n", 1, ErrSyntax},
		{"bad time", "./a time=x\n", 1, ErrSyntax},
		{"bad digest", "./a sha256digest=xyz\n", 1, ErrSyntax},
		{"bad escape", "./a\\400 type=file\n", 1, ErrSyntax},
		{"NUL escape", "./a\\000 type=file\n", 1, ErrSyntax},
		{"special", "/dir x\n", 1, ErrUnsupported},
		{"dangling continuation", "./a type=file \\", 1, ErrSyntax},
		{"long line", "./" + strings.Repeat("a", MaxLineSize) + "\n", 1, ErrLineTooLong},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseMTree(strings.NewReader(c.text))
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, c.want) || pe.Line != c.line {
				t.Fatalf("error %v, want a *ParseError at line %d wrapping %v", err, c.line, c.want)
			}
		})
	}
	t.Run("corrupt gzip", func(t *testing.T) {
		data := gzipped(t, "./a type=file\n")
		_, err := ParseMTree(bytes.NewReader(data[:len(data)-6]))
		if !errors.Is(err, ErrCorruptArchive) {
			t.Fatalf("error %v, want ErrCorruptArchive", err)
		}
	})
}

func TestLocalErrors(t *testing.T) {
	good := readLocalFixture(t)["dsfix-1.0-1"]
	with := func(name string, body []byte) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range good {
			m[k] = v
		}
		if body == nil {
			delete(m, name)
		} else {
			m[name] = body
		}
		return m
	}
	for _, c := range []struct {
		name    string
		dir     string
		files   map[string][]byte
		want    error
		member  string
		section string
	}{
		{"no desc", "dsfix-1.0-1", with("desc", nil), ErrMissingField, "dsfix-1.0-1/desc", ""},
		{"wrong dir", "dsfix-1.0-2", good, ErrInconsistent, "dsfix-1.0-2/desc", ""},
		{"unsafe dir", "..", good, ErrUnsafePath, "..", ""},
		{"backup without md5", "dsfix-1.0-1", with("files", []byte("%FILES%\netc/x\n\n%BACKUP%\netc/x\n")), ErrSyntax, "dsfix-1.0-1/files", "%BACKUP%"},
		{"backup bad md5", "dsfix-1.0-1", with("files", []byte("%BACKUP%\netc/x\tnothex\n")), ErrSyntax, "dsfix-1.0-1/files", "%BACKUP%"},
		{"backup escapes", "dsfix-1.0-1", with("files", []byte("%BACKUP%\n../x\t"+md5Hex("")+"\n")), ErrUnsafePath, "dsfix-1.0-1/files", "%BACKUP%"},
		{"files escape", "dsfix-1.0-1", with("files", []byte("%FILES%\n../../x\n")), ErrUnsafePath, "dsfix-1.0-1/files", "%FILES%"},
		{"bad mtree", "dsfix-1.0-1", with("mtree", []byte("./x mode=8\n")), ErrSyntax, "dsfix-1.0-1/mtree", ""},
		{"desc too large", "dsfix-1.0-1", with("desc", make([]byte, DefaultMaxEntrySize+1)), ErrMemberTooLarge, "dsfix-1.0-1/desc", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Local(map[string]map[string][]byte{c.dir: c.files})
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, c.want) {
				t.Fatalf("error %v, want a *ParseError wrapping %v", err, c.want)
			}
			if pe.File != LocalDB || pe.Member != c.member || pe.Section != c.section {
				t.Errorf("error %q: file %q member %q section %q, want member %q section %q", err, pe.File, pe.Member, pe.Section, c.member, c.section)
			}
		})
	}
}

// FuzzMTree: ParseMTree fails only with a *ParseError, and every entry
// it returns has an absolute, clean path.
func FuzzMTree(f *testing.F) {
	f.Add(readLocalFixture(f)["dsfix-1.0-1"]["mtree"])
	f.Add([]byte("#mtree\n/set type=file mode=4755 uid=0\n./a\\040b time=1.2 size=3 \\\n md5digest=" + strings.Repeat("0", 32) + "\n/unset all\n./l type=link link=a\\\\b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseMTree(bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "alpm: mtree") {
				t.Fatalf("error %q is not a *ParseError naming the mtree", err)
			}
			return
		}
		for _, e := range es {
			if !strings.HasPrefix(e.Path, "/") || filepath.Clean(e.Path) != e.Path || strings.Contains(e.Path, "\x00") {
				t.Fatalf("path %q is not absolute and clean", e.Path)
			}
			if e.Mode&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
				t.Fatalf("%s: mode %v has type bits", e.Path, e.Mode)
			}
		}
	})
}

// FuzzLocalDesc feeds one package directory of fuzzed desc and files
// entries (with the fixture's mtree) through Local.
func FuzzLocalDesc(f *testing.F) {
	fx := readLocalFixture(f)["dsfix-1.0-1"]
	f.Add("dsfix-1.0-1", fx["desc"], fx["files"])
	f.Add("a-1-1", []byte("%NAME%\na\n%VERSION%\n1-1\n%BASE%\nb\n"), []byte("%FILES%\netc/\netc/x\n\n%BACKUP%\netc/x\t"+strings.Repeat("a", 32)+"\n"))
	f.Fuzz(func(t *testing.T, dir string, desc, files []byte) {
		pkgs, err := Local(map[string]map[string][]byte{dir: {"desc": desc, "files": files, "mtree": fx["mtree"]}})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "alpm: "+LocalDB) {
				t.Fatalf("error %q is not a *ParseError naming the database", err)
			}
			return
		}
		p := pkgs[0]
		if p.Name == "" || p.Version == "" || dir != p.Name+"-"+p.Version {
			t.Fatalf("inconsistent package %+v in %q", p, dir)
		}
		for _, f := range p.Files {
			if !strings.HasPrefix(f.Path, "/") || filepath.Clean(f.Path) != f.Path {
				t.Fatalf("path %q is not absolute and clean", f.Path)
			}
			if f.Config && (f.Digest.Algo != installed.MD5 || len(f.Digest.Hex) != 32) {
				t.Fatalf("backup file %s without its md5: %+v", f.Path, f)
			}
		}
	})
}
