package rpmmd

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
)

// PrimaryDBVersion is the createrepo sqlite schema version this reader
// knows: every createrepo and createrepo_c writes 10 (repomd.xml's
// database_version).
const PrimaryDBVersion = 10

// PrimaryDB reads the packages of a primary.sqlite database (repomd type
// "primary_db"), the form some repositories offer instead of, or beside,
// primary.xml, into the same Package values as PrimaryReader.
//
// sqlite needs a file it can seek in, so the database is read from disk
// (OpenPrimaryDB) or first copied there (SpoolPrimaryDB). Packages come in
// pkgKey order, which createrepo_c assigns in primary.xml's order; each
// dependency table is read by one cursor merged with the packages, so
// memory holds one package whatever the size of the database.
type PrimaryDB struct {
	db      *sql.DB
	ctx     context.Context
	file    string
	opts    options
	pkgs    *sql.Rows
	cursors []*depCursor
	files   *depCursor
	pkg     Package
	spooled string // temporary copy to remove on Close
	err     error
}

// depTables are the dependency tables of the createrepo schema, with where
// each goes in a Package. The weak dependency tables are absent from
// databases written before createrepo_c added them, which is not an error.
var depTables = []struct {
	table    string
	required bool
	field    func(*Package) *[]Dependency
}{
	{"provides", true, func(p *Package) *[]Dependency { return &p.Provides }},
	{"requires", true, func(p *Package) *[]Dependency { return &p.Requires }},
	{"conflicts", true, func(p *Package) *[]Dependency { return &p.Conflicts }},
	{"obsoletes", true, func(p *Package) *[]Dependency { return &p.Obsoletes }},
	{"recommends", false, func(p *Package) *[]Dependency { return &p.Recommends }},
	{"suggests", false, func(p *Package) *[]Dependency { return &p.Suggests }},
	{"supplements", false, func(p *Package) *[]Dependency { return &p.Supplements }},
	{"enhances", false, func(p *Package) *[]Dependency { return &p.Enhances }},
}

// OpenPrimaryDB opens the primary.sqlite database at path (decompressed)
// read-only. name identifies it in errors (e.g. "repodata/primary.sqlite");
// empty means "primary.sqlite". WithPrimaryFiles also reads the files
// table. ctx bounds every query. Close releases the database.
func OpenPrimaryDB(ctx context.Context, path, name string, opts ...Option) (*PrimaryDB, error) {
	if name == "" {
		name = "primary.sqlite"
	}
	d := &PrimaryDB{ctx: ctx, file: name}
	for _, o := range opts {
		o(&d.opts)
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
	if d.db, err = sql.Open("sqlite", dsn); err != nil {
		return nil, d.dbError("", err)
	}
	if err := d.open(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// SpoolPrimaryDB copies the decompressed database r, at most limit bytes,
// to a temporary file in dir (os.TempDir() when empty) and opens it as
// OpenPrimaryDB does; Close removes the file. A database over limit is an
// ErrTooLarge *ParseError.
func SpoolPrimaryDB(ctx context.Context, r io.Reader, name, dir string, limit int64, opts ...Option) (*PrimaryDB, error) {
	if name == "" {
		name = "primary.sqlite"
	}
	f, err := os.CreateTemp(dir, "rpmmd-primary-*.sqlite")
	if err != nil {
		return nil, fmt.Errorf("rpmmd: %s: spool: %w", name, err)
	}
	tmp := f.Name()
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = &ParseError{File: name, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)}
	}
	if err != nil {
		os.Remove(tmp)
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("rpmmd: %s: spool: %w", name, err)
	}
	d, err := OpenPrimaryDB(ctx, tmp, name, opts...)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	d.spooled = tmp
	return d, nil
}

// Close releases the database and removes a spooled copy.
func (d *PrimaryDB) Close() error {
	var errs []error
	for _, c := range d.cursors {
		if c != nil {
			errs = append(errs, c.rows.Close())
		}
	}
	if d.files != nil {
		errs = append(errs, d.files.rows.Close())
	}
	if d.pkgs != nil {
		errs = append(errs, d.pkgs.Close())
	}
	if d.db != nil {
		errs = append(errs, d.db.Close())
	}
	if d.spooled != "" {
		errs = append(errs, os.Remove(d.spooled))
		d.spooled = ""
	}
	d.cursors, d.files, d.pkgs, d.db = nil, nil, nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rpmmd: %s: close: %w", d.file, err)
	}
	return nil
}

