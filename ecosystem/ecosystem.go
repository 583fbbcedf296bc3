// Package ecosystem names the packaging ecosystems distroscope reads, and
// holds one package per ecosystem with every reader of its metadata:
// repository indexes (deb: apt's Release and Packages; rpm: rpm-md's
// repomd, primary and filelists; apk: APKINDEX; alpm: pacman's sync
// databases) and, beside them, installed-package databases. The readers
// are pure — bytes in, typed records out — and import neither the datasets
// nor one another; repo/formats maps their records to rows.
//
// Two concepts are kept apart, each with one spelling:
//
//   - the repository format, how a mirror publishes its indexes: apt,
//     rpm-md, apk, alpm (repo.Format, the catalogue's format key);
//   - the package ecosystem, whose versions and package databases the
//     packages belong to: deb, rpm, apk, alpm (this package's Name, the
//     packages.format column, vercmp --format, metric labels).
package ecosystem

import (
	"fmt"
	"strings"
)

// Name is a package ecosystem.
type Name string

const (
	Deb  Name = "deb"  // dpkg and apt: Debian, Ubuntu and derivatives
	RPM  Name = "rpm"  // rpm: Fedora, RHEL and rebuilds, openSUSE
	APK  Name = "apk"  // apk-tools: Alpine, postmarketOS
	ALPM Name = "alpm" // libalpm and pacman: Arch and derivatives
)

// All lists the ecosystems in a stable order.
var All = []Name{Deb, RPM, APK, ALPM}

// aliases are other names users give an ecosystem: pacman, the tool, for
// alpm, its library.
var aliases = map[string]Name{"pacman": ALPM}

// Parse returns the ecosystem a user's name means: one of All, or an alias
// ("pacman" for alpm), case-insensitively.
func Parse(s string) (Name, error) {
	n := Name(strings.ToLower(strings.TrimSpace(s)))
	for _, e := range All {
		if n == e {
			return e, nil
		}
	}
	if e, ok := aliases[string(n)]; ok {
		return e, nil
	}
	return "", fmt.Errorf("ecosystem: unknown package ecosystem %q (known: deb, rpm, apk, alpm; pacman is alpm)", s)
}

// Names lists every name Parse accepts, aliases last.
func Names() []string {
	out := make([]string, 0, len(All)+len(aliases))
	for _, e := range All {
		out = append(out, string(e))
	}
	return append(out, "pacman")
}
