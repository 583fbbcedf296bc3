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
//
// Why it is written this way: a release-to-release comparison diffs tens
// of thousands of pairs, most with a handful of clauses, so the diff works
// on the snapshot's memory (list), compares clause keys in place
// (sameKey) instead of building key strings, and keeps its results in the
// differ's arena; the only strings it allocates are the "old -> new" ones.
func (d *differ) diffDepends(old, new list) (added, removed, changed []string) {
	if old.equal(new) { // most pairs: no allocation, no search
		return empty, empty, empty
	}
	d.added, d.removed, d.changed = d.added[:0], d.removed[:0], d.changed[:0]
	if old.len()*new.len() > maxQuadratic {
		return d.diffLarge(old, new)
	}
	for k := range new.len() {
		if c := new.at(k); !old.contains(c) && !slices.Contains(d.added, c) {
			d.added = append(d.added, c)
		}
	}
	for k := range old.len() {
		if c := old.at(k); !new.contains(c) && !slices.Contains(d.removed, c) {
			d.removed = append(d.removed, c)
		}
	}
	if len(d.added) > 0 && len(d.removed) > 0 {
		d.addedKeys = hashKeys(d.addedKeys[:0], d.added)
		d.removedKeys = hashKeys(d.removedKeys[:0], d.removed)
		d.pairUp(true)
		d.pairUp(false)
	}
	return d.results()
}

// maxQuadratic bounds the clause pairs the in-place diff compares; longer
// lists (no real package has them, hostile metadata might) take the
// map-based path, linear in their length.
const maxQuadratic = 64 * 64

// empty is the shared empty list: zero capacity, so appending to it
// never writes into shared memory.
var empty = []string{}

// differ holds one goroutine's scratch lists and arena.
type differ struct {
	added, removed, changed []string
	used                    []bool      // per removed clause, during pairUp
	addedKeys, removedKeys  [][2]uint64 // key hashes, during pairUp
	arena                   []string
}

// results sorts the scratch lists and copies them into the arena.
func (d *differ) results() (added, removed, changed []string) {
	slices.Sort(d.added)
	slices.Sort(d.removed)
	slices.Sort(d.changed)
	return d.keep(d.added), d.keep(d.removed), d.keep(d.changed)
}

// arenaChunk is how many strings the arena allocates at a time: one
// allocation per few thousand results instead of one per list.
const arenaChunk = 4096

