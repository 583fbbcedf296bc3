package alpm

import (
	"fmt"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Relation is one package relation (alpm-package-relation): a name,
// optionally constrained to versions by one of <, <=, =, >=, >.
type Relation struct {
	Name    string
	Op      string // "" when unversioned
	Version string
}

// ParseRelation parses "name", or "name" followed by a comparison and a
// version, the way libalpm's alpm_dep_from_string does: the operator is
// the first '<', else the first '>', else the first '=' (each with a
// following '=' for <= and >=). Unlike libalpm it refuses blanks, an empty
// name and an operator without a version, none of which repo-add writes.
func ParseRelation(s string) (Relation, error) {
	if s == "" {
		return Relation{}, fmt.Errorf("%w: empty", ErrInvalidRelation)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return Relation{}, fmt.Errorf("%w: %s contains a blank or control character", ErrInvalidRelation, ecosystem.Quote(s))
		}
	}
	i := strings.IndexByte(s, '<')
	if i < 0 {
		i = strings.IndexByte(s, '>')
	}
	if i < 0 {
		i = strings.IndexByte(s, '=')
	}
	if i < 0 {
		return Relation{Name: s}, nil
	}
	r := Relation{Name: s[:i], Op: s[i : i+1]}
	v := s[i+1:]
	if r.Op != "=" && strings.HasPrefix(v, "=") {
		r.Op += "="
		v = v[1:]
	}
	r.Version = v
	if r.Name == "" || r.Version == "" {
		return Relation{}, fmt.Errorf("%w: %s", ErrInvalidRelation, ecosystem.Quote(s))
	}
	return r, nil
}

// String renders the relation in the packages table's normal form, the
// one the deb parser uses: "name" or "name (op version)".
func (r Relation) String() string {
	if r.Op == "" {
		return r.Name
	}
	return r.Name + " (" + r.Op + " " + r.Version + ")"
}

// NormalRelations renders each relation of a list in normal form. The
// list was validated when read.
func NormalRelations(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		r, err := ParseRelation(s)
		if err != nil {
			out[i] = s
			continue
		}
		out[i] = r.String()
	}
	return out
}
