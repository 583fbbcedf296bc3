package dpkg

// Compare orders two version strings as `dpkg --compare-versions` does and
// returns -1, 0 or +1. Either string may be "" (or dpkg's "<unknown>"), the
// absent version, which sorts before every version and equals only itself.
// Otherwise an error is returned for a string Parse refuses.
func Compare(a, b string) (int, error) {
	va, aSet, err := parseArg(a)
	if err != nil {
		return 0, err
	}
	vb, bSet, err := parseArg(b)
	if err != nil {
		return 0, err
	}
	switch {
	case !aSet && !bSet:
		return 0, nil
	case !aSet:
		return -1, nil
	case !bSet:
		return 1, nil
	}
	return CompareVersions(va, vb), nil
}

// parseArg is cmpversions in dpkg's enquiry.c: "" and "<unknown>" are the
// blank version; anything else goes through parseversion.
func parseArg(s string) (Version, bool, error) {
	if s == "" || s == "<unknown>" {
		return Version{}, false, nil
	}
	v, err := Parse(s)
	return v, true, err
}

// CompareVersions is dpkg_version_compare: epoch, then upstream, then
// revision. It returns -1, 0 or +1.
func CompareVersions(a, b Version) int {
	switch {
	case a.Epoch > b.Epoch:
		return 1
	case a.Epoch < b.Epoch:
		return -1
	}
	if r := verrevcmp(a.Upstream, b.Upstream); r != 0 {
		return r
	}
	return verrevcmp(a.Revision, b.Revision)
}

// order is the weight verrevcmp gives a byte in a non-digit run: '~' before
// the end of the string (and digits, which only show up here when the other
// side still has non-digits), then letters, then everything else. C passes
// a (signed) char, so bytes from 0x80 weigh c-256+256 = their unsigned value:
// after the letters, before the ASCII punctuation (which weighs c+256).
func order(c int) int {
	switch {
	case c < 0:
		return 0 // end of string
	case c >= '0' && c <= '9':
		return 0
	case isAlpha(byte(c)):
		return c
	case c == '~':
		return -1
	case c >= 0x80:
		return c
	default:
		return c + 256
	}
}

// verrevcmp is dpkg's, on Go strings: at(s, i) stands for C's *p, reading
// -1 (the NUL) past the end.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

func at(s string, i int) int {
	if i < len(s) {
		return int(s[i])
	}
	return -1
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
