package rpmdb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

// Limits on what one header may hold. rpm's own (hdrblobVerifyInfo in
// lib/header.c: il < 2^24 entries, dl < 1 GiB) are far above any real
// package; these are above the largest headers of Fedora and openSUSE
// (texlive and kernel headers are a few MiB, with tens of thousands of
// files) and keep a hostile database from costing more than a bounded
// amount of memory per package.
const (
	MaxHeaderSize = 64 << 20 // bytes of one header blob
	MaxTags       = 1 << 16  // index entries of one header
	MaxFiles      = 1 << 20  // files of one package
	MaxPackages   = 1 << 17  // packages of one database
)

// Header tags (rpm's lib/rpmtag.h) and data types (RPM_*_TYPE).
const (
	tagHeaderImage     = 61 // region tags: the first entry of a region
	tagHeaderImmutable = 63
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagArch            = 1022
	tagOldFilenames    = 1027
	tagFileSizes       = 1028
	tagFileStates      = 1029
	tagFileModes       = 1030
	tagFileMTimes      = 1034
	tagFileDigests     = 1035
	tagFileLinkTos     = 1036
	tagFileFlags       = 1037
	tagFileUserName    = 1039
	tagFileGroupName   = 1040
	tagSourceRPM       = 1044
	tagFileVerify      = 1045
	tagDirIndexes      = 1116
	tagBaseNames       = 1117
	tagDirNames        = 1118
	tagLongFileSizes   = 5008
	tagFileDigestAlgo  = 5011

	typeNull        = 0
	typeChar        = 1
	typeInt8        = 2
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

var tagNames = map[uint32]string{
	tagName: "NAME", tagVersion: "VERSION", tagRelease: "RELEASE", tagEpoch: "EPOCH",
	tagArch: "ARCH", tagOldFilenames: "OLDFILENAMES", tagFileSizes: "FILESIZES",
	tagFileStates: "FILESTATES", tagFileModes: "FILEMODES", tagFileMTimes: "FILEMTIMES",
	tagFileDigests: "FILEDIGESTS", tagFileLinkTos: "FILELINKTOS", tagFileFlags: "FILEFLAGS",
	tagFileUserName: "FILEUSERNAME", tagFileGroupName: "FILEGROUPNAME",
	tagSourceRPM: "SOURCERPM", tagFileVerify: "FILEVERIFYFLAGS", tagDirIndexes: "DIRINDEXES",
	tagBaseNames: "BASENAMES", tagDirNames: "DIRNAMES", tagLongFileSizes: "LONGFILESIZES",
	tagFileDigestAlgo: "FILEDIGESTALGO",
}

func tagString(tag uint32) string {
	if n, ok := tagNames[tag]; ok {
		return fmt.Sprintf("%s (%d)", n, tag)
	}
	return fmt.Sprintf("tag %d", tag)
}

// File flags (RPMFILE_*), verify flags (RPMVERIFY_*) and file states
// (RPMFILE_STATE_*) of lib/rpmfiles.h and lib/rpmvf.h.
const (
	fileConfig    = 1 << 0
	fileMissingOK = 1 << 3
	fileNoReplace = 1 << 4
	fileGhost     = 1 << 6

	verifyDigest = 1 << 0
	verifySize   = 1 << 1
	verifyLinkTo = 1 << 2
	verifyUser   = 1 << 3
	verifyGroup  = 1 << 4
	verifyMTime  = 1 << 5
	verifyMode   = 1 << 6
	verifyAll    = ^uint32(0)

	stateNormal       = 0
	stateReplaced     = 1
	stateNotInstalled = 2
	stateNetShared    = 3
	stateWrongColor   = 4
)

// pubkeyName is the name of the pseudo-packages rpm --import adds for
// each trusted key (rpm -qa lists them); they own no files and are not
// installed software, so the readers leave them out.
const pubkeyName = "gpg-pubkey"

// entry is one index entry of a header, checked against the data store.
type entry struct {
	typ, offset, count uint32
	end                uint32 // offset of the first byte after the data
}

// header is a parsed header blob: its entries by tag (a later entry of a
// tag wins, as rpm lets the entries appended after the immutable region
// replace the region's) and its data store.
type header struct {
	hnum    uint32
	entries map[uint32]entry
	data    []byte
}

// ParseHeader parses one header blob as an rpm database stores it (lib/
// header.c: be32 il, be32 dl, il 16-byte index entries {tag, type,
// offset, count}, then dl bytes of data; no magic, unlike a package
// file's header) and maps it to an installed.Package. Every offset and
// count is checked against the data store before it is read.
func ParseHeader(b []byte) (installed.Package, error) {
	return parseHeader(b, "header", 0)
}

func parseHeader(b []byte, file string, hnum uint32) (installed.Package, error) {
	h, err := readHeader(b, hnum)
	if err != nil {
		err.File = file
		return installed.Package{}, err
	}
	p, err := h.pkg()
	if err != nil {
		err.File = file
		return installed.Package{}, err
	}
	return p, nil
}

func (h *header) fail(tag uint32, format string, args ...any) *ParseError {
	t := ""
	if tag != 0 {
		t = tagString(tag)
	}
	return &ParseError{Package: h.hnum, Tag: t, Err: fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)}
}

