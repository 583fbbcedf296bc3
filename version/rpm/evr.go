package rpm

import (
	"errors"
	"fmt"
	"strings"
)

// ErrEmpty is wrapped by the error for an empty EVR, which rpmverParse
// refuses.
var ErrEmpty = errors.New("empty version")

// EVR is an [epoch:]version[-release] split the way rpm's parseEVR does:
// the epoch is the leading run of digits when a colon follows it, the
// release what follows the last hyphen after that.
type EVR struct {
	// Epoch holds the epoch's digits, "0" for a bare leading colon, and ""
	// when there is no epoch (which compares as 0). It is kept as text
	// because rpm compares it with rpmvercmp, at any length.
	Epoch   string
	Version string
	// Release is meaningful when HasRelease; "1.0-" has an empty release.
	Release    string
	HasRelease bool
}

// ParseEVR splits s as rpmverParse does. Only the empty string fails.
func ParseEVR(s string) (EVR, error) {
	s = cstr(s)
	if s == "" {
		return EVR{}, fmt.Errorf("rpm: version %q: %w", s, ErrEmpty)
	}
	var v EVR
	digits := 0
	for digits < len(s) && isDigit(s[digits]) {
		digits++
	}
	rest := s
	if digits < len(s) && s[digits] == ':' {
		v.Epoch = s[:digits]
		if v.Epoch == "" {
			v.Epoch = "0"
		}
		rest = s[digits+1:]
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.Version, v.Release, v.HasRelease = rest[:i], rest[i+1:], true
	} else {
		v.Version = rest
	}
	return v, nil
}

// String writes the EVR back as rpm does (rpmverEVR).
func (v EVR) String() string {
	s := v.Version
	if v.Epoch != "" {
		s = v.Epoch + ":" + s
	}
	if v.HasRelease {
		s += "-" + v.Release
	}
	return s
}

// CompareEVR orders two [E:]V[-R] strings as rpmverCmp does. It fails only
// on an empty string.
func CompareEVR(a, b string) (int, error) {
	va, err := ParseEVR(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseEVR(b)
	if err != nil {
		return 0, err
	}
	return CompareEVRs(va, vb), nil
}

// CompareEVRs is rpmverCmp: epochs (absent = "0"), versions, then releases,
// an absent release sorting before any other.
func CompareEVRs(a, b EVR) int {
	ea, eb := a.Epoch, b.Epoch
	if ea == "" {
		ea = "0"
	}
	if eb == "" {
		eb = "0"
	}
	if c := Compare(ea, eb); c != 0 {
		return c
	}
	if c := Compare(a.Version, b.Version); c != 0 {
		return c
	}
	switch {
	case a.HasRelease && b.HasRelease:
		return Compare(a.Release, b.Release)
	case a.HasRelease:
		return 1
	case b.HasRelease:
		return -1
	}
	return 0
}
