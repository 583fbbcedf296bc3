package alpm

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

type section uint8

const (
	sUnknown section = iota
	sFilename
	sName
	sBase
	sVersion
	sDesc
	sCSize
	sISize
	sMD5Sum
	sSHA256Sum
	sPGPSig
	sURL
	sArch
	sBuildDate
	sPackager
	// Sections that hold a list.
	sGroups
	sLicense
	sReplaces
	sConflicts
	sProvides
	sDepends
	sOptDepends
	sMakeDepends
	sCheckDepends
	sFiles
	numSections
)

var sectionNames = [numSections]string{
	sFilename: "FILENAME", sName: "NAME", sBase: "BASE", sVersion: "VERSION",
	sDesc: "DESC", sCSize: "CSIZE", sISize: "ISIZE", sMD5Sum: "MD5SUM",
	sSHA256Sum: "SHA256SUM", sPGPSig: "PGPSIG", sURL: "URL", sArch: "ARCH",
	sBuildDate: "BUILDDATE", sPackager: "PACKAGER", sGroups: "GROUPS",
	sLicense: "LICENSE", sReplaces: "REPLACES", sConflicts: "CONFLICTS",
	sProvides: "PROVIDES", sDepends: "DEPENDS", sOptDepends: "OPTDEPENDS",
	sMakeDepends: "MAKEDEPENDS", sCheckDepends: "CHECKDEPENDS", sFiles: "FILES",
}

func lookupSection(name string) section {
	for id := sFilename; id < numSections; id++ {
		if sectionNames[id] == name {
			return id
		}
	}
	return sUnknown
}

// entryState gathers one package from the entries of its directory.
type entryState struct {
	pkg  *Package
	seen uint32 // bit per section already met, across desc and depends
	// lines of %NAME% and %VERSION%, for check's errors
	nameLine, versionLine int
	// extraNames holds the names of Extra once there are more than a few,
	// so that finding a duplicate among MaxSections of them stays linear.
	extraNames map[string]struct{}
	sections   int
}

// scanExtra is how many sections without a field a package may have before
// their names go in a map: real packages have none or one or two.
const scanExtra = 8

// parse reads one desc, depends or files entry into the package. The text
// is "%SECTION%" lines, each followed by its values up to a blank line or
// the end; blank lines between sections are ignored. As in libalpm, a line
// after a header is a value even if it looks like a header.
func (st *entryState) parse(file, member string, data []byte, filesEntry bool) error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return &ParseError{File: file, Member: member, Line: 1 + bytes.Count(data[:i], []byte{'\n'}), Err: fmt.Errorf("%w: NUL byte", ErrSyntax)}
	}
	text := string(data) // one allocation; every value is a slice of it
	lineNo := 0
	var values []string
	for pos := 0; pos < len(text); {
		line, next := nextLine(text, pos)
		lineNo++
		pos = next
		if len(line) > MaxLineSize {
			return &ParseError{File: file, Member: member, Line: lineNo, Err: ErrLineTooLong}
		}
		if line == "" {
			continue
		}
		if len(line) < 3 || line[0] != '%' || line[len(line)-1] != '%' || !isSectionName(line[1:len(line)-1]) {
			return &ParseError{File: file, Member: member, Line: lineNo, Err: fmt.Errorf("%w: %s is not a %%SECTION%% header", ErrSyntax, ecosystem.Quote(line))}
		}
		if st.sections++; st.sections > MaxSections {
			return &ParseError{File: file, Member: member, Line: lineNo, Err: fmt.Errorf("%w: more than %d in one package", ErrTooManyFields, MaxSections)}
		}
		name := line[1 : len(line)-1]
		headerLine := lineNo
		maxValues := MaxValues
		if filesEntry {
			maxValues = MaxFiles
		}
		values = values[:0]
		for pos < len(text) {
			v, next := nextLine(text, pos)
			if v == "" {
				break
			}
			lineNo++
			pos = next
			if len(v) > MaxLineSize {
				return &ParseError{File: file, Member: member, Line: lineNo, Err: ErrLineTooLong}
			}
			if len(values) == maxValues {
				return &ParseError{File: file, Member: member, Line: headerLine, Section: line,
					Err: fmt.Errorf("%w: more than %d", ErrTooManyValues, maxValues)}
			}
			values = append(values, v)
		}
		switch name {
		case "NAME":
			st.nameLine = headerLine
		case "VERSION":
			st.versionLine = headerLine
		}
		if err := st.set(name, values, filesEntry); err != nil {
			return &ParseError{File: file, Member: member, Line: headerLine, Section: line, Err: err}
		}
	}
	return nil
}

