// Package upstream compares versions across ecosystems by the upstream
// release they package.
//
// The comparators of version/dpkg, version/rpm, version/alpm and
// version/apk are exact: each orders versions the way one package manager
// does, and they disagree with each other (1.0a is newer than 1.0.1 to
// apk, older to dpkg). Comparing Debian's 7zip with Fedora's needs
// something else, and this package keeps that apart from the exact
// comparators:
//
//   - Normalize strips what a distribution adds to an upstream version:
//     epochs, Debian revisions, rpm releases, pacman pkgrels, apk -rN, and
//     repack or rebuild tags such as +dfsg, +ds, +repack, +deb12u1,
//     ~bpo12+1, +b1, +nmu1, ubuntu1, .fc40, .el9, .arch1, apk's ~hash;
//     "A+reallyB" becomes B.
//   - Compare orders upstream versions as repology's libversion 3 does
//     (https://github.com/repology/libversion, doc/ALGORITHM.md and
//     libversion/private/*.c, flags 0): versions split into numeric and
//     alphabetic components, everything else separates; pre-release
//     keywords (alpha, beta, rc, pre…) and unknown words < zero <
//     post-release keywords (patch, post, pl, errata) < non-zero numbers <
//     a letter suffix (1.0a); words compare by their first letter, case
//     ignored; numbers numerically whatever their leading zeros; missing
//     components count as zero (1.0 == 1.0.0).
//
// The tests run libversion's own comparison vectors and real versions of
// every ecosystem.
package upstream
