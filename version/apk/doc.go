// Package apk orders Alpine package versions exactly as apk-tools does.
//
// It mirrors src/version.c of apk-tools 3
// (https://gitlab.alpinelinux.org/alpine/apk-tools), whose grammar is
//
//	digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}
//
// with the suffixes _alpha < _beta < _pre < _rc < (none) < _cvs < _svn <
// _git < _hg < _p. A version is read as a sequence of tokens that are
// compared pairwise while both sides have the same kind of token: numbers
// numerically, except that a dotted number with a leading zero on either
// side compares as text (1.0.01 < 1.0.1 and 8.2.0 < 8.2.001, the Gentoo
// rule); letters, suffixes by their rank, commit hashes as text. When the
// token kinds first differ, the version that goes on with a pre-release
// suffix is older, otherwise the one that goes on with a token of a lower
// kind is newer (1.0.1 > 1.0a > 1.0_p1 > 1.0 > 1.0_rc1).
//
// Validate is apk_version_validate. Compare, like apk_version_compare (and
// `apk version -t`), also orders invalid versions: tokenising stops at the
// first invalid token, which sorts after the end of a valid version, and
// two versions that turn invalid at the same point after equal tokens are
// equal. Match is apk_version_match, with the fuzzy operator `~` (3.6.1 ~
// 3.6: the left side starts with the right).
//
// apk-tools is not packaged for Debian, so there is no oracle program here:
// the tests run apk-tools' own test vectors (test/unit/version.data, copied
// into testdata/) and property checks.
package apk
