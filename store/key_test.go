package store

import (
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"a/b/c.parquet", true},
		{".hidden/..dots/...", true},
		{"spaces and ünïcode/x", true},
		{strings.Repeat("k", MaxKeyLen), true},
		{"", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{".", false},
		{"..", false},
		{"a/./b", false},
		{"a/../b", false},
		{"../a", false},
		{`a\b`, false},
		{`..\a`, false},
		{"a\x00", false},
		{"a\tb", false},
		{"a\x7fb", false},
		{"\xc3\x28", false},
		{strings.Repeat("k", MaxKeyLen+1), false},
	} {
		err := ValidateKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "store: invalid key") {
			t.Errorf("ValidateKey(%q) error %q lacks the package prefix", tc.key, err)
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"a", true},
		{"a/", true},
		{"a/b", true},
		{"a/.", true},  // matches "a/.hidden"
		{"a/..", true}, // matches "a/..dots"
		{"/", false},
		{"/a", false},
		{"a//", false},
		{"../", false},
		{"a/./", false},
		{`a\`, false},
	} {
		if err := ValidatePrefix(tc.prefix); (err == nil) != tc.ok {
			t.Errorf("ValidatePrefix(%q) = %v, want ok=%v", tc.prefix, err, tc.ok)
		}
	}
}
