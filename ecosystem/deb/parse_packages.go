package deb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// PackagesReader reads the stanzas of a binary Packages index one at a time,
// in the style of archive/tar.Reader. Memory and time per stanza are bounded
// whatever the input: by MaxStanzaSize, MaxFieldSize and MaxLineSize, and by
// MaxFields, MaxClauses and MaxAlternatives.
type PackagesReader struct {
	sc       *paragraphScanner
	pkg      Package
	norm     relationNormalizer
	arena    []byte
	decoded  []decodedField
	rels     []string
	relBlock []string
	extra    []Field
	// extraNames holds the lowercased names of a stanza's fields without a
	// column once there are more than a few (see checkExtraName).
	extraNames map[string]struct{}
	nExtra     int
}

// NewPackagesReader returns a reader of the Packages index r. name identifies
// the index in errors (e.g. "main/binary-amd64/Packages"); empty means
// "Packages".
func NewPackagesReader(r io.Reader, name string) *PackagesReader {
	if name == "" {
		name = "Packages"
	}
	return &PackagesReader{sc: newParagraphScanner(r, name, MaxStanzaSize, MaxFieldSize, MaxFields)}
}

// Next returns the next package, or io.EOF after the last one.
//
// The returned *Package is the same on every call and is overwritten by the
// next one. The strings and slices it holds are not: a shallow copy
// (kept := *pkg) stays valid. All of a stanza's strings share one
// allocation, so keeping any of them keeps that stanza's values alive (a
// stanza's size less its field names and long description); relationship
// slices share 8 KiB blocks with neighbouring stanzas.
//
// A *ParseError about one stanza (a bad field, a missing required field, a
// NUL byte) leaves the reader on the following stanza: calling Next again
// goes on. Errors from the underlying reader and size limits
// (ErrLineTooLong, ErrStanzaTooLarge) are final and returned again by every
// later call.
func (p *PackagesReader) Next() (*Package, error) {
	para, fields, line, err := p.sc.next()
	if err != nil {
		return nil, err
	}
	if err := p.decode(para, fields, line); err != nil {
		return nil, err
	}
	return &p.pkg, nil
}

type pkgField uint8

const (
	fUnknown pkgField = iota
	fPackage
	fVersion
	fArchitecture
	fSource
	fSection
	fPriority
	fEssential
	fProtected
	fBuildEssential
	fMultiArch
	fMaintainer
	fOriginalMaintainer
	fInstalledSize
	fSize
	fFilename
	fMD5sum
	fSHA256
	fHomepage
	fDescription
	fDescriptionMD5
	fTag
	// Relationship fields, in the order of relFieldNames.
	fDepends
	fPreDepends
	fRecommends
	fSuggests
	fEnhances
	fConflicts
	fBreaks
	fProvides
	fReplaces
	fBuiltUsing
	fStaticBuiltUsing
	numPkgFields
)

const numRelFields = int(numPkgFields - fDepends)

var pkgFieldNames = [numPkgFields]string{
	fPackage: "Package", fVersion: "Version", fArchitecture: "Architecture",
	fSource: "Source", fSection: "Section", fPriority: "Priority",
	fEssential: "Essential", fProtected: "Protected", fBuildEssential: "Build-Essential",
	fMultiArch: "Multi-Arch", fMaintainer: "Maintainer", fOriginalMaintainer: "Original-Maintainer",
	fInstalledSize: "Installed-Size", fSize: "Size", fFilename: "Filename",
	fMD5sum: "MD5sum", fSHA256: "SHA256", fHomepage: "Homepage",
	fDescription: "Description", fDescriptionMD5: "Description-md5", fTag: "Tag",
	fDepends: "Depends", fPreDepends: "Pre-Depends", fRecommends: "Recommends",
	fSuggests: "Suggests", fEnhances: "Enhances", fConflicts: "Conflicts",
	fBreaks: "Breaks", fProvides: "Provides", fReplaces: "Replaces",
	fBuiltUsing: "Built-Using", fStaticBuiltUsing: "Static-Built-Using",
}

// is compares a field name with its canonical spelling: exactly first, since
// real indexes use the canonical case, then ASCII case-insensitively.
func is(name []byte, id pkgField) bool {
	canon := pkgFieldNames[id]
	return string(name) == canon || asciiEqualFoldBytes(name, canon)
}

