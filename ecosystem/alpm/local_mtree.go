package alpm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

// MaxMTreeSize bounds the decompressed text of one mtree file: a package
// of MaxFiles paths at a few hundred bytes a line.
const MaxMTreeSize int64 = 256 << 20

// MTreeEntry is one path of a package's .MTREE as pacman keeps it in its
// local database: what the package's archive recorded for it. A keyword
// the entry (with its /set defaults) does not give leaves its Has flag
// false.
type MTreeEntry struct {
	Path string // absolute and clean, "/usr/bin/x"
	Type string // "file", "dir", "link", "block", "char", "fifo", "socket"; "" when not given

	HasMode bool
	Mode    fs.FileMode // permission bits plus fs.ModeSetuid/Setgid/Sticky

	HasUID, HasGID bool
	UID, GID       int

	HasSize bool
	Size    int64

	HasTime bool
	Time    time.Time

	HasLink bool
	Link    string

	MD5, SHA256 string // lowercase hex; "" when not given
}

// ParseMTree reads a package's mtree file: mtree(5) text as bsdtar writes
// it for makepkg (--format=mtree), gzip-compressed as makepkg stores it in
// the package and pacman copies it to local/NAME-VERSION/mtree, or plain.
// It follows libarchive's reader (archive_read_support_format_mtree.c),
// which libalpm uses: "/set" gives defaults for the entries after it and
// "/unset" removes them; an entry is a path then "keyword=value" words;
// a path is unescaped from "\ooo" octal and the C escapes (\\, \n, \t,
// \s, ...); a line ending in a backslash goes on on the next line;
// "time=S.N" is S seconds and N nanoseconds, N read as an integer ("a
// replicated old mtree bug" there: ".1" is one nanosecond). The metadata
// members (.PKGINFO, .BUILDINFO, .INSTALL, .CHANGELOG) are left out, as
// pacman -Qkk leaves them out. Only the "full" form — every path holding a
// '/', as bsdtar writes them — is read: the relative form, whose entries
// change directory, is refused with ErrUnsupported. Unknown keywords are
// ignored, as libarchive ignores them.
//
// The text is bounded (MaxMTreeSize, MaxLineSize, MaxFiles entries); every
// failure is a *ParseError naming the line.
func ParseMTree(r io.Reader) ([]MTreeEntry, error) {
	return parseMTree(r, "mtree", "")
}

func parseMTree(r io.Reader, file, member string) ([]MTreeEntry, error) {
	fail := func(line int, err error) error {
		return &ParseError{File: file, Member: member, Line: line, Err: err}
	}
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fail(0, fmt.Errorf("%w: gzip: %w", ErrCorruptArchive, err))
		}
		defer zr.Close()
		src = zr
	}
	lr := &io.LimitedReader{R: src, N: MaxMTreeSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4<<10), MaxLineSize+1)
	var (
		entries  []MTreeEntry
		defaults = map[string]string{}
		lineNo   int
		cont     []byte // a line continued with a trailing backslash
		contLine int
	)
	for sc.Scan() {
		lineNo++
		line := sc.Bytes()
		if cont != nil {
			line = append(cont, line...)
			cont = nil
		} else {
			contLine = lineNo
		}
		if len(line) > MaxLineSize {
			return nil, fail(contLine, ErrLineTooLong)
		}
		if n := len(line); n > 0 && line[n-1] == '\\' && (n < 2 || line[n-2] != '\\') {
			cont = append([]byte(nil), line[:n-1]...)
			continue
		}
		text := strings.TrimSpace(string(line))
		if text == "" || text[0] == '#' {
			continue
		}
		if strings.IndexByte(text, 0) >= 0 {
			return nil, fail(contLine, fmt.Errorf("%w: NUL byte", ErrSyntax))
		}
		words := strings.Fields(text)
		switch words[0] {
		case "/set":
			for _, w := range words[1:] {
				k, v, _ := strings.Cut(w, "=")
				defaults[k] = v
			}
			continue
		case "/unset":
			for _, k := range words[1:] {
				if k == "all" {
					clear(defaults)
				}
				delete(defaults, k)
			}
			continue
		}
		if strings.HasPrefix(words[0], "/") {
			return nil, fail(contLine, fmt.Errorf("%w: special command %s", ErrUnsupported, ecosystem.Quote(words[0])))
		}
		name, err := unescapeMTree(words[0])
		if err != nil {
			return nil, fail(contLine, err)
		}
		if !strings.Contains(name, "/") {
			return nil, fail(contLine, fmt.Errorf("%w: relative mtree entry %s (only full paths are read)", ErrUnsupported, ecosystem.Quote(name)))
		}
		p, err := cleanMTreePath(name)
		if err != nil {
			return nil, fail(contLine, err)
		}
		switch p {
		case "/.PKGINFO", "/.BUILDINFO", "/.INSTALL", "/.CHANGELOG", "/.MTREE":
			continue
		}
		if len(entries) == MaxFiles {
			return nil, fail(contLine, fmt.Errorf("%w: more than %d entries", ErrTooManyValues, MaxFiles))
		}
		e := MTreeEntry{Path: p}
		kw := make(map[string]string, len(defaults)+len(words))
		for k, v := range defaults {
			kw[k] = v
		}
		for _, w := range words[1:] {
			k, v, _ := strings.Cut(w, "=")
			kw[k] = v
		}
		if err := e.set(kw); err != nil {
			return nil, fail(contLine, fmt.Errorf("%s: %w", ecosystem.Quote(name), err))
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fail(lineNo+1, ErrLineTooLong)
		}
		return nil, fail(lineNo+1, fmt.Errorf("%w: %w", ErrCorruptArchive, err))
	}
	if lr.N <= 0 {
		return nil, fail(0, fmt.Errorf("%w: more than %d bytes of mtree text", ErrMemberTooLarge, MaxMTreeSize))
	}
	if cont != nil {
		return nil, fail(contLine, fmt.Errorf("%w: the last line ends in a backslash", ErrSyntax))
	}
	return entries, nil
}

