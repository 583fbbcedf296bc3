package apk

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

// InstalledFile is the path of apk's installed database inside a root
// filesystem, as it names the database in errors.
const InstalledFile = "lib/apk/db/installed"

// ProtectedPathsDir holds the protected path lists apk reads besides its
// built-in ones (apk-protected_paths(5)).
const ProtectedPathsDir = "etc/apk/protected_paths.d"

// Limits of the installed database. A real record holds one line per
// owned directory and file, so records are not bounded by MaxRecordSize
// or MaxFields as index records are; a package owns at most
// MaxInstalledFiles paths, and the whole database is bounded by its
// caller, who read it into memory.
const (
	MaxInstalledFiles = 1 << 20
	// MaxProtectedRules bounds the rules of all protected path lists
	// together; Alpine ships a handful.
	MaxProtectedRules = 4096
)

// SHA256First160 is the digest of a file of a package whose database
// record carries the "f:S" flag: apk-tools 2.14 stores such packages' file
// digests as the first 160 bits of their SHA-256 in the 20-byte "Q1"
// form (struct apk_installed_package.sha256_160, src/database.c). A
// comparison hashes the file with SHA-256 and compares the first 20 bytes.
const SHA256First160 installed.Algo = "sha256-160"

// Installed reads apk's installed database (lib/apk/db/installed) and
// the protected path lists of etc/apk/protected_paths.d (file name → its
// bytes; only names ending in ".list" are read, as apk reads them) into
// one record per installed package.
//
// The database is the APKINDEX record format (apk-package(5)) with lines
// that exist only there, read as apk_db_fdb_read (src/database.c) reads
// them: "F:" starts an owned directory (relative to the root) and "M:" is
// its "uid:gid:mode[:xattr digest]" (mode in octal); "R:" is a file of the
// last directory, "a:" its owner and mode and "Z:" its digest. A missing
// M: or a: means apk's defaults, root:root 0755 for directories and 0644
// for files (apk_default_acl_dir, apk_default_acl_file), so every path has
// a mode and an owner. The digest is "Q1" + base64 SHA-1, "Q2" + base64
// SHA-256 (apk 3), their hex forms "X1"/"X2", or 32 hex digits of MD5 from
// apk 2.0 (apk_blob_pull_csum); of a symlink it is the digest of the link
// target as a string, not of what the link points at (apk_fileinfo_get
// reads the link with readlink), so a comparison must hash the target of a
// path that is a symlink on disk. The database does not say whether a
// file is regular or a symlink: files have TypeUnknown.
//
// PackagesReader is not reused: its bounds (MaxFields, MaxRecordSize)
// suit index records, and an installed record of a large package has
// thousands of lines.
//
// A file is Config when apk protects it (see protectedRules): its digest is
// then the default the package shipped, which the administrator is
// expected to change.
func Installed(db []byte, protected map[string][]byte) ([]installed.Package, error) {
	rules, err := protectedRules(protected)
	if err != nil {
		return nil, err
	}
	r := installedReader{rules: rules, modes: map[string]dirProtection{}}
	return r.read(db)
}

type installedReader struct {
	rules []protectRule
	modes map[string]dirProtection // per directory, computed once

	pkgs    []installed.Package
	pkg     *installed.Package
	first   int            // line of the record's first field
	seen    [128]int       // line of each scalar letter of the record
	dirs    map[string]int // owned directory → index in pkg.Files
	dir     string         // current F:, "" for the root
	dirIdx  int            // its index in pkg.Files; -1 before any F:
	fileIdx int            // the current R:'s index; -1 when none
	sha160  bool           // the record's f: holds 'S'
	q1Files []int          // files whose digest is a 20-byte Q1, for f:S
}

func (r *installedReader) read(db []byte) ([]installed.Package, error) {
	lineNo := 0
	for pos := 0; pos < len(db); {
		end := bytes.IndexByte(db[pos:], '\n')
		next := len(db)
		if end < 0 {
			end = len(db)
		} else {
			end += pos
			next = end + 1
		}
		line := db[pos:end]
		pos = next
		lineNo++
		if len(line) > MaxLineSize {
			return nil, r.fail(lineNo, "", ErrLineTooLong)
		}
		// apk ends a record at any line shorter than two bytes.
		if len(line) < 2 {
			if err := r.endRecord(); err != nil {
				return nil, err
			}
			continue
		}
		if line[1] != ':' || !isLetter(line[0]) {
			return nil, r.fail(lineNo, "", fmt.Errorf("%w: %s is not an X:value line", ErrSyntax, ecosystem.QuoteBytes(line)))
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return nil, r.fail(lineNo, string(line[:1]), fmt.Errorf("%w: NUL byte", ErrSyntax))
		}
		if err := r.field(lineNo, line[0], string(line[2:])); err != nil {
			return nil, err
		}
	}
	if err := r.endRecord(); err != nil {
		return nil, err
	}
	return r.pkgs, nil
}