// readHeader checks the blob's shape and every entry, as rpm's
// hdrblobInit and hdrblobVerifyInfo do: il and dl within limits, the
// blob exactly 8+16·il+dl bytes, each entry of a known type, its offset
// aligned for its type and its data (count values, or count
// NUL-terminated strings) inside the store and after the previous entry's
// — so that the strings of all entries are scanned once, not once per
// entry that points at them. The first entry may be the region tag, whose
// data (the region trailer) lies after the others', as rpm writes it.
func readHeader(b []byte, hnum uint32) (*header, *ParseError) {
	h := &header{hnum: hnum}
	if len(b) > MaxHeaderSize {
		return nil, &ParseError{Package: hnum, Err: fmt.Errorf("%w: header of %d bytes, over %d", ErrTooLarge, len(b), MaxHeaderSize)}
	}
	if len(b) < 8 {
		return nil, h.fail(0, "header of %d bytes, shorter than its 8-byte counts", len(b))
	}
	il, dl := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	if il == 0 {
		return nil, h.fail(0, "no index entries")
	}
	if il > MaxTags {
		return nil, &ParseError{Package: hnum, Err: fmt.Errorf("%w: %d index entries, over %d", ErrTooLarge, il, MaxTags)}
	}
	if uint64(dl) > MaxHeaderSize || 8+16*uint64(il)+uint64(dl) != uint64(len(b)) {
		return nil, h.fail(0, "il %d and dl %d do not make the %d bytes of the header", il, dl, len(b))
	}
	index := b[8 : 8+16*il]
	h.data = b[8+16*il:]
	h.entries = make(map[uint32]entry, il)
	var prevEnd uint32
	for i := uint32(0); i < il; i++ {
		e := index[16*i:]
		tag := binary.BigEndian.Uint32(e)
		en := entry{typ: binary.BigEndian.Uint32(e[4:]), offset: binary.BigEndian.Uint32(e[8:]), count: binary.BigEndian.Uint32(e[12:])}
		if en.typ > typeI18NString {
			return nil, h.fail(tag, "entry %d: unknown type %d", i, en.typ)
		}
		if en.count == 0 || en.count > dl {
			return nil, h.fail(tag, "entry %d: count %d for %d bytes of data", i, en.count, dl)
		}
		if en.offset >= dl {
			return nil, h.fail(tag, "entry %d: offset %d outside %d bytes of data", i, en.offset, dl)
		}
		if a := align(en.typ); en.offset%a != 0 {
			return nil, h.fail(tag, "entry %d: offset %d not aligned to %d", i, en.offset, a)
		}
		region := i == 0 && tag >= tagHeaderImage && tag <= tagHeaderImmutable
		if !region && en.offset < prevEnd {
			return nil, h.fail(tag, "entry %d: offset %d overlaps the previous entry's data (to %d)", i, en.offset, prevEnd)
		}
		end, ok := dataEnd(h.data, en)
		if !ok {
			return nil, h.fail(tag, "entry %d: %d values of type %d from offset %d run past %d bytes of data", i, en.count, en.typ, en.offset, dl)
		}
		en.end = end
		if !region {
			prevEnd = end
		}
		h.entries[tag] = en
	}
	return h, nil
}

