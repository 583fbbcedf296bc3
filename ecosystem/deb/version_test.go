package deb

import "testing"

func TestSplitVersion(t *testing.T) {
	for _, tc := range []struct {
		in       string
		epoch    int64
		hasEpoch bool
		up, rev  string
	}{
		{"1.2.3-1", 0, false, "1.2.3", "1"},
		{"1:2.36-9+deb12u4", 1, true, "2.36", "9+deb12u4"},
		{"4:12.2.0-3", 4, true, "12.2.0", "3"},
		{"2.0~rc1", 0, false, "2.0~rc1", ""},
		{"1.0-2-3", 0, false, "1.0-2", "3"},
		{"0:1.0", 0, true, "1.0", ""},
		{"5.2.15-2+b1", 0, false, "5.2.15", "2+b1"},
	} {
		e, has, up, rev := SplitVersion(tc.in)
		if e != tc.epoch || has != tc.hasEpoch || up != tc.up || rev != tc.rev {
			t.Errorf("SplitVersion(%q) = %d %v %q %q, want %d %v %q %q", tc.in, e, has, up, rev, tc.epoch, tc.hasEpoch, tc.up, tc.rev)
		}
	}
}
