package rpm

import (
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/ecosystem"
)

// MaxRepomdSize bounds repomd.xml. Fedora's, with a dozen records, is about
// 10 KiB.
const MaxRepomdSize = 4 << 20

// ParseRepomd reads a repomd.xml document. name identifies it in errors;
// empty means "repomd.xml". Every failure to parse is a *ParseError naming
// the line and, for a record, its type.
//
// The checksums are checked for form only; the caller verifies each file
// it fetches against them.
func ParseRepomd(r io.Reader, name string) (*Repomd, error) {
	if name == "" {
		name = "repomd.xml"
	}
	s := newXMLStream(r, name, MaxRepomdSize)
	if _, err := rootElement(s, "repomd"); err != nil {
		return nil, err
	}
	md := &Repomd{}
	seen := map[string]int{} // type -> line
	for {
		t, err := s.token()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case *xml.EndElement:
			if err := endOfDocument(s); err != nil {
				return nil, err
			}
			return md, nil
		case *xml.StartElement:
			if t.Name.Space != "" {
				if err := s.skip(s.depth()); err != nil {
					return nil, err
				}
				continue
			}
			switch t.Name.Local {
			case "revision":
				b, err := s.readText(MaxTextSize)
				if err != nil {
					return nil, err
				}
				md.Revision = strings.TrimSpace(string(b))
			case "data":
				line := s.line()
				d, err := readRepomdData(s, *t)
				if err != nil {
					return nil, err
				}
				if strings.HasSuffix(d.Type, "_zck") {
					continue
				}
				if first, dup := seen[d.Type]; dup {
					return nil, &ParseError{File: s.file, Line: line, Element: dataElement(d.Type),
						Err: fmt.Errorf("%w (first on line %d)", ErrDuplicate, first)}
				}
				seen[d.Type] = line
				md.Data = append(md.Data, d)
			default:
				if err := s.skip(s.depth()); err != nil {
					return nil, err
				}
			}
		}
	}
}

func dataElement(typ string) string { return `data type="` + typ + `"` }

// readRepomdData reads one <data> element, just opened.
func readRepomdData(s *xmlStream, start xml.StartElement) (RepomdData, error) {
	d := RepomdData{Size: -1, OpenSize: -1}
	d.Type, _ = attr(start, "", "type")
	fail := func(child string, err error) error {
		el := dataElement(d.Type)
		if child != "" {
			el += "/" + child
		}
		return &ParseError{File: s.file, Line: s.line(), Element: el, Err: err}
	}
	if d.Type == "" {
		return d, fail("", fmt.Errorf("%w type attribute", ErrMissing))
	}
	text := func() (string, error) {
		b, err := s.readText(MaxTextSize)
		return strings.TrimSpace(string(b)), err
	}
	integer := func(child string) (int64, error) {
		v, err := text()
		if err != nil {
			return 0, err
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n < 0 {
			return 0, fail(child, fmt.Errorf("%w: %s is not a non-negative integer", ErrSyntax, ecosystem.Quote(v)))
		}
		return n, nil
	}
	var seen uint8
	once := func(bit uint8, child string) error {
		if seen&bit != 0 {
			return fail(child, ErrDuplicate)
		}
		seen |= bit
		return nil
	}
	for {
		t, err := s.token()
		if err != nil {
			return d, err
		}
		switch t := t.(type) {
		case *xml.EndElement:
			if seen&1 == 0 {
				return d, fail("checksum", fmt.Errorf("%w element", ErrMissing))
			}
			if d.Location == "" {
				return d, fail("location", fmt.Errorf("%w href", ErrMissing))
			}
			return d, nil
		case *xml.StartElement:
			if t.Name.Space != "" {
				if err := s.skip(s.depth()); err != nil {
					return d, err
				}
				continue
			}
			child := t.Name.Local
			var err error
			switch child {
			case "checksum", "open-checksum":
				bit := uint8(1)
				dst := &d.Checksum
				if child == "open-checksum" {
					bit, dst = 2, &d.OpenChecksum
				}
				if err = once(bit, child); err != nil {
					break
				}
				typ, _ := attr(*t, "", "type")
				var v string
				if v, err = text(); err == nil {
					var cerr error
					if *dst, cerr = checkChecksum(typ, v); cerr != nil {
						err = fail(child, cerr)
					}
				}
			case "location":
				if err = once(4, child); err == nil {
					d.Location, _ = attr(*t, "", "href")
					d.LocationBase, _ = attr(*t, "xml", "base")
					err = s.skip(s.depth())
				}
			case "timestamp":
				if err = once(8, child); err == nil {
					var v string
					if v, err = text(); err == nil {
						var ts time.Time
						if ts, err = parseTimestamp(v); err != nil {
							err = fail(child, err)
						}
						d.Timestamp = ts
					}
				}
			case "size":
				if err = once(16, child); err == nil {
					d.Size, err = integer(child)
				}
			case "open-size":
				if err = once(32, child); err == nil {
					d.OpenSize, err = integer(child)
				}
			case "database_version":
				if err = once(64, child); err == nil {
					var n int64
					n, err = integer(child)
					d.DatabaseVersion = int(min(n, 1<<30))
				}
			default:
				// header-checksum and header-size (zchunk), and anything
				// newer.
				err = s.skip(s.depth())
			}
			if err != nil {
				return d, err
			}
		}
	}
}

// parseTimestamp reads Unix seconds; old createrepo versions wrote a
// fraction, which is dropped.
func parseTimestamp(v string) (time.Time, error) {
	whole := v
	if i := strings.IndexByte(v, '.'); i >= 0 {
		whole = v[:i]
		if _, err := strconv.ParseUint(v[i+1:], 10, 64); err != nil && v[i+1:] != "" {
			return time.Time{}, fmt.Errorf("%w: timestamp %s", ErrSyntax, ecosystem.Quote(v))
		}
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("%w: timestamp %s", ErrSyntax, ecosystem.Quote(v))
	}
	return time.Unix(n, 0).UTC(), nil
}

// Find returns the record of the given type.
func (r *Repomd) Find(typ string) (RepomdData, bool) {
	for _, d := range r.Data {
		if d.Type == typ {
			return d, true
		}
	}
	return RepomdData{}, false
}

// Primary returns the record to read packages from: "primary" (XML, which
// streams), else "primary_db" (sqlite, which must be spooled to a file).
func (r *Repomd) Primary() (RepomdData, bool) {
	if d, ok := r.Find("primary"); ok {
		return d, true
	}
	return r.Find("primary_db")
}

// IsDatabase reports whether the record is a sqlite database (type "*_db").
func (d RepomdData) IsDatabase() bool { return strings.HasSuffix(d.Type, "_db") }

// Compression names the compression of the file from its name: "gz", "xz",
// "bz2", "zst", "zck", or "" for none (or one not known here).
func (d RepomdData) Compression() string {
	switch path.Ext(d.Location) {
	case ".gz":
		return "gz"
	case ".xz":
		return "xz"
	case ".bz2":
		return "bz2"
	case ".zst":
		return "zst"
	case ".zck":
		return "zck"
	}
	return ""
}
