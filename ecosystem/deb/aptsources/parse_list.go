package aptsources

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseList reads a one-line style sources file (sources.list, *.list):
//
//	deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/x.gpg ] http://mirror.example.org/debian bookworm main contrib
//
// Everything from a '#' to the end of the line is a comment, as in apt.
// name is used in entries and errors. ParseList returns every well-formed
// entry, and an error joining one error per malformed line (each naming name
// and the line), so that one bad line does not hide the others.
func ParseList(r io.Reader, name string) ([]Entry, error) {
	data, err := readBounded(r, name)
	if err != nil {
		return nil, err
	}
	ls, err := lines(data, name)
	if err != nil {
		return nil, err
	}
	var entries []Entry
	var errs []error
	for i, line := range ls {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields, words, err := parseOneLine(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("aptsources: %s line %d: %w", name, i+1, err))
			continue
		}
		e, err := buildEntry(fields, words, name, i+1)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, e)
	}
	return entries, errors.Join(errs...)
}

// parseOneLine splits "type [options] uri suite [component...]" into deb822
// fields (the options) and words (type, URI, suite, components), so that
// one-line and deb822 entries are checked by the same code.
func parseOneLine(line string) (fields map[string]string, words map[string][]string, err error) {
	rest := strings.TrimLeft(line, " \t")
	typ, rest := nextWord(rest)
	fields = map[string]string{}
	rest = strings.TrimLeft(rest, " \t")
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, nil, fmt.Errorf("options of %q are not closed by ']'", typ)
		}
		for _, opt := range strings.Fields(rest[1:end]) {
			if err := addOption(fields, opt); err != nil {
				return nil, nil, err
			}
		}
		rest = rest[end+1:]
	}
	var ws []string
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		var w string
		w, rest = nextWord(rest)
		ws = append(ws, w)
	}
	if len(ws) < 2 {
		return nil, nil, fmt.Errorf("%q entry needs a URI and a suite", typ)
	}
	words = map[string][]string{"Types": {typ}, "URIs": ws[:1], "Suites": ws[1:2], "Components": ws[2:]}
	return fields, words, nil
}

// addOption records one "name=value", "name+=value" or "name-=value" option
// under its deb822 field name. Comma-separated values are kept as written.
func addOption(fields map[string]string, opt string) error {
	name, value, ok := strings.Cut(opt, "=")
	if !ok || name == "" {
		return fmt.Errorf("option %q is not name=value", opt)
	}
	suffix := ""
	switch {
	case strings.HasSuffix(name, "+"):
		name, suffix = strings.TrimSuffix(name, "+"), "-Add"
	case strings.HasSuffix(name, "-"):
		name, suffix = strings.TrimSuffix(name, "-"), "-Remove"
	}
	field, known := oneLineNames[strings.ToLower(name)]
	if !known {
		field = name
	}
	if suffix != "" {
		field = canonicalName(field + suffix)
	}
	if _, dup := fields[field]; dup {
		return fmt.Errorf("option %q given twice", name)
	}
	fields[field] = value
	return nil
}

// nextWord returns the word at the start of s and what follows it. Like apt's
// ParseQuoteWord, a word runs to the next blank, except inside "double
// quotes" (which are removed) or [brackets] (which are kept), so that
// "cdrom:[Debian GNU/Linux 12 ...]/" is one URI.
func nextWord(s string) (word, rest string) {
	var b strings.Builder
	i := 0
	for i < len(s) && s[i] != ' ' && s[i] != '\t' {
		switch s[i] {
		case '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				b.WriteString(s[i+1:])
				return b.String(), ""
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String(), ""
			}
			b.WriteString(s[i : i+end+1])
			i += end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), s[i:]
}
