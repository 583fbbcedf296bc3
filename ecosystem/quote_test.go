package ecosystem

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", 5000)
	tests := []struct {
		in, want string
	}{
		{"bookworm", `"bookworm"`},
		{"", `""`},
		{"bad\xffname", `"bad\xffname"`},
		{"line\nbreak", `"line\nbreak"`},
		{strings.Repeat("x", QuoteLimit), `"` + strings.Repeat("x", QuoteLimit) + `"`},
		{long, `"` + long[:QuoteLimit] + `"…(5000 bytes)`},
		// A cut in the middle of "é" backs up to its first byte.
		{strings.Repeat("x", QuoteLimit-1) + "é" + long, `"` + strings.Repeat("x", QuoteLimit-1) + `"…(5065 bytes)`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%.80q) = %s, want %s", tt.in, got, tt.want)
		}
		if got := QuoteBytes([]byte(tt.in)); got != tt.want {
			t.Errorf("QuoteBytes(%.80q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestToken(t *testing.T) {
	for in, want := range map[string]string{
		"libc6":                 "libc6",
		"bad\xffname":           `"bad\xffname"`,
		"two words":             `"two words"`,
		"":                      `""`,
		strings.Repeat("v", 70): `"` + strings.Repeat("v", QuoteLimit) + `"…(70 bytes)`,
	} {
		if got := Token(in); got != want {
			t.Errorf("Token(%q) = %s, want %s", in, got, want)
		}
	}
}
