package dpkg

import (
	"testing"
)

// FuzzCompare checks what must hold for any input: no panic, Compare is
// antisymmetric and reflexive, fails exactly when Parse does (the blank
// version aside), and a parsed version survives String and Parse.
func FuzzCompare(f *testing.F) {
	for _, v := range edgeCases {
		f.Add(v, "1.0")
	}
	f.Add("1:2.30-1+deb12u1", "1:2.30-1")
	f.Add("1.0~rc1", "1.0")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errAB := Compare(a, b)
		ba, errBA := Compare(b, a)
		if (errAB == nil) != (errBA == nil) {
			t.Fatalf("Compare(%q, %q) error %v, reversed %v", a, b, errAB, errBA)
		}
		if errAB == nil && ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d, reversed %d", a, b, ab, ba)
		}
		for _, s := range []string{a, b} {
			pv, err := Parse(s)
			_, cerr := Compare(s, s)
			blank := s == "" || s == "<unknown>"
			if !blank && (err == nil) != (cerr == nil) {
				t.Fatalf("Parse(%q) error %v, Compare error %v", s, err, cerr)
			}
			if err != nil {
				continue
			}
			if c, _ := Compare(s, s); c != 0 {
				t.Fatalf("Compare(%q, itself) = %d", s, c)
			}
			back, err := Parse(pv.String())
			if err != nil || back != pv || CompareVersions(back, pv) != 0 {
				t.Fatalf("Parse(%q) = %+v, String %q parses to %+v, %v", s, pv, pv.String(), back, err)
			}
		}
	})
}

// FuzzTransitive checks that the order is transitive on any three valid
// versions.
func FuzzTransitive(f *testing.F) {
	f.Add("1.0~rc1", "1.0", "1.0a")
	f.Add("1:0", "2.0-1", "2.0-1~bpo")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		ab, e1 := Compare(a, b)
		bc, e2 := Compare(b, c)
		ac, e3 := Compare(a, c)
		if e1 != nil || e2 != nil || e3 != nil {
			return
		}
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("%q <= %q <= %q but Compare(a, c) = %d", a, b, c, ac)
		}
	})
}
