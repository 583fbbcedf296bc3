package apk

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
	apkversion "github.com/distroscope/distroscope/version/apk"
)

// Limits on the APKINDEX text, each about ten times what the largest real
// record needs: a record of Alpine's largest packages (long provides lists
// of so: and cmd: names) is tens of KiB and holds a few hundred
// dependencies, and apk writes each field letter once. Past a limit the
// record is refused with a *ParseError naming the line, so that no record
// costs more than linear time and a bounded amount of memory.
const (
	MaxLineSize     = 512 << 10
	MaxRecordSize   = 1 << 20
	MaxFields       = 256  // lines of one record
	MaxDependencies = 8192 // entries of one of D, p and i
)

// PackagesReader reads the records of the APKINDEX text one at a time, in
// the style of archive/tar.Reader. Reader uses one for the APKINDEX member;
// it also reads an APKINDEX already extracted.
type PackagesReader struct {
	file   string
	member string
	br     *bufio.Reader
	line   int
	err    error // sticky: io.EOF, a read error or a size limit
	arena  []byte
	fields []rawField
	long   []byte
	// skipped is set when a damaged record was reported and skipped.
	skipped bool
	maxSize int64 // the Reader's limit on decompressed bytes, for errors
}

type rawField struct {
	name       byte
	start, end int
	line       int
}

// NewPackagesReader returns a reader of the APKINDEX text r. file names it
// in errors; empty means "APKINDEX".
func NewPackagesReader(r io.Reader, file string) *PackagesReader {
	if file == "" {
		file = "APKINDEX"
	}
	return &PackagesReader{file: file, br: bufio.NewReaderSize(r, 64<<10)}
}

func newMemberReader(r io.Reader, file, member string, maxSize int64) *PackagesReader {
	pr := NewPackagesReader(r, file)
	pr.member, pr.maxSize = member, maxSize
	return pr
}

// Next returns the next package, or io.EOF after the last one. Each call
// returns a new *Package the caller may keep; all its strings share one
// allocation.
//
// A *ParseError about one record (a bad field, a missing P or V) leaves the
// reader on the next record: calling Next again goes on. Errors of the
// underlying reader and the size limits are final.
func (pr *PackagesReader) Next() (*Package, error) {
	for {
		if pr.err != nil {
			return nil, pr.err
		}
		pr.skipped = false
		ok, first, err := pr.readRecord()
		if err != nil {
			if pr.skipped {
				// A damaged line: its record is skipped, the next one
				// can be read (unless the skipping met the end).
				return nil, err
			}
			pr.err = err
			if !ok {
				return nil, err
			}
		}
		if !ok {
			continue
		}
		p, perr := pr.decode(first)
		if perr != nil {
			return nil, perr
		}
		return p, nil
	}
}

// readRecord gathers the lines of the next record into the arena. ok is
// false when there was no record before the end or the error.
func (pr *PackagesReader) readRecord() (ok bool, first int, err error) {
	pr.arena = pr.arena[:0]
	pr.fields = pr.fields[:0]
	for {
		line, err := pr.readLine()
		if err != nil {
			if err == io.EOF && len(pr.fields) > 0 {
				return true, first, io.EOF
			}
			return false, 0, err
		}
		if len(line) == 0 {
			if len(pr.fields) > 0 {
				return true, first, nil
			}
			continue
		}
		if len(pr.fields) == 0 {
			first = pr.line
		}
		if len(line) < 2 || line[1] != ':' || !isLetter(line[0]) {
			return false, 0, pr.recordError(pr.line, "", fmt.Errorf("%w: %s is not an X:value line", ErrSyntax, ecosystem.QuoteBytes(line)))
		}
		if len(pr.fields) == MaxFields {
			return false, 0, pr.recordError(pr.line, "", fmt.Errorf("%w: more than %d in one record", ErrTooManyFields, MaxFields))
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return false, 0, pr.recordError(pr.line, string(line[:1]), fmt.Errorf("%w: NUL byte", ErrSyntax))
		}
		if len(pr.arena)+len(line) > MaxRecordSize {
			return false, 0, pr.fatal(first, fmt.Errorf("%w: more than %d bytes", ErrRecordTooLarge, MaxRecordSize))
		}
		start := len(pr.arena)
		pr.arena = append(pr.arena, line[2:]...)
		pr.fields = append(pr.fields, rawField{name: line[0], start: start, end: len(pr.arena), line: pr.line})
	}
}

// recordError reports a damaged line and skips the rest of its record, so
// that Next can go on with the one after.
func (pr *PackagesReader) recordError(line int, field string, err error) error {
	pe := &ParseError{File: pr.file, Member: pr.member, Line: line, Field: field, Err: err}
	pr.skipped = true
	for {
		l, rerr := pr.readLine()
		if rerr != nil {
			if rerr != io.EOF {
				pr.err = rerr
			} else {
				pr.err = io.EOF
			}
			break
		}
		if len(l) == 0 {
			break
		}
	}
	return pe
}

