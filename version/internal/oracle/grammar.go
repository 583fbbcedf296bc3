package oracle

import (
	"math/rand/v2"
	"strings"
)

// Grammar describes the random version strings Generate makes: runs of
// digits (with leading zeros and very long runs now and then), letter runs
// (known words and random letters of either case), separators, a rare
// character now and then, an optional epoch and an optional revision. All
// characters are printable ASCII without blanks, so every oracle takes
// them.
type Grammar struct {
	Separators string   // drawn for separator runs
	Rare       string   // drawn seldom anywhere
	Words      []string // letter runs
	Epoch      float64  // probability of an "N:" prefix
	Revision   float64  // probability of a "-..." suffix
}

// Printable is every printable ASCII character but the blank, for Rare.
const Printable = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

// Words common in real versions of every ecosystem.
var Words = []string{
	"a", "b", "c", "p", "r", "z", "rc", "pre", "alpha", "beta", "git", "svn", "hg", "cvs",
	"post", "patch", "pl", "dev", "dfsg", "ds", "deb", "bpo", "really", "ubuntu", "build",
	"el", "fc", "mga", "snapshot", "final", "RC", "Beta", "M", "B", "ALPHA",
}

func (g Grammar) digits(rng *rand.Rand) string {
	n := 1 + rng.IntN(3)
	switch r := rng.IntN(20); {
	case r == 0:
		n = 12 + rng.IntN(20) // past 64 bits now and then
	case r < 3:
		n = 4 + rng.IntN(5) // dates, build numbers
	}
	var b strings.Builder
	if rng.IntN(8) == 0 {
		b.WriteString(strings.Repeat("0", 1+rng.IntN(2)))
	}
	for range n {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	return b.String()
}

func (g Grammar) letters(rng *rand.Rand) string {
	if rng.IntN(3) > 0 {
		return g.Words[rng.IntN(len(g.Words))]
	}
	const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b strings.Builder
	for range 1 + rng.IntN(3) {
		b.WriteByte(abc[rng.IntN(len(abc))])
	}
	return b.String()
}

func (g Grammar) separator(rng *rand.Rand) string {
	s := string(g.Separators[rng.IntN(len(g.Separators))])
	if rng.IntN(10) == 0 {
		s += string(g.Separators[rng.IntN(len(g.Separators))])
	}
	return s
}

func (g Grammar) part(rng *rand.Rand, tokens int) string {
	var b strings.Builder
	if rng.IntN(12) > 0 {
		b.WriteString(g.digits(rng))
	}
	last := "digits"
	for range tokens {
		r := rng.IntN(100)
		switch {
		case r < 3 && g.Rare != "":
			b.WriteByte(g.Rare[rng.IntN(len(g.Rare))])
			last = "rare"
		case r < 45 && last != "sep":
			b.WriteString(g.separator(rng))
			last = "sep"
		case r < 75 && last != "digits":
			b.WriteString(g.digits(rng))
			last = "digits"
		case last != "letters":
			b.WriteString(g.letters(rng))
			last = "letters"
		default:
			b.WriteString(g.digits(rng))
			last = "digits"
		}
	}
	return b.String()
}

// Version draws one version.
func (g Grammar) Version(rng *rand.Rand) string {
	v := g.part(rng, rng.IntN(7))
	if v == "" {
		v = g.digits(rng)
	}
	if rng.Float64() < g.Epoch {
		v = g.digits(rng) + ":" + v
	}
	if rng.Float64() < g.Revision {
		v += "-" + g.part(rng, rng.IntN(4))
	}
	return v
}

// Mutate changes v a little, so that the pair (v, Mutate(v)) is decided
// late in the strings, where the rules are subtle.
func (g Grammar) Mutate(rng *rand.Rand, v string) string {
	pos := 0
	if len(v) > 0 {
		pos = rng.IntN(len(v) + 1)
	}
	switch rng.IntN(10) {
	case 0: // another digit
		if i := strings.IndexAny(v[min(pos, len(v)):], "0123456789"); i >= 0 {
			i += pos
			return v[:i] + string(byte('0'+rng.IntN(10))) + v[i+1:]
		}
		return v + g.digits(rng)
	case 1: // insert a separator
		return v[:pos] + g.separator(rng) + v[pos:]
	case 2: // append a token
		tails := []string{".0", ".1", "0", "1", "a", "~", "~rc1", "~~", "^", "^git1", "+b1", "-1", "-0", "_p1", "_rc1", ".", "+", "-r1", ":1"}
		return v + tails[rng.IntN(len(tails))]
	case 3: // delete a character
		if pos < len(v) {
			return v[:pos] + v[pos+1:]
		}
		return v[:max(len(v)-1, 0)]
	case 4: // double a character
		if pos < len(v) {
			return v[:pos] + v[pos:pos+1] + v[pos:]
		}
		return v + v
	case 5: // another separator
		if i := strings.IndexAny(v[min(pos, len(v)):], ".+~-:_^"); i >= 0 {
			i += pos
			return v[:i] + g.separator(rng) + v[i+1:]
		}
		return v + g.separator(rng)
	case 6: // a leading zero
		if i := strings.IndexAny(v[min(pos, len(v)):], "0123456789"); i >= 0 {
			i += pos
			return v[:i] + "0" + v[i:]
		}
		return "0" + v
	case 7: // letters in place of a run of digits, or the reverse
		return v[:pos] + g.letters(rng) + v[pos:]
	case 8: // an epoch
		if i := strings.IndexByte(v, ':'); i >= 0 {
			return v[i+1:]
		}
		return g.digits(rng) + ":" + v
	default: // a rare character
		if g.Rare == "" {
			return v + "."
		}
		return v[:pos] + string(g.Rare[rng.IntN(len(g.Rare))]) + v[pos:]
	}
}

// Pairs draws n pairs with a fixed seed: a third unrelated versions, two
// thirds a version and a mutation of it (once or twice mutated).
func (g Grammar) Pairs(seed uint64, n int) []Pair {
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	pairs := make([]Pair, 0, n)
	for i := 0; i < n; i++ {
		a := g.Version(rng)
		switch i % 3 {
		case 0:
			pairs = append(pairs, Pair{a, g.Version(rng)})
		case 1:
			pairs = append(pairs, Pair{a, g.Mutate(rng, a)})
		default:
			b := g.Mutate(rng, g.Mutate(rng, a))
			pairs = append(pairs, Pair{b, a})
		}
	}
	return pairs
}

// MutatedPairs pairs each version of vs with a mutation of itself.
func (g Grammar) MutatedPairs(seed uint64, vs []string) []Pair {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	pairs := make([]Pair, 0, len(vs))
	for _, v := range vs {
		pairs = append(pairs, Pair{v, g.Mutate(rng, v)})
	}
	return pairs
}