// nextLine returns the line starting at pos without its "\n" (or "\r\n")
// and the position after it.
func nextLine(text string, pos int) (string, int) {
	end := strings.IndexByte(text[pos:], '\n')
	next := len(text)
	if end < 0 {
		end = len(text)
	} else {
		end += pos
		next = end + 1
	}
	line := text[pos:end]
	if strings.HasSuffix(line, "\r") {
		line = line[:len(line)-1]
	}
	return line, next
}

func isSectionName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// set stores one section's values.
func (st *entryState) set(name string, values []string, filesEntry bool) error {
	id := lookupSection(name)
	if id == sFiles && !filesEntry || id != sFiles && filesEntry && id != sUnknown {
		// %FILES% lives in files entries, the rest in desc/depends.
		return fmt.Errorf("%w: section in the wrong entry", ErrSyntax)
	}
	p := st.pkg
	if id == sUnknown {
		if len(p.Extra) < scanExtra {
			for _, s := range p.Extra {
				if s.Name == name {
					return ErrDuplicateField
				}
			}
		} else {
			if st.extraNames == nil {
				st.extraNames = make(map[string]struct{}, 2*scanExtra)
				for _, s := range p.Extra {
					st.extraNames[s.Name] = struct{}{}
				}
			}
			if _, dup := st.extraNames[name]; dup {
				return ErrDuplicateField
			}
			st.extraNames[name] = struct{}{}
		}
		p.Extra = append(p.Extra, Section{Name: name, Values: append([]string(nil), values...)})
		return nil
	}
	if st.seen&(1<<id) != 0 {
		return ErrDuplicateField
	}
	st.seen |= 1 << id
	if id < sGroups {
		if len(values) > 1 {
			return fmt.Errorf("%w: %d values, want one", ErrSyntax, len(values))
		}
		v := ""
		if len(values) == 1 {
			v = values[0]
		}
		return st.setScalar(id, v)
	}
	list := append([]string(nil), values...)
	switch id {
	case sGroups:
		p.Groups = list
	case sLicense:
		p.Licenses = list
	case sReplaces:
		p.Replaces = list
	case sConflicts:
		p.Conflicts = list
	case sProvides:
		p.Provides = list
	case sDepends:
		p.Depends = list
	case sOptDepends:
		p.OptDepends = list
	case sMakeDepends:
		p.MakeDepends = list
	case sCheckDepends:
		p.CheckDepends = list
	case sFiles:
		for _, f := range list {
			if strings.HasPrefix(f, "/") || hasDotDot(f) {
				return fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(f))
			}
		}
		p.Files = list
	}
	switch id {
	case sReplaces, sConflicts, sProvides, sDepends, sMakeDepends, sCheckDepends:
		for _, v := range list {
			if _, err := ParseRelation(v); err != nil {
				return err
			}
		}
	case sOptDepends:
		for _, v := range list {
			dep, _, _ := strings.Cut(v, ": ")
			if _, err := ParseRelation(dep); err != nil {
				return err
			}
		}
	case sGroups, sLicense:
		for _, v := range list {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("%w: blank value", ErrSyntax)
			}
		}
	}
	return nil
}

func hasDotDot(p string) bool {
	for _, part := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func (st *entryState) setScalar(id section, v string) error {
	p := st.pkg
	var err error
	switch id {
	case sFilename:
		if strings.Contains(v, "/") {
			return fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(v))
		}
		p.Filename = v
	case sName:
		p.Name = v
	case sBase:
		p.Base = v
	case sVersion:
		p.Version = v
	case sDesc:
		p.Description = v
	case sCSize:
		p.CSize, err = parseDecimal(v)
	case sISize:
		p.ISize, err = parseDecimal(v)
	case sMD5Sum:
		p.MD5Sum, err = checkHex(v, 32)
	case sSHA256Sum:
		p.SHA256Sum, err = checkHex(v, 64)
	case sPGPSig:
		p.PGPSig = v
	case sURL:
		p.URL = v
	case sArch:
		p.Arch = v
	case sBuildDate:
		p.BuildDate, err = parseDecimal(v)
	case sPackager:
		p.Packager = v
	}
	return err
}