// set reads the keywords pacman -Qkk compares.
func (e *MTreeEntry) set(kw map[string]string) error {
	bad := func(k, why string) error {
		return fmt.Errorf("%w: %s=%s %s", ErrSyntax, k, ecosystem.Quote(kw[k]), why)
	}
	if v, ok := kw["type"]; ok {
		switch v {
		case "file", "dir", "link", "block", "char", "fifo", "socket":
			e.Type = v
		default:
			return bad("type", "is not an mtree(5) type")
		}
	}
	if v, ok := kw["mode"]; ok {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil || m > 0o7777 || !isDigits(v) {
			return bad("mode", "is not an octal mode")
		}
		e.HasMode, e.Mode = true, installed.Mode(uint32(m))
	}
	for _, id := range []struct {
		k   string
		has *bool
		v   *int
	}{{"uid", &e.HasUID, &e.UID}, {"gid", &e.HasGID, &e.GID}} {
		if v, ok := kw[id.k]; ok {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || !isDigits(v) {
				return bad(id.k, "is not a decimal id")
			}
			*id.has, *id.v = true, int(n)
		}
	}
	if v, ok := kw["size"]; ok {
		n, err := parseDecimal(v)
		if err != nil {
			return bad("size", "is not a size")
		}
		e.HasSize, e.Size = true, n
	}
	if v, ok := kw["time"]; ok {
		sec, nsec, _ := strings.Cut(v, ".")
		s, err := parseDecimal(sec)
		var ns int64
		if err == nil && nsec != "" {
			ns, err = parseDecimal(nsec)
			ns = min(ns, 999999999)
		}
		if err != nil {
			return bad("time", "is not seconds[.nanoseconds]")
		}
		e.HasTime, e.Time = true, time.Unix(s, ns).UTC()
	}
	if v, ok := kw["link"]; ok {
		target, err := unescapeMTree(v)
		if err != nil {
			return err
		}
		e.HasLink, e.Link = true, target
	}
	for _, d := range []struct {
		keys []string
		n    int
		dst  *string
	}{{[]string{"md5digest", "md5"}, 32, &e.MD5}, {[]string{"sha256digest", "sha256"}, 64, &e.SHA256}} {
		for _, k := range d.keys {
			if v, ok := kw[k]; ok {
				h, err := checkHex(v, d.n)
				if err != nil {
					return err
				}
				*d.dst = strings.ToLower(h)
			}
		}
	}
	return nil
}

func isDigits(s string) bool { return allDigits(s) }

// cleanMTreePath makes "./usr/bin/x" "/usr/bin/x", refusing what would
// leave the root.
func cleanMTreePath(name string) (string, error) {
	rel := strings.TrimPrefix(name, "./")
	if rel == "." || rel == "" {
		return "/", nil
	}
	if strings.HasPrefix(rel, "/") || hasDotDot(rel) {
		return "", fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(name))
	}
	return path.Clean("/" + rel), nil
}

// unescapeMTree undoes mtree's escapes as libarchive's parse_escapes
// does: "\ooo" octal bytes and \0 \\ \a \b \f \n \r \s \t \v; a backslash
// before anything else stands for itself.
func unescapeMTree(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		if i+3 < len(s) && isOctal(n) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (n-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			if n > '3' {
				return "", fmt.Errorf("%w: escape %s is past \\377", ErrSyntax, ecosystem.Quote(s[i:i+4]))
			}
			b.WriteByte(v)
			i += 3
			continue
		}
		esc, ok := map[byte]byte{'0': 0, '\\': '\\', 'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 's': ' ', 't': '\t', 'v': '\v'}[n]
		if !ok {
			b.WriteByte(c)
			continue
		}
		b.WriteByte(esc)
		i++
	}
	out := b.String()
	if strings.IndexByte(out, 0) >= 0 {
		return "", fmt.Errorf("%w: NUL byte in %s", ErrSyntax, ecosystem.Quote(s))
	}
	return out, nil
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }
