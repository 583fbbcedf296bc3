package deb

import (
	"fmt"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Relation is one alternative of a relationship clause, as in
// "python3:any (>= 3.11~) [amd64] <!nocheck>". Strings are as written, except
// that ArchList and Profiles have their whitespace normalized.
// See https://www.debian.org/doc/debian-policy/ch-relationships.html
type Relation struct {
	Name string // package name
	Arch string // architecture qualifier after ':' ("any", "native", "amd64"); empty if none
	// Op is "<<", "<=", "=", ">=" or ">>", or the obsolete "<" or ">" (which
	// dpkg reads as "<=" and ">="), as written; empty when unversioned.
	Op      string
	Version string // empty when unversioned
	// ArchList is the architecture restriction without its brackets,
	// e.g. "amd64 !i386"; empty if none.
	ArchList string
	// Profiles are the build-profile restriction formulas with their angle
	// brackets, e.g. "<!nocheck> <!cross>"; empty if none.
	Profiles string
}

// String renders r in the normalized form used in Package relationship
// fields: name[:arch][ (op version)][ [archlist]][ <profiles>...].
func (r Relation) String() string { return string(appendRelation(nil, r)) }

func appendRelation(b []byte, r Relation) []byte {
	b = append(b, r.Name...)
	if r.Arch != "" {
		b = append(b, ':')
		b = append(b, r.Arch...)
	}
	if r.Op != "" {
		b = append(b, " ("...)
		b = append(b, r.Op...)
		b = append(b, ' ')
		b = append(b, r.Version...)
		b = append(b, ')')
	}
	if r.ArchList != "" {
		b = append(b, " ["...)
		b = append(b, r.ArchList...)
		b = append(b, ']')
	}
	if r.Profiles != "" {
		b = append(b, ' ')
		b = append(b, r.Profiles...)
	}
	return b
}

func appendAlternatives(b []byte, rels []Relation) []byte {
	for i, r := range rels {
		if i > 0 {
			b = append(b, " | "...)
		}
		b = appendRelation(b, r)
	}
	return b
}

// ParseRelationClause parses one clause of a relationship field (no commas):
// one or more alternatives separated by "|".
func ParseRelationClause(s string) ([]Relation, error) {
	if strings.IndexByte(s, ',') >= 0 {
		return nil, fmt.Errorf("deb: relation %s: %w: comma in a single clause", ecosystem.Quote(s), ErrInvalidRelation)
	}
	rels, err := parseAlternatives(trimSpace(s), nil)
	if err != nil {
		return nil, fmt.Errorf("deb: relation %s: %w", ecosystem.Quote(s), err)
	}
	return rels, nil
}

// relationNormalizer turns clauses into their normalized form, reusing its
// scratch space so that a clause already in normal form (nearly all of them
// in a real index) costs no allocation.
type relationNormalizer struct {
	rels []Relation
	buf  []byte
}

// clause normalizes one trimmed, non-empty clause.
func (n *relationNormalizer) clause(c string) (string, error) {
	if isNormalClause(c) {
		return c, nil
	}
	rels, err := parseAlternatives(c, n.rels[:0])
	n.rels = rels
	if err != nil {
		return "", err
	}
	n.buf = appendAlternatives(n.buf[:0], rels)
	if string(n.buf) == c {
		return c, nil
	}
	return string(n.buf), nil
}

// field appends the normalized clauses of a relationship field's value to
// dst. A trailing comma is tolerated; an empty clause elsewhere is not; more
// than MaxClauses clauses are refused (ErrTooManyClauses, with no clause
// named).
func (n *relationNormalizer) field(dst []string, v string) ([]string, string, error) {
	if v == "" {
		return dst, "", nil
	}
	if out, ok := appendNormalField(dst, v); ok {
		return out, "", nil
	}
	clauses := 0
	for v != "" {
		c, rest, more := strings.Cut(v, ",")
		v = rest
		c = trimSpace(c)
		if c == "" {
			if !more || trimSpace(rest) == "" {
				break
			}
			return dst, c, fmt.Errorf("%w: empty clause", ErrInvalidRelation)
		}
		if clauses++; clauses > MaxClauses {
			return dst, "", fmt.Errorf("%w: more than %d", ErrTooManyClauses, MaxClauses)
		}
		norm, err := n.clause(c)
		if err != nil {
			return dst, c, err
		}
		dst = append(dst, norm)
	}
	return dst, "", nil
}

func relationError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRelation}, args...)...)
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}

// Character classes from dpkg: package names, architectures, versions and
// build profiles.
func isNameChar(c byte) bool { return isAlnum(c) || c == '-' || c == '+' || c == '.' || c == '_' }
func isArchChar(c byte) bool { return isAlnum(c) || c == '-' }
func isVersionChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '+' || c == '~' || c == ':' || c == '-'
}
func isProfileChar(c byte) bool { return isAlnum(c) || c == '-' || c == '+' || c == '.' || c == '_' }

// Character classes as bits of relChars, for the fast path.
const (
	relAlnum = 1 << iota
	relName
	relArch
	relVersion
)

var relChars = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if isAlnum(b) {
			t[c] |= relAlnum
		}
		if isNameChar(b) {
			t[c] |= relName
		}
		if isArchChar(b) {
			t[c] |= relArch
		}
		if isVersionChar(b) {
			t[c] |= relVersion
		}
	}
	return t
}()

// isNormalClause reports whether c is a valid clause already in normal form,
// without arch lists or build profiles: the fast path for nearly every clause
// of a binary Packages index. False sends the clause to the full parser.
func isNormalClause(c string) bool {
	end, ok := scanNormalClause(c, 0)
	return ok && end == len(c)
}

// scanNormalClause scans a clause in normal form starting at c[i] and
// returns where it ends: at the end of c or at a comma. A clause of more
// than MaxAlternatives alternatives is left to the full parser, which
// refuses it.
func scanNormalClause(c string, i int) (int, bool) {
	n := len(c)
	for alt := 1; ; alt++ {
		if alt > MaxAlternatives {
			return i, false
		}
		if i >= n || relChars[c[i]]&relAlnum == 0 {
			return i, false
		}
		i++
		for i < n && relChars[c[i]]&relName != 0 {
			i++
		}
		if i < n && c[i] == ':' {
			i++
			start := i
			for i < n && relChars[c[i]]&relArch != 0 {
				i++
			}
			if i == start {
				return i, false
			}
		}
		if i == n || c[i] == ',' {
			return i, true
		}
		if c[i] != ' ' || i+1 == n {
			return i, false
		}
		i++
		if c[i] == '(' {
			if i+3 >= n {
				return i, false
			}
			switch op := c[i+1]; op {
			case '<', '>':
				switch c[i+2] {
				case '=', op:
					i += 3
				case ' ':
					i += 2
				default:
					return i, false
				}
			case '=':
				i += 2
			default:
				return i, false
			}
			if i >= n || c[i] != ' ' {
				return i, false
			}
			i++
			start := i
			for i < n && relChars[c[i]]&relVersion != 0 {
				i++
			}
			if i == start || i >= n || c[i] != ')' {
				return i, false
			}
			i++
			if i == n || c[i] == ',' {
				return i, true
			}
			if c[i] != ' ' || i+1 == n {
				return i, false
			}
			i++
		}
		if c[i] != '|' || i+2 >= n || c[i+1] != ' ' {
			return i, false
		}
		i += 2
	}
}

// appendNormalField appends the clauses of a field value that is entirely in
// normal form ("a (>= 1), b | c"), which is how archive tools write it. On
// false dst may hold part of the clauses: the caller truncates it. A field
// of more than MaxClauses clauses is left to the full path, which refuses
// it.
func appendNormalField(dst []string, v string) ([]string, bool) {
	start := 0
	for clauses := 1; ; clauses++ {
		if clauses > MaxClauses {
			return dst, false
		}
		end, ok := scanNormalClause(v, start)
		if !ok {
			return dst, false
		}
		dst = append(dst, v[start:end])
		if end == len(v) {
			return dst, true
		}
		if end+2 >= len(v) || v[end+1] != ' ' {
			return dst, false
		}
		start = end + 2
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// parseAlternatives parses a trimmed clause, appending its alternatives to
// dst; at most MaxAlternatives of them.
func parseAlternatives(c string, dst []Relation) ([]Relation, error) {
	if c == "" {
		return dst, relationError("empty clause")
	}
	i := 0
	for alt := 1; ; alt++ {
		if alt > MaxAlternatives {
			return dst, relationError("more than %d alternatives", MaxAlternatives)
		}
		var r Relation
		i = skipSpace(c, i)
		start := i
		for i < len(c) && isNameChar(c[i]) {
			i++
		}
		if i == start {
			if i == len(c) {
				return dst, relationError("missing package name")
			}
			return dst, relationError("unexpected %q where a package name should start", c[i])
		}
		if !isAlnum(c[start]) {
			return dst, relationError("package name %s must start with a letter or digit", ecosystem.Quote(c[start:i]))
		}
		r.Name = c[start:i]
		if i < len(c) && c[i] == ':' {
			i++
			start = i
			for i < len(c) && isArchChar(c[i]) {
				i++
			}
			if i == start {
				return dst, relationError("empty architecture qualifier after %s", ecosystem.Quote(r.Name))
			}
			r.Arch = c[start:i]
		}
		i = skipSpace(c, i)
		if i < len(c) && c[i] == '(' {
			i = skipSpace(c, i+1)
			if i >= len(c) {
				return dst, relationError("unterminated version restriction")
			}
			switch op := c[i]; op {
			case '<', '>':
				if i+1 < len(c) && (c[i+1] == '=' || c[i+1] == op) {
					r.Op = c[i : i+2]
					i += 2
				} else if i+1 < len(c) && (c[i+1] == '<' || c[i+1] == '>') {
					return dst, relationError("invalid operator %q", c[i:i+2])
				} else {
					r.Op = c[i : i+1]
					i++
				}
			case '=':
				r.Op = "="
				i++
			default:
				return dst, relationError("missing version operator")
			}
			i = skipSpace(c, i)
			start = i
			for i < len(c) && !isSpace(c[i]) && c[i] != ')' {
				i++
			}
			r.Version = c[start:i]
			if err := checkRelationVersion(r.Version); err != nil {
				return dst, err
			}
			i = skipSpace(c, i)
			if i >= len(c) || c[i] != ')' {
				return dst, relationError("missing ')' after version %s", ecosystem.Quote(r.Version))
			}
			i = skipSpace(c, i+1)
		}
		if i < len(c) && c[i] == '[' {
			end := strings.IndexByte(c[i:], ']')
			if end < 0 {
				return dst, relationError("unterminated architecture list")
			}
			list, err := normalizeTerms(c[i+1:i+end], isArchChar, "architecture")
			if err != nil {
				return dst, err
			}
			r.ArchList = list
			i = skipSpace(c, i+end+1)
		}
		if i < len(c) && c[i] == '<' {
			profiles, next, err := parseProfiles(c, i)
			if err != nil {
				return dst, err
			}
			r.Profiles = profiles
			i = next
		}
		dst = append(dst, r)
		if i == len(c) {
			return dst, nil
		}
		if c[i] != '|' {
			return dst, relationError("unexpected %q after %s", c[i], ecosystem.Quote(r.Name))
		}
		i++
		if skipSpace(c, i) == len(c) {
			return dst, relationError("missing alternative after '|'")
		}
	}
}

func checkRelationVersion(v string) error {
	if v == "" {
		return relationError("empty version")
	}
	for i := 0; i < len(v); i++ {
		if !isVersionChar(v[i]) {
			return relationError("invalid character %q in version %s", v[i], ecosystem.Quote(v))
		}
	}
	return nil
}

// normalizeTerms validates a whitespace-separated list of optionally negated
// terms ("amd64 !i386") and returns it with single spaces, without
// allocating when it is already so.
func normalizeTerms(list string, valid func(byte) bool, what string) (string, error) {
	trimmed := trimSpace(list)
	if trimmed == "" {
		return "", relationError("empty %s list", what)
	}
	normal := trimmed == list
	terms := 0
	for i := 0; i < len(trimmed); {
		if terms > 0 {
			start := i
			i = skipSpace(trimmed, i)
			if i-start != 1 || trimmed[start] != ' ' {
				normal = false
			}
		}
		start := i
		if trimmed[i] == '!' {
			i++
		}
		nameStart := i
		for i < len(trimmed) && valid(trimmed[i]) {
			i++
		}
		if i == nameStart {
			return "", relationError("invalid %s %s", what, ecosystem.Quote(trimmed[start:min(i+1, len(trimmed))]))
		}
		if i < len(trimmed) && !isSpace(trimmed[i]) {
			return "", relationError("invalid character %q in %s list", trimmed[i], what)
		}
		terms++
	}
	if normal {
		return trimmed, nil
	}
	return strings.Join(strings.Fields(trimmed), " "), nil
}

// parseProfiles parses one or more "<...>" restriction formulas starting at
// c[i] == '<'; it returns them normalized and the index after them and the
// whitespace that follows.
func parseProfiles(c string, i int) (string, int, error) {
	start := i
	normal := true
	var groups []string
	for i < len(c) && c[i] == '<' {
		end := strings.IndexByte(c[i:], '>')
		if end < 0 {
			return "", 0, relationError("unterminated build profile restriction")
		}
		g, err := normalizeTerms(c[i+1:i+end], isProfileChar, "build profile")
		if err != nil {
			return "", 0, err
		}
		if g != c[i+1:i+end] {
			normal = false
		}
		groups = append(groups, g)
		i += end + 1
		next := skipSpace(c, i)
		if next < len(c) && c[next] == '<' && (next-i != 1 || c[i] != ' ') {
			normal = false
		}
		if next == len(c) || c[next] != '<' {
			end := i
			i = next
			if normal {
				return c[start:end], i, nil
			}
			break
		}
		i = next
	}
	var b strings.Builder
	for k, g := range groups {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('<')
		b.WriteString(g)
		b.WriteByte('>')
	}
	return b.String(), i, nil
}
