package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/ecosystem"
)

// hashSections are the Release fields that list indexes, with the length of
// their hex digests.
var hashSections = [...]struct {
	name   string
	digits int
}{
	{"MD5Sum", 32},
	{"SHA1", 40},
	{"SHA256", 64},
	{"SHA512", 128},
}

// ParseRelease parses a Release file, or the verified cleartext body of an
// InRelease file: one deb822 paragraph of at most MaxReleaseSize bytes.
// Fields it has no use for (Changelogs, Signed-By, ...) are ignored.
func ParseRelease(r io.Reader) (*Release, error) {
	lr := &io.LimitedReader{R: r, N: MaxReleaseSize + 1}
	// A Release's hash lists are one field each, as long as the file.
	sc := newParagraphScanner(lr, "Release", MaxReleaseSize+1, MaxReleaseSize+1, MaxFields)
	para, fields, _, err := sc.next()
	// The scanner reuses both on the next call.
	para, fields = bytes.Clone(para), slices.Clone(fields)
	if err == nil {
		// A second paragraph means this is not a Release file.
		var line int
		_, _, line, err = sc.next()
		switch {
		case err == nil:
			err = sc.errorAt(line, fmt.Errorf("%w: more than one paragraph", ErrSyntax))
		case err == io.EOF:
			err = nil
		}
	}
	if lr.N <= 0 {
		return nil, &ParseError{File: "Release", Line: sc.line, Err: fmt.Errorf("%w: larger than %d bytes", ErrReleaseTooLarge, MaxReleaseSize)}
	}
	if err == io.EOF {
		return nil, &ParseError{File: "Release", Line: 1, Err: fmt.Errorf("%w: empty", ErrSyntax)}
	}
	if err != nil {
		return nil, err
	}
	return decodeRelease(para, fields)
}

func decodeRelease(para []byte, fields []fieldSpan) (*Release, error) {
	rel := &Release{}
	seen := make(map[string]int, len(fields))
	files := make(map[string]int) // path -> index in rel.Files
	fail := func(line int, field string, err error) error {
		return &ParseError{File: "Release", Line: line, Field: field, Err: err}
	}
	for i := range fields {
		f := &fields[i]
		name := string(para[f.nameStart:f.nameEnd])
		key := strings.ToLower(name)
		if prev, dup := seen[key]; dup {
			return nil, fail(f.line, name, fmt.Errorf("%w (first on line %d)", ErrDuplicateField, prev))
		}
		seen[key] = f.line
		v := string(appendFolded(nil, para[f.valStart:f.valEnd], f.multiline))
		var err error
		switch key {
		case "origin":
			rel.Origin = v
		case "label":
			rel.Label = v
		case "suite":
			rel.Suite = v
		case "codename":
			rel.Codename = v
		case "version":
			rel.Version = v
		case "description":
			rel.Description = v
		case "date":
			rel.Date, err = parseReleaseDate(v)
		case "valid-until":
			rel.ValidUntil, err = parseReleaseDate(v)
		case "architectures":
			rel.Architectures = strings.Fields(v)
		case "components":
			rel.Components = strings.Fields(v)
		case "acquire-by-hash":
			rel.AcquireByHash, err = parseYesNo(v)
		case "notautomatic":
			rel.NotAutomatic, err = parseYesNo(v)
		case "butautomaticupgrades":
			rel.ButAutomaticUpgrades, err = parseYesNo(v)
		case "md5sum", "sha1", "sha256", "sha512":
			if err := decodeHashSection(rel, files, string(para[f.valStart:f.valEnd]), f.line, key); err != nil {
				return nil, err
			}
		}
		if err != nil {
			return nil, fail(f.line, name, err)
		}
	}
	slices.SortFunc(rel.Files, func(a, b ReleaseFile) int { return strings.Compare(a.Path, b.Path) })
	return rel, nil
}

