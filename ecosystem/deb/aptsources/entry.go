package aptsources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Limits on what one sources file may hold. Real files are a few hundred
// bytes; an inline Signed-By key is tens of kilobytes.
const (
	// MaxFileSize bounds one sources file.
	MaxFileSize = 4 << 20
	// MaxLineLen bounds one line of a sources file.
	MaxLineLen = 64 << 10
)

// ErrTooLarge is returned (wrapped) when a file or line exceeds the limits above.
var ErrTooLarge = errors.New("too large")

// Entry is one enabled source: a one-line entry of a .list file or a stanza
// of a .sources file. A one-line entry has exactly one type, URI and suite; a
// stanza may list several, each combination being a source of its own.
type Entry struct {
	Types      []string // "deb" and/or "deb-src"
	URIs       []string // as written, e.g. "http://mirror.example.org/debian"
	Suites     []string // a suite ending in "/" is an exact path (flat repository) and has no components
	Components []string
	// Architectures restricts the architectures fetched; empty means apt's default.
	Architectures []string
	// SignedBy holds the absolute paths of the keyring files named by Signed-By.
	SignedBy []string
	// SignedByFingerprints holds the key fingerprints named by Signed-By,
	// uppercase hex, with apt's trailing "!" kept when it asks for that exact
	// (sub)key. With no SignedBy path they select keys from apt's default keyring.
	SignedByFingerprints []string
	// SignedByInline holds the ASCII-armored key block(s) embedded in a
	// deb822 Signed-By field, with "." lines turned back into blank lines.
	SignedByInline []byte
	// Trusted is true for trusted=yes / Trusted: yes, which tells apt to skip
	// signature checks for this source.
	Trusted bool
	// Options holds every other option, keyed by its deb822 field name
	// ("Languages", "Check-Valid-Until", "Architectures-Add", ...; unknown
	// names as written) with the value as written.
	Options map[string]string
	// File and Line say where the entry was written (Line is the first line of a stanza).
	File string
	Line int
}

// Find returns the first entry of type "deb" that lists suite, and the first
// of its URIs. ok is false when no entry does.
func Find(entries []Entry, suite string) (e Entry, uri string, ok bool) {
	for _, e := range entries {
		if slices.Contains(e.Types, "deb") && slices.Contains(e.Suites, suite) && len(e.URIs) > 0 {
			return e, e.URIs[0], true
		}
	}
	return Entry{}, "", false
}

// canonicalNames maps lowercased deb822 field names to the spelling used as
// the key of Entry.Options; oneLineNames maps the one-line option names to
// the same fields (sources.list(5), "THE DEB AND DEB-SRC TYPES: OPTIONS").
var (
	canonicalNames = map[string]string{}
	oneLineNames   = map[string]string{
		"arch":                        "Architectures",
		"lang":                        "Languages",
		"target":                      "Targets",
		"pdiffs":                      "PDiffs",
		"by-hash":                     "By-Hash",
		"allow-insecure":              "Allow-Insecure",
		"allow-weak":                  "Allow-Weak",
		"allow-downgrade-to-insecure": "Allow-Downgrade-To-Insecure",
		"trusted":                     "Trusted",
		"signed-by":                   "Signed-By",
		"check-valid-until":           "Check-Valid-Until",
		"valid-until-min":             "Valid-Until-Min",
		"valid-until-max":             "Valid-Until-Max",
		"check-date":                  "Check-Date",
		"date-max-future":             "Date-Max-Future",
		"inrelease-path":              "InRelease-Path",
		"snapshot":                    "Snapshot",
		"include":                     "Include",
		"exclude":                     "Exclude",
	}
)

func init() {
	for _, name := range oneLineNames {
		canonicalNames[strings.ToLower(name)] = name
	}
	for _, name := range []string{"Types", "URIs", "Suites", "Components", "Enabled",
		"Architectures-Add", "Architectures-Remove", "Languages-Add", "Languages-Remove",
		"Targets-Add", "Targets-Remove"} {
		canonicalNames[strings.ToLower(name)] = name
	}
}