func (pr *PackagesReader) fatal(line int, err error) error {
	pr.err = &ParseError{File: pr.file, Member: pr.member, Line: line, Err: err}
	return pr.err
}

// readLine returns the next line without its newline (and a trailing
// '\r'). The slice is valid until the next call.
func (pr *PackagesReader) readLine() ([]byte, error) {
	line, err := pr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		pr.long = append(pr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(pr.long) > MaxLineSize {
				pr.line++
				return nil, &ParseError{File: pr.file, Member: pr.member, Line: pr.line, Err: ErrLineTooLong}
			}
			line, err = pr.br.ReadSlice('\n')
			pr.long = append(pr.long, line...)
		}
		line = pr.long
	}
	if err != nil && err != io.EOF {
		return nil, pr.readError(err)
	}
	if err == io.EOF && len(line) == 0 {
		return nil, io.EOF
	}
	pr.line++
	if len(line) > MaxLineSize {
		return nil, &ParseError{File: pr.file, Member: pr.member, Line: pr.line, Err: ErrLineTooLong}
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}

// readError classifies a failure of the layers below: the size limit and
// a damaged or truncated stream are corrupt input.
func (pr *PackagesReader) readError(err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, errLimit) {
		return &ParseError{File: pr.file, Member: pr.member, Line: pr.line + 1, Err: fmt.Errorf("%w: more than %d bytes decompressed", ErrIndexTooLarge, pr.maxSize)}
	}
	return &ParseError{File: pr.file, Member: pr.member, Line: pr.line + 1, Err: fmt.Errorf("%w: %w", ErrCorruptArchive, err)}
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// decode builds the package from the gathered record.
func (pr *PackagesReader) decode(first int) (*Package, error) {
	text := string(pr.arena)
	p := &Package{Line: first}
	var seen [128]int // line of each scalar letter already met
	fail := func(f rawField, err error) (*Package, error) {
		return nil, &ParseError{File: pr.file, Member: pr.member, Line: f.line, Package: p.Name, Field: string(f.name), Err: err}
	}
	for _, f := range pr.fields {
		v := text[f.start:f.end]
		var err error
		switch f.name {
		case 'D':
			p.Depends, err = appendDependencies(p.Depends, v)
			if err == nil {
				continue
			}
		case 'p':
			p.Provides, err = appendDependencies(p.Provides, v)
			if err == nil {
				continue
			}
		case 'i':
			p.InstallIf, err = appendDependencies(p.InstallIf, v)
			if err == nil {
				continue
			}
		case 'P', 'V', 'A', 'S', 'I', 'T', 'U', 'L', 'o', 'm', 't', 'c', 'k', 'C':
			if seen[f.name] != 0 {
				return fail(f, fmt.Errorf("%w (first on line %d)", ErrDuplicateField, seen[f.name]))
			}
			seen[f.name] = f.line
		default:
			p.Extra = append(p.Extra, Field{Name: string(f.name), Value: v})
			continue
		}
		if err != nil {
			return fail(f, err)
		}
		switch f.name {
		case 'P':
			p.Name, err = checkName(v)
		case 'V':
			p.Version, err = checkVersion(v)
		case 'A':
			p.Arch = v
		case 'S':
			p.Size, err = parseDecimal(v)
		case 'I':
			p.InstalledSize, err = parseDecimal(v)
		case 'T':
			p.Description = v
		case 'U':
			p.URL = v
		case 'L':
			p.License = v
		case 'o':
			p.Origin = v
		case 'm':
			p.Maintainer = v
		case 't':
			p.BuildTime, err = parseDecimal(v)
		case 'c':
			p.Commit = v
		case 'k':
			p.ProviderPriority, err = parseDecimal(v)
			p.HasProviderPriority = true
		case 'C':
			p.Checksum, err = checkChecksum(v)
		}
		if err != nil {
			return fail(f, err)
		}
	}
	for _, name := range []byte{'P', 'V'} {
		if seen[name] == 0 {
			return nil, &ParseError{File: pr.file, Member: pr.member, Line: first, Package: p.Name, Field: string(name), Err: ErrMissingField}
		}
	}
	return p, nil
}

// checkName accepts a package name as apk-package(5) defines it: letters,
// digits and ".+-_", starting with a letter or digit. A name that is not —
// most of all one that is not UTF-8, which made a whole packages table
// unreadable to DuckDB — cannot be compared, joined or stored, so the record
// is refused rather than repaired.
func checkName(v string) (string, error) {
	ok := v != "" && isAlnum(v[0])
	for i := 1; ok && i < len(v); i++ {
		c := v[i]
		ok = isAlnum(c) || c == '.' || c == '+' || c == '-' || c == '_'
	}
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrInvalidName, ecosystem.Quote(v))
	}
	return v, nil
}

func isAlnum(c byte) bool { return isLetter(c) || '0' <= c && c <= '9' }

