package rpmdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// mustFail checks that damaged input gives a *ParseError wrapping want,
// naming what it says, and no packages.
func mustFail(t *testing.T, name string, want error, substr string, read func() ([]installed.Package, error)) {
	t.Helper()
	pkgs, err := read()
	var pe *ParseError
	switch {
	case err == nil:
		t.Errorf("%s: read %d packages, want an error", name, len(pkgs))
	case !errors.As(err, &pe):
		t.Errorf("%s: %v is not a *ParseError", name, err)
	case !errors.Is(err, want):
		t.Errorf("%s: %v, want %v", name, err, want)
	case !strings.Contains(err.Error(), substr):
		t.Errorf("%s: %q does not say %q", name, err, substr)
	}
}

func built(entries ...testEntry) func() ([]installed.Package, error) {
	return func() ([]installed.Package, error) {
		p, err := ParseHeader(buildHeader(entries))
		return []installed.Package{p}, err
	}
}

func raw(b []byte) func() ([]installed.Package, error) {
	return func() ([]installed.Package, error) {
		p, err := ParseHeader(b)
		return []installed.Package{p}, err
	}
}

func TestHostileHeaders(t *testing.T) {
	name := testEntry{tagName, typeString, 1, cstr("x")}
	version := testEntry{tagVersion, typeString, 1, cstr("1")}
	release := testEntry{tagRelease, typeString, 1, cstr("1")}
	valid := validHeader(t)
	if _, err := ParseHeader(valid); err != nil {
		t.Fatal(err)
	}
	withIL := func(il uint32) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint32(b, il)
		return b
	}
	withDL := func(dl uint32) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint32(b[4:], dl)
		return b
	}
	// entryOf patches field f (0 tag, 1 type, 2 offset, 3 count) of the
	// valid header's entry of tag.
	entryOf := func(tag uint32, field int, v uint32) []byte {
		b := bytes.Clone(valid)
		il := binary.BigEndian.Uint32(b)
		for i := uint32(0); i < il; i++ {
			e := b[8+16*i:]
			if binary.BigEndian.Uint32(e) == tag {
				binary.BigEndian.PutUint32(e[4*field:], v)
				return b
			}
		}
		t.Fatalf("no entry of tag %d", tag)
		return nil
	}
	entry := func(field int, v uint32) []byte { return entryOf(tagName, field, v) }
	for _, c := range []struct {
		name   string
		want   error
		substr string
		read   func() ([]installed.Package, error)
	}{
		{"empty", ErrFormat, "shorter than", raw(nil)},
		{"truncated", ErrFormat, "do not make", raw(valid[:len(valid)-1])},
		{"one byte more", ErrFormat, "do not make", raw(append(bytes.Clone(valid), 0))},
		{"il zero", ErrFormat, "no index entries", raw(withIL(0))},
		{"il overflow", ErrTooLarge, "index entries", raw(withIL(0xffffffff))},
		{"il past the blob", ErrFormat, "do not make", raw(withIL(MaxTags))},
		{"dl overflow", ErrFormat, "do not make", raw(withDL(0xfffffff0))},
		{"over the size limit", ErrTooLarge, "over", raw(make([]byte, MaxHeaderSize+1))},
		{"offset out of range", ErrFormat, "outside", raw(entry(2, 0x7fffffff))},
		{"count oversized", ErrFormat, "count", raw(entry(3, 0xffffffff))},
		{"count zero", ErrFormat, "count 0", raw(entry(3, 0))},
		{"unknown type", ErrFormat, "unknown type", raw(entry(1, 17))},
		{"string without its NUL", ErrFormat, "run past", built(testEntry{tagName, typeString, 1, []byte("x")})},
		{"int32s past the end", ErrFormat, "run past", built(name, version, release, testEntry{tagEpoch, typeInt32, 2, be32(1)})},
		{"misaligned", ErrFormat, "not aligned to 2", raw(entryOf(tagFileModes, 2, 1))},
		{"STRING of two", ErrFormat, "run past", built(testEntry{tagName, typeString, 2, cstr("x", "y")})},
		{"entries overlapping", ErrFormat, "overlaps the previous entry's data", raw(func() []byte {
			b := buildHeader([]testEntry{name, version, release})
			binary.BigEndian.PutUint32(b[8+16+8:], 0) // VERSION's offset: NAME's data
			return b
		}())},
		{"NAME missing", ErrMissing, "NAME", built(version, release)},
		{"NAME an integer", ErrFormat, "not a string", built(testEntry{tagName, typeInt32, 1, be32(7)}, version, release)},
		{"EPOCH a string", ErrFormat, "not an integer", built(name, version, release, testEntry{tagEpoch, typeString, 1, cstr("2")})},
		{"dir index out of range", ErrFormat, "outside 1 directories", built(name, version, release,
			testEntry{tagBaseNames, typeStringArray, 1, cstr("a")}, testEntry{tagDirNames, typeStringArray, 1, cstr("/")},
			testEntry{tagDirIndexes, typeInt32, 1, be32(5)})},
		{"fewer modes than files", ErrFormat, "1 values for 2 files", built(name, version, release,
			testEntry{tagOldFilenames, typeStringArray, 2, cstr("/a", "/b")}, testEntry{tagFileModes, typeInt16, 1, []byte{0x81, 0xa4}})},
		{"digest not hex", ErrFormat, "not a md5 digest", built(name, version, release,
			testEntry{tagOldFilenames, typeStringArray, 1, cstr("/a")}, testEntry{tagFileModes, typeInt16, 1, []byte{0x81, 0xa4}},
			testEntry{tagFileDigests, typeStringArray, 1, cstr("zz")})},
		{"unknown digest algorithm", ErrFormat, "unknown digest algorithm 99", built(name, version, release,
			testEntry{tagOldFilenames, typeStringArray, 1, cstr("/a")}, testEntry{tagFileDigestAlgo, typeInt32, 1, be32(99)})},
		{"too many files", ErrTooLarge, "values, over", built(name, version, release,
			testEntry{tagOldFilenames, typeStringArray, MaxFiles + 1, make([]byte, MaxFiles+1)})},
	} {
		mustFail(t, c.name, c.want, c.substr, c.read)
	}
}

