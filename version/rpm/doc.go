// Package rpm orders RPM versions exactly as rpm 4.18 does.
//
// Compare is rpmvercmp (rpmio/rpmvercmp.c in
// https://github.com/rpm-software-management/rpm, 4.15+ semantics): the
// strings are cut into runs of ASCII digits and runs of ASCII letters,
// everything else only separates them; '~' sorts before anything, even the
// end of the string (2.0~rc1 < 2.0), '^' sorts after the end of the string
// but before anything else (1.0 < 1.0^git1 < 1.0.1); a digit run is newer
// than a letter run, digit runs compare as numbers of any length, letter
// runs bytewise.
//
// CompareEVR is rpmverCmp on two rpmverParse'd [E:]V[-R] strings
// (rpmio/rpmver.c), what rpm's Lua rpm.ver objects compare with: epoch
// (absent = 0), then version, then release, where an absent release sorts
// before any release. It is the ordering of whole package versions.
//
// The tests compare both against rpm itself, in one `rpm --eval` Lua loop
// per batch, on thousands of real Debian archive versions, rpm-flavoured
// and generated ones (scripts/oracles.sh installs rpm). Note that since rpm
// 4.16 Lua's rpm.vercmp is not rpmvercmp: it parses both sides as EVRs
// and compares with rpmverCmp, like rpm.ver objects, so it checks
// CompareEVR; Compare is checked through rpm.ver objects made of a bare
// version (rpm.ver("0", v, nil)) and through rpmvercmp in librpmio,
// called with ctypes.
package rpm