func (r *installedReader) fail(line int, field string, err error) error {
	pe := &ParseError{File: InstalledFile, Line: line, Field: field, Err: err}
	if r.pkg != nil {
		pe.Package = r.pkg.Name
	}
	return pe
}

func (r *installedReader) field(line int, name byte, v string) error {
	if r.pkg == nil {
		r.pkg = &installed.Package{Ecosystem: ecosystem.APK}
		r.first, r.seen = line, [128]int{}
		r.dirs, r.dir, r.dirIdx, r.fileIdx = map[string]int{}, "", -1, -1
		r.sha160, r.q1Files = false, nil
	}
	p := r.pkg
	fail := func(err error) error { return r.fail(line, string(name), err) }
	switch name {
	case 'P', 'V', 'A', 'o', 'f':
		if r.seen[name] != 0 {
			return fail(fmt.Errorf("%w (first on line %d)", ErrDuplicateField, r.seen[name]))
		}
		r.seen[name] = line
	}
	var err error
	switch name {
	case 'P':
		p.Name, err = checkName(v)
	case 'V':
		p.Version, err = checkVersion(v)
	case 'A':
		p.Architecture = v
	case 'o':
		p.Source = v
	case 'f':
		r.sha160 = strings.IndexByte(v, 'S') >= 0
	case 'F':
		if r.seen['P'] == 0 {
			return fail(fmt.Errorf("%w: a directory before P:", ErrSyntax))
		}
		if err := checkRelative(v); err != nil {
			return fail(err)
		}
		r.dir, r.fileIdx = v, -1
		if i, ok := r.dirs[v]; ok {
			r.dirIdx = i // apk's find_diri: the same directory again
			return nil
		}
		if err := r.addFile(installed.File{
			Path: "/" + v, Type: installed.TypeDir,
			HasMode: true, Mode: 0o755, HasOwner: true,
		}); err != nil {
			return fail(err)
		}
		r.dirIdx = len(p.Files) - 1
		r.dirs[v] = r.dirIdx
	case 'M', 'a':
		idx := r.dirIdx
		if name == 'a' {
			idx = r.fileIdx
		}
		if idx < 0 {
			return fail(fmt.Errorf("%w: no %s before it", ErrSyntax, map[byte]string{'M': "F:", 'a': "R:"}[name]))
		}
		f := &p.Files[idx]
		f.UID, f.GID, f.Mode, err = parseACL(v)
	case 'R':
		if r.dirIdx < 0 {
			return fail(fmt.Errorf("%w: a file before any F:", ErrSyntax))
		}
		if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/\x00") {
			return fail(fmt.Errorf("%w: file name %s", ErrUnsafePath, ecosystem.Quote(v)))
		}
		err = r.addFile(installed.File{
			Path: path.Join("/", r.dir, v), Type: installed.TypeUnknown,
			Config:  r.protection(r.dir, v).config(),
			HasMode: true, Mode: 0o644, HasOwner: true,
		})
		r.fileIdx = len(p.Files) - 1
	case 'Z':
		if r.fileIdx < 0 {
			return fail(fmt.Errorf("%w: a digest before any R:", ErrSyntax))
		}
		var q1 bool
		p.Files[r.fileIdx].Digest, q1, err = parseFileDigest(v)
		if q1 {
			r.q1Files = append(r.q1Files, r.fileIdx)
		}
	default:
		// The other index fields, and r: (replaces), q: (replaces
		// priority), s: (repository tag): nothing a file state needs.
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

func (r *installedReader) addFile(f installed.File) error {
	if len(r.pkg.Files) == MaxInstalledFiles {
		return fmt.Errorf("%w: more than %d paths in one package", ErrTooManyFields, MaxInstalledFiles)
	}
	r.pkg.Files = append(r.pkg.Files, f)
	return nil
}

func (r *installedReader) endRecord() error {
	p := r.pkg
	if p == nil {
		return nil
	}
	r.pkg = nil
	for _, name := range []byte{'P', 'V'} {
		if r.seen[name] == 0 {
			return &ParseError{File: InstalledFile, Line: r.first, Package: p.Name, Field: string(name), Err: ErrMissingField}
		}
	}
	if r.sha160 {
		for _, i := range r.q1Files {
			if d := &p.Files[i].Digest; d.Algo == installed.SHA1 {
				d.Algo = SHA256First160
			}
		}
	}
	r.pkgs = append(r.pkgs, *p)
	return nil
}

// checkRelative accepts a directory as F: names it: relative to the root,
// without "." or ".." components; "" is the root itself.
func checkRelative(dir string) error {
	if dir == "" {
		return nil
	}
	if strings.HasPrefix(dir, "/") || strings.HasSuffix(dir, "/") || strings.IndexByte(dir, 0) >= 0 {
		return fmt.Errorf("%w: directory %s", ErrUnsafePath, ecosystem.Quote(dir))
	}
	for part := range strings.SplitSeq(dir, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("%w: directory %s", ErrUnsafePath, ecosystem.Quote(dir))
		}
	}
	return nil
}

