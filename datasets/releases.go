package datasets

import (
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// ReleaseRow is one release of a distribution as distro-info-data lists it:
// when it was created, released and when each phase of its support ends.
// Package releases reads the CSVs; its doc says how the partition is chosen
// and how to join this table to packages and snapshots.
//
// Dates are Parquet DATE (days, no time of day); an absent date is null.
// An end date is the first day after its phase, as the distro-info tools
// read it: on its eol day a release is no longer supported.
//
// Distro is not stored in the file: it is the partition's distro= column,
// and files never repeat a partition column (see the package doc). The
// release date is stored as release_date, not release, for the same reason:
// "release" is a partition column of every table.
type ReleaseRow struct {
	Distro string `parquet:"-"` // "debian", "ubuntu": the partition, kept here for Go callers
	// Version is the release number without Ubuntu's " LTS" marker ("12",
	// "24.04"); null for releases without one (sid, experimental).
	Version string `parquet:"version,optional"`
	// LTS is true when distro-info marks the version "LTS" (Ubuntu). Debian's
	// LTS shows as a non-null EOLLTS instead.
	LTS bool `parquet:"lts"`
	// Codename is distro-info's codename column as written: "Bookworm",
	// "Noble Numbat".
	Codename string `parquet:"codename"`
	// Series is the lowercase name a Release file's Codename carries
	// ("bookworm", "noble"): the key to join on.
	Series      string    `parquet:"series"`
	Created     time.Time `parquet:"created,date"`
	ReleaseDate time.Time `parquet:"release_date,optional,date"`
	EOL         time.Time `parquet:"eol,optional,date"`
	EOLLTS      time.Time `parquet:"eol_lts,optional,date"`    // Debian LTS
	EOLELTS     time.Time `parquet:"eol_elts,optional,date"`   // Debian Extended LTS
	EOLServer   time.Time `parquet:"eol_server,optional,date"` // Ubuntu server (older LTS releases)
	EOLESM      time.Time `parquet:"eol_esm,optional,date"`    // Ubuntu Expanded Security Maintenance
	EOLLegacy   time.Time `parquet:"eol_legacy,optional,date"` // Ubuntu Legacy add-on
	// Source names the data's origin: "distro-info-data 0.58+deb12u6".
	Source string `parquet:"source,optional,dict"`
}

// Releases is the releases table: one row per release of each distribution,
// under distro=<d>/release=all/snapshot=<id of the CSV>.
var Releases = Table{Name: "releases", Version: 1, SortColumn: "series", Schema: parquet.SchemaOf(ReleaseRow{})}

// CompareReleaseRows orders release rows by series, the join key (unique
// within one distro's CSV).
func CompareReleaseRows(a, b *ReleaseRow) int {
	if c := strings.Compare(a.Series, b.Series); c != 0 {
		return c
	}
	return strings.Compare(a.Codename, b.Codename)
}
