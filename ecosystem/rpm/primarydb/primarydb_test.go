package primarydb

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/distroscope/distroscope/ecosystem/rpm"
)

// The fixture repository of package rpm (../testdata/README.md): one set
// of rpms, and repodata written by createrepo_c in several variants, most
// with a primary.sqlite beside primary.xml, one (sqlite-only) without the
// XML.
const fixtureRepo = "../testdata/repo"

func variantDirs(t testing.TB) map[string]string {
	t.Helper()
	dirs := map[string]string{"default": fixtureRepo}
	entries, err := os.ReadDir("../testdata/variants")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dirs[e.Name()] = filepath.Join("../testdata/variants", e.Name())
	}
	return dirs
}

func repomd(t testing.TB, dir string) *rpm.Repomd {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	md, err := rpm.ParseRepomd(f, "")
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// open returns the decompressed content of a record's file.
func open(t testing.TB, dir string, d rpm.RepomdData) io.Reader {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, d.Location))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(data)
	switch d.Compression() {
	case "gz":
		r, err = gzip.NewReader(r)
	case "bz2":
		r = bzip2.NewReader(r)
	case "xz":
		r, err = xz.NewReader(r)
	case "":
	default:
		t.Fatalf("no decompressor for %s", d.Location)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readAll(t testing.TB, r rpm.PackageReader) []rpm.Package {
	t.Helper()
	var out []rpm.Package
	for {
		p, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *p)
	}
}