func canonicalName(name string) string {
	if c, ok := canonicalNames[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

var (
	uriScheme   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	fingerprint = regexp.MustCompile(`^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})!?$`)
)

// buildEntry turns the fields of one entry, keyed by canonical name, into an
// Entry, checking what apt checks. Both parsers feed it. words holds the
// Types, URIs, Suites and Components already split by the one-line parser
// (whose URIs may hold blanks inside brackets); the deb822 parser leaves it
// nil and those fields are split on whitespace.
func buildEntry(fields map[string]string, words map[string][]string, file string, line int) (Entry, error) {
	e := Entry{File: file, Line: line}
	fail := func(format string, args ...any) (Entry, error) {
		return Entry{}, fmt.Errorf("aptsources: %s line %d: %s", file, line, fmt.Sprintf(format, args...))
	}
	core := func(name string) []string {
		w, ok := words[name]
		if !ok {
			w = strings.Fields(fields[name])
		}
		if len(w) == 0 {
			return nil
		}
		return w
	}
	e.Types, e.URIs, e.Suites, e.Components = core("Types"), core("URIs"), core("Suites"), core("Components")
	for _, t := range e.Types {
		if t != "deb" && t != "deb-src" {
			return fail("unknown type %q (want deb or deb-src)", t)
		}
	}
	for _, u := range e.URIs {
		if !uriScheme.MatchString(u) {
			return fail("URI %q has no scheme", u)
		}
	}
	for name, value := range fields {
		switch name {
		case "Types", "URIs", "Suites", "Components":
			// taken above
		case "Architectures":
			e.Architectures = splitList(value)
		case "Trusted":
			switch strings.ToLower(strings.TrimSpace(value)) {
			case "yes":
				e.Trusted = true
			case "no":
			default:
				return fail("Trusted is %q, want yes or no", value)
			}
		case "Signed-By":
			if err := e.setSignedBy(value); err != nil {
				return fail("%v", err)
			}
		case "Enabled":
			// handled by the deb822 parser, which drops disabled stanzas
		default:
			if e.Options == nil {
				e.Options = map[string]string{}
			}
			e.Options[name] = value
		}
	}
	switch {
	case len(e.Types) == 0:
		return fail("no type")
	case len(e.URIs) == 0:
		return fail("no URI")
	case len(e.Suites) == 0:
		return fail("no suite")
	}
	for _, s := range e.Suites {
		exact := strings.HasSuffix(s, "/")
		if exact && len(e.Components) > 0 {
			return fail("suite %q is an exact path and takes no components", s)
		}
		if !exact && len(e.Components) == 0 {
			return fail("suite %q has no components", s)
		}
	}
	return e, nil
}

const armorBegin = "-----BEGIN PGP PUBLIC KEY BLOCK-----"

func (e *Entry) setSignedBy(value string) error {
	if strings.Contains(value, armorBegin) {
		e.SignedByInline = []byte(strings.TrimSpace(value) + "\n")
		return nil
	}
	for _, v := range splitList(value) {
		switch {
		case strings.HasPrefix(v, "/"):
			e.SignedBy = append(e.SignedBy, v)
		case fingerprint.MatchString(v):
			e.SignedByFingerprints = append(e.SignedByFingerprints, strings.ToUpper(v))
		default:
			return fmt.Errorf("Signed-By %q is neither an absolute path nor a fingerprint", v)
		}
	}
	return nil
}

// splitList splits a value on commas (one-line style) and whitespace (deb822 style).
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// readBounded reads all of a sources file, refusing one larger than MaxFileSize.
func readBounded(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("aptsources: %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("aptsources: %s: file %w (limit %d bytes)", name, ErrTooLarge, MaxFileSize)
	}
	return data, nil
}

// lines splits data into lines without their line endings, refusing a line
// longer than MaxLineLen.
func lines(data []byte, name string) ([]string, error) {
	var out []string
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) > MaxLineLen {
			return nil, fmt.Errorf("aptsources: %s line %d: line %w (limit %d bytes)", name, n, ErrTooLarge, MaxLineLen)
		}
		out = append(out, strings.TrimSuffix(string(line), "\r"))
	}
	return out, nil
}
