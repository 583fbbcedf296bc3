package quote

import (
	"strings"
	"testing"
)

func TestShort(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.0-1", `"1.0-1"`},
		{"", `""`},
		{strings.Repeat("9", MaxBytes), `"` + strings.Repeat("9", MaxBytes) + `"`},
		{strings.Repeat("9", MaxBytes+1), `"` + strings.Repeat("9", MaxBytes) + `"… (65 bytes)`},
		// A character across the cut is left out whole, not split.
		{strings.Repeat("9", MaxBytes-1) + "é1", `"` + strings.Repeat("9", MaxBytes-1) + `"… (66 bytes)`},
		{"a\x00b", `"a\x00b"`},
	} {
		if got := Short(tc.in); got != tc.want {
			t.Errorf("Short(%.80q) = %s; want %s", tc.in, got, tc.want)
		}
	}
}
