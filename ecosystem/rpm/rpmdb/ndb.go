package rpmdb

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"slices"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// rpm's ndb Packages.db layout (lib/backend/ndb/rpmpkg.c,
// https://github.com/rpm-software-management/rpm/blob/master/lib/backend/ndb/rpmpkg.c),
// every integer little-endian:
//
//   - a 32-byte header at 0: magic "RpmP", version 0, generation,
//     slotnpages (the 4096-byte pages of slots at the start of the file),
//     nextpkgidx;
//   - then slots of 16 bytes to the end of the slot pages: magic "Slot",
//     pkgidx, blkoff, blkcnt (in 16-byte blocks); blkoff 0 is a free slot;
//   - each blob at blkoff·16: a 16-byte head (magic "BlbS", pkgidx,
//     timestamp, bloblen), the header blob, zero padding, and a 12-byte
//     tail (adler32 of head, blob and padding; bloblen; magic "BlbE"),
//     blkcnt blocks in all.
const (
	ndbMagic      = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic  = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbHeadMagic  = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbTailMagic  = 'B' | 'l'<<8 | 'b'<<16 | 'E'<<24
	ndbHeaderSize = 32
	ndbSlotSize   = 16
	ndbBlkSize    = 16
	ndbPageSize   = 4096
	ndbHeadSize   = 16
	ndbTailSize   = 12
)

// ReadNDB reads rpm's ndb backend: Packages.db, header blobs in slots
// keyed by package index. It checks what rpm's rpmpkgReadSlots and
// rpmpkgReadBlob check (magics, the slot pages within the file, blobs past
// them and inside it, the block count the blob length gives, the tail's
// copy of the length) and the adler32 rpm's verify pass checks.
func ReadNDB(b []byte) ([]installed.Package, error) {
	le := binary.LittleEndian
	fail := func(tag, format string, args ...any) error {
		return &ParseError{File: ndbFile, Tag: tag, Err: fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)}
	}
	if len(b) < ndbHeaderSize || le.Uint32(b) != ndbMagic {
		return nil, fail("header", "not an ndb Packages.db (no RpmP magic)")
	}
	if v := le.Uint32(b[4:]); v != 0 {
		return nil, &ParseError{File: ndbFile, Tag: "header", Err: fmt.Errorf("%w: version %d (rpm writes 0)", ErrUnsupported, v)}
	}
	if len(b)%ndbBlkSize != 0 {
		return nil, fail("header", "%d bytes, not whole 16-byte blocks (truncated?)", len(b))
	}
	slotPages := uint64(le.Uint32(b[12:]))
	if slotPages == 0 || slotPages*ndbPageSize > uint64(len(b)) {
		return nil, fail("header", "%d slot pages in a file of %d bytes", slotPages, len(b))
	}
	fileBlks := uint64(len(b) / ndbBlkSize)
	minBlk := slotPages * ndbPageSize / ndbBlkSize
	type slot struct{ pkgidx, blkoff, blkcnt uint32 }
	var slots []slot
	for off := uint64(ndbHeaderSize); off < slotPages*ndbPageSize; off += ndbSlotSize {
		s := b[off:]
		no := off / ndbSlotSize
		if le.Uint32(s) != ndbSlotMagic {
			return nil, fail(fmt.Sprintf("slot %d", no), "no Slot magic")
		}
		sl := slot{le.Uint32(s[4:]), le.Uint32(s[8:]), le.Uint32(s[12:])}
		if sl.blkoff == 0 {
			continue
		}
		if sl.pkgidx == 0 || sl.blkcnt == 0 || uint64(sl.blkoff) < minBlk || uint64(sl.blkoff)+uint64(sl.blkcnt) > fileBlks {
			return nil, fail(fmt.Sprintf("slot %d", no), "package %d at blocks %d+%d, outside %d..%d", sl.pkgidx, sl.blkoff, sl.blkcnt, minBlk, fileBlks)
		}
		if len(slots) >= MaxPackages {
			return nil, &ParseError{File: ndbFile, Err: fmt.Errorf("%w: more than %d packages", ErrTooLarge, MaxPackages)}
		}
		slots = append(slots, sl)
	}
	slices.SortFunc(slots, func(a, b slot) int { return cmp.Compare(a.pkgidx, b.pkgidx) })
	r := blobs{file: ndbFile}
	for i, sl := range slots {
		pe := func(format string, args ...any) error {
			return &ParseError{File: ndbFile, Package: sl.pkgidx, Tag: "blob", Err: fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)}
		}
		if i > 0 && slots[i-1].pkgidx == sl.pkgidx {
			return nil, pe("two slots for one package")
		}
		area := b[uint64(sl.blkoff)*ndbBlkSize:][:uint64(sl.blkcnt)*ndbBlkSize]
		if len(area) < ndbHeadSize+ndbTailSize {
			return nil, pe("%d blocks, smaller than a blob's head and tail", sl.blkcnt)
		}
		if le.Uint32(area) != ndbHeadMagic || le.Uint32(area[4:]) != sl.pkgidx {
			return nil, pe("no BlbS head for this package at block %d", sl.blkoff)
		}
		n := uint64(le.Uint32(area[12:]))
		if (ndbHeadSize+n+ndbTailSize+ndbBlkSize-1)/ndbBlkSize != uint64(sl.blkcnt) {
			return nil, pe("blob of %d bytes in %d blocks", n, sl.blkcnt)
		}
		tail := area[len(area)-ndbTailSize:]
		if le.Uint32(tail[4:]) != uint32(n) || le.Uint32(tail[8:]) != ndbTailMagic {
			return nil, pe("tail does not end a blob of %d bytes", n)
		}
		if sum := adler32.Checksum(area[:len(area)-ndbTailSize]); sum != le.Uint32(tail) {
			return nil, pe("adler32 %#x, the tail says %#x", sum, le.Uint32(tail))
		}
		if err := r.add(sl.pkgidx, area[ndbHeadSize:ndbHeadSize+n]); err != nil {
			return nil, err
		}
	}
	return r.pkgs, nil
}
