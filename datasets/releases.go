package datasets

import (
	"fmt"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Date is a calendar day: days since 1970-01-01, stored as Parquet DATE
// (DuckDB, Arrow and Spark read it as a date, with no time zone to shift it).
// In an optional column the zero Date is written as null, so the zero Date
// means "no date"; 1970-01-01 itself cannot be stored, which no date in these
// tables needs.
//
// (It is an int32 rather than a time.Time with a date tag because
// parquet-go v0.32's GenericWriter writes a time.Time's nanoseconds into a
// DATE column, unconverted.)
type Date int32

// DateOf is the calendar day of t in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time is the day's first instant in UTC, or the zero time for the zero Date.
func (d Date) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Unix(int64(d)*86400, 0).UTC()
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == 0 }

// String is "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// MarshalText writes the String form, so dates read as dates in JSON.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the String form.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return fmt.Errorf("datasets: date %q: %w", b, err)
	}
	*d = DateOf(t)
	return nil
}

// ReleaseRow is one release of a distribution as distro-info-data lists it:
// when it was created, released and when each phase of its support ends.
// Package releases reads the CSVs; its doc says how the partition is chosen
// and how to join this table to packages and snapshots.
//
// Dates are Parquet DATE (days, no time of day; see Date); an absent date is
// null.
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
	Series      string `parquet:"series"`
	Created     Date   `parquet:"created,date"`
	ReleaseDate Date   `parquet:"release_date,optional,date"`
	EOL         Date   `parquet:"eol,optional,date"`
	EOLLTS      Date   `parquet:"eol_lts,optional,date"`    // Debian LTS
	EOLELTS     Date   `parquet:"eol_elts,optional,date"`   // Debian Extended LTS
	EOLServer   Date   `parquet:"eol_server,optional,date"` // Ubuntu server (older LTS releases)
	EOLESM      Date   `parquet:"eol_esm,optional,date"`    // Ubuntu Expanded Security Maintenance
	EOLLegacy   Date   `parquet:"eol_legacy,optional,date"` // Ubuntu Legacy add-on
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
