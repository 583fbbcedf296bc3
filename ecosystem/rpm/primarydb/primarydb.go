// Package primarydb reads the sqlite form of rpm-md primary data
// (repomd.xml type "primary_db", repodata/*-primary.sqlite.*), for
// repositories that offer it and not primary.xml, into the same
// rpm.Package values as rpm.PrimaryReader.
//
// The schema is createrepo's, version 10 (database_version in repomd.xml),
// which createrepo_c keeps: a packages table and one table per dependency
// kind keyed by pkgKey. See
// https://github.com/rpm-software-management/createrepo_c (src/sqlite.c)
// and https://rpm-software-management.github.io/createrepo_c/.
//
// It is a package of its own because sqlite is big: it uses
// modernc.org/sqlite (pure Go, no cgo), which adds about 7 MB to a binary
// and half a minute to a cold build, and which every fuzz or test binary
// linking it would carry (coverage-guided fuzzing slows to a crawl over
// its millions of counters). Programs that read only XML do not import it.
package primarydb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	_ "modernc.org/sqlite" // pure-Go sqlite, registered as "sqlite"

	"github.com/distroscope/distroscope/ecosystem/rpm"
)

// SchemaVersion is the createrepo sqlite schema version this reader knows:
// every createrepo and createrepo_c writes 10.
const SchemaVersion = 10

// Option changes how a database is read.
type Option func(*Reader)

// WithFiles also reads the files table (the files primary.xml lists: its
// executables and files under /etc) into Package.Files, as
// rpm.WithPrimaryFiles does for XML.
func WithFiles() Option { return func(r *Reader) { r.withFiles = true } }

// Reader reads the packages of a primary.sqlite database. It implements
// rpm.PackageReader.
//
// sqlite needs a file it can seek in, so the database is read from disk
// (Open) or first copied there (Spool). Packages come in pkgKey order,
// which createrepo_c assigns in primary.xml's order, so JoinFilelists works
// with filelists.xml; each dependency table is read by one cursor merged
// with the packages, so memory holds one package whatever the size of the
// database.
type Reader struct {
	db        *sql.DB
	ctx       context.Context
	file      string
	withFiles bool
	pkgs      *sql.Rows
	cursors   []*cursor
	files     *cursor
	pkg       rpm.Package
	spooled   string // temporary copy to remove on Close
	err       error
}

var _ rpm.PackageReader = (*Reader)(nil)

// depTables are the dependency tables of the createrepo schema, with where
// each goes in a Package. The weak dependency tables are absent from
// databases written before createrepo_c added them, which is not an error.
var depTables = []struct {
	table    string
	required bool
	field    func(*rpm.Package) *[]rpm.Dependency
}{
	{"provides", true, func(p *rpm.Package) *[]rpm.Dependency { return &p.Provides }},
	{"requires", true, func(p *rpm.Package) *[]rpm.Dependency { return &p.Requires }},
	{"conflicts", true, func(p *rpm.Package) *[]rpm.Dependency { return &p.Conflicts }},
	{"obsoletes", true, func(p *rpm.Package) *[]rpm.Dependency { return &p.Obsoletes }},
	{"recommends", false, func(p *rpm.Package) *[]rpm.Dependency { return &p.Recommends }},
	{"suggests", false, func(p *rpm.Package) *[]rpm.Dependency { return &p.Suggests }},
	{"supplements", false, func(p *rpm.Package) *[]rpm.Dependency { return &p.Supplements }},
	{"enhances", false, func(p *rpm.Package) *[]rpm.Dependency { return &p.Enhances }},
}

