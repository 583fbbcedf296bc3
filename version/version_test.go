package version

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/version/dpkg"
)

// TestForFormat checks each format's comparator on a pair its package
// manager orders its own way, and on a version it refuses.
func TestForFormat(t *testing.T) {
	for _, tc := range []struct {
		format, a, b string
		want         int
		invalid      string // a version the format refuses, "" if none
	}{
		// dpkg: '~' before the end; "1.0-" has an empty revision.
		{"deb", "1.0~rc1", "1.0", -1, "1.0-"},
		// rpm: '^' after the end; the release only counts when both have one.
		{"rpm", "1.0^git1", "1.0", 1, ""},
		{"rpm", "1:1.0", "1:1.0-5", -1, ""},
		// apk: a leading zero makes a dotted number compare as text (dpkg
		// says equal); "1.0bc" is invalid.
		{"apk", "1.0.01", "1.0.1", -1, "1.0bc"},
		// pacman: the pkgrel only counts when both have one; '~' is a
		// plain separator there.
		{"pacman", "1.0", "1.0-5", 0, ""},
		{"alpm", "1.0~rc1", "1.0", 1, ""},
	} {
		c, err := ForFormat(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Compare(tc.a, tc.b); err != nil || got != tc.want {
			t.Errorf("%s: Compare(%q, %q) = %d, %v; want %d", tc.format, tc.a, tc.b, got, err, tc.want)
		}
		if tc.invalid != "" {
			if _, err := c.Compare(tc.invalid, "1.0"); err == nil {
				t.Errorf("%s: Compare(%q, ...) accepted an invalid version", tc.format, tc.invalid)
			}
		}
	}
	if _, err := ForFormat("rpm"); err != nil {
		t.Fatal(err)
	}
	if c, _ := ForFormat("rpm"); c != nil {
		if _, err := c.Compare("", "1"); err == nil {
			t.Errorf("rpm: the empty version was accepted")
		}
	}
	if _, err := ForFormat("msi"); err == nil || !strings.Contains(err.Error(), `"msi"`) {
		t.Errorf("ForFormat(msi) = %v", err)
	}
	for _, f := range Formats {
		if _, err := ForFormat(f); err != nil {
			t.Errorf("Formats lists %q but ForFormat refuses it: %v", f, err)
		}
	}
}

func TestCompareLines(t *testing.T) {
	c, _ := ForFormat("deb")
	in := "1.0 2.0\n2.0\t1.0~rc1\n  1:0  2 \n1.0- 1.0\nonly-one\n\n1.0 1.0\n"
	var out strings.Builder
	var bad []string
	n, err := CompareLines(strings.NewReader(in), &out, c, func(line int, err error) {
		bad = append(bad, fmt.Sprintf("%d: %v", line, err))
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<\n>\n>\n?\n?\n?\n=\n"; out.String() != want {
		t.Errorf("output %q; want %q", out.String(), want)
	}
	if n != 3 || len(bad) != 3 || !strings.HasPrefix(bad[0], "4: dpkg: version \"1.0-\"") ||
		!strings.HasPrefix(bad[1], "5: want two versions") || !strings.HasPrefix(bad[2], "6: want two versions") {
		t.Errorf("bad lines %d: %q", n, bad)
	}
	var se *dpkg.SyntaxError
	_, err = c.Compare("1.0-", "1")
	if !errors.As(err, &se) {
		t.Errorf("deb comparator error %v is not a *dpkg.SyntaxError", err)
	}
}

func TestCompareLinesTooLong(t *testing.T) {
	c, _ := ForFormat("pacman")
	in := "1 2\n" + strings.Repeat("1", MaxLineSize+1) + " 2\n"
	_, err := CompareLines(strings.NewReader(in), &strings.Builder{}, c, func(int, error) {})
	if err == nil || !strings.Contains(err.Error(), "line 2: longer than") {
		t.Errorf("err = %v", err)
	}
}
