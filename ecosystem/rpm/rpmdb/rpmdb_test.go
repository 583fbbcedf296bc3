package rpmdb

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// fixture reads a committed database (testdata/NAME.gz, written by
// TestAgainstRPM -update from a database rpm built).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goldenPackages(t testing.TB) []installed.Package {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "packages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []installed.Package
	if err := json.Unmarshal(b, &pkgs); err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// TestFixtures reads every committed database — rpm's sqlite, the Berkeley
// DB variants, ndb — through Read, and expects the packages rpm agreed with
// when they were made (testdata/packages.json).
func TestFixtures(t *testing.T) {
	want := goldenPackages(t)
	if len(want) != 3 {
		t.Fatalf("golden has %d packages", len(want))
	}
	for _, c := range []struct {
		fixture, file string
		backend       Backend
	}{
		{"rpmdb.sqlite", sqliteFile, SQLite},
		{"Packages", bdbFile, BerkeleyDB},
		{"Packages-be-512", bdbFile, BerkeleyDB},
		{"Packages-64k", bdbFile, BerkeleyDB},
		{"Packages-chksum", bdbFile, BerkeleyDB},
		{"Packages.db", ndbFile, NDB},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			got, backend, err := Read(map[string][]byte{c.file: fixture(t, c.fixture), "Index.db": {1, 2, 3}})
			if err != nil {
				t.Fatal(err)
			}
			if backend != c.backend {
				t.Errorf("backend %q, want %q", backend, c.backend)
			}
			sameJSON(t, c.fixture, got, want)
		})
	}
}

// TestReadPrefersSQLite: a converted system keeps its old Packages beside
// the rpmdb.sqlite rpm uses; Read reads the sqlite one.
func TestReadPrefersSQLite(t *testing.T) {
	_, backend, err := Read(map[string][]byte{bdbFile: []byte("stale"), sqliteFile: fixture(t, "rpmdb.sqlite")})
	if err != nil || backend != SQLite {
		t.Fatalf("backend %q, err %v; want sqlite", backend, err)
	}
	_, _, err = Read(map[string][]byte{"Name": {}})
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("no database files: %v, want ErrNoDatabase", err)
	}
}

