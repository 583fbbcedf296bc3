package rpm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// String renders an EVR the way dnf and "rpm -q --qf %{EVR}" do:
// "[epoch:]version[-release]", the epoch only when it is not 0. rpm-md
// writes epoch="0" for a package that has none, so a repository cannot tell
// "Epoch: 0" from no epoch, and rpm compares the two alike; leaving 0 out
// keeps the common case short and equal to the package's file name.
func (v EVR) String() string {
	n := len(v.Version)
	if v.Epoch != "" && v.Epoch != "0" {
		n += len(v.Epoch) + 1
	}
	if v.Release != "" {
		n += len(v.Release) + 1
	}
	var b strings.Builder
	b.Grow(n)
	if v.Epoch != "" && v.Epoch != "0" {
		b.WriteString(v.Epoch)
		b.WriteByte(':')
	}
	b.WriteString(v.Version)
	if v.Release != "" {
		b.WriteByte('-')
		b.WriteString(v.Release)
	}
	return b.String()
}

// Operator maps an rpm-md comparison to the dpkg spelling used by every
// relationship column of the packages table: GE ">=", LE "<=", EQ "=",
// LT "<<", GT ">>" (strict comparisons doubled, as Debian Policy 7.1 writes
// them, so that one SQL pattern reads every format). "" for NoFlags or an
// unknown value.
func (f Flags) Operator() string {
	switch f {
	case EQ:
		return "="
	case LT:
		return "<<"
	case LE:
		return "<="
	case GT:
		return ">>"
	case GE:
		return ">="
	}
	return ""
}

// String renders a dependency as a relationship clause: "name" when
// unversioned, else "name (op [epoch:]version[-release])" with op as in
// Flags.Operator and the epoch as in EVR.String. Rich dependencies and
// rpmlib(...) names are kept as written.
func (d Dependency) String() string {
	op := d.Flags.Operator()
	if op == "" || d.Version == "" {
		return d.Name
	}
	return d.Name + " (" + op + " " + d.EVR.String() + ")"
}

// parseFlags checks a flags attribute.
func parseFlags(s string) (Flags, error) {
	switch Flags(s) {
	case NoFlags, EQ, LT, LE, GT, GE:
		return Flags(s), nil
	}
	return NoFlags, fmt.Errorf("%w: unknown flags %s", ErrVersion, ecosystem.Quote(s))
}

// checkEpoch accepts "" or a decimal number that fits an int64.
func checkEpoch(s string) error {
	if s == "" {
		return nil
	}
	if _, err := parseEpoch(s); err != nil {
		return err
	}
	return nil
}

func parseEpoch(s string) (int64, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: epoch %s is not a number", ErrVersion, ecosystem.Quote(s))
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: epoch %s out of range", ErrVersion, ecosystem.Quote(s))
	}
	return n, nil
}

// checkVersionPart rejects what no rpm version or release can hold and what
// would make "[epoch:]version-release" ambiguous: "-", ":", white space,
// control characters and anything but ASCII. (rpmbuild allows only
// letters, digits and "._+~^", but older builders allowed more
// punctuation, so this is not stricter than it must; none allowed bytes
// outside ASCII, and a version that is not UTF-8 made a whole table
// unreadable.)
func checkVersionPart(what, s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == ':' || c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: %s %s contains %q", ErrVersion, what, ecosystem.Quote(s), c)
		}
	}
	return nil
}

// checkName accepts a package name as rpmbuild does (build/parsePreamble.c,
// ALLOWED_CHARS_NAME): ASCII letters, digits and "._+-%{}". A name that is
// not — most of all one that is not UTF-8, which made a whole packages
// table unreadable to DuckDB — cannot be compared, joined or stored, so
// the package is refused rather than repaired.
func checkName(s string) error {
	ok := s != ""
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '+' || c == '-' || c == '%' || c == '{' || c == '}'
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrName, ecosystem.Quote(s))
	}
	return nil
}

// checkPackageEVR validates the EVR of a package (not of a dependency,
// whose version may be anything rpm accepted in a spec).
func checkPackageEVR(v EVR) error {
	if v.Version == "" {
		return fmt.Errorf("%w: empty ver", ErrVersion)
	}
	if err := checkEpoch(v.Epoch); err != nil {
		return err
	}
	if err := checkVersionPart("ver", v.Version); err != nil {
		return err
	}
	return checkVersionPart("rel", v.Release)
}

// checksumLengths maps each checksum type rpm-md uses to its hex length.
var checksumLengths = map[string]int{
	"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
}

