package deb

import (
	"fmt"
	"io"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// MaxStatusEntries bounds the stanzas of one status file and
// MaxStatusSize its bytes. A large desktop has about 5,000 packages
// installed in a status file of about 10 MB; one ten times either is
// refused rather than held in memory.
const (
	MaxStatusEntries = 50_000
	MaxStatusSize    = 128 << 20
)

// StatusEntry is one package of dpkg's status database
// (/var/lib/dpkg/status, or one file of status.d/ as distroless images
// have), with the fields an installed-package record needs.
type StatusEntry struct {
	Package      string
	Version      string
	Architecture string
	// Source is the source package as the Source field names it, and
	// SourceVersion its "(version)" part; both are empty when the stanza
	// has no Source field (the source is then the package itself, at its
	// version) and SourceVersion is empty when Source has no version.
	Source        string
	SourceVersion string
	MultiArch     string
	// Status is the "want flag state" triple ("install ok installed"), or
	// empty when the stanza has none, as in status.d files.
	Status    string
	Conffiles []Conffile
	Line      int // 1-based line of the stanza's first field
}

// State is the package's state, the third word of Status ("installed",
// "config-files", "half-configured", ...), or "" when there is no Status.
func (e StatusEntry) State() string {
	if i := strings.LastIndexByte(e.Status, ' '); i >= 0 {
		return e.Status[i+1:]
	}
	return ""
}

// Conffile is one line of a status stanza's Conffiles field:
// " /etc/adduser.conf 8fe5ba3fd9d7ae4a2ba4d1d3e5f8b0e4 [obsolete] [remove-on-upgrade]".
type Conffile struct {
	Path string
	// MD5 is the digest of the default the package shipped; empty when
	// dpkg wrote "newconffile": the conffile was unpacked but its
	// installation not finished, so it has no recorded default yet.
	MD5 string
	// Obsolete: the installed version no longer ships the file (dpkg keeps
	// it, untracked). RemoveOnUpgrade: the package asked dpkg to remove it
	// at the next upgrade. Either way the file is not expected on disk.
	Obsolete        bool
	RemoveOnUpgrade bool
}

// The dpkg status values (dpkg(1), "Package states" and "Package selection
// states"); anything else is refused, as dpkg itself refuses it.
var (
	statusWants  = []string{"unknown", "install", "hold", "deinstall", "purge"}
	statusFlags  = []string{"ok", "reinstreq"}
	statusStates = []string{"not-installed", "config-files", "half-installed", "unpacked",
		"half-configured", "triggers-awaited", "triggers-pending", "installed"}
)

// ParseStatus reads a dpkg status file and returns the packages that
// `dpkg-query -W` lists: every stanza whose state is not "not-installed"
// (a package purged, or only selected). Packages removed but not purged
// ("config-files") are listed, as dpkg-query lists them: their conffiles
// are still on disk and still theirs. A stanza without a Status field is
// returned with Status empty; status.d files have none.
//
// The input is bounded as Packages indexes are (MaxLineSize, MaxStanzaSize,
// MaxFieldSize, MaxFields) and by MaxStatusEntries; every failure is a
// *ParseError naming the line.
func ParseStatus(r io.Reader) ([]StatusEntry, error) {
	return parseStatus(r, "status")
}

// parseStatus is ParseStatus with the file's name for errors ("status",
// "status.d/base-files").
func parseStatus(r io.Reader, file string) ([]StatusEntry, error) {
	// One byte past the limit is let through so that the scanner ends on
	// it (a truncated last stanza) and the limit, not that, is reported.
	lr := &io.LimitedReader{R: r, N: MaxStatusSize + 1}
	sc := newParagraphScanner(lr, file, MaxStanzaSize, MaxFieldSize, MaxFields)
	var entries []StatusEntry
	for n := 0; ; n++ {
		para, fields, line, err := sc.next()
		if err != nil && lr.N == 0 {
			// The scanner reads ahead: only at the end is its line the
			// last one read.
			return nil, &ParseError{File: file, Line: max(sc.line, 1), Err: fmt.Errorf("%w: larger than %d bytes", ErrTooManyEntries, MaxStatusSize)}
		}
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		if n == MaxStatusEntries {
			return nil, &ParseError{File: file, Line: line, Err: fmt.Errorf("%w: more than %d stanzas", ErrTooManyEntries, MaxStatusEntries)}
		}
		e, listed, err := decodeStatus(para, fields, line, file)
		if err != nil {
			if lr.N == 0 {
				continue // a stanza the limit cut: the next call reports the limit
			}
			return nil, err
		}
		if listed {
			entries = append(entries, e)
		}
	}
}

// statusField names the fields decodeStatus keeps, in the order of
// statusFieldNames.
type statusField int

const (
	sPackage statusField = iota
	sVersion
	sArchitecture
	sSource
	sMultiArch
	sStatus
	sConffiles
	numStatusFields
)

var statusFieldNames = [numStatusFields]string{
	"Package", "Version", "Architecture", "Source", "Multi-Arch", "Status", "Conffiles",
}

// decodeStatus decodes one stanza. listed is false for a stanza dpkg-query
// does not list (state not-installed), which is then not checked further:
// dpkg keeps such stanzas with only a Package and a Status.
func decodeStatus(para []byte, fields []fieldSpan, line int, file string) (e StatusEntry, listed bool, err error) {
	var vals [numStatusFields]string
	var lines [numStatusFields]int
	var multiline [numStatusFields]bool
	for _, f := range fields {
		name := para[f.nameStart:f.nameEnd]
		id := statusField(-1)
		for i, n := range statusFieldNames {
			if asciiEqualFoldBytes(name, n) {
				id = statusField(i)
				break
			}
		}
		if id < 0 {
			continue
		}
		if lines[id] != 0 {
			return e, false, &ParseError{File: file, Line: f.line, Package: vals[sPackage], Field: statusFieldNames[id],
				Err: fmt.Errorf("%w (first on line %d)", ErrDuplicateField, lines[id])}
		}
		lines[id] = f.line
		multiline[id] = f.multiline
		vals[id] = string(para[f.valStart:f.valEnd])
	}
	fail := func(id statusField, err error) (StatusEntry, bool, error) {
		l := lines[id]
		if l == 0 {
			l = line
		}
		return StatusEntry{}, false, &ParseError{File: file, Line: l, Package: vals[sPackage], Field: statusFieldNames[id], Err: err}
	}
	for _, id := range []statusField{sPackage, sVersion, sArchitecture, sSource, sMultiArch, sStatus} {
		if multiline[id] {
			return fail(id, fmt.Errorf("%w: a one-line field has continuation lines", ErrSyntax))
		}
		vals[id] = trimSpace(vals[id])
	}
	e = StatusEntry{Package: vals[sPackage], Version: vals[sVersion], Architecture: vals[sArchitecture],
		MultiArch: vals[sMultiArch], Status: vals[sStatus], Line: line}
	if lines[sPackage] == 0 {
		return fail(sPackage, ErrMissingField)
	}
	if err := checkPackageName(e.Package); err != nil {
		return fail(sPackage, err)
	}
	if lines[sStatus] != 0 {
		if err := checkStatus(e.Status); err != nil {
			return fail(sStatus, err)
		}
		if e.State() == "not-installed" {
			return e, false, nil
		}
	}
	if lines[sVersion] == 0 {
		return fail(sVersion, ErrMissingField)
	}
	if err := checkVersion(e.Version); err != nil {
		return fail(sVersion, err)
	}
	if e.Architecture == "" {
		return fail(sArchitecture, ErrMissingField)
	}
	if err := checkArchitecture(e.Architecture); err != nil {
		return fail(sArchitecture, err)
	}
	if lines[sSource] != 0 {
		if e.Source, e.SourceVersion, err = parseSourceField(vals[sSource]); err != nil {
			return fail(sSource, err)
		}
	}
	if lines[sConffiles] != 0 {
		if e.Conffiles, err = parseConffiles(vals[sConffiles]); err != nil {
			return fail(sConffiles, err)
		}
	}
	return e, true, nil
}

// checkStatus accepts dpkg's "want flag state" triple.
func checkStatus(v string) error {
	words := strings.Fields(v)
	if len(words) != 3 || !contains(statusWants, words[0]) || !contains(statusFlags, words[1]) || !contains(statusStates, words[2]) {
		return fmt.Errorf("%w: %s is not \"want flag state\" as dpkg writes it", ErrSyntax, ecosystem.Quote(v))
	}
	return nil
}

// checkArchitecture accepts a Debian architecture name ("amd64", "all",
// "musl-linux-arm64"): lowercase letters, digits and '-'. The name becomes
// part of info file names, so nothing else is let through.
func checkArchitecture(v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isLowerAlnum(c) && c != '-' {
			return fmt.Errorf("%w: %s is not an architecture name", ErrSyntax, ecosystem.Quote(v))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseConffiles reads a Conffiles value: one conffile per continuation
// line, "path hash [obsolete] [remove-on-upgrade]". A path may contain
// spaces, so the line is read from its end, as dpkg reads it.
func parseConffiles(v string) ([]Conffile, error) {
	var out []Conffile
	for raw := range strings.SplitSeq(v, "\n") {
		ln := trimSpace(raw)
		if ln == "" {
			continue
		}
		var c Conffile
		rest := ln
	words:
		for {
			i := strings.LastIndexAny(rest, " \t")
			if i < 0 {
				return nil, fmt.Errorf("%w: conffile line %s has no digest", ErrSyntax, ecosystem.Quote(ln))
			}
			word := rest[i+1:]
			rest = strings.TrimRight(rest[:i], " \t")
			switch {
			case word == "obsolete" && !c.Obsolete:
				c.Obsolete = true
				continue
			case word == "remove-on-upgrade" && !c.RemoveOnUpgrade:
				c.RemoveOnUpgrade = true
				continue
			case word == "newconffile":
			case len(word) == 32 && isLowerHex(word):
				c.MD5 = word
			default:
				return nil, fmt.Errorf("%w: conffile line %s: %s is not an md5 digest", ErrSyntax, ecosystem.Quote(ln), ecosystem.Quote(word))
			}
			break words
		}
		p, err := cleanPath(rest)
		if err != nil {
			return nil, fmt.Errorf("conffile line %s: %w", ecosystem.Quote(ln), err)
		}
		c.Path = p
		out = append(out, c)
	}
	return out, nil
}