func align(typ uint32) uint32 {
	switch typ {
	case typeInt16:
		return 2
	case typeInt32:
		return 4
	case typeInt64:
		return 8
	}
	return 1
}

// dataEnd is where an entry's data ends, and whether it fits the store.
func dataEnd(data []byte, e entry) (uint32, bool) {
	var size uint64
	switch e.typ {
	case typeNull:
		return e.offset, true
	case typeChar, typeInt8, typeBin:
		size = 1
	case typeInt16:
		size = 2
	case typeInt32:
		size = 4
	case typeInt64:
		size = 8
	default: // strings: count NUL-terminated strings (one for STRING)
		if e.typ == typeString && e.count != 1 {
			return 0, false
		}
		off := int(e.offset)
		for n := uint32(0); n < e.count; n++ {
			i := bytes.IndexByte(data[off:], 0)
			if i < 0 {
				return 0, false
			}
			off += i + 1
		}
		return uint32(off), true
	}
	end := uint64(e.offset) + size*uint64(e.count)
	if end > uint64(len(data)) {
		return 0, false
	}
	return uint32(end), true
}

// lookup returns the entry of a tag the reader maps. Those tags hold one
// value, or one per file or directory, so a count over MaxFiles is refused
// before anything is allocated for it.
func (h *header) lookup(tag uint32) (entry, bool, *ParseError) {
	e, ok := h.entries[tag]
	if ok && e.count > MaxFiles {
		return e, false, &ParseError{Package: h.hnum, Tag: tagString(tag), Err: fmt.Errorf("%w: %d values, over %d files", ErrTooLarge, e.count, MaxFiles)}
	}
	return e, ok, nil
}

// strs returns a string tag's values (the first translation of an
// I18NSTRING), nil when the tag is absent.
func (h *header) strs(tag uint32) ([]string, *ParseError) {
	e, ok, err := h.lookup(tag)
	if !ok {
		return nil, err
	}
	if e.typ != typeString && e.typ != typeStringArray && e.typ != typeI18NString {
		return nil, h.fail(tag, "type %d, not a string", e.typ)
	}
	// dataEnd counted exactly count terminated strings up to e.end.
	out := strings.SplitN(string(h.data[e.offset:e.end]), "\x00", int(e.count)+1)[:e.count]
	if e.typ == typeI18NString {
		out = out[:1]
	}
	return out, nil
}

// str returns a single-string tag's value, "" when absent.
func (h *header) str(tag uint32) (string, *ParseError) {
	v, err := h.strs(tag)
	if err != nil || len(v) == 0 {
		return "", err
	}
	return v[0], nil
}

// ints returns an integer tag's values widened to uint64, nil when the
// tag is absent.
func (h *header) ints(tag uint32) ([]uint64, *ParseError) {
	e, ok, err := h.lookup(tag)
	if !ok {
		return nil, err
	}
	d := h.data[e.offset:e.end]
	out := make([]uint64, e.count)
	switch e.typ {
	case typeChar, typeInt8:
		for i := range out {
			out[i] = uint64(d[i])
		}
	case typeInt16:
		for i := range out {
			out[i] = uint64(binary.BigEndian.Uint16(d[2*i:]))
		}
	case typeInt32:
		for i := range out {
			out[i] = uint64(binary.BigEndian.Uint32(d[4*i:]))
		}
	case typeInt64:
		for i := range out {
			out[i] = binary.BigEndian.Uint64(d[8*i:])
		}
	default:
		return nil, h.fail(tag, "type %d, not an integer", e.typ)
	}
	return out, nil
}