// check verifies the package as a whole once its directory has ended.
func (st *entryState) check(file, dir string) error {
	p := st.pkg
	member := dir + "/desc"
	for _, id := range [...]section{sName, sVersion} {
		if st.seen&(1<<id) == 0 {
			return &ParseError{File: file, Member: member, Section: "%" + sectionNames[id] + "%", Err: ErrMissingField}
		}
	}
	if err := checkName(p.Name); err != nil {
		return &ParseError{File: file, Member: member, Line: st.nameLine, Section: "%NAME%", Err: err}
	}
	if err := checkVersion(p.Version); err != nil {
		return &ParseError{File: file, Member: member, Line: st.versionLine, Section: "%VERSION%", Err: err}
	}
	if len(dir) != len(p.Name)+1+len(p.Version) || !strings.HasPrefix(dir, p.Name) || dir[len(p.Name)] != '-' || !strings.HasSuffix(dir, p.Version) {
		return &ParseError{File: file, Member: member, Err: fmt.Errorf("%w: %s", ErrInconsistent, ecosystem.Quote(p.Name+"-"+p.Version))}
	}
	return nil
}

// parseDecimal parses a non-negative decimal number, refusing signs,
// spaces and anything that could overflow.
func parseDecimal(v string) (int64, error) {
	if v == "" || len(v) > 18 {
		return 0, fmt.Errorf("%w: %s is not a non-negative decimal number", ErrSyntax, ecosystem.Quote(v))
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s is not a non-negative decimal number", ErrSyntax, ecosystem.Quote(v))
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// checkHex accepts a hexadecimal digest of n digits.
func checkHex(v string, n int) (string, error) {
	if len(v) != n {
		return "", fmt.Errorf("%w: %s is %d characters, want %d hex digits", ErrSyntax, ecosystem.Quote(v), len(v), n)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", fmt.Errorf("%w: %s is not hex", ErrSyntax, ecosystem.Quote(v))
		}
	}
	return v, nil
}

// checkName accepts a package name as alpm-package-name(7) and makepkg
// define it: ASCII letters, digits and "@._+-", not starting with '-' or
// '.'. A name that is not — most of all one that is not UTF-8, which made a
// whole packages table unreadable to DuckDB — cannot be compared, joined
// or stored, so the package is refused rather than repaired.
func checkName(v string) error {
	ok := v != "" && v[0] != '-' && v[0] != '.'
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '@' || c == '.' || c == '_' || c == '+' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrInvalidName, ecosystem.Quote(v))
	}
	return nil
}

// checkVersion accepts a version as alpm-package-version(7) and makepkg's
// lint define it, [epoch:]pkgver-pkgrel: the epoch digits; pkgver
// printable ASCII without blanks, ':', '/' or '-'; pkgrel a number with at
// most one decimal part ("1", "1.1").
func checkVersion(v string) error {
	fail := func(why string) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidVersion, ecosystem.Quote(v), why)
	}
	rest := v
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		if i == 0 || !allDigits(rest[:i]) {
			return fail("the epoch is not a number")
		}
		rest = rest[i+1:]
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 {
		return fail("no pkgrel")
	}
	pkgver, pkgrel := rest[:i], rest[i+1:]
	if pkgver == "" {
		return fail("empty pkgver")
	}
	for j := 0; j < len(pkgver); j++ {
		if c := pkgver[j]; c <= ' ' || c >= 0x7f || c == ':' || c == '/' || c == '-' {
			return fail("pkgver may hold only printable ASCII without blanks, ':', '/' or '-'")
		}
	}
	whole, frac, dotted := strings.Cut(pkgrel, ".")
	if !allDigits(whole) || dotted && !allDigits(frac) {
		return fail("pkgrel is not a number like 1 or 1.1")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
