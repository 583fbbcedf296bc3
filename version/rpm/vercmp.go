package rpm

import "strings"

// Compare is rpmvercmp: it returns -1, 0 or +1 as a is older than, the same
// as or newer than b. Every string is a version to rpm, so it cannot fail.
// Like the C function it sees a string only up to a NUL byte.
func Compare(a, b string) int {
	a, b = cstr(a), cstr(b)
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}

		// The tilde sorts before everything else.
		if at(a, i) == '~' || at(b, j) == '~' {
			if at(a, i) != '~' {
				return 1
			}
			if at(b, j) != '~' {
				return -1
			}
			i++
			j++
			continue
		}

		// The caret is like the tilde, except that the side that has
		// ended (the base version) is older.
		if at(a, i) == '^' || at(b, j) == '^' {
			if i == len(a) {
				return -1
			}
			if j == len(b) {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}

		if i == len(a) || j == len(b) {
			break
		}

		// Take a run of digits or of letters, of the kind a starts with,
		// from both sides.
		isNum := isDigit(a[i])
		class := isAlpha
		if isNum {
			class = isDigit
		}
		ei, ej := run(a, i, class), run(b, j, class)
		// b has no run of that kind here: digits beat letters.
		if ej == j {
			if isNum {
				return 1
			}
			return -1
		}
		sa, sb := a[i:ei], b[j:ej]
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
		i, j = ei, ej
	}
	switch {
	case i == len(a) && j == len(b):
		return 0
	case i == len(a):
		return -1
	}
	return 1
}

func run(s string, i int, class func(byte) bool) int {
	for i < len(s) && class(s[i]) {
		i++
	}
	return i
}

// at reads s[i], or 0 (C's terminating NUL) past the end.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// cstr is what a C function sees of s.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// rpm's own ctype (rpmio/rpmstring.h) is ASCII only, whatever the locale.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