// checkVersion accepts a version apk accepts (apk_version_validate, whose
// grammar apk-package(5) gives: number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}).
func checkVersion(v string) (string, error) {
	if err := apkversion.Validate(v); err != nil {
		return "", fmt.Errorf("%w: %s", ErrInvalidVersion, ecosystem.Quote(v))
	}
	return v, nil
}

// parseDecimal parses a non-negative decimal number, refusing signs,
// blanks and anything that could overflow.
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

// checkChecksum accepts the digest encodings apk_blob_pull_digest reads:
// Q (base64) or X (hex), then 1 (SHA-1; base64 of 32 bytes is also taken
// as SHA-256, as apk does) or 2 (SHA-256).
func checkChecksum(v string) (string, error) {
	if len(v) < 3 {
		return "", fmt.Errorf("%w: checksum %s too short", ErrSyntax, ecosystem.Quote(v))
	}
	body := v[2:]
	var n int
	var err error
	switch v[:2] {
	case "Q1", "Q2":
		var buf [48]byte
		if len(body) > 64 {
			return "", fmt.Errorf("%w: checksum %s too long", ErrSyntax, ecosystem.Quote(v))
		}
		n, err = base64.StdEncoding.Decode(buf[:], []byte(body))
	case "X1", "X2":
		if len(body) > 64 {
			return "", fmt.Errorf("%w: checksum %s too long", ErrSyntax, ecosystem.Quote(v))
		}
		n, err = hex.DecodedLen(len(body)), nil
		if _, herr := hex.DecodeString(body); herr != nil {
			err = herr
		}
	default:
		return "", fmt.Errorf("%w: checksum %s is not Q1, Q2, X1 or X2", ErrSyntax, ecosystem.Quote(v))
	}
	if err != nil {
		return "", fmt.Errorf("%w: checksum %s: %v", ErrSyntax, ecosystem.Quote(v), err)
	}
	switch {
	case v[1] == '1' && (n == 20 || n == 32), v[1] == '2' && n == 32:
		return v, nil
	}
	return "", fmt.Errorf("%w: checksum %s decodes to %d bytes", ErrSyntax, ecosystem.Quote(v), n)
}

// appendDependencies parses a space-separated list of dependencies the way
// apk_blob_pull_deps does and appends it to dst, which may then hold at
// most MaxDependencies.
func appendDependencies(dst []Dependency, v string) ([]Dependency, error) {
	for tok := range strings.FieldsSeq(v) {
		if len(dst) == MaxDependencies {
			return dst, fmt.Errorf("%w: more than %d", ErrTooManyDependencies, MaxDependencies)
		}
		d, err := ParseDependency(tok)
		if err != nil {
			return dst, err
		}
		dst = append(dst, d)
	}
	return dst, nil
}

// ParseDependency parses one "[!]name[op version]" the way apk_dep_parse
// does: op is the first run of '<', '>', '=' and '~', their meanings
// or'ed together (so "=~" is "~", "<>" and "><" a checksum match). A
// repository tag ("name@tag") belongs in /etc/apk/world only and is
// refused, as apk refuses it in an index.
func ParseDependency(s string) (Dependency, error) {
	var d Dependency
	orig := s
	if strings.HasPrefix(s, "!") {
		d.Conflict = true
		s = s[1:]
	}
	i := strings.IndexAny(s, "<>=~")
	if i < 0 {
		d.Name = s
	} else {
		d.Name = s[:i]
		j := i
		for j < len(s) && strings.IndexByte("<>=~", s[j]) >= 0 {
			j++
		}
		op, ok := opString(s[i:j])
		if !ok || j == len(s) {
			return Dependency{}, fmt.Errorf("%w: %s", ErrInvalidDepend, ecosystem.Quote(orig))
		}
		d.Op, d.Version = op, s[j:]
	}
	// A checksum match ("><Q1...") holds base64, '=' included.
	if d.Name == "" || strings.IndexByte(d.Name, '@') >= 0 || d.Op != "><" && strings.ContainsAny(d.Version, "<>=~") {
		return Dependency{}, fmt.Errorf("%w: %s", ErrInvalidDepend, ecosystem.Quote(orig))
	}
	return d, nil
}

// opString maps an operator run to apk_version_op_string's spelling.
func opString(run string) (string, bool) {
	const less, equal, greater, fuzzy = 1, 2, 4, 8
	mask := 0
	for i := 0; i < len(run); i++ {
		switch run[i] {
		case '<':
			mask |= less
		case '>':
			mask |= greater
		case '=':
			mask |= equal
		case '~':
			mask |= fuzzy | equal
		}
	}
	switch mask {
	case less:
		return "<", true
	case less | equal:
		return "<=", true
	case less | equal | fuzzy:
		return "<~", true
	case equal | fuzzy:
		return "~", true
	case equal:
		return "=", true
	case greater | equal:
		return ">=", true
	case greater | equal | fuzzy:
		return ">~", true
	case greater:
		return ">", true
	case less | greater:
		return "><", true
	}
	return "", false
}