// lookupPackageField maps a field name to its column without a map: by length,
// then first letter, then one comparison.
func lookupPackageField(name []byte) pkgField {
	if len(name) == 0 {
		return fUnknown
	}
	var id pkgField
	c := name[0] | 0x20
	switch len(name) {
	case 3:
		id = fTag
	case 4:
		id = fSize
	case 6:
		switch c {
		case 's':
			if len(name) > 1 && name[1]|0x20 == 'o' {
				id = fSource
			} else {
				id = fSHA256
			}
		case 'm':
			id = fMD5sum
		case 'b':
			id = fBreaks
		}
	case 7:
		switch c {
		case 'p':
			id = fPackage
		case 'v':
			id = fVersion
		case 's':
			id = fSection
		case 'd':
			id = fDepends
		}
	case 8:
		switch c {
		case 'p':
			if name[2]|0x20 == 'i' {
				id = fPriority
			} else {
				id = fProvides
			}
		case 'r':
			id = fReplaces
		case 's':
			id = fSuggests
		case 'e':
			id = fEnhances
		case 'f':
			id = fFilename
		case 'h':
			id = fHomepage
		}
	case 9:
		switch c {
		case 'e':
			id = fEssential
		case 'c':
			id = fConflicts
		case 'p':
			id = fProtected
		}
	case 10:
		switch c {
		case 'm':
			if name[1]|0x20 == 'u' {
				id = fMultiArch
			} else {
				id = fMaintainer
			}
		case 'r':
			id = fRecommends
		}
	case 11:
		switch c {
		case 'd':
			id = fDescription
		case 'p':
			id = fPreDepends
		case 'b':
			id = fBuiltUsing
		}
	case 12:
		id = fArchitecture
	case 14:
		id = fInstalledSize
	case 15:
		switch c {
		case 'd':
			id = fDescriptionMD5
		case 'b':
			id = fBuildEssential
		}
	case 18:
		id = fStaticBuiltUsing
	case 19:
		id = fOriginalMaintainer
	}
	if id != fUnknown && is(name, id) {
		return id
	}
	return fUnknown
}

// decodedField is a field of the current stanza after the first pass: its
// value (and for fields without a column, its name) as offsets into the
// stanza's arena. decoded[i] is fields[i].
type decodedField struct {
	id                   pkgField
	nameStart, nameEnd   int32 // in the arena; only for fUnknown
	valueStart, valueEnd int32
}