// parseACL reads "uid:gid:mode[:xattr digest]": uid and gid in decimal,
// the mode in octal, of which apk keeps the permission, setuid, setgid and
// sticky bits (__apk_db_acl_atomize masks it with 07777).
func parseACL(v string) (uid, gid int, mode fs.FileMode, err error) {
	parts := strings.SplitN(v, ":", 4)
	if len(parts) < 3 {
		return 0, 0, 0, fmt.Errorf("%w: %s is not uid:gid:mode", ErrSyntax, ecosystem.Quote(v))
	}
	u, uerr := strconv.ParseUint(parts[0], 10, 32)
	g, gerr := strconv.ParseUint(parts[1], 10, 32)
	m, merr := strconv.ParseUint(parts[2], 8, 32)
	if uerr != nil || gerr != nil || merr != nil || !allDigits(parts[0]+parts[1]+parts[2]) {
		return 0, 0, 0, fmt.Errorf("%w: %s is not uid:gid:mode (decimal ids, octal mode)", ErrSyntax, ecosystem.Quote(v))
	}
	return int(u), int(g), installed.Mode(uint32(m)), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseFileDigest decodes a Z: value as apk_blob_pull_csum does. q1
// reports the 20-byte "Q1"/"X1" form, which "f:S" turns into SHA256First160.
func parseFileDigest(v string) (d installed.Digest, q1 bool, err error) {
	bad := func(why string) (installed.Digest, bool, error) {
		return installed.Digest{}, false, fmt.Errorf("%w: digest %s %s", ErrSyntax, ecosystem.Quote(v), why)
	}
	if len(v) == 32 && v[0] != 'Q' && v[0] != 'X' {
		if _, err := hex.DecodeString(v); err != nil {
			return bad("is not 32 hex digits of MD5")
		}
		return installed.Digest{Algo: installed.MD5, Hex: strings.ToLower(v)}, false, nil
	}
	if len(v) < 3 || len(v) > 2+88 {
		return bad("is not Q1, Q2, X1 or X2 and a digest")
	}
	var raw []byte
	switch v[0] {
	case 'Q':
		raw, err = base64.StdEncoding.DecodeString(v[2:])
	case 'X':
		raw, err = hex.DecodeString(v[2:])
	default:
		return bad("is not Q1, Q2, X1 or X2 and a digest")
	}
	if err != nil {
		return bad("does not decode")
	}
	switch {
	case v[1] == '1' && len(raw) == 20:
		return installed.Digest{Algo: installed.SHA1, Hex: hex.EncodeToString(raw)}, true, nil
	case (v[1] == '1' || v[1] == '2') && len(raw) == 32:
		// A 32-byte "1" is SHA-256 too: apk sizes the digest by its length.
		return installed.Digest{Algo: installed.SHA256, Hex: hex.EncodeToString(raw)}, false, nil
	}
	return bad(fmt.Sprintf("decodes to %d bytes", len(raw)))
}

// protectMode is apk's APK_PROTECT_* (src/apk_database.h).
type protectMode uint8

const (
	protectNone         protectMode = iota // "-" (apk 2): not protected
	protectIgnore                          // "-" (apk 3): not protected, and left out of apk audit --full
	protectChanged                         // "+" or no symbol: protected; reported when changed
	protectSymlinksOnly                    // "@": protected only if a symlink
	protectAll                             // "!": protected; always reported by apk audit --backup
)

// config is whether a file under this protection is a configuration file.
// "+" and "!" protect a file whatever it is. "@" (etc/init.d by default)
// protects only symlinks — the runlevel links an administrator adds — and
// apk audit --full checks regular files there as package content
// (app_audit.c, MODE_FULL), so the init scripts a package ships are not
// Config. "-" removes the protection.
func (m protectMode) config() bool { return m == protectChanged || m == protectAll }

type protectRule struct {
	pattern string // relative glob, '/'-separated, without leading or trailing '/'
	mode    protectMode
}

// builtinProtected are the rules apk_db_open adds before any list:
// "+etc", "@etc/init.d", "!etc/apk" (src/database.c).
var builtinProtected = []protectRule{
	{"etc", protectChanged}, {"etc/init.d", protectSymlinksOnly}, {"etc/apk", protectAll},
}

// protectedRules parses the lists as apk_db_add_protected_path does: one
// rule a line, "#" comments and empty lines skipped, a symbol ("+", "-",
// "@", "!"; none means "+") and a glob whose leading and trailing slashes
// are dropped. apk-protected_paths(5) documents the symbols. Lists are read
// in the order of their names (apk 3 sorts them; apk 2 took readdir's
// order), after the built-in rules; a later rule overrides an earlier one.
func protectedRules(lists map[string][]byte) ([]protectRule, error) {
	names := make([]string, 0, len(lists))
	for name := range lists {
		if strings.HasSuffix(name, ".list") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	rules := slices.Clone(builtinProtected)
	for _, name := range names {
		for i, line := range strings.Split(string(lists[name]), "\n") {
			if len(line) > MaxLineSize {
				return nil, &ParseError{File: path.Join(ProtectedPathsDir, name), Line: i + 1, Err: ErrLineTooLong}
			}
			if line == "" || line[0] == '#' {
				continue
			}
			if len(rules) == MaxProtectedRules {
				return nil, &ParseError{File: path.Join(ProtectedPathsDir, name), Line: i + 1,
					Err: fmt.Errorf("%w: more than %d protected path rules", ErrTooManyFields, MaxProtectedRules)}
			}
			mode := protectChanged
			switch line[0] {
			case '-':
				mode = protectIgnore
			case '+':
			case '@':
				mode = protectSymlinksOnly
			case '!':
				mode = protectAll
			}
			if strings.IndexByte("-+@!", line[0]) >= 0 {
				line = line[1:]
			}
			rules = append(rules, protectRule{pattern: strings.Trim(line, "/"), mode: mode})
		}
	}
	return rules, nil
}

// dirProtection is a directory's protection and the rules left for what
// is below it, as apk_db_dir_get computes them.
type dirProtection struct {
	mode  protectMode
	rules []protectRule
}

// protection gives the protection of file name in directory dir (relative,
// "" for the root) the way apk does: rules are matched one path component
// at a time with fnmatch. A rule without a '/' that matches a directory's
// name sets that directory's protection (and so, by inheritance, of
// everything below); a rule "a/rest" whose first component matches passes
// "rest" on to the directory's children; a file takes its directory's
// protection unless a rule left for that directory matches its name
// (apk_db_dir_get, determine_file_protect_mode in app_audit.c). Files
// directly under the root are never protected.
func (r *installedReader) protection(dir, name string) protectMode {
	if dir == "" {
		return protectNone
	}
	d := r.dirProtection(dir)
	mode := d.mode
	for _, rule := range d.rules {
		if !strings.Contains(rule.pattern, "/") && fnmatch(rule.pattern, name) {
			mode = rule.mode
		}
	}
	return mode
}

func (r *installedReader) dirProtection(dir string) dirProtection {
	if d, ok := r.modes[dir]; ok {
		return d
	}
	parent, name := dirProtection{rules: r.rules}, dir
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		parent, name = r.dirProtection(dir[:i]), dir[i+1:]
	}
	d := dirProtection{mode: parent.mode}
	for _, rule := range parent.rules {
		if first, rest, ok := strings.Cut(rule.pattern, "/"); ok {
			if fnmatch(first, name) {
				d.rules = append(d.rules, protectRule{pattern: rest, mode: rule.mode})
			}
		} else if fnmatch(rule.pattern, name) {
			d.mode = rule.mode
		}
	}
	r.modes[dir] = d
	return d
}

// fnmatch matches one path component as fnmatch(3) with FNM_PATHNAME does:
// path.Match's syntax, plus fnmatch's "[!...]" negation. A malformed
// pattern matches nothing.
func fnmatch(pattern, name string) bool {
	ok, err := path.Match(strings.ReplaceAll(pattern, "[!", "[^"), name)
	return err == nil && ok
}
