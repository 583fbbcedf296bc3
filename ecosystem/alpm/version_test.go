package alpm

import (
	"bytes"
	"testing"
)

func TestSplitVersion(t *testing.T) {
	// alpm-package-version: [epoch:]pkgver-pkgrel, pkgrel possibly dotted.
	tests := []struct {
		in             string
		epoch          int64
		hasEpoch       bool
		pkgver, pkgrel string
	}{
		{"1:2.4.1-3", 1, true, "2.4.1", "3"},
		{"20240105-1.1", 0, false, "20240105", "1.1"},
		{"0.1.r12.g1a2b3c4-1", 0, false, "0.1.r12.g1a2b3c4", "1"},
		{"2:1.0", 2, true, "1.0", ""},
		{"x:1-1", 0, false, "x:1", "1"},
	}
	for _, tt := range tests {
		e, has, v, r := SplitVersion(tt.in)
		if e != tt.epoch || has != tt.hasEpoch || v != tt.pkgver || r != tt.pkgrel {
			t.Errorf("SplitVersion(%q) = %d %v %q %q", tt.in, e, has, v, r)
		}
	}
}

func TestOpenUncompressed(t *testing.T) {
	// A database repo-add was told to leave uncompressed (repo.db.tar)
	// is recognized by its ustar magic.
	data := makeTar(t, realEntries(t)...)
	r, err := Open(bytes.NewReader(data), "fixture.db.tar")
	if err != nil {
		t.Fatal(err)
	}
	if r.Compression() != "none" {
		t.Errorf("compression %q", r.Compression())
	}
	if n := len(readAll(t, r)); n != 4 {
		t.Errorf("%d packages, want 4", n)
	}
}
