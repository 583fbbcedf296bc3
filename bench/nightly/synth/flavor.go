package synth

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/distroscope/distroscope/repo"
)

// flavor is what makes one distribution's metadata its own beyond its
// packages: its components, architecture, suite names, how its versions
// are spelt (an rpm dist tag, a Debian revision suffix) and whether its
// apt index carries long descriptions (Debian moved them to Translation
// files; most other apt archives did not).
type flavor struct {
	format     repo.Format
	components []string
	arch       string
	suiteBase  int    // numbers the suites
	distTag    string // rpm-md: "el9", "fc40"
	revSuffix  string // apt: "", "ubuntu", "+deb"
	longDesc   bool   // apt: long descriptions in Packages
	domain     string // of maintainers' addresses
}

var (
	aptCodenames = []string{"alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ilex",
		"juniper", "kapok", "larch", "maple", "nutmeg", "oak", "pine", "quince", "rowan", "spruce", "teak"}
	domains = []string{"example.org", "example.com", "example.net", "lists.example.org", "build.example.com"}
)

func newFlavor(f repo.Format, r *rand.Rand) flavor {
	fl := flavor{format: f, domain: domains[r.IntN(len(domains))]}
	switch f {
	case repo.FormatApt:
		fl.components, fl.arch = []string{"main", "contrib"}, "amd64"
		fl.suiteBase = r.IntN(len(aptCodenames) - 3)
		fl.revSuffix = []string{"", "", "ubuntu", "+deb"}[r.IntN(4)]
		fl.longDesc = r.IntN(2) == 0
	case repo.FormatRPMMD:
		fl.components, fl.arch = []string{"BaseOS", "AppStream"}, "x86_64"
		if r.IntN(2) == 0 {
			fl.suiteBase, fl.distTag = 7+r.IntN(3), "el"
		} else {
			fl.suiteBase, fl.distTag = 36+r.IntN(5), "fc"
		}
	case repo.FormatAPK:
		fl.components, fl.arch = []string{"main", "community"}, "x86_64"
		fl.suiteBase = 16 + r.IntN(4)
	case repo.FormatALPM:
		fl.components, fl.arch = []string{"core", "extra"}, "x86_64"
		fl.suiteBase = r.IntN(12)
	}
	return fl
}

// suiteName is the name of the source's suite number s: consecutive
// codenames (apt), releases (rpm-md: "9.2", "9.3" for el, "40", "41" for
// fc), branches (apk: "v3.18"), monthly archive dates (alpm: "2026.01.01").
func (fl flavor) suiteName(s int) string {
	switch fl.format {
	case repo.FormatApt:
		return aptCodenames[fl.suiteBase+s]
	case repo.FormatRPMMD:
		if fl.distTag == "el" {
			return fmt.Sprintf("%d.%d", fl.suiteBase+2, 2+s)
		}
		return fmt.Sprint(fl.suiteBase + s)
	case repo.FormatAPK:
		return fmt.Sprintf("v3.%d", fl.suiteBase+s)
	default:
		return time.Date(2025, time.Month(1+fl.suiteBase+s), 1, 0, 0, 0, 0, time.UTC).Format("2006.01.02")
	}
}

// dist is an rpm release's dist tag: a RHEL-like source keeps "el9"
// across its minor releases, so an unchanged package keeps its version;
// a Fedora-like one's tag moves with the release, as Fedora's does for
// the packages it rebuilds (only those: the others keep the tag they were
// built with).
func (fl flavor) dist(s int) string {
	if fl.distTag == "el" {
		return fmt.Sprintf("el%d", fl.suiteBase+2)
	}
	return fmt.Sprintf("fc%d", fl.suiteBase+s)
}

// suiteDate is when suite s was published: releases a quarter apart.
func suiteDate(s int) time.Time {
	return time.Date(2026, 1, 5, 8, 30, 0, 0, time.UTC).AddDate(0, 3*s, 0)
}
