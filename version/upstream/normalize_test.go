package upstream

import "testing"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ format, in, want string }{
		// Debian: epoch, revision, repacks, stable updates, backports,
		// binNMUs, NMUs, "really".
		{"deb", "1:2.30-1+deb12u1", "2.30"},
		{"deb", "22.01+really26.02+dfsg-0+deb12u1", "26.02"},
		{"deb", "1.1.0+really1.1.0-2", "1.1.0"},
		{"deb", "1:0.97~svn20211115+ds-1", "0.97~svn20211115"},
		{"deb", "0.0~R8+dfsg2-1.1", "0.0~R8"},
		{"deb", "1.4.2+dfsg-1", "1.4.2"},
		{"deb", "1.35+deb12u1", "1.35"},
		{"deb", "23.6.2+deb12u2", "23.6.2"},
		{"deb", "0.7.8+b39", "0.7.8"},
		{"deb", "3.0.17.3+nmu1+b1", "3.0.17.3"},
		{"deb", "0.22.13+nmu1", "0.22.13"},
		{"deb", "1:9.18.49-1~deb12u1", "9.18.49"},
		{"deb", "5.2.5~ds0-1", "5.2.5"},
		{"deb", "2.3~rc1+dfsg-1~bpo12+1", "2.3~rc1"},
		{"deb", "1.2ubuntu1", "1.2"},
		{"deb", "2.3~rc1+dfsg1~git5-1", "2.3~rc1~git5"},
		{"deb", "2.2really-4", "2.2really"},
		{"deb", "6.0+20200416-1.1+b1", "6.0+20200416"},
		// rpm: epoch and release (with the dist tag in it).
		{"rpm", "1:2.3-4.fc40", "2.3"},
		{"rpm", "5.14.0-362.8.1.el9_3", "5.14.0"},
		{"rpm", "1.0^20240101git1234abc-1.fc40", "1.0^20240101git1234abc"},
		{"rpm", "2.0~rc1-0.1.fc41", "2.0~rc1"},
		{"rpm", "15.5-lp155.1.2", "15.5"},
		{"rpm", "2.3.fc40", "2.3"},
		// apk: -rN and the commit hash.
		{"apk", "1.2.3-r3", "1.2.3"},
		{"apk", "2.4.3_rc1-r0", "2.4.3_rc1"},
		{"apk", "26.255.21994~842f055-r1", "26.255.21994"},
		{"apk", "1.0_git20240101-r2", "1.0_git20240101"},
		// pacman: epoch, pkgrel, Arch's kernel suffix.
		{"pacman", "1:6.6.1.arch1-1", "6.6.1"},
		{"alpm", "2.42-3.1", "2.42"},
		{"pacman", "1.0.r12.gabcdef1-1", "1.0.r12.gabcdef1"},
		// Unknown formats lose blanks and the epoch only.
		{"", " 2:1.0-1 ", "1.0-1"},
	} {
		if got := Normalize(tc.format, tc.in); got != tc.want {
			t.Errorf("Normalize(%q, %q) = %q; want %q", tc.format, tc.in, got, tc.want)
		}
	}
}

// TestAcrossEcosystems checks that one upstream release packaged by
// different distributions normalises to versions that compare equal, and
// that releases keep their order.
func TestAcrossEcosystems(t *testing.T) {
	same := [][][2]string{
		{{"deb", "2.3~rc1+dfsg-1"}, {"rpm", "2.3~rc1-1.fc40"}, {"apk", "2.3_rc1-r0"}, {"pacman", "2.3rc1-1"}},
		{{"deb", "1:2.30-1+deb12u1"}, {"rpm", "2.30-4.el9"}, {"apk", "2.30-r3"}, {"pacman", "2.30-2"}},
		{{"deb", "3.0.17.3+nmu1+b1"}, {"rpm", "3.0.17.3-1.fc40"}, {"apk", "3.0.17.3-r0"}},
		{{"deb", "1.0.0-1"}, {"rpm", "1.0-1"}, {"pacman", "1-1"}},
	}
	for _, group := range same {
		first := Normalize(group[0][0], group[0][1])
		for _, fv := range group[1:] {
			if n := Normalize(fv[0], fv[1]); Compare(first, n) != 0 {
				t.Errorf("%s %q (%q) and %s %q (%q) differ", group[0][0], group[0][1], first, fv[0], fv[1], n)
			}
		}
	}
	ascending := [][2]string{
		{"rpm", "2.3~beta2-1.fc40"},
		{"deb", "2.3~rc1+dfsg-1"},
		{"apk", "2.3-r5"},
		{"deb", "2.3+patch1-1"},
		{"pacman", "2.3.1-1"},
		{"apk", "2.3a-r0"},
		{"rpm", "1:2.4-1.fc41"},
	}
	for i := 1; i < len(ascending); i++ {
		a := Normalize(ascending[i-1][0], ascending[i-1][1])
		b := Normalize(ascending[i][0], ascending[i][1])
		if Compare(a, b) != -1 {
			t.Errorf("Compare(%q, %q) = %d; want -1", a, b, Compare(a, b))
		}
	}
	// libversion's documented choice (doc/ALGORITHM.md): an unknown word is
	// a pre-release, so a snapshot after 2.3 sorts before 2.3 (Debian says
	// after); a known post-release word sorts after.
	if got := Compare(Normalize("deb", "2.3+git20240101-1"), "2.3"); got != -1 {
		t.Errorf("2.3+git20240101 vs 2.3 = %d; libversion says -1", got)
	}
}