// decode fills p.pkg from one paragraph in two passes. The first copies every
// value, folded and trimmed, into one arena (leaving out field names and long
// descriptions, a quarter or more of the bytes); the second converts the
// arena to a string, once, and slices each field out of it.
func (p *PackagesReader) decode(para []byte, fields []fieldSpan, line int) error {
	arena := p.arena[:0]
	decoded := p.decoded[:0]
	if p.nExtra > scanExtraNames {
		clear(p.extraNames)
	}
	p.nExtra = 0
	var seen uint64
	var fieldLine [numPkgFields]int
	for i := range fields {
		f := &fields[i]
		name := para[f.nameStart:f.nameEnd]
		raw := para[f.valStart:f.valEnd]
		id := lookupPackageField(name)
		d := decodedField{id: id}
		switch id {
		case fUnknown:
			if err := p.checkExtraName(arena, decoded, name, f.line); err != nil {
				return err
			}
			d.nameStart = int32(len(arena))
			arena = append(arena, name...)
			d.nameEnd = int32(len(arena))
			d.valueStart = d.nameEnd
			arena = appendMultiline(arena, raw, f.multiline)
		case fDescription:
			// Only the synopsis; the long description is dropped.
			if i := bytes.IndexByte(raw, '\n'); i >= 0 {
				raw = raw[:i]
			}
			d.valueStart = int32(len(arena))
			arena = append(arena, trimSpaceBytes(raw)...)
		default:
			d.valueStart = int32(len(arena))
			if f.multiline {
				arena = appendFolded(arena, raw, true)
			} else {
				arena = append(arena, trimSpaceBytes(raw)...)
			}
		}
		d.valueEnd = int32(len(arena))
		if id != fUnknown {
			if seen&(1<<id) != 0 {
				return p.fieldError(string(arena), decoded, f.line, pkgFieldNames[id],
					fmt.Errorf("%w (first on line %d)", ErrDuplicateField, fieldLine[id]))
			}
			seen |= 1 << id
			fieldLine[id] = f.line
		}
		decoded = append(decoded, d)
	}
	p.arena, p.decoded = arena, decoded
	text := string(arena)

	// Built on the stack and copied out at the end: stores into the heap
	// would each pay a write barrier while the collector runs.
	var pkg Package
	pkg.Line = line
	var relRange [numRelFields][2]int
	p.rels = p.rels[:0]
	p.extra = p.extra[:0]
	for i := range decoded {
		d := &decoded[i]
		v := text[d.valueStart:d.valueEnd]
		var err error
		switch d.id {
		case fUnknown:
			p.extra = append(p.extra, Field{Name: text[d.nameStart:d.nameEnd], Value: v})
		case fPackage:
			pkg.Package = v
		case fVersion:
			pkg.Version = v
		case fArchitecture:
			pkg.Architecture = v
		case fSource:
			pkg.Source = v
		case fSection:
			pkg.Section = v
		case fPriority:
			pkg.Priority = v
		case fEssential:
			pkg.Essential, err = parseYesNo(v)
		case fProtected:
			pkg.Protected, err = parseYesNo(v)
		case fBuildEssential:
			pkg.BuildEssential, err = parseYesNo(v)
		case fMultiArch:
			pkg.MultiArch = v
		case fMaintainer:
			pkg.Maintainer = v
		case fOriginalMaintainer:
			pkg.OriginalMaintainer = v
		case fInstalledSize:
			pkg.InstalledSize, err = parseSize(v)
		case fSize:
			pkg.Size, err = parseSize(v)
		case fFilename:
			pkg.Filename = v
		case fMD5sum:
			pkg.MD5sum, err = checkHex(v, 32)
		case fSHA256:
			pkg.SHA256, err = checkHex(v, 64)
		case fHomepage:
			pkg.Homepage = v
		case fDescription:
			pkg.Description = v
		case fDescriptionMD5:
			pkg.DescriptionMD5 = v
		case fTag:
			pkg.Tag = v
		default: // relationship fields
			var clause string
			start := len(p.rels)
			p.rels, clause, err = p.norm.field(p.rels, v)
			if err != nil && clause != "" {
				err = fmt.Errorf("%w in clause %s", err, ecosystem.Quote(clause))
			}
			relRange[d.id-fDepends] = [2]int{start, len(p.rels)}
		}
		if err != nil {
			return p.fieldError(text, decoded, fields[i].line, pkgFieldNames[d.id], err)
		}
	}
	for _, id := range [...]pkgField{fPackage, fVersion, fArchitecture} {
		if seen&(1<<id) == 0 {
			return p.fieldError(text, decoded, line, pkgFieldNames[id], ErrMissingField)
		}
	}
	if pkg.Package == "" || pkg.Version == "" || pkg.Architecture == "" {
		return p.fieldError(text, decoded, line, "", fmt.Errorf("%w: empty Package, Version or Architecture", ErrSyntax))
	}
	if err := checkPackageName(pkg.Package); err != nil {
		return p.fieldError(text, decoded, fieldLine[fPackage], "Package", err)
	}
	if err := checkVersion(pkg.Version); err != nil {
		return p.fieldError(text, decoded, fieldLine[fVersion], "Version", err)
	}
	if pkg.Source == "" {
		pkg.Source = pkg.Package
	} else if name, version, err := parseSourceField(pkg.Source); err != nil {
		return p.fieldError(text, decoded, fieldLine[fSource], "Source", err)
	} else {
		pkg.Source, pkg.SourceVersion = name, version
	}
	if pkg.SourceVersion == "" {
		pkg.SourceVersion = pkg.Version
	}
	if len(p.rels) > 0 {
		// All relationship fields share a window of a block of strings
		// shared with neighbouring stanzas: one allocation per block, not
		// one per stanza. Each field's slice is capacity-limited so that
		// appends by the caller cannot spill into its neighbour.
		if cap(p.relBlock)-len(p.relBlock) < len(p.rels) {
			p.relBlock = make([]string, 0, max(relBlockSize, len(p.rels)))
		}
		start := len(p.relBlock)
		p.relBlock = append(p.relBlock, p.rels...)
		all := p.relBlock[start:]
		dst := [numRelFields]*[]string{
			&pkg.Depends, &pkg.PreDepends, &pkg.Recommends, &pkg.Suggests, &pkg.Enhances,
			&pkg.Conflicts, &pkg.Breaks, &pkg.Provides, &pkg.Replaces, &pkg.BuiltUsing,
			&pkg.StaticBuiltUsing,
		}
		for k, r := range relRange {
			if r[1] > r[0] {
				*dst[k] = all[r[0]:r[1]:r[1]]
			}
		}
	}
	if len(p.extra) > 0 {
		pkg.Extra = append([]Field(nil), p.extra...)
	}
	p.pkg = pkg
	return nil
}

// relBlockSize is how many relationship clauses one allocation holds.
const relBlockSize = 512

// scanExtraNames is how many fields without a column a stanza may have
// before checkExtraName keeps their names in a map: real stanzas have a
// few, which a scan checks faster than a map; a hostile one of thousands
// made the scan quadratic (40,000 fields took 7 s).
const scanExtraNames = 8