func (d *PrimaryDB) dbError(table string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("rpmmd: %s: %w", d.file, err)
	}
	return &ParseError{File: d.file, Element: table, Err: fmt.Errorf("%w: %v", ErrDatabase, err)}
}

// open checks the schema version and starts one cursor per table.
func (d *PrimaryDB) open() error {
	var version int
	if err := d.db.QueryRowContext(d.ctx, "SELECT dbversion FROM db_info").Scan(&version); err != nil {
		return d.dbError("db_info", err)
	}
	if version != PrimaryDBVersion {
		return &ParseError{File: d.file, Element: "db_info",
			Err: fmt.Errorf("%w: schema version %d, want %d", ErrDatabase, version, PrimaryDBVersion)}
	}
	tables := map[string]bool{}
	rows, err := d.db.QueryContext(d.ctx, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		return d.dbError("sqlite_master", err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return d.dbError("sqlite_master", err)
		}
		tables[t] = true
	}
	if err := rows.Close(); err != nil {
		return d.dbError("sqlite_master", err)
	}
	d.pkgs, err = d.db.QueryContext(d.ctx, `SELECT pkgKey, pkgId, name, arch, version, epoch, release,
		summary, url, time_file, time_build, rpm_license, rpm_vendor, rpm_group, rpm_buildhost,
		rpm_sourcerpm, rpm_header_start, rpm_header_end, rpm_packager, size_package, size_installed,
		size_archive, location_href, location_base, checksum_type FROM packages ORDER BY pkgKey`)
	if err != nil {
		return d.dbError("packages", err)
	}
	d.cursors = make([]*depCursor, len(depTables))
	for i, t := range depTables {
		if !tables[t.table] {
			if t.required {
				return &ParseError{File: d.file, Element: t.table, Err: fmt.Errorf("%w: no table %s", ErrDatabase, t.table)}
			}
			continue
		}
		pre := "NULL"
		if t.table == "requires" {
			pre = "pre"
		}
		// rowid keeps the order createrepo_c inserted, primary.xml's.
		q := "SELECT pkgKey, name, flags, epoch, version, release, " + pre + " FROM " + t.table + " ORDER BY pkgKey, rowid"
		if d.cursors[i], err = d.cursor(t.table, q); err != nil {
			return err
		}
	}
	if d.opts.primaryFiles {
		if d.files, err = d.cursor("files", "SELECT pkgKey, name, type, NULL, NULL, NULL, NULL FROM files ORDER BY pkgKey, rowid"); err != nil {
			return err
		}
	}
	return nil
}

// depCursor walks one table in pkgKey order, one row ahead.
type depCursor struct {
	table string
	rows  *sql.Rows
	done  bool
	key   int64
	col   [6]sql.NullString
}

func (d *PrimaryDB) cursor(table, query string) (*depCursor, error) {
	rows, err := d.db.QueryContext(d.ctx, query)
	if err != nil {
		return nil, d.dbError(table, err)
	}
	c := &depCursor{table: table, rows: rows}
	if err := c.advance(); err != nil {
		return nil, d.dbError(table, err)
	}
	return c, nil
}