// TestBDBLayouts checks that the fixtures exercise what they are for: the
// 4 KiB database stores a header on a chain of several overflow pages, the
// 64 KiB one every header inline, the 512-byte one is big-endian, and the
// checksummed one has the longer page header.
func TestBDBLayouts(t *testing.T) {
	inspect := func(name string) (db *bdb, inline, chains, longest int) {
		db, err := openBDB(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for pgno := uint32(1); pgno < db.npages; pgno++ {
			page := db.page(pgno)
			if page[25] != pageHash && page[25] != pageHashUnsorted {
				continue
			}
			items, err := db.items(pgno, page)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(items); i += 2 {
				if items[i][0] == itemKeyData {
					inline++
					continue
				}
				chains++
				n := 0
				for next := db.order.Uint32(items[i][4:]); next != 0; next = db.order.Uint32(db.page(next)[16:]) {
					n++
				}
				longest = max(longest, n)
			}
		}
		return db, inline, chains, longest
	}
	if _, inline, chains, longest := inspect("Packages"); chains == 0 || longest < 2 {
		t.Errorf("Packages: %d inline, %d chains, longest %d pages; want a chain of 2 or more", inline, chains, longest)
	}
	if _, inline, chains, _ := inspect("Packages-64k"); inline != 5 || chains != 0 { // three headers, a key and record 0
		t.Errorf("Packages-64k: %d inline, %d chains; want every record inline", inline, chains)
	}
	if db, _, _, longest := inspect("Packages-be-512"); db.order != binary.BigEndian || longest < 8 {
		t.Errorf("Packages-be-512: %v, longest chain %d", db.order, longest)
	}
	if db, _, _, _ := inspect("Packages-chksum"); db.header != bdbPageHeader+bdbChecksumSize {
		t.Errorf("Packages-chksum: page header %d bytes", db.header)
	}
}

// TestSQLiteWAL: a copy of the database taken while its WAL still holds
// a transaction (here, a deleted package) is read with the WAL applied.
func TestSQLiteWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, sqliteFile)
	if err := os.WriteFile(path, fixture(t, "rpmdb.sqlite"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0",
		"DELETE FROM Packages WHERE hnum = (SELECT min(hnum) FROM Packages)"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	main, _ := os.ReadFile(path)
	wal, _ := os.ReadFile(path + "-wal")
	if len(wal) == 0 {
		t.Fatal("the WAL is empty: the test made no uncheckpointed transaction")
	}
	without, err := ReadSQLite(main)
	if err != nil {
		t.Fatal(err)
	}
	with, _, err := Read(map[string][]byte{sqliteFile: main, sqliteWAL: wal})
	if err != nil {
		t.Fatal(err)
	}
	if len(without) != 3 || len(with) != 2 {
		t.Fatalf("%d packages without the WAL (want 3), %d with it (want 2)", len(without), len(with))
	}
}

// TestGPGPubkeySkipped: rpm --import adds gpg-pubkey headers, which are
// not installed software; the readers leave them out as the oracle test
// leaves them out of rpm -qa.
func TestGPGPubkeySkipped(t *testing.T) {
	blob := buildHeader([]testEntry{
		{tagName, typeString, 1, cstr("gpg-pubkey")},
		{tagVersion, typeString, 1, cstr("3b4fe6acc0b21f32")},
		{tagRelease, typeString, 1, cstr("4ae0493b")},
	})
	p, err := ParseHeader(blob)
	if err != nil || p.Name != pubkeyName {
		t.Fatalf("ParseHeader: %+v, %v", p, err)
	}
	pkgs, err := ReadNDB(writeNDB([]record{{1, blob}, {2, validHeader(t)}}))
	// The fixtures hold the key rpm --import added (rpmdbtest.BuildRoot).
	keys := 0
	for _, r := range ndbRecords(t, fixture(t, "Packages.db")) {
		if p, err := ParseHeader(r.blob); err == nil && p.Name == pubkeyName {
			keys++
		}
	}
	if keys != 1 {
		t.Errorf("the ndb fixture holds %d gpg-pubkey headers, want 1", keys)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || pkgs[0].Name != "dsc-libs" {
		t.Fatalf("got %d packages (%v), want dsc-libs alone", len(pkgs), pkgs)
	}
}

// testEntry is one index entry of a hand-made header, with its data.
type testEntry struct {
	tag, typ, count uint32
	data            []byte
}

func cstr(s ...string) []byte { return []byte(strings.Join(s, "\x00") + "\x00") }

func be32(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint32(b[4*i:], x)
	}
	return b
}

// buildHeader lays entries out as a header blob, each entry's data
// aligned for its type.
func buildHeader(entries []testEntry) []byte {
	var index, data []byte
	for _, e := range entries {
		for uint32(len(data))%align(e.typ) != 0 {
			data = append(data, 0)
		}
		index = append(index, be32(e.tag, e.typ, uint32(len(data)), e.count)...)
		data = append(data, e.data...)
	}
	return append(append(be32(uint32(len(entries)), uint32(len(data))), index...), data...)
}

// validHeader is the smallest real package header of the fixture
// (dsc-libs).
func validHeader(t testing.TB) []byte {
	t.Helper()
	var best []byte
	for _, r := range ndbRecords(t, fixture(t, "Packages.db")) {
		if p, err := ParseHeader(r.blob); err != nil || p.Name == pubkeyName {
			continue
		}
		if best == nil || len(r.blob) < len(best) {
			best = r.blob
		}
	}
	return best
}

// ndbRecords lists the blobs of an ndb file through its slots, for tests
// that damage one.
func ndbRecords(t testing.TB, b []byte) []record {
	t.Helper()
	le := binary.LittleEndian
	var out []record
	for off := ndbHeaderSize; off < ndbPageSize; off += ndbSlotSize {
		blkoff := le.Uint32(b[off+8:])
		if blkoff == 0 {
			continue
		}
		start := blkoff * ndbBlkSize
		n := le.Uint32(b[start+12:])
		out = append(out, record{le.Uint32(b[off+4:]), b[start+ndbHeadSize : start+ndbHeadSize+n]})
	}
	return out
}

// TestFileStatesAndGhosts: rpm -V skips a %ghost's content and every check
// of a file not installed (--excludedocs, netshared) or replaced, and the
// content of a wrong-colour file — whatever FILEVERIFYFLAGS says, so even
// in a header whose verify flags check everything (rpmbuild already
// clears a %ghost's content checks; older builders did not).
func TestFileStatesAndGhosts(t *testing.T) {
	const n = 6
	digest := strings.Repeat("ab", 16)
	modes := make([]byte, 0, 2*n)
	for range n {
		modes = append(modes, 0x81, 0xa4) // 0100644
	}
	u32s := func(v uint32) []byte { return be32(v, v, v, v, v, v) }
	p, err := ParseHeader(buildHeader([]testEntry{
		{tagName, typeString, 1, cstr("states")},
		{tagVersion, typeString, 1, cstr("1")},
		{tagRelease, typeString, 1, cstr("1")},
		{tagOldFilenames, typeStringArray, n, cstr("/normal", "/ghost", "/replaced", "/notinstalled", "/netshared", "/wrongcolor")},
		{tagFileSizes, typeInt32, n, u32s(7)},
		{tagFileStates, typeChar, n, []byte{stateNormal, stateNormal, stateReplaced, stateNotInstalled, stateNetShared, stateWrongColor}},
		{tagFileModes, typeInt16, n, modes},
		{tagFileMTimes, typeInt32, n, u32s(1700000000)},
		{tagFileDigests, typeStringArray, n, cstr(digest, digest, digest, digest, digest, digest)},
		{tagFileFlags, typeInt32, n, be32(0, fileGhost, 0, 0, 0, 0)},
		{tagFileUserName, typeStringArray, n, cstr("root", "root", "root", "root", "root", "root")},
		{tagFileGroupName, typeStringArray, n, cstr("root", "root", "root", "root", "root", "root")},
		{tagFileVerify, typeInt32, n, u32s(verifyAll)},
	}))
	if err != nil {
		t.Fatal(err)
	}
	type checks struct{ digest, size, mtime, mode, owner, ghost bool }
	want := map[string]checks{
		"/normal":       {true, true, true, true, true, false},
		"/ghost":        {false, false, false, true, true, true},
		"/replaced":     {},
		"/notinstalled": {ghost: true},
		"/netshared":    {ghost: true},
		"/wrongcolor":   {false, false, false, true, true, false},
	}
	for _, f := range p.Files {
		got := checks{!f.Digest.IsZero(), f.HasSize, f.HasMTime, f.HasMode, f.HasOwner, f.Ghost}
		if got != want[f.Path] {
			t.Errorf("%s: %+v, want %+v", f.Path, got, want[f.Path])
		}
		if f.Digest.Algo != "" && f.Digest.Algo != installed.MD5 {
			t.Errorf("%s: digest %s, want md5 (no FILEDIGESTALGO)", f.Path, f.Digest)
		}
	}
	if len(p.Files) != n {
		t.Fatalf("%d files", len(p.Files))
	}
}
