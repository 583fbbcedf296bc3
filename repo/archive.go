package repo

import (
	"fmt"
	"strings"
	"time"
)

// ArchiveDateLayout is how a dated archive's URL spells its {date}: the
// timestamp snapshot archives use in their paths ("20260301T000000Z"),
// always in UTC. An archive answers a timestamp with its newest state at or
// before it, so any time names the state the mirror had then.
const ArchiveDateLayout = "20060102T150405Z"

// ArchiveDatePlaceholder is what Spec.Archive holds where the date goes.
const ArchiveDatePlaceholder = "{date}"

// ExpandArchive fills tmpl's {date} with at, in UTC.
func ExpandArchive(tmpl string, at time.Time) string {
	return strings.ReplaceAll(tmpl, ArchiveDatePlaceholder, at.UTC().Format(ArchiveDateLayout))
}

// AtDate is the spec of the source's archive as it was at at: its mirror is
// the archive URL for that time, and its signatures and Valid-Until are
// checked as of at. It fails for a spec without an archive.
func (s Spec) AtDate(at time.Time) (Spec, error) {
	if !strings.Contains(s.Archive, ArchiveDatePlaceholder) {
		return s, Invalid(fmt.Errorf("repo: %s %s has no dated archive (a URL with %s)", s.FormatOrApt(), s.Suite, ArchiveDatePlaceholder))
	}
	s.Mirror = ExpandArchive(s.Archive, at)
	s.VerifyAsOf = at.UTC()
	return s, nil
}

// VerificationTime is when the spec's metadata is to be verified: its
// VerifyAsOf, or now when it has none.
func (s Spec) VerificationTime(now time.Time) time.Time {
	if !s.VerifyAsOf.IsZero() {
		return s.VerifyAsOf
	}
	return now
}
