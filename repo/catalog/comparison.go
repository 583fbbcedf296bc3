package catalog

import (
	"strings"
	"time"

	"github.com/distroscope/distroscope/releases"
)

// DefaultComparison is what `distroscope compare` compares with no
// arguments (the demo's comparison): the release of this machine's first
// apt source — its first suite that is not an overlay such as -updates or
// -security — against the distribution's next numbered release still
// supported in the distro-info CSVs under distroInfoDir (bookworm →
// trixie), the question an upgrade asks. Without distro-info data, or for
// the newest release, it is the source's first two suites. Nil when no
// entry comes from the apt sources.
func DefaultComparison(c *Catalog, distroInfoDir string, now time.Time) []string {
	for _, e := range c.Entries {
		if e.Origin == "" || len(e.Suites) == 0 {
			continue
		}
		base := e.Suites[0]
		for _, s := range e.Suites {
			if !strings.Contains(s, "-") {
				base = s
				break
			}
		}
		if next := nextRelease(distroInfoDir, e.Name, base, now); next != "" {
			return []string{e.Name + "/" + base, e.Name + "/" + next}
		}
		if len(e.Suites) >= 2 {
			return []string{e.Name + "/" + e.Suites[0], e.Name + "/" + e.Suites[1]}
		}
		return nil
	}
	return nil
}

// nextRelease is the first release after series in distro's distro-info
// CSV that has a version number (not sid or experimental) and is still
// supported at now (no end of life yet, or one to come): an interim
// release past its end of life has left the mirrors. "" when none.
func nextRelease(dir, distro, series string, now time.Time) string {
	files, err := releases.Load(dir, "")
	if err != nil {
		return ""
	}
	rows := files[distro].Rows
	for i, r := range rows {
		if r.Series != series {
			continue
		}
		for _, next := range rows[i+1:] {
			if next.Version != "" && (next.EOL.IsZero() || next.EOL.Time().After(now)) {
				return next.Series
			}
		}
		return ""
	}
	return ""
}
