// Package dpkg orders Debian package versions exactly as dpkg does.
//
// It mirrors two functions of dpkg's libdpkg (dpkg 1.21.22, Debian
// bookworm's): parseversion in lib/dpkg/parsehelp.c, which splits
// [epoch:]upstream[-revision] and decides what is a syntax error and what
// only a warning, and verrevcmp/dpkg_version_compare in lib/dpkg/version.c,
// the ordering itself (https://git.dpkg.org/cgit/dpkg/dpkg.git/tree/lib/dpkg/version.c,
// documented in deb-version(5) and Debian Policy §5.6.12):
//
//   - the epoch compares as a number;
//   - upstream and revision compare as alternating runs of non-digits and
//     digits; in a non-digit run '~' sorts before everything, even the end
//     of the string, then the end of the string, then letters (by ASCII),
//     then every other byte (by value, after all letters); digit runs
//     compare as numbers of any length.
//
// Compare accepts exactly what `dpkg --compare-versions` accepts: the hard
// errors of parseversion fail (empty, embedded blanks, bad epoch, empty
// upstream or revision), the warnings (upstream not starting with a digit,
// characters outside [A-Za-z0-9.+~:-]) do not, and the empty string is the
// "no version" that sorts before every version. ParseStrict also refuses
// the warnings, as dpkg does for control files it builds or installs.
//
// The tests compare it against the real implementations: python3-apt's
// apt_pkg.version_compare on thousands of real archive versions and generated
// ones, and `dpkg --compare-versions` on the edge cases (scripts/oracles.sh
// installs them).
package dpkg
