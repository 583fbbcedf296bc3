// Package version orders package versions the way each ecosystem's own
// package manager does. Each ecosystem has its own package, a faithful port
// of the reference implementation, tested against it:
//
//   - dpkg: Debian (dpkg's verrevcmp and parseversion);
//   - rpm: Fedora, RHEL, openSUSE (rpmvercmp and rpmverCmp, rpm 4.18);
//   - alpm: Arch Linux (libalpm's alpm_pkg_vercmp, pacman 6.0);
//   - apk: Alpine (apk-tools 3's version.c);
//
// and upstream normalises versions across ecosystems for comparisons that
// no package manager makes (libversion's ordering).
//
// ForFormat gives the comparator of a repository format by name, for code
// that handles every format alike.
package version

import (
	"fmt"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/version/alpm"
	"github.com/distroscope/distroscope/version/apk"
	"github.com/distroscope/distroscope/version/dpkg"
	"github.com/distroscope/distroscope/version/rpm"
)

// Comparator orders two versions of one ecosystem: Compare returns -1, 0
// or +1 as a is older than, the same as or newer than b, or an error when
// the ecosystem's tools refuse one of them.
type Comparator interface {
	Compare(a, b string) (int, error)
}

// ComparatorFunc adapts a function to Comparator.
type ComparatorFunc func(a, b string) (int, error)

// Compare calls f.
func (f ComparatorFunc) Compare(a, b string) (int, error) { return f(a, b) }

// Formats lists the names ForFormat knows: the package ecosystems, and
// "pacman" for alpm.
var Formats = ecosystem.Names()

// ForFormat returns the comparator of a package ecosystem (the packages
// table's format column):
//
//   - "deb": dpkg.Compare, failing where `dpkg --compare-versions` fails;
//   - "rpm": rpm.CompareEVR on [E:]V[-R], failing on an empty version;
//   - "apk": apk.Compare on versions apk.Validate accepts, failing on the
//     others (apk orders them anyway; use apk.Compare for that);
//   - "alpm" or "pacman": alpm.Compare, which never fails.
func ForFormat(format string) (Comparator, error) {
	e, err := ecosystem.Parse(format)
	if err != nil {
		return nil, fmt.Errorf("version: %w", err)
	}
	switch e {
	case ecosystem.Deb:
		return ComparatorFunc(dpkg.Compare), nil
	case ecosystem.RPM:
		return ComparatorFunc(rpm.CompareEVR), nil
	case ecosystem.APK:
		return ComparatorFunc(compareAPK), nil
	case ecosystem.ALPM:
		return ComparatorFunc(func(a, b string) (int, error) { return alpm.Compare(a, b), nil }), nil
	}
	return nil, fmt.Errorf("version: no comparator for ecosystem %q", e)
}

func compareAPK(a, b string) (int, error) {
	if err := apk.Validate(a); err != nil {
		return 0, err
	}
	if err := apk.Validate(b); err != nil {
		return 0, err
	}
	return apk.Compare(a, b), nil
}
