package apk

import (
	"errors"
	"testing"
)

// TestSuffixOrder checks the order of the suffix table in apk-tools'
// src/version.c: _alpha < _beta < _pre < _rc < no suffix < _cvs < _svn <
// _git < _hg < _p, then a letter, then a further number; and that -rN
// orders builds of one version.
func TestSuffixOrder(t *testing.T) {
	order := []string{
		"1.0_alpha", "1.0_alpha1", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0_rc2", "1.0", "1.0-r1",
		"1.0_cvs", "1.0_svn", "1.0_git20240101", "1.0_hg", "1.0_p1", "1.0_p2", "1.0a", "1.0b", "1.0.1",
	}
	for i, a := range order {
		if err := Validate(a); err != nil {
			t.Errorf("Validate(%q) = %v", a, err)
		}
		for j, b := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%q, %q) = %d; want %d", a, b, got, want)
			}
		}
	}
}

func TestValidateError(t *testing.T) {
	err := Validate("1.0_foo")
	if !errors.Is(err, ErrInvalid) || err.Error() != `apk: version "1.0_foo": invalid version from byte 3` {
		t.Errorf("Validate(1.0_foo) = %v", err)
	}
}
