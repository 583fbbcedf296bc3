package rpm

import "testing"

// FuzzCompare checks what must hold for any input: no panic, antisymmetry
// and reflexivity of both orders, and that a parsed EVR survives String.
func FuzzCompare(f *testing.F) {
	for _, v := range rpmCases {
		f.Add(v, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if ab, ba := Compare(a, b), Compare(b, a); ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d, reversed %d", a, b, ab, ba)
		}
		if c := Compare(a, a); c != 0 {
			t.Fatalf("Compare(%q, itself) = %d", a, c)
		}
		ab, err1 := CompareEVR(a, b)
		ba, err2 := CompareEVR(b, a)
		if (err1 == nil) != (err2 == nil) || (err1 == nil && ab != -ba) {
			t.Fatalf("CompareEVR(%q, %q) = %d, %v; reversed %d, %v", a, b, ab, err1, ba, err2)
		}
		if v, err := ParseEVR(a); err == nil {
			back, err := ParseEVR(v.String())
			if err != nil || CompareEVRs(back, v) != 0 {
				t.Fatalf("ParseEVR(%q) = %+v; String %q parses to %+v, %v", a, v, v.String(), back, err)
			}
		}
	})
}

// FuzzTransitive checks both orders for transitivity on three versions.
func FuzzTransitive(f *testing.F) {
	f.Add("1.0~rc1", "1.0", "1.0^git1")
	f.Add("1:1-1", "2", "1:1")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if Compare(a, b) <= 0 && Compare(b, c) <= 0 && Compare(a, c) > 0 {
			t.Fatalf("rpmvercmp: %q <= %q <= %q but a > c", a, b, c)
		}
		ab, e1 := CompareEVR(a, b)
		bc, e2 := CompareEVR(b, c)
		ac, e3 := CompareEVR(a, c)
		if e1 == nil && e2 == nil && e3 == nil && ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("rpmverCmp: %q <= %q <= %q but a > c", a, b, c)
		}
	})
}
