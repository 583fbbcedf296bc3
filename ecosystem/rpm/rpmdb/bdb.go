package rpmdb

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// Berkeley DB's on-disk layout for a hash database, as rpm ≤ 4.15 wrote
// its Packages file (db.h and dbinc/db_page.h of libdb 4.x–5.3,
// https://github.com/berkeleydb/libdb/blob/master/src/dbinc/db_page.h;
// github.com/knqyf263/go-rpmdb's pkg/bdb is another reading of it):
//
//   - page 0 is the hash meta page: DBMETA (lsn 0–7, pgno 8, magic 12 =
//     0x061561, version 16, pagesize 20, encrypt_alg 24, type 25 = 8,
//     metaflags 26, …, last_pgno 32) then the hash fields;
//   - every page starts with the 26-byte PAGE header: lsn 0–7, pgno 8,
//     prev_pgno 12, next_pgno 16, entries 20, hf_offset 22, level 24,
//     type 25 — followed, when the database is checksummed (metaflags
//     DBMETA_CHKSUM), by PG_CHKSUM: 2 unused bytes and a 4-byte checksum;
//   - a hash page (type 13, or 2 unsorted) then holds `entries` 16-bit
//     item offsets, keys and data alternating; an item is a type byte and
//     its body: H_KEYDATA (1) the bytes inline, up to the previous item's
//     offset (the page's end for item 0); H_OFFPAGE (3) 3 unused bytes, the
//     first overflow page (4) and the total length (8);
//   - an overflow page (type 7) holds hf_offset bytes of the item after its
//     header and links the next with next_pgno (0 ends the chain).
//
// Integers are in the byte order of the machine that wrote the file, which
// the meta page's magic tells. Pages are read in file order; items of the
// chained bucket pages are all on hash pages, so no bucket walk is needed.
const (
	bdbHashMagic    = 0x061561
	bdbPageHeader   = 26
	bdbChecksumSize = 6    // PG_CHKSUM: 2 unused bytes and a 4-byte checksum
	bdbMetaChecksum = 0x01 // DBMETA_CHKSUM in metaflags

	pageHashUnsorted = 2
	pageOverflow     = 7
	pageHashMeta     = 8
	pageHash         = 13

	itemKeyData = 1
	itemOffPage = 3
)

// ReadBDB reads rpm's Berkeley DB backend: the Packages hash database,
// keyed by the header number (4 bytes, in the writer's byte order) with the
// header blob as the value. Record 0, where rpm kept its next header
// number, is not a package.
func ReadBDB(b []byte) ([]installed.Package, error) {
	db, err := openBDB(b)
	if err != nil {
		return nil, err
	}
	type record struct {
		hnum uint32
		blob []byte
	}
	var records []record
	for pgno := uint32(1); pgno < db.npages; pgno++ {
		page := db.page(pgno)
		if t := page[25]; t != pageHash && t != pageHashUnsorted {
			continue
		}
		if n := db.order.Uint32(page[8:]); n != pgno {
			return nil, db.fail(pgno, "the page says it is page %d", n)
		}
		items, err := db.items(pgno, page)
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(items); i += 2 {
			key, val := items[i], items[i+1]
			if key[0] != itemKeyData || len(key) != 5 {
				return nil, db.fail(pgno, "item %d: a key that is not a 4-byte header number", i)
			}
			hnum := db.order.Uint32(key[1:])
			if hnum == 0 {
				continue
			}
			blob, err := db.value(pgno, i+1, val)
			if err != nil {
				return nil, err
			}
			if len(records) >= MaxPackages {
				return nil, &ParseError{File: bdbFile, Err: fmt.Errorf("%w: more than %d packages", ErrTooLarge, MaxPackages)}
			}
			records = append(records, record{hnum, blob})
		}
	}
	slices.SortFunc(records, func(a, b record) int { return cmp.Compare(a.hnum, b.hnum) })
	r := blobs{file: bdbFile}
	for i, rec := range records {
		if i > 0 && records[i-1].hnum == rec.hnum {
			return nil, &ParseError{File: bdbFile, Package: rec.hnum, Err: fmt.Errorf("%w: header number twice", ErrFormat)}
		}
		if err := r.add(rec.hnum, rec.blob); err != nil {
			return nil, err
		}
	}
	return r.pkgs, nil
}

type bdb struct {
	b []byte
	// copied counts the overflow bytes gathered so far: in a sound file
	// each overflow page belongs to one item, so they add up to at most
	// the file's size; items sharing a chain cannot multiply it.
	copied   uint64
	order    binary.ByteOrder
	pageSize uint32
	npages   uint32
	header   uint32 // page header size, with the checksum when there is one
}

