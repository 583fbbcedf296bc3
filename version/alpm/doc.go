// Package alpm orders Arch Linux package versions exactly as pacman does.
//
// Compare is libalpm's alpm_pkg_vercmp (lib/libalpm/version.c in
// https://gitlab.archlinux.org/pacman/pacman, pacman 6.0.2 as Debian
// bookworm ships it), which is what `vercmp` prints. It splits
// [epoch:]pkgver[-pkgrel] like rpm's parseEVR, except that a missing epoch
// is 0, and compares the parts with libalpm's own copy of an old rpmvercmp.
// That copy differs from today's rpm in details that matter:
//
//   - '~' and '^' are plain separators, with no special order;
//   - separators count: when the runs of separators before two segments
//     differ in length, the version with the shorter run is older
//     (1.0 < 1..0, while rpm says equal);
//   - when one version runs out, a remaining letter segment is older and
//     anything else newer (1.0 > 1.0a, 1.0 < 1.0.1, 1.0 < 1.0+);
//   - the pkgrel is compared only when both versions have one
//     (1.0 equals 1.0-5).
//
// The tests compare it against libalpm itself (alpm_pkg_vercmp called from
// one Python process through ctypes) on thousands of real Debian archive
// versions, rpm-flavoured and generated ones, and against /usr/bin/vercmp
// on a sample (scripts/oracles.sh installs both).
package alpm
