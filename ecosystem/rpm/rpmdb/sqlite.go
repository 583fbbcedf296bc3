package rpmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // pure-Go sqlite, registered as "sqlite"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// ReadSQLite reads rpm's sqlite backend (lib/backend/sqlite.c): a table
// Packages(hnum INTEGER PRIMARY KEY, blob BLOB) of header blobs, beside
// index tables this reader does not need.
//
// The database is loaded into memory with sqlite3_deserialize (modernc's
// conn.Deserialize) rather than spooled to a temporary file: the caller
// already holds the bytes, so no disk is written and nothing is left to
// clean up. rpm keeps the file in WAL mode, which an in-memory database
// cannot be, so the copy's header says rollback journal instead (bytes 18
// and 19, the file format's read and write versions); that changes how
// sqlite would write, not what it reads. A WAL with content is read by
// Read, which needs a file for it.
func ReadSQLite(b []byte) ([]installed.Package, error) {
	if len(b) < 100 || string(b[:16]) != "SQLite format 3\x00" {
		return nil, &ParseError{File: sqliteFile, Err: fmt.Errorf("%w: not a sqlite database", ErrFormat)}
	}
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, sqliteError(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the deserialised database lives in one connection
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, sqliteError(err)
	}
	defer conn.Close()
	image := append([]byte(nil), b...)
	image[18], image[19] = 1, 1
	err = conn.Raw(func(dc any) error {
		d, ok := dc.(interface{ Deserialize([]byte) error })
		if !ok {
			return errors.New("the sqlite driver cannot deserialize")
		}
		return d.Deserialize(image)
	})
	if err != nil {
		return nil, sqliteError(err)
	}
	return readPackagesTable(ctx, conn)
}

// readSQLiteWAL reads a database whose -wal file still holds transactions
// (a copy taken while rpm ran): sqlite applies a WAL only to a file
// beside it, so both are written to a temporary directory, removed after.
func readSQLiteWAL(b, wal []byte) ([]installed.Package, error) {
	dir, err := os.MkdirTemp("", "rpmdb-")
	if err != nil {
		return nil, fmt.Errorf("rpmdb: %s: %w", sqliteWAL, err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, sqliteFile)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("rpmdb: %s: %w", sqliteFile, err)
	}
	if err := os.WriteFile(path+"-wal", wal, 0o600); err != nil {
		return nil, fmt.Errorf("rpmdb: %s: %w", sqliteWAL, err)
	}
	ctx := context.Background()
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String())
	if err != nil {
		return nil, sqliteError(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, sqliteError(err)
	}
	defer conn.Close()
	return readPackagesTable(ctx, conn)
}

func readPackagesTable(ctx context.Context, conn *sql.Conn) ([]installed.Package, error) {
	rows, err := conn.QueryContext(ctx, "SELECT hnum, blob FROM Packages ORDER BY hnum")
	if err != nil {
		return nil, sqliteError(err)
	}
	defer rows.Close()
	r := blobs{file: sqliteFile}
	for rows.Next() {
		var hnum int64
		var blob []byte
		if err := rows.Scan(&hnum, &blob); err != nil {
			return nil, sqliteError(err)
		}
		if hnum <= 0 || hnum > 1<<32-1 {
			return nil, &ParseError{File: sqliteFile, Err: fmt.Errorf("%w: header number %d", ErrFormat, hnum)}
		}
		if err := r.add(uint32(hnum), blob); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, sqliteError(err)
	}
	return r.pkgs, nil
}

// sqliteError says a database sqlite cannot read (not a database, a
// damaged page, no Packages table) as a ParseError.
func sqliteError(err error) error {
	return &ParseError{File: sqliteFile, Tag: "table Packages", Err: fmt.Errorf("%w: %v", ErrFormat, err)}
}
