package dpkg

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// ErrInvalid is wrapped by every *SyntaxError, for callers that only need
// to know a version was refused.
var ErrInvalid = errors.New("invalid version")

// SyntaxError reports why dpkg refuses a version string. Reason is dpkg's
// own message (parseversion's wording), so it can be matched against dpkg's
// output. Warning is true for the problems dpkg only warns about in lax
// mode (`dpkg --compare-versions`) and refuses in strict mode.
type SyntaxError struct {
	Version string
	Reason  string
	Warning bool
}

// Error quotes the version cut short (Version keeps it whole): it is
// untrusted input, possibly kilobytes of it.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("dpkg: version %s: %s", ecosystem.Quote(e.Version), e.Reason)
}

func (e *SyntaxError) Unwrap() error { return ErrInvalid }

// Version is a parsed Debian version. Epoch is 0 when the string had none
// and Revision "" when it had none; like dpkg, ordering does not tell these
// from an explicit "0:" or "-0".
type Version struct {
	Epoch    int
	Upstream string
	Revision string
}

// String renders v the way dpkg does when it must be unambiguous: the epoch
// is written when it is not 0 or when a colon in the rest would otherwise
// be read as one.
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != 0 || strings.IndexByte(v.Upstream, ':') >= 0 || strings.IndexByte(v.Revision, ':') >= 0 {
		b.WriteString(strconv.Itoa(v.Epoch))
		b.WriteByte(':')
	}
	b.WriteString(v.Upstream)
	if v.Revision != "" {
		b.WriteByte('-')
		b.WriteString(v.Revision)
	}
	return b.String()
}

// Parse splits v as parseversion does and returns an error only for what
// dpkg treats as a hard error (so `dpkg --compare-versions` exits 2):
// an empty or blank string, embedded blanks, an empty, non-numeric,
// negative or too big (> 2147483647) epoch, nothing after the colon, an
// empty revision after a hyphen, an empty upstream version. Leading and
// trailing blanks (space, tab) are ignored. A string holding a NUL byte is
// refused too: no C caller of dpkg can pass one.
func Parse(v string) (Version, error) {
	pv, _, err := parse(v)
	return pv, err
}

// ParseStrict is Parse that also refuses what dpkg only warns about in lax
// mode: an upstream version not starting with a digit, and characters
// outside [A-Za-z0-9.+~:-] in the upstream version or [A-Za-z0-9.+~] in
// the revision. This is what dpkg enforces on the control files it builds
// and installs.
func ParseStrict(v string) (Version, error) {
	pv, warn, err := parse(v)
	if err != nil {
		return Version{}, err
	}
	if warn != nil {
		return Version{}, warn
	}
	return pv, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isCSpace is C's isspace in the C locale, which strtol skips before the
// epoch's digits.
func isCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// parse follows parseversion line by line. It returns the hard error, or
// else the version and the first warning dpkg would print (nil when none).
func parse(s string) (Version, *SyntaxError, error) {
	fail := func(reason string) (Version, *SyntaxError, error) {
		return Version{}, nil, &SyntaxError{Version: s, Reason: reason}
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fail("version string has a NUL byte")
	}
	start := 0
	for start < len(s) && isBlank(s[start]) {
		start++
	}
	if start == len(s) {
		return fail("version string is empty")
	}
	end := start
	for end < len(s) && !isBlank(s[end]) {
		end++
	}
	for i := end; i < len(s); i++ {
		if !isBlank(s[i]) {
			return fail("version string has embedded spaces")
		}
	}
	str := s[start:end]

	var v Version
	if colon := strings.IndexByte(str, ':'); colon >= 0 {
		epoch, ok, reason := strtolEpoch(str, colon)
		if !ok {
			return fail(reason)
		}
		if colon+1 == len(str) {
			return fail("nothing after colon in version number")
		}
		v.Epoch = epoch
		str = str[colon+1:]
	}
	hasRevision := false
	if hyphen := strings.LastIndexByte(str, '-'); hyphen >= 0 {
		v.Upstream, v.Revision = str[:hyphen], str[hyphen+1:]
		hasRevision = true
	} else {
		v.Upstream = str
	}
	if hasRevision && v.Revision == "" {
		return fail("revision number is empty")
	}
	if v.Upstream == "" {
		return fail("version number is empty")
	}

	var warn *SyntaxError
	switch {
	case !isDigit(v.Upstream[0]):
		warn = &SyntaxError{Version: s, Reason: "version number does not start with digit", Warning: true}
	case !allowed(v.Upstream[1:], true):
		warn = &SyntaxError{Version: s, Reason: "invalid character in version number", Warning: true}
	case !allowed(v.Revision, false):
		warn = &SyntaxError{Version: s, Reason: "invalid character in revision number", Warning: true}
	}
	return v, warn, nil
}

// allowed reports whether s holds only [A-Za-z0-9.+~], plus '-' and ':'
// in an upstream version.
func allowed(s string, upstream bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) || isAlpha(c) || c == '.' || c == '+' || c == '~' {
			continue
		}
		if upstream && (c == '-' || c == ':') {
			continue
		}
		return false
	}
	return true
}

// strtolEpoch reads the epoch in str[:colon] the way parseversion does with
// strtol(str, &end, 10): leading white space and one sign are accepted, the
// digits must run exactly up to the colon.
func strtolEpoch(str string, colon int) (epoch int, ok bool, reason string) {
	i := 0
	for i < len(str) && isCSpace(str[i]) {
		i++
	}
	neg := false
	if i < len(str) && (str[i] == '+' || str[i] == '-') {
		neg = str[i] == '-'
		i++
	}
	digits := i
	for i < len(str) && isDigit(str[i]) {
		i++
	}
	if i == digits {
		// strtol parsed nothing: its end pointer is the string's start.
		return 0, false, "epoch in version is empty"
	}
	if i != colon {
		return 0, false, "epoch in version is not number"
	}
	// strtol saturates at LONG_MAX/LONG_MIN with ERANGE; any value outside
	// int32 ends the same way (too big, or negative), so a uint64 with an
	// overflow flag is enough.
	var n uint64
	overflow := false
	for _, c := range []byte(str[digits:i]) {
		if n > (math.MaxUint64-9)/10 {
			overflow = true
			break
		}
		n = n*10 + uint64(c-'0')
	}
	if neg && (n != 0 || overflow) {
		return 0, false, "epoch in version is negative"
	}
	if overflow || n > math.MaxInt32 {
		return 0, false, "epoch in version is too big"
	}
	return int(n), true, ""
}
