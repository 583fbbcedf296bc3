package compare

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// listOf lays clauses out as a Snapshot's list column holds them.
func listOf(clauses []string) list {
	var c stringColumn
	for _, s := range clauses {
		if err := c.append(s); err != nil {
			panic(err)
		}
	}
	c.finish()
	return list{&c, 0, len(clauses)}
}

func TestDiffDepends(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		old, new                []string
		added, removed, changed []string
	}{
		{name: "equal", old: []string{"libc6 (>= 2.36)", "zlib1g"}, new: []string{"libc6 (>= 2.36)", "zlib1g"}},
		{name: "both empty"},
		{
			name: "a constraint raised is one changed clause",
			old:  []string{"libc6 (>= 2.36)", "zlib1g"}, new: []string{"libc6 (>= 2.38)", "zlib1g"},
			changed: []string{"libc6 (>= 2.36) -> libc6 (>= 2.38)"},
		},
		{
			name: "added and removed, sorted, duplicates once",
			old:  []string{"perl", "libold1", "libold1"}, new: []string{"perl", "libnew2", "libnew1", "libnew1"},
			added: []string{"libnew1", "libnew2"}, removed: []string{"libold1"},
		},
		{
			// 0ad: two clauses on one package with different operators
			// each pair with their own successor (names and operators).
			name:    "pairs by names and operators first",
			old:     []string{"0ad-data (>= 0.0.26)", "0ad-data (<= 0.0.26-3)"},
			new:     []string{"0ad-data (>= 0.0.27)", "0ad-data (<= 0.0.27-1)"},
			changed: []string{"0ad-data (<= 0.0.26-3) -> 0ad-data (<= 0.0.27-1)", "0ad-data (>= 0.0.26) -> 0ad-data (>= 0.0.27)"},
		},
		{
			name: "then by names alone",
			old:  []string{"libx11-6"}, new: []string{"libx11-6 (>= 2:1.8)"},
			changed: []string{"libx11-6 -> libx11-6 (>= 2:1.8)"},
		},
		{
			name: "alternatives keep their order in the key",
			old:  []string{"default-mta | mail-transport-agent"}, new: []string{"default-mta (>= 1) | mail-transport-agent"},
			changed: []string{"default-mta | mail-transport-agent -> default-mta (>= 1) | mail-transport-agent"},
		},
		{
			name: "ambiguous pairing stays added and removed",
			old:  []string{"libfoo (>= 1)"}, new: []string{"libfoo (>= 2)", "libfoo (>= 3)"},
			added: []string{"libfoo (>= 2)", "libfoo (>= 3)"}, removed: []string{"libfoo (>= 1)"},
		},
		{
			name: "architecture qualifiers are part of the name",
			old:  []string{"python3:any (>= 3.11)"}, new: []string{"python3 (>= 3.12)"},
			added: []string{"python3 (>= 3.12)"}, removed: []string{"python3:any (>= 3.11)"},
		},
		{
			name: "a clause moved within the list is no change",
			old:  []string{"a", "b"}, new: []string{"b", "a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d differ
			added, removed, changed := d.diffDepends(listOf(tc.old), listOf(tc.new))
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"added", added, tc.added}, {"removed", removed, tc.removed}, {"changed", changed, tc.changed}} {
				if c.got == nil || !slices.Equal(c.got, c.want) && len(c.got)+len(c.want) > 0 {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			// The map-based path for long lists gives the same answer.
			var l differ
			la, lr, lc := l.diffLarge(listOf(tc.old), listOf(tc.new))
			if !slices.Equal(la, added) || !slices.Equal(lr, removed) || !slices.Equal(lc, changed) {
				t.Errorf("diffLarge = %q %q %q, diffDepends %q %q %q", la, lr, lc, added, removed, changed)
			}
		})
	}
}

// TestDiffDependsPathsAgree: random clause lists drawn from a small
// vocabulary (so that names, operators and whole clauses collide often)
// diff alike through the in-place path and the map-based one, and the
// results never alias each other.
func TestDiffDependsPathsAgree(t *testing.T) {
	names := []string{"libc6", "libc6:any", "zlib1g", "perl", "0ad-data", "default-mta", "mail-transport-agent", "libx11-6"}
	ops := []string{"", " (>= 1)", " (>= 2)", " (<= 1)", " (= 1:2.0-1)", " (<< 3~)"}
	clause := func(r *rand.Rand) string {
		s := names[r.IntN(len(names))] + ops[r.IntN(len(ops))]
		if r.IntN(4) == 0 {
			s += " | " + names[r.IntN(len(names))] + ops[r.IntN(len(ops))]
		}
		return s
	}
	r := rand.New(rand.NewPCG(1, 2))
	var d differ
	var prev [][]string
	for i := range 20000 {
		var old, new []string
		for range r.IntN(8) {
			old = append(old, clause(r))
		}
		for range r.IntN(8) {
			new = append(new, clause(r))
		}
		added, removed, changed := d.diffDepends(listOf(old), listOf(new))
		var l differ
		la, lr, lc := l.diffLarge(listOf(old), listOf(new))
		if !slices.Equal(la, added) || !slices.Equal(lr, removed) || !slices.Equal(lc, changed) {
			t.Fatalf("case %d: old %q new %q:\n in place %q %q %q\n maps     %q %q %q", i, old, new, added, removed, changed, la, lr, lc)
		}
		// Appending to a result must not write into another one.
		prev = append(prev, added, removed, changed)
		if len(prev) > 6 {
			snapshot := fmt.Sprint(prev[len(prev)-6:])
			_ = append(prev[len(prev)-6], "x")
			if fmt.Sprint(prev[len(prev)-6:]) != snapshot {
				t.Fatalf("case %d: results alias the arena", i)
			}
		}
	}
}

func TestSameKeyMatchesClauseKey(t *testing.T) {
	clauses := []string{"", "a", "a |", "|a", "a||b", "a (>= 1) | b [amd64]", "a (>=1)", "a(>= 1)", "a [i386] <stage1>",
		"a ( >= 1 )", " a ", "a:any (<< 2)", "a (>= 1) | a (>= 1)"}
	for _, a := range clauses {
		for _, b := range clauses {
			for _, withOp := range []bool{true, false} {
				if got, want := sameKey(a, b, withOp), clauseKey(a, withOp) == clauseKey(b, withOp); got != want {
					t.Errorf("sameKey(%q, %q, %v) = %v, clauseKey says %v (%q vs %q)", a, b, withOp, got, want, clauseKey(a, withOp), clauseKey(b, withOp))
				}
			}
		}
	}
}
