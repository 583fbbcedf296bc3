package upstream

import "strings"

// Metaorders of libversion's components, lowest first.
const (
	preRelease = iota
	zero
	postRelease
	nonZero
	letterSuffix
)

// component is one numeric or alphabetic run, ranked. For numbers value has
// no leading zeros (so zero is ""); padding components are zero and "".
type component struct {
	rank  int
	value string
}

func isAlpha(c byte) bool  { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isNumber(c byte) bool { return c >= '0' && c <= '9' }
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// keyword is libversion's classify_keyword with no flags: 0 unknown, or the
// rank of a known pre- or post-release word.
func keyword(w string) (rank int, known bool) {
	switch {
	case strings.EqualFold(w, "alpha"), strings.EqualFold(w, "beta"), strings.EqualFold(w, "rc"),
		hasPrefixFold(w, "pre"):
		return preRelease, true
	case hasPrefixFold(w, "post"), hasPrefixFold(w, "patch"), strings.EqualFold(w, "pl"),
		strings.EqualFold(w, "errata"):
		return postRelease, true
	}
	return 0, false
}

// scanner walks one version string, producing components.
type scanner struct {
	s   string
	pos int
	buf [2]component
	n   int // components waiting in buf
}

func (sc *scanner) span(class func(byte) bool) int {
	i := sc.pos
	for i < len(sc.s) && class(sc.s[i]) {
		i++
	}
	return i
}

// next is get_next_version_component: it fills buf with one component, or
// two when a number is followed by a lone word (1.0a, 1.0a.1, but not
// 1.0a1), the word then ranking as a letter suffix unless it is a keyword.
func (sc *scanner) next() {
	for sc.pos < len(sc.s) && !isAlpha(sc.s[sc.pos]) && !isNumber(sc.s[sc.pos]) {
		sc.pos++
	}
	if sc.pos == len(sc.s) {
		sc.buf[0], sc.n = component{rank: zero}, 1
		return
	}
	if isAlpha(sc.s[sc.pos]) {
		end := sc.span(isAlpha)
		w := sc.s[sc.pos:end]
		rank, known := keyword(w)
		if !known {
			rank = preRelease
		}
		sc.buf[0], sc.n, sc.pos = component{rank, w}, 1, end
		return
	}
	for sc.pos < len(sc.s) && sc.s[sc.pos] == '0' {
		sc.pos++
	}
	end := sc.span(isNumber)
	c := component{rank: nonZero, value: sc.s[sc.pos:end]}
	if c.value == "" {
		c.rank = zero
	}
	sc.buf[0], sc.n, sc.pos = c, 1, end
	if sc.pos < len(sc.s) && isAlpha(sc.s[sc.pos]) {
		end := sc.span(isAlpha)
		if end == len(sc.s) || !isNumber(sc.s[end]) {
			w := sc.s[sc.pos:end]
			rank, known := keyword(w)
			if !known {
				rank = letterSuffix
			}
			sc.buf[1], sc.n, sc.pos = component{rank, w}, 2, end
		}
	}
}

// compareComponents is libversion's compare_components.
func compareComponents(a, b component) int {
	switch {
	case a.rank < b.rank:
		return -1
	case a.rank > b.rank:
		return 1
	}
	switch {
	case a.value == "" && b.value == "":
		return 0
	case a.value == "":
		return -1
	case b.value == "":
		return 1
	}
	aAlpha, bAlpha := isAlpha(a.value[0]), isAlpha(b.value[0])
	switch {
	case aAlpha && bAlpha:
		x, y := lower(a.value[0]), lower(b.value[0])
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case aAlpha:
		return -1
	case bAlpha:
		return 1
	}
	if len(a.value) != len(b.value) {
		if len(a.value) < len(b.value) {
			return -1
		}
		return 1
	}
	return strings.Compare(a.value, b.value)
}

// Compare orders two upstream versions as libversion's version_compare2
// does, returning -1, 0 or +1. Any string is a version; like the C
// library it reads a string only up to a NUL byte.
func Compare(a, b string) int {
	if i := strings.IndexByte(a, 0); i >= 0 {
		a = a[:i]
	}
	if i := strings.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	x, y := scanner{s: a}, scanner{s: b}
	for {
		if x.n == 0 {
			x.next()
		}
		if y.n == 0 {
			y.next()
		}
		shift := min(x.n, y.n)
		for i := range shift {
			if r := compareComponents(x.buf[i], y.buf[i]); r != 0 {
				return r
			}
		}
		if x.n != y.n {
			for i := range shift {
				x.buf[i], y.buf[i] = x.buf[i+shift], y.buf[i+shift]
			}
		}
		x.n -= shift
		y.n -= shift
		if x.pos == len(x.s) && x.n == 0 && y.pos == len(y.s) && y.n == 0 {
			return 0
		}
	}
}
