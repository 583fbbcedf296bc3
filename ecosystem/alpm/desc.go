package alpm

import (
	"bytes"
	"fmt"
	"strings"
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
}

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
			return &ParseError{File: file, Member: member, Line: lineNo, Err: fmt.Errorf("%w: %q is not a %%SECTION%% header", ErrSyntax, truncate(line))}
		}
		name := line[1 : len(line)-1]
		headerLine := lineNo
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
			values = append(values, v)
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

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
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
		for _, s := range p.Extra {
			if s.Name == name {
				return ErrDuplicateField
			}
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
				return fmt.Errorf("%w: %q", ErrUnsafePath, truncate(f))
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
			return fmt.Errorf("%w: %q", ErrUnsafePath, truncate(v))
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
	if p.Name == "" || p.Version == "" || strings.ContainsAny(p.Name+p.Version, " \t") {
		return &ParseError{File: file, Member: member, Err: fmt.Errorf("%w: name %q, version %q", ErrSyntax, p.Name, p.Version)}
	}
	if len(dir) != len(p.Name)+1+len(p.Version) || !strings.HasPrefix(dir, p.Name) || dir[len(p.Name)] != '-' || !strings.HasSuffix(dir, p.Version) {
		return &ParseError{File: file, Member: member, Err: fmt.Errorf("%w: %q", ErrInconsistent, p.Name+"-"+p.Version)}
	}
	return nil
}

// parseDecimal parses a non-negative decimal number, refusing signs,
// spaces and anything that could overflow.
func parseDecimal(v string) (int64, error) {
	if v == "" || len(v) > 18 {
		return 0, fmt.Errorf("%w: %q is not a non-negative decimal number", ErrSyntax, truncate(v))
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q is not a non-negative decimal number", ErrSyntax, truncate(v))
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// checkHex accepts a hexadecimal digest of n digits.
func checkHex(v string, n int) (string, error) {
	if len(v) != n {
		return "", fmt.Errorf("%w: %q is %d characters, want %d hex digits", ErrSyntax, truncate(v), len(v), n)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", fmt.Errorf("%w: %q is not hex", ErrSyntax, v)
		}
	}
	return v, nil
}