func openBDB(b []byte) (*bdb, error) {
	if len(b) < 512 {
		return nil, &ParseError{File: bdbFile, Err: fmt.Errorf("%w: %d bytes, shorter than a meta page", ErrFormat, len(b))}
	}
	db := &bdb{b: b, header: bdbPageHeader}
	switch {
	case binary.LittleEndian.Uint32(b[12:]) == bdbHashMagic:
		db.order = binary.LittleEndian
	case binary.BigEndian.Uint32(b[12:]) == bdbHashMagic:
		db.order = binary.BigEndian
	default:
		return nil, &ParseError{File: bdbFile, Tag: "meta page", Err: fmt.Errorf("%w: magic %#x is not a Berkeley DB hash database's", ErrFormat, binary.LittleEndian.Uint32(b[12:]))}
	}
	db.pageSize = db.order.Uint32(b[20:])
	if db.pageSize < 512 || db.pageSize > 65536 || db.pageSize&(db.pageSize-1) != 0 {
		return nil, &ParseError{File: bdbFile, Tag: "meta page", Err: fmt.Errorf("%w: page size %d", ErrFormat, db.pageSize)}
	}
	if b[24] != 0 {
		return nil, &ParseError{File: bdbFile, Tag: "meta page", Err: fmt.Errorf("%w: an encrypted database", ErrUnsupported)}
	}
	if b[25] != pageHashMeta {
		return nil, &ParseError{File: bdbFile, Tag: "meta page", Err: fmt.Errorf("%w: page type %d, not a hash meta page", ErrFormat, b[25])}
	}
	if b[26]&bdbMetaChecksum != 0 {
		db.header += bdbChecksumSize
	}
	lastPgno := uint64(db.order.Uint32(b[32:]))
	if (lastPgno+1)*uint64(db.pageSize) > uint64(len(b)) {
		return nil, &ParseError{File: bdbFile, Tag: "meta page", Err: fmt.Errorf("%w: last page %d past the %d bytes of the file (truncated?)", ErrFormat, lastPgno, len(b))}
	}
	db.npages = uint32(lastPgno + 1)
	return db, nil
}

func (db *bdb) page(pgno uint32) []byte {
	return db.b[uint64(pgno)*uint64(db.pageSize):][:db.pageSize]
}

func (db *bdb) fail(pgno uint32, format string, args ...any) *ParseError {
	return &ParseError{File: bdbFile, Tag: fmt.Sprintf("page %d", pgno), Err: fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)}
}

// items returns the items of a hash page, each checked to lie between the
// offset table and the previous item (the page's end for the first).
func (db *bdb) items(pgno uint32, page []byte) ([][]byte, error) {
	n := uint32(db.order.Uint16(page[20:]))
	table := db.header + 2*n
	if table > db.pageSize {
		return nil, db.fail(pgno, "%d items do not fit the page", n)
	}
	items := make([][]byte, n)
	end := db.pageSize
	for i := uint32(0); i < n; i++ {
		off := uint32(db.order.Uint16(page[db.header+2*i:]))
		if off < table || off >= end {
			return nil, db.fail(pgno, "item %d at offset %d, outside %d..%d", i, off, table, end)
		}
		items[i] = page[off:end]
		end = off
	}
	return items, nil
}

// value returns a data item's bytes: inline, or gathered from its chain
// of overflow pages, each page read at most once.
func (db *bdb) value(pgno uint32, i int, item []byte) ([]byte, error) {
	switch item[0] {
	case itemKeyData:
		return item[1:], nil
	case itemOffPage:
	default:
		return nil, db.fail(pgno, "item %d: item type %d (duplicates are not in rpm's Packages)", i, item[0])
	}
	if len(item) < 12 {
		return nil, db.fail(pgno, "item %d: off-page reference of %d bytes", i, len(item))
	}
	next, total := db.order.Uint32(item[4:]), db.order.Uint32(item[8:])
	if total > MaxHeaderSize {
		return nil, &ParseError{File: bdbFile, Tag: fmt.Sprintf("page %d", pgno), Err: fmt.Errorf("%w: item %d of %d bytes, over %d", ErrTooLarge, i, total, MaxHeaderSize)}
	}
	out := make([]byte, 0, total)
	seen := map[uint32]bool{}
	for next != 0 {
		if next >= db.npages {
			return nil, db.fail(pgno, "item %d: overflow page %d past the last page %d", i, next, db.npages-1)
		}
		if seen[next] {
			return nil, &ParseError{File: bdbFile, Tag: fmt.Sprintf("page %d", pgno), Err: fmt.Errorf("%w: item %d: overflow page %d reached twice", ErrLoop, i, next)}
		}
		seen[next] = true
		page := db.page(next)
		if page[25] != pageOverflow || db.order.Uint32(page[8:]) != next {
			return nil, db.fail(next, "type %d page %d in an overflow chain", page[25], db.order.Uint32(page[8:]))
		}
		n := uint32(db.order.Uint16(page[22:]))
		if db.header+n > db.pageSize || uint64(len(out))+uint64(n) > uint64(total) {
			return nil, db.fail(next, "%d overflow bytes do not fit the page or the item's %d bytes", n, total)
		}
		if db.copied += uint64(n); db.copied > uint64(len(db.b)) {
			return nil, db.fail(next, "overflow pages shared by several items")
		}
		out = append(out, page[db.header:db.header+n]...)
		next = db.order.Uint32(page[16:])
	}
	if uint32(len(out)) != total {
		return nil, db.fail(pgno, "item %d: overflow chain holds %d of its %d bytes", i, len(out), total)
	}
	return out, nil
}