func (h *header) pkg() (installed.Package, *ParseError) {
	p := installed.Package{Ecosystem: ecosystem.RPM}
	var version, release string
	for _, f := range []struct {
		tag uint32
		dst *string
	}{{tagName, &p.Name}, {tagVersion, &version}, {tagRelease, &release}} {
		v, err := h.str(f.tag)
		if err != nil {
			return p, err
		}
		if v == "" {
			return p, &ParseError{Package: h.hnum, Tag: tagString(f.tag), Err: ErrMissing}
		}
		*f.dst = v
	}
	epoch, err := h.ints(tagEpoch)
	if err != nil {
		return p, err
	}
	p.Version = version + "-" + release
	if len(epoch) > 0 {
		p.Version = fmt.Sprintf("%d:%s", uint32(epoch[0]), p.Version)
	}
	if p.Architecture, err = h.str(tagArch); err != nil {
		return p, err
	}
	srpm, err := h.str(tagSourceRPM)
	if err != nil {
		return p, err
	}
	p.Source, p.SourceVersion = splitSourceRPM(srpm)
	if p.SourceVersion == p.Version {
		p.SourceVersion = ""
	}
	if p.Name == pubkeyName {
		return p, nil
	}
	p.Files, err = h.files()
	return p, err
}

// splitSourceRPM splits "name-version-release.src.rpm" into the name and
// "version-release"; a value not of that form gives "", "".
func splitSourceRPM(s string) (name, version string) {
	base, ok := strings.CutSuffix(s, ".src.rpm")
	if !ok {
		if base, ok = strings.CutSuffix(s, ".nosrc.rpm"); !ok {
			return "", ""
		}
	}
	r := strings.LastIndexByte(base, '-')
	if r <= 0 {
		return "", ""
	}
	v := strings.LastIndexByte(base[:r], '-')
	if v <= 0 {
		return "", ""
	}
	return base[:v], base[v+1:]
}

// digestAlgos maps FILEDIGESTALGO's OpenPGP hash numbers (RFC 4880 9.4)
// to digest names; rpm writes md5 when the tag is absent.
var digestAlgos = map[uint64]installed.Algo{
	1: installed.MD5, 2: installed.SHA1, 8: installed.SHA256, 9: "sha384", 10: installed.SHA512, 11: "sha224",
}

var digestLens = map[installed.Algo]int{
	installed.MD5: 32, installed.SHA1: 40, "sha224": 56, installed.SHA256: 64, "sha384": 96, installed.SHA512: 128,
}

