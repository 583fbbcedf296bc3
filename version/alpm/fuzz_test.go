package alpm

import "testing"

// FuzzCompare checks what must hold for any input: no panic,
// antisymmetry and reflexivity.
func FuzzCompare(f *testing.F) {
	for _, v := range alpmCases {
		f.Add(v, "1.0-1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if ab, ba := Compare(a, b), Compare(b, a); ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d, reversed %d", a, b, ab, ba)
		}
		if c := Compare(a, a); c != 0 {
			t.Fatalf("Compare(%q, itself) = %d", a, c)
		}
	})
}