// Open opens the primary.sqlite database at path (decompressed) read-only.
// name identifies it in errors (e.g. "repodata/primary.sqlite"); empty
// means "primary.sqlite". ctx bounds every query. Close releases the
// database.
func Open(ctx context.Context, path, name string, opts ...Option) (*Reader, error) {
	if name == "" {
		name = "primary.sqlite"
	}
	r := &Reader{ctx: ctx, file: name}
	for _, o := range opts {
		o(r)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("rpmmd: %s: %w", name, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("rpmmd: %s: %w", name, err)
	}
	// immutable=1: the file is a verified download nobody writes to, so
	// sqlite takes no locks and looks for no journal.
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&immutable=1"}).String()
	if r.db, err = sql.Open("sqlite", dsn); err != nil {
		return nil, r.dbError("", err)
	}
	if err := r.open(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Spool copies the decompressed database src, at most limit bytes, to a
// temporary file in dir (os.TempDir() when empty) and opens it as Open
// does; Close removes the file. A database over limit is an ErrTooLarge
// *rpm.ParseError.
func Spool(ctx context.Context, src io.Reader, name, dir string, limit int64, opts ...Option) (*Reader, error) {
	if name == "" {
		name = "primary.sqlite"
	}
	f, err := os.CreateTemp(dir, "rpmmd-primary-*.sqlite")
	if err != nil {
		return nil, fmt.Errorf("rpmmd: %s: spool: %w", name, err)
	}
	tmp := f.Name()
	n, err := io.Copy(f, io.LimitReader(src, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = &rpm.ParseError{File: name, Err: fmt.Errorf("%w: over %d bytes", rpm.ErrTooLarge, limit)}
	}
	if err != nil {
		os.Remove(tmp)
		if errors.As(err, new(*rpm.ParseError)) {
			return nil, err
		}
		return nil, fmt.Errorf("rpmmd: %s: spool: %w", name, err)
	}
	r, err := Open(ctx, tmp, name, opts...)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	r.spooled = tmp
	return r, nil
}

// Close releases the database and removes a spooled copy.
func (r *Reader) Close() error {
	var errs []error
	for _, c := range r.cursors {
		if c != nil {
			errs = append(errs, c.rows.Close())
		}
	}
	if r.files != nil {
		errs = append(errs, r.files.rows.Close())
	}
	if r.pkgs != nil {
		errs = append(errs, r.pkgs.Close())
	}
	if r.db != nil {
		errs = append(errs, r.db.Close())
	}
	if r.spooled != "" {
		errs = append(errs, os.Remove(r.spooled))
		r.spooled = ""
	}
	r.cursors, r.files, r.pkgs, r.db = nil, nil, nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rpmmd: %s: close: %w", r.file, err)
	}
	return nil
}

// dbError reports a failing query. A verified file sqlite cannot read is
// corrupt metadata (ErrDatabase); a canceled context is not.
func (r *Reader) dbError(table string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("rpmmd: %s: %w", r.file, err)
	}
	return &rpm.ParseError{File: r.file, Element: table, Err: fmt.Errorf("%w: %v", rpm.ErrDatabase, err)}
}

// open checks the schema version and starts one cursor per table.
func (r *Reader) open() error {
	var version int
	if err := r.db.QueryRowContext(r.ctx, "SELECT dbversion FROM db_info").Scan(&version); err != nil {
		return r.dbError("db_info", err)
	}
	if version != SchemaVersion {
		return &rpm.ParseError{File: r.file, Element: "db_info",
			Err: fmt.Errorf("%w: schema version %d, want %d", rpm.ErrDatabase, version, SchemaVersion)}
	}
	tables := map[string]bool{}
	rows, err := r.db.QueryContext(r.ctx, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		return r.dbError("sqlite_master", err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return r.dbError("sqlite_master", err)
		}
		tables[t] = true
	}
	if err := rows.Close(); err != nil {
		return r.dbError("sqlite_master", err)
	}
	r.pkgs, err = r.db.QueryContext(r.ctx, `SELECT pkgKey, pkgId, name, arch, version, epoch, release,
		summary, url, time_file, time_build, rpm_license, rpm_vendor, rpm_group, rpm_buildhost,
		rpm_sourcerpm, rpm_header_start, rpm_header_end, rpm_packager, size_package, size_installed,
		size_archive, location_href, location_base, checksum_type FROM packages ORDER BY pkgKey`)
	if err != nil {
		return r.dbError("packages", err)
	}
	r.cursors = make([]*cursor, len(depTables))
	for i, t := range depTables {
		if !tables[t.table] {
			if t.required {
				return &rpm.ParseError{File: r.file, Element: t.table,
					Err: fmt.Errorf("%w: no table %s", rpm.ErrDatabase, t.table)}
			}
			continue
		}
		pre := "NULL"
		if t.table == "requires" {
			pre = "pre"
		}
		// rowid keeps the order createrepo_c inserted, primary.xml's.
		q := "SELECT pkgKey, name, flags, epoch, version, release, " + pre + " FROM " + t.table + " ORDER BY pkgKey, rowid"
		if r.cursors[i], err = r.cursor(t.table, q); err != nil {
			return err
		}
	}
	if r.withFiles {
		if r.files, err = r.cursor("files", "SELECT pkgKey, name, type, NULL, NULL, NULL, NULL FROM files ORDER BY pkgKey, rowid"); err != nil {
			return err
		}
	}
	return nil
}

// cursor walks one table in pkgKey order, one row ahead.
type cursor struct {
	table string
	rows  *sql.Rows
	done  bool
	key   int64
	col   [6]sql.NullString
}

func (r *Reader) cursor(table, query string) (*cursor, error) {
	rows, err := r.db.QueryContext(r.ctx, query)
	if err != nil {
		return nil, r.dbError(table, err)
	}
	c := &cursor{table: table, rows: rows}
	if err := c.advance(); err != nil {
		return nil, r.dbError(table, err)
	}
	return c, nil
}

func (c *cursor) advance() error {
	if !c.rows.Next() {
		c.done = true
		return c.rows.Err()
	}
	var key sql.NullInt64
	if err := c.rows.Scan(&key, &c.col[0], &c.col[1], &c.col[2], &c.col[3], &c.col[4], &c.col[5]); err != nil {
		return err
	}
	if !key.Valid {
		return errors.New("row without pkgKey")
	}
	c.key = key.Int64
	return nil
}

// Next returns the next package, or io.EOF after the last one. The returned
// *Package is overwritten by the next call; its strings and slices are not.
// A *rpm.ParseError about one package's content leaves the reader on the
// next package; database errors are final.
func (r *Reader) Next() (*rpm.Package, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.pkgs == nil {
		return nil, fmt.Errorf("rpmmd: %s: closed", r.file)
	}
	// database/sql closes the cursors of a canceled context from another
	// goroutine, so a cancellation would otherwise show at a random later
	// call, or as an early end.
	if err := r.ctx.Err(); err != nil {
		r.err = fmt.Errorf("rpmmd: %s: %w", r.file, err)
		return nil, r.err
	}
	if !r.pkgs.Next() {
		if err := r.pkgs.Err(); err != nil {
			r.err = r.dbError("packages", err)
		} else {
			r.err = io.EOF
		}
		return nil, r.err
	}
	var (
		key                                             int64
		pkgID, name, arch, ver, epoch, rel              sql.NullString
		summary, homepage, license, vendor, group, host sql.NullString
		srpm, packager, href, base, ctype               sql.NullString
		tfile, tbuild, hstart, hend, spkg, sinst, sarch sql.NullInt64
	)
	if err := r.pkgs.Scan(&key, &pkgID, &name, &arch, &ver, &epoch, &rel, &summary, &homepage, &tfile, &tbuild,
		&license, &vendor, &group, &host, &srpm, &hstart, &hend, &packager, &spkg, &sinst, &sarch,
		&href, &base, &ctype); err != nil {
		r.err = r.dbError("packages", err)
		return nil, r.err
	}
	r.pkg = rpm.Package{
		Name: name.String, Arch: arch.String,
		Version:  rpm.EVR{Epoch: epoch.String, Version: ver.String, Release: rel.String},
		Checksum: rpm.Checksum{Type: ctype.String, Value: pkgID.String},
		Summary:  summary.String, URL: homepage.String, Packager: packager.String,
		FileTime: tfile.Int64, BuildTime: tbuild.Int64,
		License: license.String, Vendor: vendor.String, Group: group.String, BuildHost: host.String,
		SourceRPM: srpm.String, HeaderStart: hstart.Int64, HeaderEnd: hend.Int64,
		PackageSize: spkg.Int64, InstalledSize: sinst.Int64, ArchiveSize: sarch.Int64,
		Location: href.String, LocationBase: base.String,
	}
	pkg := &r.pkg
	// Dependencies first, so that a content error below still leaves
	// every cursor past this package. Rows past a list's limit are read
	// but not kept, for the same reason.
	var tooMany error
	for i, c := range r.cursors {
		if c == nil {
			continue
		}
		dst := depTables[i].field(pkg)
		n, err := r.collect(c, key, rpm.MaxEntries, func(c *cursor) {
			*dst = append(*dst, c.dependency())
		})
		if err != nil {
			return nil, err
		}
		if n > rpm.MaxEntries && tooMany == nil {
			tooMany = &rpm.ParseError{File: r.file, Package: pkg.Name, Element: depTables[i].table + " (pkgKey " + strconv.FormatInt(key, 10) + ")",
				Err: fmt.Errorf("%w: more than %d", rpm.ErrTooMany, rpm.MaxEntries)}
		}
	}
	if r.files != nil {
		n, err := r.collect(r.files, key, rpm.MaxFiles, func(c *cursor) {
			// The files table says "file" where primary.xml says nothing.
			typ := c.col[1].String
			if typ == "file" {
				typ = ""
			}
			pkg.Files = append(pkg.Files, rpm.File{Path: c.col[0].String, Type: typ})
		})
		if err != nil {
			return nil, err
		}
		if n > rpm.MaxFiles && tooMany == nil {
			tooMany = &rpm.ParseError{File: r.file, Package: pkg.Name, Element: "files (pkgKey " + strconv.FormatInt(key, 10) + ")",
				Err: fmt.Errorf("%w: more than %d files", rpm.ErrTooMany, rpm.MaxFiles)}
		}
	}
	if tooMany != nil {
		return nil, tooMany
	}
	if err := pkg.Complete(); err != nil {
		var pe *rpm.ParseError
		if errors.As(err, &pe) {
			pe.File = r.file
			pe.Element += " (pkgKey " + strconv.FormatInt(key, 10) + ")"
		}
		return nil, err
	}
	return pkg, nil
}

// collect passes the rows of c for package key to add, the first limit of
// them, and leaves c on the first row of a later package; it returns how
// many rows the package has. Rows of packages that do not exist (keys below
// key) are skipped.
func (r *Reader) collect(c *cursor, key int64, limit int, add func(*cursor)) (int, error) {
	n := 0
	for !c.done && c.key <= key {
		if c.key == key {
			if n++; n <= limit {
				add(c)
			}
		}
		if err := c.advance(); err != nil {
			r.err = r.dbError(c.table, err)
			return n, r.err
		}
	}
	return n, nil
}

// dependency converts the current row; Package.Complete checks it.
func (c *cursor) dependency() rpm.Dependency {
	dep := rpm.Dependency{
		Name:  c.col[0].String,
		Flags: rpm.Flags(c.col[1].String),
		EVR:   rpm.EVR{Epoch: c.col[2].String, Version: c.col[3].String, Release: c.col[4].String},
	}
	// createrepo_c stores pre as the text TRUE or FALSE; yum's createrepo
	// as 1 or 0.
	switch c.col[5].String {
	case "TRUE", "true", "1":
		dep.Pre = true
	}
	return dep
}
