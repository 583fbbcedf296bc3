package aptsources

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseSources reads a deb822 style sources file (*.sources): stanzas of
// "Field: value" lines separated by blank lines, where a line starting with a
// blank continues the previous field, a continuation line holding only "."
// stands for a blank line (as in an inline Signed-By key), and a line
// starting with '#' is a comment. Field names are case-insensitive. Stanzas
// with "Enabled: no" are dropped, as apt drops them.
//
// name is used in entries and errors. ParseSources returns every well-formed
// stanza, and an error joining one error per malformed stanza (each naming
// name and the line).
func ParseSources(r io.Reader, name string) ([]Entry, error) {
	data, err := readBounded(r, name)
	if err != nil {
		return nil, err
	}
	ls, err := lines(data, name)
	if err != nil {
		return nil, err
	}
	var (
		entries []Entry
		errs    []error
		st      *stanza
	)
	flush := func() {
		if st == nil {
			return
		}
		if e, keep, err := st.entry(name); err != nil {
			errs = append(errs, err)
		} else if keep {
			entries = append(entries, e)
		}
		st = nil
	}
	for i, line := range ls {
		n := i + 1
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			switch {
			case st == nil:
				errs = append(errs, fmt.Errorf("aptsources: %s line %d: continuation line outside a field", name, n))
				st = &stanza{line: n, bad: true}
			case !st.bad:
				st.continueField(line)
			}
		default:
			if st == nil {
				st = &stanza{line: n, fields: map[string]string{}}
			}
			if st.bad {
				continue
			}
			if err := st.addField(line); err != nil {
				errs = append(errs, fmt.Errorf("aptsources: %s line %d: %w", name, n, err))
				st.bad = true
			}
		}
	}
	flush()
	return entries, errors.Join(errs...)
}

// stanza gathers the fields of one deb822 paragraph. A stanza with a
// malformed line is marked bad: its error is reported once and the stanza
// is skipped up to the next blank line.
type stanza struct {
	line   int
	fields map[string]string
	last   string // canonical name of the field being continued
	bad    bool
}

func (st *stanza) addField(line string) error {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return fmt.Errorf("line %q is not a \"Field: value\" line", truncate(line))
	}
	if name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("field name %q is empty or holds a blank", truncate(name))
	}
	name = canonicalName(name)
	if _, dup := st.fields[name]; dup {
		return fmt.Errorf("field %s given twice", name)
	}
	st.fields[name] = strings.TrimSpace(value)
	st.last = name
	return nil
}

func (st *stanza) continueField(line string) {
	line = strings.TrimSpace(line)
	if line == "." {
		line = ""
	}
	// A field whose first line is empty starts with a newline, trimmed in entry.
	st.fields[st.last] += "\n" + line
}

// entry returns the stanza's Entry, and keep=false for a disabled stanza.
func (st *stanza) entry(file string) (e Entry, keep bool, err error) {
	if st.bad {
		return Entry{}, false, nil
	}
	for name, v := range st.fields {
		st.fields[name] = strings.TrimSpace(v)
	}
	if v, ok := st.fields["Enabled"]; ok {
		switch strings.ToLower(v) {
		case "no":
			return Entry{}, false, nil
		case "yes":
		default:
			return Entry{}, false, fmt.Errorf("aptsources: %s line %d: Enabled is %q, want yes or no", file, st.line, v)
		}
	}
	e, err = buildEntry(st.fields, nil, file, st.line)
	return e, err == nil, err
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
