package rpmmd

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDB writes the default variant's primary.sqlite, decompressed, to
// a temporary file and returns its path.
func fixtureDB(t testing.TB) string {
	t.Helper()
	md := readRepomdFile(t, fixtureRepo)
	rec, ok := md.Find("primary_db")
	if !ok {
		t.Fatal("no primary_db")
	}
	data, err := io.ReadAll(openRecord(t, fixtureRepo, rec))
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
	db, err := OpenPrimaryDB(t.Context(), path, "repodata/primary.sqlite")
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
			if !errors.As(err, new(*ParseError)) || errors.Is(err, ErrDatabase) {
				return n, errs
			}
		default:
			n++
		}
	}
	t.Fatal("no end")
	return
}

func TestPrimaryDBCorrupt(t *testing.T) {
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
		{"not a database", garbage, ErrDatabase, "db_info", false},
		{"truncated", truncated, ErrDatabase, "", false},
		{"schema version", alterDB(t, "UPDATE db_info SET dbversion = 9"), ErrDatabase, "db_info", false},
		{"no requires table", alterDB(t, "DROP TABLE requires"), ErrDatabase, "requires", false},
		{"no packages table", alterDB(t, "DROP TABLE packages"), ErrDatabase, "packages", false},
		{"unknown checksum type", alterDB(t, "UPDATE packages SET checksum_type = 'sha257' WHERE pkgKey = 1"), ErrChecksum, "pkgId (pkgKey 1)", true},
		{"malformed epoch", alterDB(t, "UPDATE packages SET epoch = 'x' WHERE pkgKey = 2"), ErrVersion, "version (pkgKey 2)", true},
		{"hyphen in version", alterDB(t, "UPDATE packages SET version = '1-2' WHERE pkgKey = 2"), ErrVersion, "version (pkgKey 2)", true},
		{"unknown flags", alterDB(t, "UPDATE requires SET flags = 'EQUAL' WHERE flags = 'EQ' AND pkgKey = 2"), ErrVersion, "requires (pkgKey 2)", true},
		{"no name", alterDB(t, "UPDATE packages SET name = NULL WHERE pkgKey = 3"), ErrMissing, "name (pkgKey 3)", true},
		{"bad source rpm", alterDB(t, "UPDATE packages SET rpm_sourcerpm = 'x.rpm' WHERE pkgKey = 1"), ErrVersion, "rpm_sourcerpm (pkgKey 1)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, errs := readDB(t, tt.path)
			if len(errs) == 0 {
				t.Fatalf("no error; %d packages", n)
			}
			err := errs[0]
			var pe *ParseError
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
func TestPrimaryDBOldSchema(t *testing.T) {
	path := alterDB(t, "DROP TABLE recommends", "DROP TABLE suggests", "DROP TABLE supplements", "DROP TABLE enhances")
	db, err := OpenPrimaryDB(t.Context(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pkgs := readPackages(t, db)
	full := fixtureDB(t)
	fdb, err := OpenPrimaryDB(t.Context(), full, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fdb.Close()
	want := readPackages(t, fdb)
	weak := 0
	for i := range want {
		weak += len(want[i].Recommends) + len(want[i].Suggests) + len(want[i].Supplements) + len(want[i].Enhances)
		want[i].Recommends, want[i].Suggests, want[i].Supplements, want[i].Enhances = nil, nil, nil, nil
		if d := diffPackage(want[i], pkgs[i]); len(d) > 0 {
			t.Errorf("%s: %v", want[i].Name, d)
		}
	}
	if weak == 0 {
		t.Fatal("the fixture has no weak dependency")
	}
}

func TestSpoolPrimaryDB(t *testing.T) {
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
	db, err := SpoolPrimaryDB(t.Context(), bytes.NewReader(data), "", dir, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if empty() {
		t.Fatal("nothing spooled")
	}
	if len(readPackages(t, db)) == 0 {
		t.Error("no packages")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !empty() {
		t.Error("spooled copy left behind by Close")
	}

	_, err = SpoolPrimaryDB(t.Context(), bytes.NewReader(data), "repodata/primary.sqlite", dir, int64(len(data))-1)
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, new(*ParseError)) {
		t.Errorf("over the limit: %v, want an ErrTooLarge *ParseError", err)
	}
	_, err = SpoolPrimaryDB(t.Context(), bytes.NewReader(data[:1000]), "", dir, 1<<30)
	if !errors.Is(err, ErrDatabase) {
		t.Errorf("truncated: %v, want ErrDatabase", err)
	}
	boom := errors.New("reset")
	_, err = SpoolPrimaryDB(t.Context(), &failingReader{data: data[:100], err: boom}, "", dir, 1<<30)
	if !errors.Is(err, boom) || errors.As(err, new(*ParseError)) {
		t.Errorf("failing reader: %v, want its error, not a *ParseError", err)
	}
	if !empty() {
		t.Error("spooled copies left behind by failures")
	}
}

func TestPrimaryDBCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	db, err := OpenPrimaryDB(ctx, fixtureDB(t), "")
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
	if !errors.Is(err, context.Canceled) || errors.As(err, new(*ParseError)) {
		t.Fatalf("after cancel: %v, want context.Canceled and no *ParseError", err)
	}
}