// TestHostileBDB damages the Berkeley DB fixture: each damage is refused
// with its own error, never a panic or a loop.
func TestHostileBDB(t *testing.T) {
	good := fixture(t, "Packages")
	db, err := openBDB(good)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	// the first hash page and the first overflow page of a chain.
	var hashPage, ovPage uint32
	for pgno := uint32(1); pgno < db.npages; pgno++ {
		switch db.page(pgno)[25] {
		case pageHash, pageHashUnsorted:
			if hashPage == 0 {
				hashPage = pgno
			}
		case pageOverflow:
			if ovPage == 0 && le.Uint32(db.page(pgno)[16:]) != 0 {
				ovPage = pgno
			}
		}
	}
	if hashPage == 0 || ovPage == 0 {
		t.Fatal("the fixture has no hash page or no overflow chain")
	}
	ps := int(db.pageSize)
	patch := func(off int, v []byte) func() ([]installed.Package, error) {
		b := bytes.Clone(good)
		copy(b[off:], v)
		return func() ([]installed.Package, error) { return ReadBDB(b) }
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	u16 := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	// the first data item that is an off-page reference.
	item := func() int {
		page := db.page(hashPage)
		items, err := db.items(hashPage, page)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(items); i += 2 {
			if items[i][0] == itemOffPage {
				return int(hashPage)*ps + int(le.Uint16(page[bdbPageHeader+2*i:]))
			}
		}
		t.Fatal("no off-page item on the first hash page")
		return 0
	}()
	for _, c := range []struct {
		name   string
		want   error
		substr string
		read   func() ([]installed.Package, error)
	}{
		{"empty", ErrFormat, "shorter than a meta page", func() ([]installed.Package, error) { return ReadBDB(nil) }},
		{"not Berkeley DB", ErrFormat, "magic", patch(12, u32(0x053162))},
		{"truncated", ErrFormat, "truncated", func() ([]installed.Package, error) { return ReadBDB(good[:len(good)/2]) }},
		{"page size", ErrFormat, "page size 1000", patch(20, u32(1000))},
		{"encrypted", ErrUnsupported, "encrypted", patch(24, []byte{1})},
		{"page loop", ErrLoop, "reached twice", patch(int(ovPage)*ps+16, u32(ovPage))},
		{"chain past the file", ErrFormat, "past the last page", patch(int(ovPage)*ps+16, u32(1<<20))},
		{"chain into a hash page", ErrFormat, "in an overflow chain", patch(int(ovPage)*ps+16, u32(hashPage))},
		{"overflow length past the page", ErrFormat, "do not fit", patch(int(ovPage)*ps+22, u16(0xffff))},
		{"page number wrong", ErrFormat, "says it is page", patch(int(hashPage)*ps+8, u32(hashPage+1))},
		{"too many items", ErrFormat, "do not fit the page", patch(int(hashPage)*ps+20, u16(0xffff))},
		{"item offset out of page", ErrFormat, "outside", patch(int(hashPage)*ps+bdbPageHeader, u16(0xfff0))},
		{"item over the size limit", ErrTooLarge, "over", patch(item+8, u32(MaxHeaderSize+1))},
		{"item length short of its chain", ErrFormat, "do not fit", patch(item+8, u32(10))},
		{"duplicates", ErrFormat, "item type 2", patch(item, []byte{2})},
		{"chains shared", ErrFormat, "shared by several items", func() ([]installed.Package, error) {
			// every page a hash page whose items all point at one chain
			b := bytes.Clone(good)
			ref := bytes.Clone(good[item : item+12])
			for pgno := 1; pgno < int(db.npages); pgno++ {
				if pgno == int(ovPage) || good[pgno*ps+25] == pageOverflow {
					continue
				}
				page := b[pgno*ps : (pgno+1)*ps]
				clear(page)
				le.PutUint32(page[8:], uint32(pgno))
				page[25] = pageHash
				nitems := (ps - bdbPageHeader) / (2 + 5 + 12 + 2)
				le.PutUint16(page[20:], uint16(2*nitems))
				end := ps
				for i := 0; i < nitems; i++ {
					end -= 5
					copy(page[end:], []byte{itemKeyData, byte(i), byte(pgno), 0, 1})
					le.PutUint16(page[bdbPageHeader+4*i:], uint16(end))
					end -= 12
					copy(page[end:], ref)
					le.PutUint16(page[bdbPageHeader+4*i+2:], uint16(end))
				}
			}
			return ReadBDB(b)
		}},
	} {
		mustFail(t, c.name, c.want, c.substr, c.read)
	}
}

// TestHostileNDB damages the ndb fixture.
func TestHostileNDB(t *testing.T) {
	good := fixture(t, "Packages.db")
	le := binary.LittleEndian
	firstSlot := ndbHeaderSize
	blob := int(le.Uint32(good[firstSlot+8:])) * ndbBlkSize
	patch := func(off int, v []byte) func() ([]installed.Package, error) {
		b := bytes.Clone(good)
		copy(b[off:], v)
		return func() ([]installed.Package, error) { return ReadNDB(b) }
	}
	u32 := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	for _, c := range []struct {
		name   string
		want   error
		substr string
		read   func() ([]installed.Package, error)
	}{
		{"empty", ErrFormat, "no RpmP magic", func() ([]installed.Package, error) { return ReadNDB(nil) }},
		{"version", ErrUnsupported, "version 7", patch(4, u32(7))},
		{"truncated mid-block", ErrFormat, "not whole 16-byte blocks", func() ([]installed.Package, error) { return ReadNDB(good[:len(good)-1]) }},
		{"truncated blob", ErrFormat, "outside", func() ([]installed.Package, error) { return ReadNDB(good[:len(good)-32]) }},
		{"slot pages past the file", ErrFormat, "slot pages", patch(12, u32(1<<30))},
		{"slot magic", ErrFormat, "no Slot magic", patch(firstSlot, []byte("Xlot"))},
		{"slot inside the slot pages", ErrFormat, "outside", patch(firstSlot+8, u32(1))},
		{"blob count overflow", ErrFormat, "outside", patch(firstSlot+12, u32(0xffffffff))},
		{"blob head", ErrFormat, "no BlbS head", patch(blob, []byte("XlbS"))},
		{"blob of another package", ErrFormat, "no BlbS head", patch(blob+4, u32(99))},
		{"blob length", ErrFormat, "blob of", patch(blob+12, u32(0x7fffffff))},
		{"bit flip", ErrFormat, "adler32", patch(blob+ndbHeadSize+20, []byte{0xee})},
		{"two slots for a package", ErrFormat, "two slots", patch(firstSlot+ndbSlotSize+4, good[firstSlot+4:firstSlot+8])},
	} {
		mustFail(t, c.name, c.want, c.substr, c.read)
	}
}

func TestHostileSQLite(t *testing.T) {
	good := fixture(t, "rpmdb.sqlite")
	garbage := bytes.Clone(good)
	for i := 100; i < len(garbage); i++ {
		garbage[i] ^= 0x5a
	}
	for _, c := range []struct {
		name   string
		substr string
		b      []byte
	}{
		{"empty", "not a sqlite database", nil},
		{"not sqlite", "not a sqlite database", bytes.Repeat([]byte{'x'}, 4096)},
		{"damaged pages", "table Packages", garbage},
		{"truncated", "table Packages", good[:8192]},
	} {
		mustFail(t, c.name, ErrFormat, c.substr, func() ([]installed.Package, error) { return ReadSQLite(c.b) })
	}
}
