package dpkg

import (
	"errors"
	"testing"
)

// TestPolicyOrder checks the example of Debian Policy §5.6.12 (and
// deb-version(5)): "~~" < "~~a" < "~" < "" < "a", here as suffixes of one
// upstream version, each in both directions.
func TestPolicyOrder(t *testing.T) {
	order := []string{"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a"}
	for i, a := range order {
		for j, b := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got, err := Compare(a, b); err != nil || got != want {
				t.Errorf("Compare(%q, %q) = %d, %v; want %d", a, b, got, err, want)
			}
		}
	}
}

// TestParse checks the split of deb-version(5): the epoch up to the first
// colon, the revision after the last hyphen.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
	}{
		{"1.0", Version{0, "1.0", ""}},
		{"1:2.30-1+deb12u1", Version{1, "2.30", "1+deb12u1"}},
		{"2:1.0-1-2", Version{2, "1.0-1", "2"}},
		{"1:2:3", Version{1, "2:3", ""}},
		{" 0:1.0~rc1-0 ", Version{0, "1.0~rc1", "0"}},
		{"+7:1", Version{7, "1", ""}},
		{"2147483647:1", Version{2147483647, "1", ""}},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestParseErrors checks parseversion's messages, which dpkg prints after
// "has bad syntax:".
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in, reason string
		warning    bool
	}{
		{"", "version string is empty", false},
		{" \t", "version string is empty", false},
		{"1 0", "version string has embedded spaces", false},
		{":1", "epoch in version is empty", false},
		{"x:1", "epoch in version is empty", false},
		{"1x:1", "epoch in version is not number", false},
		{"-1:1", "epoch in version is negative", false},
		{"2147483648:1", "epoch in version is too big", false},
		{"1:", "nothing after colon in version number", false},
		{"1.0-", "revision number is empty", false},
		{"-1", "version number is empty", false},
		{"a1", "version number does not start with digit", true},
		{"1_0", "invalid character in version number", true},
		{"1-1_0", "invalid character in revision number", true},
		{"1-1/0", "invalid character in revision number", true},
		{"1-1:0", "epoch in version is not number", false},
	} {
		_, err := ParseStrict(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Reason != tc.reason || se.Warning != tc.warning || !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseStrict(%q) = %v; want %q (warning %v)", tc.in, err, tc.reason, tc.warning)
		}
		if _, err := Parse(tc.in); (err == nil) != tc.warning {
			t.Errorf("Parse(%q) error = %v; only warnings pass", tc.in, err)
		}
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		v    Version
		want string
	}{
		{Version{0, "1.0", ""}, "1.0"},
		{Version{0, "1.0", "1"}, "1.0-1"},
		{Version{3, "1.0", "1"}, "3:1.0-1"},
		{Version{0, "1:0", "1"}, "0:1:0-1"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%+v.String() = %q; want %q", tc.v, got, tc.want)
		}
		if back, err := Parse(tc.want); err != nil || back != tc.v {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.want, back, err, tc.v)
		}
	}
}
