package compare

import (
	"slices"
	"strings"
)

// diffDepends compares two rows' relationship clauses (Depends and
// Pre-Depends together: a clause that moves from one field to the other
// is still required, so it is no change). Clauses are compared as the
// normalised strings the packages table holds ("a (>= 1) | b").
//
// A removed and an added clause naming the same packages are one changed
// clause, reported as "old -> new" ("libc6 (>= 2.36) -> libc6 (>= 2.38)").
// They are paired first by names and relation operators, so that 0ad's
// "0ad-data (>= X)" and "0ad-data (<= Y)" each pair with their own
// successor, then by names alone ("libx11-6 -> libx11-6 (>= 2:1.8)"), and
// only where the pairing is one to one; the rest stay added or removed.
// Each list is sorted.
func diffDepends(old, new []string) (added, removed, changed []string) {
	added, removed, changed = []string{}, []string{}, []string{}
	if slices.Equal(old, new) { // most pairs: no allocation, no search
		return added, removed, changed
	}
	for _, c := range new {
		if !slices.Contains(old, c) && !slices.Contains(added, c) {
			added = append(added, c)
		}
	}
	for _, c := range old {
		if !slices.Contains(new, c) && !slices.Contains(removed, c) {
			removed = append(removed, c)
		}
	}
	if len(added) > 0 && len(removed) > 0 {
		for _, key := range []func(string) string{namesAndOperators, namesOnly} {
			added, removed, changed = pairUp(added, removed, changed, key)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(changed)
	return added, removed, changed
}

// pairUp moves the clauses whose key occurs exactly once among added and
// once among removed into changed.
func pairUp(added, removed, changed []string, key func(string) string) ([]string, []string, []string) {
	countKeys := func(cs []string) map[string]int {
		m := make(map[string]int, len(cs))
		for _, c := range cs {
			m[key(c)]++
		}
		return m
	}
	na, nr := countKeys(added), countKeys(removed)
	paired := map[string]string{} // key -> removed clause
	keptRemoved := removed[:0:0]
	for _, c := range removed {
		k := key(c)
		if nr[k] == 1 && na[k] == 1 {
			paired[k] = c
			continue
		}
		keptRemoved = append(keptRemoved, c)
	}
	keptAdded := added[:0:0]
	for _, c := range added {
		if old, ok := paired[key(c)]; ok {
			changed = append(changed, old+" -> "+c)
			continue
		}
		keptAdded = append(keptAdded, c)
	}
	return keptAdded, keptRemoved, changed
}

// namesOnly keys a clause by its alternatives' package names (with any
// ":arch" qualifier): "a (>= 1) | b [amd64]" -> "a|b".
func namesOnly(clause string) string { return clauseKey(clause, false) }

// namesAndOperators keys it by names and relation operators:
// "a (>= 1) | b" -> "a >=|b".
func namesAndOperators(clause string) string { return clauseKey(clause, true) }

func clauseKey(clause string, withOp bool) string {
	var b strings.Builder
	for i, alt := range strings.Split(clause, "|") {
		alt = strings.TrimSpace(alt)
		if i > 0 {
			b.WriteByte('|')
		}
		end := strings.IndexAny(alt, " ([<")
		if end < 0 {
			end = len(alt)
		}
		b.WriteString(alt[:end])
		if withOp {
			if open := strings.IndexByte(alt, '('); open >= 0 {
				op := strings.TrimSpace(alt[open+1:])
				if sp := strings.IndexAny(op, " )"); sp >= 0 {
					op = op[:sp]
				}
				b.WriteByte(' ')
				b.WriteString(op)
			}
		}
	}
	return b.String()
}