// checkChecksum normalizes a checksum: the legacy type "sha" (what yum's
// createrepo wrote for SHA-1) becomes "sha1", the value lowercase hex of the
// type's length.
func checkChecksum(typ, value string) (Checksum, error) {
	if typ == "sha" {
		typ = "sha1"
	}
	n, ok := checksumLengths[typ]
	if !ok {
		if typ == "" {
			return Checksum{}, fmt.Errorf("%w: no type", ErrChecksum)
		}
		return Checksum{}, fmt.Errorf("%w: unknown type %s", ErrChecksum, ecosystem.Quote(typ))
	}
	if len(value) != n {
		return Checksum{}, fmt.Errorf("%w: %s value has %d characters, want %d", ErrChecksum, typ, len(value), n)
	}
	upper := false
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			upper = true
		default:
			return Checksum{}, fmt.Errorf("%w: %s value %s is not hex", ErrChecksum, typ, ecosystem.Quote(value))
		}
	}
	if upper {
		value = strings.ToLower(value)
	}
	return Checksum{Type: typ, Value: value}, nil
}

// splitSourceRPM splits "name-version-release.arch.rpm" (arch "src" or
// "nosrc") from the right, as rpm's own file names are built: the release
// follows the last "-", the version the one before; names may hold "-".
func splitSourceRPM(s string) (name, versionRelease string, err error) {
	base, ok := strings.CutSuffix(s, ".rpm")
	if ok {
		if i := strings.LastIndexByte(base, '.'); i >= 0 {
			base = base[:i]
		} else {
			ok = false
		}
	}
	r := strings.LastIndexByte(base, '-')
	v := -1
	if r > 0 {
		v = strings.LastIndexByte(base[:r], '-')
	}
	if !ok || v <= 0 || r == len(base)-1 || v+1 == r {
		return "", "", fmt.Errorf("%w: source rpm %s is not name-version-release.arch.rpm", ErrVersion, ecosystem.Quote(s))
	}
	if err := checkName(base[:v]); err != nil {
		return "", "", err
	}
	if err := checkVersionPart("source rpm version", base[v+1:r]); err != nil {
		return "", "", err
	}
	if err := checkVersionPart("source rpm release", base[r+1:]); err != nil {
		return "", "", err
	}
	return base[:v], base[v+1:], nil
}

// Complete checks a package assembled from another form of primary data
// (the sqlite database of package primarydb) as PrimaryReader checks
// each <package>: name, arch and location present, a well-formed version,
// a known checksum (normalized as checkChecksum does) and well-formed
// dependencies. It then fills SourceName and SourceVersion from SourceRPM.
// The error is a *ParseError whose Element names the field ("name",
// "version", "checksum", "requires", "sourcerpm", ...) and whose File and
// Line the caller fills in.
func (p *Package) Complete() error {
	fail := func(field string, err error) error {
		return &ParseError{Package: p.Name, Element: field, Err: err}
	}
	for _, req := range [...]struct{ field, value string }{
		{"name", p.Name}, {"arch", p.Arch}, {"location", p.Location},
	} {
		if req.value == "" {
			return fail(req.field, fmt.Errorf("%w value", ErrMissing))
		}
	}
	if err := checkName(p.Name); err != nil {
		return fail("name", err)
	}
	if err := checkPackageEVR(p.Version); err != nil {
		return fail("version", err)
	}
	c, err := checkChecksum(p.Checksum.Type, p.Checksum.Value)
	if err != nil {
		return fail("checksum", err)
	}
	p.Checksum = c
	for _, list := range [...]struct {
		field string
		deps  []Dependency
	}{
		{"provides", p.Provides}, {"requires", p.Requires}, {"conflicts", p.Conflicts},
		{"obsoletes", p.Obsoletes}, {"recommends", p.Recommends}, {"suggests", p.Suggests},
		{"supplements", p.Supplements}, {"enhances", p.Enhances},
	} {
		for _, d := range list.deps {
			if err := checkDependency(d); err != nil {
				return fail(list.field, err)
			}
		}
	}
	if err := deriveSource(p); err != nil {
		return fail("sourcerpm", err)
	}
	return nil
}

// checkDependency checks what PrimaryReader checks of an <rpm:entry>.
func checkDependency(d Dependency) error {
	if d.Name == "" {
		return fmt.Errorf("%w name", ErrMissing)
	}
	if _, err := parseFlags(string(d.Flags)); err != nil {
		return err
	}
	if err := checkEpoch(d.Epoch); err != nil {
		return err
	}
	if d.Flags != NoFlags && d.Version == "" {
		return fmt.Errorf("%w: %s with flags %s but no ver", ErrVersion, d.Name, d.Flags)
	}
	return nil
}
