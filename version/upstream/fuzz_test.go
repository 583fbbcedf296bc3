package upstream

import (
	"strings"
	"testing"
)

// FuzzCompare checks that the order is antisymmetric, reflexive and
// transitive for any input, and that Normalize only ever shortens a version.
func FuzzCompare(f *testing.F) {
	f.Add("1.0alpha1", "1.0", "1.0a")
	f.Add("22.01+really26.02+dfsg-0+deb12u1", "1:2.3-4.fc40", "1.2.3-r3")
	f.Add("..1....2....3..", "1.2.3", "1.0patch1")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if ab, ba := Compare(a, b), Compare(b, a); ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d, reversed %d", a, b, ab, ba)
		}
		if r := Compare(a, a); r != 0 {
			t.Fatalf("Compare(%q, itself) = %d", a, r)
		}
		if Compare(a, b) <= 0 && Compare(b, c) <= 0 && Compare(a, c) > 0 {
			t.Fatalf("%q <= %q <= %q but a > c", a, b, c)
		}
		for _, format := range []string{"deb", "rpm", "apk", "pacman", ""} {
			if n := Normalize(format, a); len(n) > len(strings.TrimSpace(a)) {
				t.Fatalf("Normalize(%q, %q) = %q, longer", format, a, n)
			}
		}
	})
}
