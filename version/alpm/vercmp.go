package alpm

import "strings"

// Version is a pacman version split as alpm_pkg_vercmp splits it.
type Version struct {
	// Epoch is the leading run of digits when a colon follows it, "0"
	// otherwise (also for a bare leading colon). It stays text because
	// libalpm compares it as a version segment, at any length.
	Epoch  string
	Pkgver string
	// Pkgrel is what follows the last hyphen after the epoch, meaningful
	// when HasPkgrel.
	Pkgrel    string
	HasPkgrel bool
}

// Parse splits v as libalpm's parseEVR does. It never fails: pacman has no
// invalid version. Like the C function it sees v only up to a NUL byte.
func Parse(v string) Version {
	v = cstr(v)
	var p Version
	digits := 0
	for digits < len(v) && isDigit(v[digits]) {
		digits++
	}
	rest := v
	p.Epoch = "0"
	if digits < len(v) && v[digits] == ':' {
		if digits > 0 {
			p.Epoch = v[:digits]
		}
		rest = v[digits+1:]
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		p.Pkgver, p.Pkgrel, p.HasPkgrel = rest[:i], rest[i+1:], true
	} else {
		p.Pkgver = rest
	}
	return p
}

// Compare is alpm_pkg_vercmp: -1, 0 or +1 as a is older than, the same as
// or newer than b.
func Compare(a, b string) int {
	a, b = cstr(a), cstr(b)
	if a == b {
		return 0
	}
	pa, pb := Parse(a), Parse(b)
	if c := rpmvercmp(pa.Epoch, pb.Epoch); c != 0 {
		return c
	}
	if c := rpmvercmp(pa.Pkgver, pb.Pkgver); c != 0 {
		return c
	}
	if pa.HasPkgrel && pb.HasPkgrel {
		return rpmvercmp(pa.Pkgrel, pb.Pkgrel)
	}
	return 0
}

// rpmvercmp is libalpm's static copy, not rpm's current one.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	// one/two walk the strings; p1/p2 mark where the previous segment
	// ended, so one-p1 is the length of the separator run just skipped.
	one, two, p1, p2 := 0, 0, 0, 0
	for one < len(a) && two < len(b) {
		for one < len(a) && !isAlnum(a[one]) {
			one++
		}
		for two < len(b) && !isAlnum(b[two]) {
			two++
		}
		if one == len(a) || two == len(b) {
			break
		}
		if sa, sb := one-p1, two-p2; sa != sb {
			if sa < sb {
				return -1
			}
			return 1
		}
		p1, p2 = one, two

		isNum := isDigit(a[p1])
		class := isAlpha
		if isNum {
			class = isDigit
		}
		for p1 < len(a) && class(a[p1]) {
			p1++
		}
		for p2 < len(b) && class(b[p2]) {
			p2++
		}
		// b has no segment of a's kind here: numbers beat letters.
		if two == p2 {
			if isNum {
				return 1
			}
			return -1
		}
		sa, sb := a[one:p1], b[two:p2]
		if isNum {
			sa, sb = strings.TrimLeft(sa, "0"), strings.TrimLeft(sb, "0")
			if len(sa) != len(sb) {
				if len(sa) > len(sb) {
					return 1
				}
				return -1
			}
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
		one, two = p1, p2
	}
	if one == len(a) && two == len(b) {
		return 0
	}
	// A remaining letter segment never beats the end of the string.
	if (one == len(a) && !isAlpha(at(b, two))) || isAlpha(at(a, one)) {
		return -1
	}
	return 1
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// libalpm uses <ctype.h>; vercmp runs in the C locale, where these are the
// ASCII classes (a UTF-8 locale adds nothing in the single-byte range).
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
