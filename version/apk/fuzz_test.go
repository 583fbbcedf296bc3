package apk

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// dataVersions returns every version named in testdata/version.data.
func dataVersions(tb testing.TB) []string {
	f, err := os.Open("testdata/version.data")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var vs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		text, _, _ := strings.Cut(sc.Text(), "#")
		for i, w := range strings.Fields(text) {
			if i != 1 || len(strings.Fields(text)) != 3 {
				vs = append(vs, strings.TrimPrefix(w, "!"))
			}
		}
	}
	return vs
}

// FuzzCompare checks what must hold for any input: no panic, antisymmetry
// and reflexivity (for invalid versions too: apk orders them), and that a
// version equal to a valid one is valid.
func FuzzCompare(f *testing.F) {
	for _, v := range dataVersions(f) {
		f.Add(v, "1.0-r0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if ab, ba := Compare(a, b), Compare(b, a); ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d, reversed %d", a, b, ab, ba)
		}
		if c := Compare(a, a); c != 0 {
			t.Fatalf("Compare(%q, itself) = %d", a, c)
		}
		if !Match(a, ParseOp("~"), a) {
			t.Fatalf("%q is not ~ itself", a)
		}
	})
}

// FuzzTransitive checks transitivity on valid versions.
func FuzzTransitive(f *testing.F) {
	f.Add("1.0_rc1", "1.0", "1.0_p1")
	f.Add("1.0~abc-r1", "1.0-r2", "1.0.1")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if Validate(a) != nil || Validate(b) != nil || Validate(c) != nil {
			return
		}
		if Compare(a, b) <= 0 && Compare(b, c) <= 0 && Compare(a, c) > 0 {
			t.Fatalf("%q <= %q <= %q but a > c", a, b, c)
		}
	})
}