func (c *depCursor) advance() error {
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
// A *ParseError about one package's content leaves the reader on the next
// package; database errors are final.
func (d *PrimaryDB) Next() (*Package, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.pkgs == nil {
		return nil, fmt.Errorf("rpmmd: %s: closed", d.file)
	}
	// database/sql closes the cursors of a canceled context from another
	// goroutine, so a cancellation would otherwise show at a random later
	// call, or as an early end.
	if err := d.ctx.Err(); err != nil {
		d.err = fmt.Errorf("rpmmd: %s: %w", d.file, err)
		return nil, d.err
	}
	if !d.pkgs.Next() {
		if err := d.pkgs.Err(); err != nil {
			d.err = d.dbError("packages", err)
		} else {
			d.err = io.EOF
		}
		return nil, d.err
	}
	var (
		key                                             int64
		pkgID, name, arch, ver, epoch, rel              sql.NullString
		summary, url, license, vendor, group, host      sql.NullString
		srpm, packager, href, base, ctype               sql.NullString
		tfile, tbuild, hstart, hend, spkg, sinst, sarch sql.NullInt64
	)
	if err := d.pkgs.Scan(&key, &pkgID, &name, &arch, &ver, &epoch, &rel, &summary, &url, &tfile, &tbuild,
		&license, &vendor, &group, &host, &srpm, &hstart, &hend, &packager, &spkg, &sinst, &sarch,
		&href, &base, &ctype); err != nil {
		d.err = d.dbError("packages", err)
		return nil, d.err
	}
	d.pkg = Package{
		Name: name.String, Arch: arch.String,
		Version: EVR{Epoch: epoch.String, Version: ver.String, Release: rel.String},
		Summary: summary.String, URL: url.String, Packager: packager.String,
		FileTime: tfile.Int64, BuildTime: tbuild.Int64,
		License: license.String, Vendor: vendor.String, Group: group.String, BuildHost: host.String,
		SourceRPM: srpm.String, HeaderStart: hstart.Int64, HeaderEnd: hend.Int64,
		PackageSize: spkg.Int64, InstalledSize: sinst.Int64, ArchiveSize: sarch.Int64,
		Location: href.String, LocationBase: base.String,
	}
	pkg := &d.pkg
	if pkg.Version.Epoch == "0" {
		pkg.Version.Epoch = "0"
	}
	fail := func(element string, err error) (*Package, error) {
		return nil, &ParseError{File: d.file, Package: pkg.Name,
			Element: element + " (pkgKey " + strconv.FormatInt(key, 10) + ")", Err: err}
	}
	// Dependencies first, so that a content error below still leaves
	// every cursor past this package.
	var depErr error
	var depTable string
	for i, c := range d.cursors {
		if c == nil {
			continue
		}
		dst := depTables[i].field(pkg)
		if err := d.collect(c, key, func(c *depCursor) error {
			dep, err := c.dependency()
			if err == nil {
				*dst = append(*dst, dep)
			} else if depErr == nil {
				depErr, depTable = err, c.table
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if d.files != nil {
		if err := d.collect(d.files, key, func(c *depCursor) error {
			// The files table says "file" where primary.xml says nothing.
			typ := c.col[1].String
			if typ == "file" {
				typ = ""
			}
			pkg.Files = append(pkg.Files, File{Path: c.col[0].String, Type: typ})
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for _, req := range [...]struct{ element, value string }{
		{"name", pkg.Name}, {"arch", pkg.Arch}, {"location_href", pkg.Location},
	} {
		if req.value == "" {
			return fail(req.element, fmt.Errorf("%w value", ErrMissing))
		}
	}
	if err := checkPackageEVR(pkg.Version); err != nil {
		return fail("version", err)
	}
	var err error
	if pkg.Checksum, err = checkChecksum(ctype.String, pkgID.String); err != nil {
		return fail("pkgId", err)
	}
	if depErr != nil {
		return fail(depTable, depErr)
	}
	if err := deriveSource(pkg); err != nil {
		return fail("rpm_sourcerpm", err)
	}
	return pkg, nil
}

// collect passes every row of c for package key to add and leaves c on the
// first row of a later package. Rows of packages that do not exist (keys
// below key) are skipped.
func (d *PrimaryDB) collect(c *depCursor, key int64, add func(*depCursor) error) error {
	for !c.done && c.key <= key {
		if c.key == key {
			if err := add(c); err != nil {
				return err
			}
		}
		if err := c.advance(); err != nil {
			d.err = d.dbError(c.table, err)
			return d.err
		}
	}
	return nil
}

// dependency converts the current row.
func (c *depCursor) dependency() (Dependency, error) {
	dep := Dependency{
		Name: c.col[0].String,
		EVR:  EVR{Epoch: c.col[2].String, Version: c.col[3].String, Release: c.col[4].String},
	}
	if dep.Epoch == "0" {
		dep.Epoch = "0"
	}
	var err error
	if dep.Flags, err = parseFlags(c.col[1].String); err != nil {
		return dep, err
	}
	if err := checkEpoch(dep.Epoch); err != nil {
		return dep, err
	}
	if dep.Name == "" {
		return dep, fmt.Errorf("%w name", ErrMissing)
	}
	if dep.Flags != NoFlags && dep.Version == "" {
		return dep, fmt.Errorf("%w: %s with flags %s but no version", ErrVersion, dep.Name, dep.Flags)
	}
	// createrepo_c stores pre as the text TRUE or FALSE; yum's createrepo
	// as 1 or 0.
	switch c.col[5].String {
	case "TRUE", "true", "1":
		dep.Pre = true
	}
	return dep, nil
}
