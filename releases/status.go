package releases

import (
	"time"

	"github.com/distroscope/distroscope/datasets"
)

// The support phases Status reports.
const (
	// StatusUnreleased: before the release date, or no release date at all
	// (the development release; Debian's sid and experimental, which are
	// never released).
	StatusUnreleased = "unreleased"
	// StatusSupported: from the release date until standard support ends:
	// eol, or eol-server when that is later (older Ubuntu LTS releases
	// supported servers longer than desktops). A release without an eol date
	// is supported from its release on.
	StatusSupported = "supported"
	// StatusLTS: from eol until eol-lts (Debian LTS).
	StatusLTS = "lts"
	// StatusELTS: from eol-lts until eol-elts (Debian Extended LTS).
	StatusELTS = "elts"
	// StatusESM: from the end of standard support until eol-esm (Ubuntu
	// Expanded Security Maintenance).
	StatusESM = "esm"
	// StatusLegacy: from eol-esm until eol-legacy (Ubuntu's Legacy add-on).
	StatusLegacy = "legacy"
	// StatusEOL: from the end of the last phase the row has a date for.
	StatusEOL = "eol"
)

// Status says which support phase release r is in on the day of at (taken
// in UTC). A phase runs from the day its start date names up to, not
// including, the day its end date names, as the distro-info tools
// (debian-distro-info, ubuntu-distro-info) read them: on its eol day a
// release is no longer supported, and is in LTS (Debian) or ESM (Ubuntu) if
// it has one, else EOL. (python3-distro-info counts the end day itself as
// still inside the phase; the two disagree on that one day, and Status
// follows the command-line tools.) The phases follow each other in the order
// of the constants above; ParseCSV rejects rows whose dates contradict that
// order.
//
// On every date the tests try, the releases debian-distro-info --supported
// lists are the created ones whose Status is supported or unreleased, its
// --lts and --elts lists those whose Status is lts and elts; likewise for
// ubuntu-distro-info --supported.
func Status(r datasets.ReleaseRow, at time.Time) string {
	day := datasets.DateOf(at)
	if r.ReleaseDate.IsZero() || day < r.ReleaseDate {
		return StatusUnreleased
	}
	end := max(r.EOL, r.EOLServer)
	if end.IsZero() || day < end {
		return StatusSupported
	}
	for _, p := range []struct {
		end    datasets.Date
		status string
	}{{r.EOLLTS, StatusLTS}, {r.EOLELTS, StatusELTS}, {r.EOLESM, StatusESM}, {r.EOLLegacy, StatusLegacy}} {
		if !p.end.IsZero() && day < p.end {
			return p.status
		}
	}
	return StatusEOL
}