// decodeHashSection merges the "hash size path" lines of one hash field into
// rel.Files.
func decodeHashSection(rel *Release, files map[string]int, raw string, firstLine int, key string) error {
	var section string
	var digits int
	for _, h := range hashSections {
		if strings.ToLower(h.name) == key {
			section, digits = h.name, h.digits
		}
	}
	seenHere := make(map[string]bool)
	line := firstLine - 1
	for entry := range strings.SplitSeq(raw, "\n") {
		line++
		if len(entry) > 0 && entry[0] == '#' {
			continue
		}
		parts := strings.Fields(entry)
		if len(parts) == 0 {
			continue
		}
		fail := func(err error) error {
			return &ParseError{File: "Release", Line: line, Field: section, Err: err}
		}
		if len(parts) != 3 {
			return fail(fmt.Errorf("%w: want \"hash size path\", got %d words", ErrSyntax, len(parts)))
		}
		hash, sizeText, path := parts[0], parts[1], parts[2]
		if _, err := checkHex(hash, digits); err != nil {
			return fail(err)
		}
		size, err := parseSize(sizeText)
		if err != nil {
			return fail(err)
		}
		if seenHere[path] {
			return fail(fmt.Errorf("%w: %s listed twice", ErrSyntax, path))
		}
		seenHere[path] = true
		idx, ok := files[path]
		if !ok {
			idx = len(rel.Files)
			files[path] = idx
			rel.Files = append(rel.Files, ReleaseFile{Path: path, Size: size})
		}
		rf := &rel.Files[idx]
		if rf.Size != size {
			return fail(fmt.Errorf("%w: %s has size %d here and %d in another section", ErrSyntax, path, size, rf.Size))
		}
		switch section {
		case "MD5Sum":
			rf.MD5 = hash
		case "SHA1":
			rf.SHA1 = hash
		case "SHA256":
			rf.SHA256 = hash
		case "SHA512":
			rf.SHA512 = hash
		}
	}
	return nil
}

// File returns the index at path (relative to the Release's directory, e.g.
// "main/binary-amd64/Packages.xz"). It relies on Files being sorted by
// path, as ParseRelease leaves them.
func (r *Release) File(path string) (ReleaseFile, bool) {
	i, ok := slices.BinarySearchFunc(r.Files, path, func(f ReleaseFile, p string) int {
		return strings.Compare(f.Path, p)
	})
	if !ok {
		return ReleaseFile{}, false
	}
	return r.Files[i], true
}

var errBadDate = errors.New("not a date like \"Sat, 11 Jul 2026 10:16:37 UTC\"")

// parseReleaseDate reads the RFC 2822 form apt writes and reads: an optional
// weekday, day, month, year, time, and a zone that is UTC, GMT, Z or a
// numeric offset. The result is in UTC.
func parseReleaseDate(v string) (time.Time, error) {
	i := strings.LastIndexByte(v, ' ')
	if i < 0 {
		return time.Time{}, fmt.Errorf("%w: %s %w", ErrSyntax, ecosystem.Quote(v), errBadDate)
	}
	rest, zone := trimSpace(v[:i]), v[i+1:]
	var offset time.Duration
	switch {
	case zone == "UTC" || zone == "GMT" || zone == "Z" || zone == "UT":
	case len(zone) == 5 && (zone[0] == '+' || zone[0] == '-'):
		h, err1 := strconv.Atoi(zone[1:3])
		m, err2 := strconv.Atoi(zone[3:5])
		if err1 != nil || err2 != nil || h > 23 || m > 59 || zone[1] == '+' || zone[1] == '-' || zone[3] == '+' || zone[3] == '-' {
			return time.Time{}, fmt.Errorf("%w: %s %w", ErrSyntax, ecosystem.Quote(v), errBadDate)
		}
		offset = time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
		if zone[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, fmt.Errorf("%w: %s %w", ErrSyntax, ecosystem.Quote(v), errBadDate)
	}
	for _, layout := range [...]string{"Mon, 2 Jan 2006 15:04:05", "2 Jan 2006 15:04:05"} {
		if t, err := time.Parse(layout, rest); err == nil {
			return t.Add(-offset).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %w", ErrSyntax, ecosystem.Quote(v), errBadDate)
}