// readDir reads a variant's primary data of the given type, joined with
// filelists.xml.
func readDir(t *testing.T, dir, typ string, files bool) []rpm.Package {
	t.Helper()
	md := repomd(t, dir)
	rec, ok := md.Find(typ)
	if !ok {
		t.Fatalf("%s: no %s", dir, typ)
	}
	var pkgs rpm.PackageReader
	if typ == "primary_db" {
		var opts []Option
		if files {
			opts = append(opts, WithFiles())
		}
		db, err := Spool(t.Context(), open(t, dir, rec), rec.Location, t.TempDir(), 1<<30, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		pkgs = db
	} else {
		var opts []rpm.Option
		if files {
			opts = append(opts, rpm.WithPrimaryFiles())
		}
		pkgs = rpm.NewPrimaryReader(open(t, dir, rec), rec.Location, opts...)
	}
	if files {
		return readAll(t, pkgs)
	}
	fl, _ := md.Find("filelists")
	return readAll(t, rpm.JoinFilelists(pkgs, rpm.NewFilelistsReader(open(t, dir, fl), fl.Location)))
}

// TestMatchesXML reads the sqlite primary of every variant that has one
// and expects, package by package, field by field, what primary.xml of the
// same variant says (of the default variant for sqlite-only, which has no
// XML). Package rpm checks the XML against rpm's own reading of the
// package files.
func TestMatchesXML(t *testing.T) {
	n := 0
	for name, dir := range variantDirs(t) {
		if _, ok := repomd(t, dir).Find("primary_db"); !ok {
			continue
		}
		n++
		xmlDir := dir
		if _, ok := repomd(t, dir).Find("primary"); !ok {
			xmlDir = fixtureRepo
		}
		for _, files := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/primary-files=%v", name, files), func(t *testing.T) {
				want := readDir(t, xmlDir, "primary", files)
				got := readDir(t, dir, "primary_db", files)
				if len(got) != len(want) || len(want) < 6 {
					t.Fatalf("%d packages, XML has %d", len(got), len(want))
				}
				for i := range want {
					if got[i].Line != 0 || want[i].Line == 0 {
						t.Errorf("%s: line %d from sqlite, %d from XML", want[i].Name, got[i].Line, want[i].Line)
					}
					want[i].Line = 0
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Errorf("package %d:\n got %+v\nwant %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
	if n < 5 {
		t.Fatalf("only %d variants with a primary_db", n)
	}
}

// fixtureDB writes the default variant's primary.sqlite, decompressed, to
// a temporary file and returns its path.
func fixtureDB(t testing.TB) string {
	t.Helper()
	md := repomd(t, fixtureRepo)
	rec, ok := md.Find("primary_db")
	if !ok {
		t.Fatal("no primary_db")
	}
	data, err := io.ReadAll(open(t, fixtureRepo, rec))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "primary.sqlite")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// alterDB changes a copy of the fixture database with SQL statements (the
// reader itself only ever opens databases read-only).
func alterDB(t *testing.T, stmts ...string) string {
	t.Helper()
	path := fixtureDB(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func readDB(t *testing.T, path string) (n int, errs []error) {
	t.Helper()
	db, err := Open(t.Context(), path, "repodata/primary.sqlite")
	if err != nil {
		return 0, []error{err}
	}
	defer db.Close()
	for i := 0; i < 100; i++ {
		_, err := db.Next()
		switch {
		case err == io.EOF:
			return n, errs
		case err != nil:
			errs = append(errs, err)
			if !errors.As(err, new(*rpm.ParseError)) || errors.Is(err, rpm.ErrDatabase) {
				return n, errs
			}
		default:
			n++
		}
	}
	t.Fatal("no end")
	return
}

func TestCorrupt(t *testing.T) {
	total, errs := readDB(t, fixtureDB(t))
	if len(errs) > 0 || total < 6 {
		t.Fatalf("fixture: %d packages, errors %v", total, errs)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.sqlite")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 512), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := fixtureDB(t)
	data, err := os.ReadFile(truncated)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		want     error
		element  string
		recovers bool
	}{
		{"not a database", garbage, rpm.ErrDatabase, "db_info", false},
		{"truncated", truncated, rpm.ErrDatabase, "", false},
		{"schema version", alterDB(t, "UPDATE db_info SET dbversion = 9"), rpm.ErrDatabase, "db_info", false},
		{"no requires table", alterDB(t, "DROP TABLE requires"), rpm.ErrDatabase, "requires", false},
		{"no packages table", alterDB(t, "DROP TABLE packages"), rpm.ErrDatabase, "packages", false},
		{"unknown checksum type", alterDB(t, "UPDATE packages SET checksum_type = 'sha257' WHERE pkgKey = 1"), rpm.ErrChecksum, "checksum (pkgKey 1)", true},
		{"malformed epoch", alterDB(t, "UPDATE packages SET epoch = 'x' WHERE pkgKey = 2"), rpm.ErrVersion, "version (pkgKey 2)", true},
		{"hyphen in version", alterDB(t, "UPDATE packages SET version = '1-2' WHERE pkgKey = 2"), rpm.ErrVersion, "version (pkgKey 2)", true},
		{"unknown flags", alterDB(t, "UPDATE requires SET flags = 'EQUAL' WHERE flags = 'EQ' AND pkgKey = 2"), rpm.ErrVersion, "requires (pkgKey 2)", true},
		{"no name", alterDB(t, "UPDATE packages SET name = NULL WHERE pkgKey = 3"), rpm.ErrMissing, "name (pkgKey 3)", true},
		{"bad source rpm", alterDB(t, "UPDATE packages SET rpm_sourcerpm = 'x.rpm' WHERE pkgKey = 1"), rpm.ErrVersion, "sourcerpm (pkgKey 1)", true},
		// sqlite, unlike XML, holds any bytes: a name that is not UTF-8
		// is refused as a malformed name.
		{"name not UTF-8", alterDB(t, "UPDATE packages SET name = CAST(X'6261640a' || X'ff' AS TEXT) WHERE pkgKey = 2"), rpm.ErrName, "name (pkgKey 2)", true},
		{"version not UTF-8", alterDB(t, "UPDATE packages SET version = CAST(X'31ff' AS TEXT) WHERE pkgKey = 2"), rpm.ErrVersion, "version (pkgKey 2)", true},
		{"too many provides", alterDB(t, fmt.Sprintf("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i <= %d) INSERT INTO provides (pkgKey, name) SELECT 2, 'p' || i FROM n", rpm.MaxEntries)), rpm.ErrTooMany, "provides (pkgKey 2)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, errs := readDB(t, tt.path)
			if len(errs) == 0 {
				t.Fatalf("no error; %d packages", n)
			}
			err := errs[0]
			var pe *rpm.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "rpmmd: repodata/primary.sqlite: ") {
				t.Fatalf("error %v, want a *ParseError naming the file, wrapping %v", err, tt.want)
			}
			if tt.element != "" && pe.Element != tt.element {
				t.Errorf("error %q names %q, want %q", err, pe.Element, tt.element)
			}
			if tt.recovers && (len(errs) != 1 || n != total-1) {
				t.Errorf("errors %v and %d packages, want 1 error and %d packages", errs, n, total-1)
			}
		})
	}
}

// TestPrimaryDBOldSchema reads a database without the weak dependency
// tables, as yum's createrepo wrote them.
func TestOldSchema(t *testing.T) {
	path := alterDB(t, "DROP TABLE recommends", "DROP TABLE suggests", "DROP TABLE supplements", "DROP TABLE enhances")
	db, err := Open(t.Context(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pkgs := readAll(t, db)
	full := fixtureDB(t)
	fdb, err := Open(t.Context(), full, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fdb.Close()
	want := readAll(t, fdb)
	weak := 0
	for i := range want {
		weak += len(want[i].Recommends) + len(want[i].Suggests) + len(want[i].Supplements) + len(want[i].Enhances)
		want[i].Recommends, want[i].Suggests, want[i].Supplements, want[i].Enhances = nil, nil, nil, nil
		if !reflect.DeepEqual(want[i], pkgs[i]) {
			t.Errorf("%s: %+v, want %+v", want[i].Name, pkgs[i], want[i])
		}
	}
	if weak == 0 {
		t.Fatal("the fixture has no weak dependency")
	}
}

func TestSpool(t *testing.T) {
	data, err := os.ReadFile(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	empty := func() bool {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return len(entries) == 0
	}
	db, err := Spool(t.Context(), bytes.NewReader(data), "", dir, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if empty() {
		t.Fatal("nothing spooled")
	}
	if len(readAll(t, db)) == 0 {
		t.Error("no packages")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !empty() {
		t.Error("spooled copy left behind by Close")
	}

	_, err = Spool(t.Context(), bytes.NewReader(data), "repodata/primary.sqlite", dir, int64(len(data))-1)
	if !errors.Is(err, rpm.ErrTooLarge) || !errors.As(err, new(*rpm.ParseError)) {
		t.Errorf("over the limit: %v, want an rpm.ErrTooLarge *ParseError", err)
	}
	_, err = Spool(t.Context(), bytes.NewReader(data[:1000]), "", dir, 1<<30)
	if !errors.Is(err, rpm.ErrDatabase) {
		t.Errorf("truncated: %v, want rpm.ErrDatabase", err)
	}
	boom := errors.New("reset")
	_, err = Spool(t.Context(), &failingReader{data: data[:100], err: boom}, "", dir, 1<<30)
	if !errors.Is(err, boom) || errors.As(err, new(*rpm.ParseError)) {
		t.Errorf("failing reader: %v, want its error, not a *ParseError", err)
	}
	if !empty() {
		t.Error("spooled copies left behind by failures")
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	db, err := Open(ctx, fixtureDB(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cancel()
	for i := 0; i < 100; i++ {
		if _, err = db.Next(); err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) || errors.As(err, new(*rpm.ParseError)) {
		t.Fatalf("after cancel: %v, want context.Canceled and no *ParseError", err)
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}
