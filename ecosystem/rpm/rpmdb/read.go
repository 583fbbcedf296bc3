package rpmdb

import (
	"fmt"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// Backend is the storage an rpm database uses.
type Backend string

const (
	SQLite     Backend = "sqlite" // rpmdb.sqlite: Fedora ≥ 33, RHEL 9, rpm ≥ 4.16 by default
	BerkeleyDB Backend = "bdb"    // Packages: RHEL ≤ 8, CentOS 7, SLE 12
	NDB        Backend = "ndb"    // Packages.db: openSUSE and SLE 15 and later
	NoBackend  Backend = ""
	sqliteFile         = "rpmdb.sqlite"
	sqliteWAL          = "rpmdb.sqlite-wal"
	bdbFile            = "Packages"
	ndbFile            = "Packages.db"
)

// Files are the base names of the database files Read looks for in an rpm
// database directory (/var/lib/rpm, /usr/lib/sysimage/rpm), in the order
// it prefers them when more than one is present: a system converted from
// Berkeley DB to sqlite keeps a stale Packages beside the rpmdb.sqlite it
// uses. The -wal file is read with rpmdb.sqlite.
var Files = []string{sqliteFile, sqliteWAL, ndbFile, bdbFile}

// Read reads the installed packages of the database among files, keyed by
// base name as found in the database directory, and says which backend
// it read. The packages come in header-number order (the order of
// installation); gpg-pubkey pseudo-packages are left out.
func Read(files map[string][]byte) ([]installed.Package, Backend, error) {
	switch {
	case files[sqliteFile] != nil:
		if wal := files[sqliteWAL]; len(wal) > 0 {
			pkgs, err := readSQLiteWAL(files[sqliteFile], wal)
			return pkgs, SQLite, err
		}
		pkgs, err := ReadSQLite(files[sqliteFile])
		return pkgs, SQLite, err
	case files[ndbFile] != nil:
		pkgs, err := ReadNDB(files[ndbFile])
		return pkgs, NDB, err
	case files[bdbFile] != nil:
		pkgs, err := ReadBDB(files[bdbFile])
		return pkgs, BerkeleyDB, err
	}
	return nil, NoBackend, &ParseError{File: "rpm database", Err: fmt.Errorf("%w: none of %v", ErrNoDatabase, Files)}
}

// blobs collects the packages of a backend's header blobs, in the order
// given, with the limits every backend shares.
type blobs struct {
	file string
	pkgs []installed.Package
}

func (r *blobs) add(hnum uint32, blob []byte) error {
	if len(r.pkgs) >= MaxPackages {
		return &ParseError{File: r.file, Package: hnum, Err: fmt.Errorf("%w: more than %d packages", ErrTooLarge, MaxPackages)}
	}
	p, err := parseHeader(blob, r.file, hnum)
	if err != nil {
		return err
	}
	if p.Name != pubkeyName {
		r.pkgs = append(r.pkgs, p)
	}
	return nil
}