// keep copies s into the arena and returns the copy, its capacity cut to
// its length so that appending to it cannot overwrite its neighbour.
func (d *differ) keep(s []string) []string {
	if len(s) == 0 {
		return empty
	}
	if cap(d.arena)-len(d.arena) < len(s) {
		d.arena = make([]string, 0, max(arenaChunk, len(s)))
	}
	start := len(d.arena)
	d.arena = append(d.arena, s...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

func (l list) contains(s string) bool {
	for k := range l.len() {
		if l.at(k) == s {
			return true
		}
	}
	return false
}

// pairUp moves the clauses whose key (names and operators, or names only)
// occurs exactly once among added and once among removed into changed.
// Keys are compared by hash first (both hashes of each clause computed in
// one parse, by hashKeys), and by sameKey only when the hashes agree.
func (d *differ) pairUp(withOp bool) {
	k := 1
	if withOp {
		k = 0
	}
	count := func(cs []string, hs [][2]uint64, c string, h uint64) int {
		n := 0
		for i, x := range cs {
			if hs[i][k] == h && (x == c || sameKey(x, c, withOp)) {
				n++
			}
		}
		return n
	}
	d.used = slices.Grow(d.used[:0], len(d.removed))[:len(d.removed)]
	clear(d.used)
	keptAdded, keptAddedKeys := d.added[:0], d.addedKeys[:0]
	for i, a := range d.added {
		h, paired := d.addedKeys[i][k], false
		if count(d.added, d.addedKeys, a, h) == 1 && count(d.removed, d.removedKeys, a, h) == 1 {
			for j, r := range d.removed {
				if d.removedKeys[j][k] == h && sameKey(r, a, withOp) {
					d.changed = append(d.changed, r+" -> "+a)
					d.used[j], paired = true, true
					break
				}
			}
		}
		if !paired {
			keptAdded, keptAddedKeys = append(keptAdded, a), append(keptAddedKeys, d.addedKeys[i])
		}
	}
	d.added, d.addedKeys = keptAdded, keptAddedKeys
	keptRemoved, keptRemovedKeys := d.removed[:0], d.removedKeys[:0]
	for j, r := range d.removed {
		if !d.used[j] {
			keptRemoved, keptRemovedKeys = append(keptRemoved, r), append(keptRemovedKeys, d.removedKeys[j])
		}
	}
	d.removed, d.removedKeys = keptRemoved, keptRemovedKeys
}

// hashKeys appends, for each clause, the FNV-1a hashes of its key with
// operators ([0]) and by names only ([1]).
func hashKeys(dst [][2]uint64, clauses []string) [][2]uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	for _, c := range clauses {
		withOp, names := uint64(offset), uint64(offset)
		for c != "" {
			var name, op string
			name, op, c = nextAlternative(c)
			for i := 0; i < len(name); i++ {
				withOp = (withOp ^ uint64(name[i])) * prime
				names = (names ^ uint64(name[i])) * prime
			}
			// A separator no clause byte hashes like ends each part.
			withOp = (withOp ^ 0xff) * prime
			names = (names ^ 0xff) * prime
			for i := 0; i < len(op); i++ {
				withOp = (withOp ^ uint64(op[i])) * prime
			}
			withOp = (withOp ^ 0xff) * prime
		}
		dst = append(dst, [2]uint64{withOp, names})
	}
	return dst
}

// diffLarge is diffDepends for long lists: sets and key counts in maps.
func (d *differ) diffLarge(old, new list) (added, removed, changed []string) {
	oldSet := make(map[string]bool, old.len())
	for k := range old.len() {
		oldSet[old.at(k)] = true
	}
	newSet := make(map[string]bool, new.len())
	for k := range new.len() {
		c := new.at(k)
		if !oldSet[c] && !newSet[c] {
			d.added = append(d.added, c)
		}
		newSet[c] = true
	}
	seen := make(map[string]bool, old.len())
	for k := range old.len() {
		c := old.at(k)
		if !newSet[c] && !seen[c] {
			d.removed = append(d.removed, c)
		}
		seen[c] = true
	}
	if len(d.added) > 0 && len(d.removed) > 0 {
		for _, withOp := range []bool{true, false} {
			key := func(c string) string { return clauseKey(c, withOp) }
			na, nr := map[string]int{}, map[string]int{}
			for _, c := range d.added {
				na[key(c)]++
			}
			for _, c := range d.removed {
				nr[key(c)]++
			}
			pairedWith := map[string]string{} // key -> removed clause
			keptRemoved := d.removed[:0]
			for _, c := range d.removed {
				if k := key(c); nr[k] == 1 && na[k] == 1 {
					pairedWith[k] = c
					continue
				}
				keptRemoved = append(keptRemoved, c)
			}
			keptAdded := d.added[:0]
			for _, c := range d.added {
				if r, ok := pairedWith[key(c)]; ok {
					d.changed = append(d.changed, r+" -> "+c)
					continue
				}
				keptAdded = append(keptAdded, c)
			}
			d.added, d.removed = keptAdded, keptRemoved
		}
	}
	return d.results()
}

// A clause's key is its alternatives' package names (with any ":arch"
// qualifier), and with withOp also their relation operators:
// "a (>= 1) | b [amd64]" keys as "a >=|b", or "a|b" by names only.

// clauseKey builds the key as a string (diffLarge's map keys).
func clauseKey(clause string, withOp bool) string {
	var b strings.Builder
	for i := 0; clause != ""; i++ {
		var name, op string
		name, op, clause = nextAlternative(clause)
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(name)
		if withOp && op != "" {
			b.WriteByte(' ')
			b.WriteString(op)
		}
	}
	return b.String()
}

// sameKey tells whether two clauses have the same key, without building
// either.
func sameKey(a, b string, withOp bool) bool {
	for a != "" && b != "" {
		var na, oa, nb, ob string
		na, oa, a = nextAlternative(a)
		nb, ob, b = nextAlternative(b)
		if na != nb || withOp && oa != ob {
			return false
		}
	}
	return a == "" && b == ""
}

// nameEnd tells whether c ends a package name in a clause.
func nameEnd(c byte) bool { return c == ' ' || c == '(' || c == '[' || c == '<' }

// nextAlternative splits the first alternative off a clause: its package
// name, its relation operator ("" when unversioned) and the clause's
// remaining alternatives.
func nextAlternative(clause string) (name, op, rest string) {
	alt := clause
	if bar := strings.IndexByte(clause, '|'); bar >= 0 {
		alt, rest = clause[:bar], clause[bar+1:]
		if rest == "" {
			rest = " " // "a |": an empty last alternative, as strings.Split sees it
		}
	}
	alt = strings.TrimSpace(alt)
	end := 0
	for end < len(alt) && !nameEnd(alt[end]) {
		end++
	}
	name = alt[:end]
	if open := strings.IndexByte(alt[end:], '('); open >= 0 {
		op = strings.TrimSpace(alt[end+open+1:])
		sp := 0
		for sp < len(op) && op[sp] != ' ' && op[sp] != ')' {
			sp++
		}
		op = op[:sp]
	}
	return name, op, rest
}
