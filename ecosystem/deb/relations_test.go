package deb

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRelationClause(t *testing.T) {
	tests := []struct {
		in   string
		want []Relation
		norm string
	}{
		{"libc6 (>= 2.34)", []Relation{{Name: "libc6", Op: ">=", Version: "2.34"}}, "libc6 (>= 2.34)"},
		{"python3:any", []Relation{{Name: "python3", Arch: "any"}}, "python3:any"},
		{"python3:any (>= 3.11~)", []Relation{{Name: "python3", Arch: "any", Op: ">=", Version: "3.11~"}}, "python3:any (>= 3.11~)"},
		{"  default-mta|mail-transport-agent ", []Relation{{Name: "default-mta"}, {Name: "mail-transport-agent"}},
			"default-mta | mail-transport-agent"},
		{"zlib1g(>=1:1.2.0)", []Relation{{Name: "zlib1g", Op: ">=", Version: "1:1.2.0"}}, "zlib1g (>= 1:1.2.0)"},
		{"a (<< 1)", []Relation{{Name: "a", Op: "<<", Version: "1"}}, "a (<< 1)"},
		{"a (<= 1)", []Relation{{Name: "a", Op: "<=", Version: "1"}}, "a (<= 1)"},
		{"a (= 1)", []Relation{{Name: "a", Op: "=", Version: "1"}}, "a (= 1)"},
		{"a (>> 1)", []Relation{{Name: "a", Op: ">>", Version: "1"}}, "a (>> 1)"},
		// Obsolete operators are kept as written.
		{"a (<1)", []Relation{{Name: "a", Op: "<", Version: "1"}}, "a (< 1)"},
		{"a ( >  1 )", []Relation{{Name: "a", Op: ">", Version: "1"}}, "a (> 1)"},
		{"foo [amd64 !i386]", []Relation{{Name: "foo", ArchList: "amd64 !i386"}}, "foo [amd64 !i386]"},
		{"foo:native (>= 1) [ linux-any ]  <!nocheck>  <cross !stage1>",
			[]Relation{{Name: "foo", Arch: "native", Op: ">=", Version: "1", ArchList: "linux-any", Profiles: "<!nocheck> <cross !stage1>"}},
			"foo:native (>= 1) [linux-any] <!nocheck> <cross !stage1>"},
		{"foo <pkg.foo.bar> | bar", []Relation{{Name: "foo", Profiles: "<pkg.foo.bar>"}, {Name: "bar"}}, "foo <pkg.foo.bar> | bar"},
		{"libstdc++6 (>= 12) | g++-12", []Relation{{Name: "libstdc++6", Op: ">=", Version: "12"}, {Name: "g++-12"}},
			"libstdc++6 (>= 12) | g++-12"},
	}
	for _, tt := range tests {
		got, err := ParseRelationClause(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
		}
		var n relationNormalizer
		if norm, err := n.clause(trimSpace(tt.in)); err != nil || norm != tt.norm {
			t.Errorf("%q: normalized to %q, %v; want %q", tt.in, norm, err, tt.norm)
		}
		var parts []string
		for _, r := range got {
			parts = append(parts, r.String())
		}
		if s := strings.Join(parts, " | "); s != tt.norm {
			t.Errorf("%q: String() gives %q, want %q", tt.in, s, tt.norm)
		}
	}
}

func TestParseRelationClauseInvalid(t *testing.T) {
	tests := []struct{ in, message string }{
		{"", "empty clause"},
		{"a, b", "comma"},
		{"a |", "missing alternative"},
		{"| a", "where a package name should start"},
		{"-a", "must start with a letter or digit"},
		{".a", "must start with a letter or digit"},
		{"a b", "unexpected 'b'"},
		{"a:", "empty architecture qualifier"},
		{"a (1.0)", "missing version operator"},
		{"a (>= )", "empty version"},
		{"a (>= 1", "missing ')'"},
		{"a (>= 1 2)", "missing ')'"},
		{"a (<> 1)", "invalid operator \"<>\""},
		{"a (>< 1)", "invalid operator \"><\""},
		{"a (>= 1_0)", "invalid character '_' in version"},
		{"a [amd64", "unterminated architecture list"},
		{"a []", "empty architecture list"},
		{"a [amd64 !]", "invalid architecture"},
		{"a [amd_64]", "invalid character '_' in architecture list"},
		{"a <!nocheck", "unterminated build profile"},
		{"a <>", "empty build profile list"},
		{"a <no check?>", "invalid character '?'"},
		{"a <x> [amd64]", "unexpected '['"},
		{"a\x00", "unexpected '\\x00'"},
	}
	for _, tt := range tests {
		got, err := ParseRelationClause(tt.in)
		if err == nil {
			t.Errorf("%q: got %+v, want an error", tt.in, got)
			continue
		}
		if !errors.Is(err, ErrInvalidRelation) || !strings.HasPrefix(err.Error(), "deb: relation ") ||
			!strings.Contains(err.Error(), tt.message) {
			t.Errorf("%q: error %q, want ErrInvalidRelation mentioning %q", tt.in, err, tt.message)
		}
	}
}

// TestRelationFastPath checks that the fast path agrees with the full parser
// on every clause of the fixtures and on hand-made edge cases: whenever it
// accepts a clause, the full parser must accept it and find it normal.
func TestRelationFastPath(t *testing.T) {
	clauses := []string{
		"a", "a:any", "a (>= 1)", "a (< 1)", "a (<<1)", "a  (>= 1)", "a (>=  1)", "a (>= 1 )", "a ( >= 1)",
		"a | b", "a |b", "a| b", "a (>= 1) | b:any (= 2)", "a [amd64]", "a <x>", "a:", "a (", "a (>= 1) ",
		"a (>= 1)|", "a | ", "a (= )", "a (=)", "a (> 1)", "a (>> 1)", "A", "a_b", "a (>= 1:2~3+4.5-6)",
	}
	for _, file := range []string{mainFixture, statusFixture, updatesFixture} {
		for _, p := range readFixture(t, file) {
			for _, f := range [][]string{p.Depends, p.PreDepends, p.Recommends, p.Suggests, p.Enhances,
				p.Conflicts, p.Breaks, p.Provides, p.Replaces, p.BuiltUsing, p.StaticBuiltUsing} {
				clauses = append(clauses, f...)
			}
		}
	}
	fast := 0
	for _, c := range clauses {
		if !isNormalClause(c) {
			continue
		}
		fast++
		rels, err := parseAlternatives(c, nil)
		if err != nil {
			t.Errorf("%q: fast path accepts, parser rejects: %v", c, err)
			continue
		}
		if s := string(appendAlternatives(nil, rels)); s != c {
			t.Errorf("%q: fast path calls it normal, parser normalizes to %q", c, s)
		}
	}
	// Nearly all real clauses take the fast path.
	if fast < len(clauses)*9/10 {
		t.Errorf("fast path took %d of %d clauses", fast, len(clauses))
	}
}