// files maps the file tags. The Has flags follow what rpm -V checks
// (lib/verify.c, rpmfilesVerify): a check FILEVERIFYFLAGS leaves out, a
// check rpm skips for the file's type (digest, size and mtime of a
// directory or a symlink; a symlink's mode) or for a %ghost (digest,
// size, mtime, link), and every check of a file FILESTATES says was not
// installed (--excludedocs, --nodocs images, a netshared path: marked
// Ghost, so its absence is not reported) or was replaced by another
// package's file, is not set — so the shared comparison skips what rpm -V
// skips.
func (h *header) files() ([]installed.File, *ParseError) {
	var paths []string
	basenames, err := h.strs(tagBaseNames)
	if err != nil {
		return nil, err
	}
	if basenames != nil {
		dirnames, err := h.strs(tagDirNames)
		if err != nil {
			return nil, err
		}
		dirindexes, err := h.ints(tagDirIndexes)
		if err != nil {
			return nil, err
		}
		if len(dirindexes) != len(basenames) {
			return nil, h.fail(tagDirIndexes, "%d values for %d files", len(dirindexes), len(basenames))
		}
		paths = make([]string, len(basenames))
		for i, b := range basenames {
			d := dirindexes[i]
			if d >= uint64(len(dirnames)) {
				return nil, h.fail(tagDirIndexes, "file %d: index %d outside %d directories", i, d, len(dirnames))
			}
			paths[i] = dirnames[d] + b
		}
	} else if paths, err = h.strs(tagOldFilenames); err != nil {
		return nil, err
	}
	n := len(paths) // at most MaxFiles: lookup checked
	if n == 0 {
		return nil, nil
	}
	ints := map[uint32][]uint64{}
	for _, tag := range []uint32{tagFileModes, tagFileSizes, tagLongFileSizes, tagFileMTimes, tagFileFlags, tagFileVerify, tagFileStates} {
		v, err := h.ints(tag)
		if err != nil {
			return nil, err
		}
		if v != nil && len(v) != n {
			return nil, h.fail(tag, "%d values for %d files", len(v), n)
		}
		ints[tag] = v
	}
	strs := map[uint32][]string{}
	for _, tag := range []uint32{tagFileDigests, tagFileLinkTos, tagFileUserName, tagFileGroupName} {
		v, err := h.strs(tag)
		if err != nil {
			return nil, err
		}
		if v != nil && len(v) != n {
			return nil, h.fail(tag, "%d values for %d files", len(v), n)
		}
		strs[tag] = v
	}
	algo := installed.MD5
	if a, err := h.ints(tagFileDigestAlgo); err != nil {
		return nil, err
	} else if len(a) > 0 {
		var ok bool
		if algo, ok = digestAlgos[a[0]]; !ok {
			return nil, h.fail(tagFileDigestAlgo, "unknown digest algorithm %d", a[0])
		}
	}
	sizes := ints[tagLongFileSizes]
	if sizes == nil {
		sizes = ints[tagFileSizes]
	}
	at := func(v []uint64, i int, def uint64) uint64 {
		if v == nil {
			return def
		}
		return v[i]
	}
	sat := func(v []string, i int) string {
		if v == nil {
			return ""
		}
		return v[i]
	}
	files := make([]installed.File, n)
	for i, path := range paths {
		mode := uint32(at(ints[tagFileModes], i, 0))
		flags := at(ints[tagFileFlags], i, 0)
		verify := uint32(at(ints[tagFileVerify], i, uint64(verifyAll)))
		f := installed.File{
			Path:      path,
			Type:      fileType(mode),
			Config:    flags&fileConfig != 0,
			NoReplace: flags&fileNoReplace != 0,
			MissingOK: flags&fileMissingOK != 0,
			Ghost:     flags&fileGhost != 0,
			Mode:      installed.Mode(mode),
			User:      sat(strs[tagFileUserName], i),
			Group:     sat(strs[tagFileGroupName], i),
			Size:      int64(at(sizes, i, 0)),
			MTime:     time.Unix(int64(uint32(at(ints[tagFileMTimes], i, 0))), 0).UTC(),
			Link:      sat(strs[tagFileLinkTos], i),
		}
		if ints[tagFileModes] == nil {
			verify &^= verifyMode
		}
		if sizes == nil {
			verify &^= verifySize
		}
		if ints[tagFileMTimes] == nil {
			verify &^= verifyMTime
		}
		if strs[tagFileUserName] == nil || strs[tagFileGroupName] == nil {
			verify &^= verifyUser | verifyGroup
		}
		switch f.Type {
		case installed.TypeDir, installed.TypeOther:
			verify &^= verifyDigest | verifySize | verifyMTime | verifyLinkTo
		case installed.TypeSymlink:
			verify &^= verifyDigest | verifySize | verifyMTime | verifyMode
		default:
			verify &^= verifyLinkTo
		}
		if f.Ghost {
			verify &^= verifyDigest | verifySize | verifyMTime | verifyLinkTo
		}
		switch at(ints[tagFileStates], i, stateNormal) {
		case stateNotInstalled, stateNetShared:
			f.Ghost, verify = true, 0
		case stateReplaced:
			verify = 0
		case stateWrongColor:
			verify &^= verifyDigest | verifySize | verifyMTime
		}
		if d := sat(strs[tagFileDigests], i); d != "" && verify&verifyDigest != 0 {
			if len(d) != digestLens[algo] || !isLowerHex(d) {
				return nil, h.fail(tagFileDigests, "file %d: %q is not a %s digest", i, ecosystem.Token(d), algo)
			}
			f.Digest = installed.Digest{Algo: algo, Hex: d}
		}
		f.HasMode = verify&verifyMode != 0
		f.HasOwner = verify&(verifyUser|verifyGroup) == verifyUser|verifyGroup
		f.HasSize = verify&verifySize != 0
		f.HasMTime = verify&verifyMTime != 0
		f.HasLink = verify&verifyLinkTo != 0
		files[i] = f
	}
	return files, nil
}

func isLowerHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// fileType reads the S_IFMT bits of a FILEMODES value.
func fileType(mode uint32) installed.FileType {
	switch mode & 0o170000 {
	case 0o100000:
		return installed.TypeRegular
	case 0o040000:
		return installed.TypeDir
	case 0o120000:
		return installed.TypeSymlink
	case 0:
		return installed.TypeUnknown
	}
	return installed.TypeOther
}