// checkExtraName checks the name of a field without a column: US-ASCII
// without controls or blanks, not starting with '-' (deb822(5)), and not a
// duplicate of an earlier one in the stanza, compared without regard to
// case.
func (p *PackagesReader) checkExtraName(arena []byte, decoded []decodedField, name []byte, line int) error {
	bad := name[0] == '-'
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			bad = true
		}
	}
	if bad {
		return p.fieldError(string(arena), decoded, line, "", fmt.Errorf("%w: invalid field name %s", ErrSyntax, ecosystem.QuoteBytes(name)))
	}
	p.nExtra++
	if p.nExtra <= scanExtraNames {
		for _, d := range decoded {
			if d.id == fUnknown && asciiEqualFoldBytes(name, string(arena[d.nameStart:d.nameEnd])) {
				return p.fieldError(string(arena), decoded, line, string(name), ErrDuplicateField)
			}
		}
		return nil
	}
	if p.extraNames == nil {
		p.extraNames = make(map[string]struct{})
	}
	if p.nExtra == scanExtraNames+1 {
		for _, d := range decoded {
			if d.id == fUnknown {
				p.extraNames[string(bytes.ToLower(arena[d.nameStart:d.nameEnd]))] = struct{}{}
			}
		}
	}
	key := string(bytes.ToLower(name))
	if _, dup := p.extraNames[key]; dup {
		return p.fieldError(string(arena), decoded, line, string(name), ErrDuplicateField)
	}
	p.extraNames[key] = struct{}{}
	return nil
}

// fieldError builds a *ParseError, naming the package when the part of the
// stanza decoded so far has a Package field.
func (p *PackagesReader) fieldError(text string, decoded []decodedField, line int, field string, err error) error {
	var pkgName string
	for _, d := range decoded {
		if d.id == fPackage && int(d.valueEnd) <= len(text) {
			pkgName = text[d.valueStart:d.valueEnd]
			break
		}
	}
	return &ParseError{File: p.sc.file, Line: line, Package: pkgName, Field: field, Err: err}
}

func parseYesNo(v string) (bool, error) {
	switch {
	case v == "yes" || asciiEqualFold(v, "yes"):
		return true, nil
	case v == "no" || asciiEqualFold(v, "no"):
		return false, nil
	}
	return false, fmt.Errorf("%w: %s is neither yes nor no", ErrSyntax, ecosystem.Quote(v))
}

var errSizeSyntax = errors.New("not a non-negative decimal number")

// parseSize parses a non-negative decimal size, refusing signs, spaces and
// overflow (unlike strconv, which also allocates its error).
func parseSize(v string) (int64, error) {
	if v == "" || len(v) > 18 {
		return 0, fmt.Errorf("%w: %s %w", ErrSyntax, ecosystem.Quote(v), errSizeSyntax)
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s %w", ErrSyntax, ecosystem.Quote(v), errSizeSyntax)
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// checkHex accepts a lowercase hexadecimal digest of n digits.
func checkHex(v string, n int) (string, error) {
	if len(v) != n {
		return "", fmt.Errorf("%w: %s is %d characters, want %d hex digits", ErrSyntax, ecosystem.Quote(v), len(v), n)
	}
	if !isLowerHex(v) {
		return "", fmt.Errorf("%w: %s is not lowercase hex", ErrSyntax, ecosystem.Quote(v))
	}
	return v, nil
}

// isLowerHex reports whether s is all lowercase hex digits, eight bytes at
// a time: for bytes below 0x80, ((x|0x80)-c)&0x80 is set exactly when x >= c,
// with no borrow between bytes.
func isLowerHex(s string) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	ge := func(x, c uint64) uint64 { return ((x | hi) - c*lo) & hi }
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		digit := ge(x, '0') &^ ge(x, '9'+1)
		lower := ge(x, 'a') &^ ge(x, 'f'+1)
		if x&hi != 0 || digit|lower != hi {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseSourceField splits "name (version)" or "name", and checks both as
// the Package and Version fields are checked.
func parseSourceField(v string) (name, version string, err error) {
	i := 0
	for i < len(v) && !isSpace(v[i]) && v[i] != '(' {
		i++
	}
	name = v[:i]
	rest := trimSpace(v[i:])
	if name == "" {
		return "", "", fmt.Errorf("%w: empty source name in %s", ErrSyntax, ecosystem.Quote(v))
	}
	if err := checkPackageName(name); err != nil {
		return "", "", err
	}
	if rest == "" {
		return name, "", nil
	}
	if rest[0] != '(' || rest[len(rest)-1] != ')' {
		return "", "", fmt.Errorf("%w: %s is not \"name (version)\"", ErrSyntax, ecosystem.Quote(v))
	}
	version = trimSpace(rest[1 : len(rest)-1])
	if version == "" || strings.ContainsAny(version, " \t()") {
		return "", "", fmt.Errorf("%w: bad version in %s", ErrSyntax, ecosystem.Quote(v))
	}
	if err := checkVersion(version); err != nil {
		return "", "", err
	}
	return name, version, nil
}
