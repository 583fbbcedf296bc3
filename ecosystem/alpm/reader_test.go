package alpm

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/distroscope/distroscope/ecosystem/alpm/alpmtest"
)

func readAll(t *testing.T, r *Reader) []*Package {
	t.Helper()
	var out []*Package
	for {
		p, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
}

func TestFixtureDatabases(t *testing.T) {
	want := alpmtest.Load(t)
	tests := []struct {
		file        string
		compression string
		withFiles   bool
		filesDB     bool
	}{
		{"fixture.db.tar.gz", "gzip", false, false},
		{"fixture.db.tar.xz", "xz", false, false},
		{"fixture.db.tar.zst", "zstd", false, false},
		{"fixture-old.db.tar.gz", "gzip", false, false},
		{"fixture.files.tar.gz", "gzip", false, true},
		{"fixture.files.tar.gz", "gzip", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.file+map[bool]string{true: "+files"}[tt.withFiles], func(t *testing.T) {
			f, err := os.Open("testdata/repo/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var opts []Option
			if tt.withFiles {
				opts = append(opts, WithFiles())
			}
			r, err := Open(f, tt.file, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Compression() != tt.compression {
				t.Errorf("compression %q, want %q", r.Compression(), tt.compression)
			}
			got := readAll(t, r)
			if len(got) != len(want) {
				t.Fatalf("%d packages, want %d", len(got), len(want))
			}
			if r.FilesDatabase() != tt.filesDB {
				t.Errorf("FilesDatabase() = %v, want %v", r.FilesDatabase(), tt.filesDB)
			}
			for _, p := range got {
				w, ok := want[p.Name]
				if !ok {
					t.Errorf("unexpected package %q", p.Name)
					continue
				}
				comparePackage(t, p, w, tt.withFiles)
			}
		})
	}
}

func comparePackage(t *testing.T, p *Package, w *alpmtest.Package, withFiles bool) {
	t.Helper()
	in := w.Info
	check := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %s = %q, want %q", p.Name, field, got, want)
		}
	}
	checkList := func(field string, got []string, key string) {
		t.Helper()
		if !slices.Equal(got, in[key]) {
			t.Errorf("%s: %s = %q, want %q (.PKGINFO %s)", p.Name, field, got, in[key], key)
		}
	}
	check("Dir", p.Dir, in.One("pkgname")+"-"+in.One("pkgver"))
	check("Filename", p.Filename, w.File)
	check("Base", p.Base, in.One("pkgbase"))
	check("Version", p.Version, in.One("pkgver"))
	check("Description", p.Description, in.One("pkgdesc"))
	check("URL", p.URL, in.One("url"))
	check("Arch", p.Arch, in.One("arch"))
	check("Packager", p.Packager, in.One("packager"))
	check("BuildDate", strconv.FormatInt(p.BuildDate, 10), in.One("builddate"))
	check("ISize", strconv.FormatInt(p.ISize, 10), in.One("size"))
	check("CSize", strconv.FormatInt(p.CSize, 10), strconv.Itoa(len(w.Data)))
	md5sum, sha := md5.Sum(w.Data), sha256.Sum256(w.Data)
	check("MD5Sum", p.MD5Sum, hex.EncodeToString(md5sum[:]))
	check("SHA256Sum", p.SHA256Sum, hex.EncodeToString(sha[:]))
	checkList("Groups", p.Groups, "group")
	checkList("Licenses", p.Licenses, "license")
	checkList("Replaces", p.Replaces, "replaces")
	checkList("Conflicts", p.Conflicts, "conflict")
	checkList("Provides", p.Provides, "provides")
	checkList("Depends", p.Depends, "depend")
	checkList("OptDepends", p.OptDepends, "optdepend")
	checkList("MakeDepends", p.MakeDepends, "makedepend")
	checkList("CheckDepends", p.CheckDepends, "checkdepend")
	// pacman's own reading of the package file.
	check("Name (pacman -Qip)", p.Name, w.Qip["Name"])
	check("Version (pacman -Qip)", p.Version, w.Qip["Version"])
	check("Description (pacman -Qip)", p.Description, w.Qip["Description"])
	check("Arch (pacman -Qip)", p.Arch, w.Qip["Architecture"])
	check("Packager (pacman -Qip)", p.Packager, w.Qip["Packager"])
	if withFiles {
		if !slices.Equal(p.Files, w.Files) {
			t.Errorf("%s: Files = %q, want %q", p.Name, p.Files, w.Files)
		}
	} else if p.Files != nil {
		t.Errorf("%s: Files read without WithFiles", p.Name)
	}
}

// tarEntry is one member of a hand-made database.
type tarEntry struct {
	name     string
	body     string
	typeflag byte
	size     int64 // when > 0, the declared size of a body of zeros
}

func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: e.typeflag}
		switch {
		case e.typeflag == tar.TypeDir:
			h.Mode = 0o755
		case e.typeflag == tar.TypeSymlink:
			h.Linkname = e.body
		case e.size > 0:
			h.Size = e.size
		default:
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.size > 0 {
			if _, err := io.CopyN(tw, zeros{}, e.size); err != nil {
				t.Fatal(err)
			}
		} else if h.Typeflag == tar.TypeReg {
			io.WriteString(tw, e.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// realEntries returns the members of the gzip fixture database, so that
// damaged databases can be derived from real repo-add output.
func realEntries(t testing.TB) []tarEntry {
	t.Helper()
	f, err := os.Open("testdata/repo/fixture.db.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out = append(out, tarEntry{name: h.Name, body: string(body), typeflag: h.Typeflag})
	}
}

func wantParseError(t *testing.T, err error, target error, fragments ...string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if !errors.Is(err, target) {
		t.Errorf("error %q is not %v", err, target)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestEntriesInAnyOrder(t *testing.T) {
	// Within a directory, depends and files may come before desc (the
	// .files fixture already has files first); the package is the same.
	entries := realEntries(t)
	var reordered []tarEntry
	for i := 0; i < len(entries); i += 2 { // dir, desc
		dir, desc := entries[i], entries[i+1]
		head, tail, _ := strings.Cut(desc.body, "%DEPENDS%")
		reordered = append(reordered, tarEntry{name: dir.name + "depends", body: "%DEPENDS%" + tail}, tarEntry{name: desc.name, body: head})
		if !strings.Contains(desc.body, "%DEPENDS%") {
			reordered = reordered[:len(reordered)-2]
			reordered = append(reordered, desc)
		}
	}
	plain := readAll(t, NewReader(bytes.NewReader(makeTar(t, entries...)), "plain"))
	moved := readAll(t, NewReader(bytes.NewReader(makeTar(t, reordered...)), "moved"))
	if len(plain) != 4 || len(moved) != 4 {
		t.Fatalf("%d and %d packages, want 4", len(plain), len(moved))
	}
	for i := range plain {
		if a, b := plain[i], moved[i]; !slices.Equal(NormalRelations(a.Depends), NormalRelations(b.Depends)) || a.Name != b.Name || len(NormalRelations(a.Depends)) != len(a.Depends) {
			t.Errorf("package %d: %v and %v differ", i, a, b)
		}
	}
}

func TestCorruptDatabases(t *testing.T) {
	real := realEntries(t)
	descOf := func(dir string) string {
		for _, e := range real {
			if e.name == dir+"/desc" {
				return e.body
			}
		}
		t.Fatalf("no %s/desc", dir)
		return ""
	}
	const dir = "fixture-data-20240105-1.1"
	desc := descOf(dir)
	replace := func(old, new string) string {
		if !strings.Contains(desc, old) {
			t.Fatalf("desc has no %q", old)
		}
		return strings.Replace(desc, old, new, 1)
	}
	gz, err := os.ReadFile("testdata/repo/fixture.db.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		data      []byte
		opts      []Option
		target    error
		fragments []string
	}{
		{"truncated gzip", gz[:len(gz)/2], nil, ErrCorruptArchive, nil},
		{"parent path", makeTar(t, tarEntry{name: "../" + dir + "/desc", body: desc}), nil, ErrUnsafePath, []string{"../"}},
		{"absolute path", makeTar(t, tarEntry{name: "/etc/desc", body: desc}), nil, ErrUnsafePath, []string{"/etc/desc"}},
		{"symlink", makeTar(t, tarEntry{name: dir + "/desc", body: "/etc/passwd", typeflag: tar.TypeSymlink}), nil, ErrUnsupported, []string{dir + "/desc"}},
		{"nested", makeTar(t, tarEntry{name: dir + "/sub/desc", body: desc}), nil, ErrSyntax, []string{"nested"}},
		{"bad number", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%CSIZE%\n", "%CSIZE%\n-")}), nil, ErrSyntax, []string{dir + "/desc line ", "%CSIZE%"}},
		{"bad digest", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%SHA256SUM%\n", "%SHA256SUM%\nzz")}), nil, ErrSyntax, []string{"%SHA256SUM%"}},
		{"two names", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%NAME%\nfixture-data\n", "%NAME%\nfixture-data\nother\n")}), nil, ErrSyntax, []string{"%NAME%", "2 values"}},
		{"missing version", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%VERSION%\n", "%XVERSION%\n")}), nil, ErrMissingField, []string{"%VERSION%"}},
		{"inconsistent dir", makeTar(t, tarEntry{name: "fixture-data-1-1/desc", body: desc}), nil, ErrInconsistent, []string{"fixture-data-1-1/desc"}},
		{"duplicate section", makeTar(t, tarEntry{name: dir + "/desc", body: desc}, tarEntry{name: dir + "/depends", body: "%ARCH%\nany\n"}), nil, ErrDuplicateField, []string{dir + "/depends line 1", "%ARCH%"}},
		{"value outside a section", makeTar(t, tarEntry{name: dir + "/desc", body: "stray\n" + desc}), nil, ErrSyntax, []string{"line 1"}},
		{"bad relation", makeTar(t, tarEntry{name: dir + "/desc", body: desc + "\n%DEPENDS%\n>=1.0\n"}), nil, ErrInvalidRelation, []string{"%DEPENDS%"}},
		{"NUL", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%URL%", "%URL%\x00")}), nil, ErrSyntax, []string{"NUL"}},
		{"oversized entry", makeTar(t, tarEntry{name: dir + "/desc", body: desc}), []Option{WithMaxEntrySize(64)}, ErrMemberTooLarge, []string{dir + "/desc"}},
		{"long line", makeTar(t, tarEntry{name: dir + "/desc", body: "%DESC%\n" + strings.Repeat("x", MaxLineSize+1) + "\n"}), nil, ErrLineTooLong, nil},
		{"unknown compression", []byte("PK\x03\x04 not a tar at all"), nil, ErrUnknownCompressor, nil},
		// Names and versions follow alpm-package-name(7) and
		// alpm-package-version(7): one that is not UTF-8, or not a name or
		// version at all, refuses the package.
		{"invalid UTF-8 in NAME", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%NAME%\nfixture-data\n", "%NAME%\nfixture-d\xffata\n")}), nil, ErrInvalidName, []string{dir + "/desc line 4", "%NAME%", `"fixture-d\xffata"`}},
		{"NAME starting with a dot", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%NAME%\nfixture-data\n", "%NAME%\n.fixture-data\n")}), nil, ErrInvalidName, []string{`".fixture-data"`}},
		{"invalid UTF-8 in VERSION", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%VERSION%\n20240105-1.1\n", "%VERSION%\n2024\xe90105-1.1\n")}), nil, ErrInvalidVersion, []string{"%VERSION%", `"2024\xe90105-1.1"`}},
		{"VERSION without pkgrel", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%VERSION%\n20240105-1.1\n", "%VERSION%\n20240105\n")}), nil, ErrInvalidVersion, []string{`"20240105"`}},
		{"VERSION with a bad pkgrel", makeTar(t, tarEntry{name: dir + "/desc", body: replace("%VERSION%\n20240105-1.1\n", "%VERSION%\n20240105-x\n")}), nil, ErrInvalidVersion, []string{`"20240105-x"`}},
		// Each entry is bounded in sections and values.
		{"too many sections", makeTar(t, tarEntry{name: dir + "/desc", body: desc + "\n" + manySections(40000)}), nil, ErrTooManyFields, []string{fmt.Sprintf("more than %d", MaxSections)}},
		{"too many values", makeTar(t, tarEntry{name: dir + "/desc", body: desc + "\n%PROVIDES%\n" + strings.Repeat("libx.so\n", MaxValues+1)}), nil, ErrTooManyValues, []string{"%PROVIDES%", fmt.Sprintf("more than %d", MaxValues)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(bytes.NewReader(tt.data), "broken.db", tt.opts...)
			if err == nil {
				for {
					if _, err = r.Next(); err != nil {
						break
					}
				}
			}
			if err == io.EOF {
				t.Fatal("read to the end without an error")
			}
			wantParseError(t, err, tt.target, append(tt.fragments, "alpm: broken.db")...)
			t.Log(err)
		})
	}
}

// manySections is n sections without a field of their own.
func manySections(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%%X%d%%\n%d\n\n", i, i)
	}
	return b.String()
}

// TestErrorsBounded: a hostile value is quoted, cut and measured in the
// message rather than printed whole.
func TestErrorsBounded(t *testing.T) {
	huge := strings.Repeat("9", 120<<10)
	for name, entries := range map[string][]tarEntry{
		"huge version":  {{name: "a-1-1/desc", body: "%NAME%\na\n\n%VERSION%\n" + huge + "\n"}},
		"huge name":     {{name: "a-1-1/desc", body: "%NAME%\n" + huge + "!\n\n%VERSION%\n1-1\n"}},
		"huge relation": {{name: "a-1-1/desc", body: "%NAME%\na\n\n%VERSION%\n1-1\n\n%DEPENDS%\n>=" + huge + "\n"}},
		"huge size":     {{name: "a-1-1/desc", body: "%NAME%\na\n\n%VERSION%\n1-1\n\n%CSIZE%\n" + huge + "\n"}},
		"huge header":   {{name: "a-1-1/desc", body: "%" + huge + "\n"}},
		"huge path":     {{name: "a-1-1/desc", body: "%NAME%\na\n\n%VERSION%\n1-1\n\n%FILENAME%\n/" + huge + "\n"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(makeTar(t, entries...)), "x.db")
			_, err := r.Next()
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); len(msg) > 400 {
				t.Errorf("error is %d bytes: %.500s", len(msg), msg)
			}
			if !strings.Contains(err.Error(), " bytes)") {
				t.Errorf("error %q does not say how long the value was", err)
			}
		})
	}
}

func TestDecompressionBomb(t *testing.T) {
	// 32 MiB of zeros in one files entry, gzip-compressed to tens
	// of KiB: the size limit stops the reader long before it has
	// inflated it all, though the entry is never parsed.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(makeTar(t, tarEntry{name: "a-1-1/", typeflag: tar.TypeDir}, tarEntry{name: "a-1-1/files", size: 32 << 20}))
	zw.Close()
	r, err := Open(bytes.NewReader(buf.Bytes()), "bomb.db", WithMaxSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	wantParseError(t, err, ErrDatabaseTooLarge, "bomb.db")
	if _, again := r.Next(); again != err {
		t.Errorf("second Next: %v, want the same final error", again)
	}
}

func TestRecoverAfterPackageError(t *testing.T) {
	// A damaged package is reported and skipped; the packages after it
	// are still read, and a directory met twice is refused.
	real := realEntries(t)
	var entries []tarEntry
	for _, e := range real {
		if strings.HasPrefix(e.name, "fixture-data-") && strings.HasSuffix(e.name, "/desc") {
			e.body = strings.Replace(e.body, "%ISIZE%\n", "%ISIZE%\nbig", 1)
		}
		entries = append(entries, e)
	}
	entries = append(entries, real[0], real[1]) // fixture-data again
	r := NewReader(bytes.NewReader(makeTar(t, entries...)), "mixed.db")
	var names []string
	var errs []error
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
			if len(errs) > 10 {
				t.Fatal("no progress")
			}
			continue
		}
		names = append(names, p.Name)
	}
	if len(names) != 3 || len(errs) != 2 {
		t.Fatalf("read %q with errors %v; want the 3 undamaged packages and 2 errors", names, errs)
	}
	wantParseError(t, errs[0], ErrSyntax, "%ISIZE%")
	wantParseError(t, errs[1], ErrDuplicatePackage, real[0].name)
}
