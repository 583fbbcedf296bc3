package datasets

import (
	"time"

	"github.com/parquet-go/parquet-go"
)

// PackageRow is one entry of one repository index: a binary package as a
// given index (component × architecture, or repository × architecture) lists
// it, in any of the formats distroscope reads. The deb822 field names came
// first (v1); v2 added the columns other ecosystems need, all optional. A package with
// Architecture "all" appears once in every architecture's index, so
// IndexArchitecture and Architecture are both kept.
//
// Relationship columns hold one normalized clause per element, alternatives
// joined with " | ", so that SQL can unnest them and later comparisons can
// diff them clause by clause.
type PackageRow struct {
	Component          string            `parquet:"component,dict"`
	IndexArchitecture  string            `parquet:"index_architecture,dict"`
	Package            string            `parquet:"package"`
	Version            string            `parquet:"version"`
	Architecture       string            `parquet:"architecture,dict"`
	Source             string            `parquet:"source"`
	SourceVersion      string            `parquet:"source_version"`
	Section            string            `parquet:"section,optional,dict"`
	Priority           string            `parquet:"priority,optional,dict"`
	Essential          bool              `parquet:"essential"`
	Protected          bool              `parquet:"protected"`
	BuildEssential     bool              `parquet:"build_essential"`
	MultiArch          string            `parquet:"multi_arch,optional,dict"`
	Maintainer         string            `parquet:"maintainer,optional,dict"`
	OriginalMaintainer string            `parquet:"original_maintainer,optional,dict"`
	InstalledSizeKiB   int64             `parquet:"installed_size_kib,optional"`
	Size               int64             `parquet:"size,optional"`
	Filename           string            `parquet:"filename,optional"`
	MD5sum             string            `parquet:"md5sum,optional"`
	SHA256             string            `parquet:"sha256,optional"`
	Homepage           string            `parquet:"homepage,optional"`
	Description        string            `parquet:"description,optional"`
	DescriptionMD5     string            `parquet:"description_md5,optional"`
	Tag                string            `parquet:"tag,optional"`
	Depends            []string          `parquet:"depends,list"`
	PreDepends         []string          `parquet:"pre_depends,list"`
	Recommends         []string          `parquet:"recommends,list"`
	Suggests           []string          `parquet:"suggests,list"`
	Enhances           []string          `parquet:"enhances,list"`
	Conflicts          []string          `parquet:"conflicts,list"`
	Breaks             []string          `parquet:"breaks,list"`
	Provides           []string          `parquet:"provides,list"`
	Replaces           []string          `parquet:"replaces,list"`
	BuiltUsing         []string          `parquet:"built_using,list"`
	StaticBuiltUsing   []string          `parquet:"static_built_using,list"`
	Extra              map[string]string `parquet:"extra"`

	// Columns added in v2 for every ecosystem (deb, rpm, apk, alpm). Format
	// says which version ordering applies to Version.
	Format string `parquet:"format,dict"`
	// Epoch, UpstreamVersion and Revision split Version the ecosystem's way:
	// deb epoch:upstream-revision, rpm epoch:version-release, apk
	// version-rN, pacman epoch:pkgver-pkgrel. Epoch is null when absent.
	Epoch           *int64 `parquet:"epoch,optional"`
	UpstreamVersion string `parquet:"upstream_version,optional"`
	Revision        string `parquet:"revision,optional"`
	// InstalledSizeBytes is the exact installed size where the format gives
	// bytes (rpm, apk, pacman); deb gives KiB only (InstalledSizeKiB).
	InstalledSizeBytes int64     `parquet:"installed_size_bytes,optional"`
	License            string    `parquet:"license,optional"`
	Groups             []string  `parquet:"groups,list"` // rpm Group, pacman %GROUPS%
	BuildTime          time.Time `parquet:"build_time,optional,timestamp(millisecond)"`
	Obsoletes          []string  `parquet:"obsoletes,list"`        // rpm
	InstallIf          []string  `parquet:"install_if,list"`       // apk i:
	OptionalDepends    []string  `parquet:"optional_depends,list"` // pacman %OPTDEPENDS%
	MakeDepends        []string  `parquet:"make_depends,list"`     // pacman %MAKEDEPENDS%
	CheckDepends       []string  `parquet:"check_depends,list"`    // pacman %CHECKDEPENDS%
	Checksum           string    `parquet:"checksum,optional"`     // apk C: (Q1 + base64 SHA-1 of the control segment)
	Files              []string  `parquet:"files,list"`            // rpm filelists, when asked for
}

// SnapshotRow describes one index of one committed snapshot: where it came
// from, how it was verified and how many rows it gave. Release-level fields
// repeat on every row so one table answers "what did this snapshot contain"
// without a join.
type SnapshotRow struct {
	Origin            string    `parquet:"origin,dict"`
	Label             string    `parquet:"label,optional,dict"`
	Suite             string    `parquet:"suite,optional,dict"`
	Codename          string    `parquet:"codename,optional,dict"`
	Version           string    `parquet:"version,optional,dict"`
	ReleaseDate       time.Time `parquet:"release_date,timestamp(millisecond)"`
	ValidUntil        time.Time `parquet:"valid_until,optional,timestamp(millisecond)"`
	ReleaseSHA256     string    `parquet:"release_sha256,dict"`
	SignedBy          []string  `parquet:"signed_by,list"`
	Mirror            string    `parquet:"mirror,dict"`
	Component         string    `parquet:"component,dict"`
	IndexArchitecture string    `parquet:"index_architecture,dict"`
	IndexPath         string    `parquet:"index_path"`
	Compression       string    `parquet:"compression,dict"`
	IndexSize         int64     `parquet:"index_size"`
	IndexSHA256       string    `parquet:"index_sha256"`
	UncompressedSize  int64     `parquet:"uncompressed_size,optional"`
	Rows              int64     `parquet:"rows"`
	FetchedAt         time.Time `parquet:"fetched_at,timestamp(millisecond)"`
	// The index's text that was not UTF-8 and was read as Latin-1 (see
	// repo.IngestResult): the rows and fields it was in, and their columns.
	// Optional columns at the end, so snapshots written before them read
	// as zero and the table stays at version 1.
	InvalidUTF8Rows    int64    `parquet:"invalid_utf8_rows,optional"`
	InvalidUTF8Fields  int64    `parquet:"invalid_utf8_fields,optional"`
	InvalidUTF8Columns []string `parquet:"invalid_utf8_columns,optional,list"`
	// VerifiedAsOf is the time the Release's signatures and Valid-Until
	// were checked at: when the snapshot was taken, or, for a backfill from
	// a dated archive, the archive's date — its key may have expired since.
	// Optional at the end as the columns above; zero in older snapshots.
	VerifiedAsOf time.Time `parquet:"verified_as_of,optional,timestamp(millisecond)"`
}

// Table names one dataset and pins its schema version. The version is part
// of every path, so a reader of v1 never meets a v2 file.
type Table struct {
	Name    string
	Version int
	// SortColumn orders rows inside each row group.
	SortColumn string
	Schema     *parquet.Schema
}

var (
	// Packages is the packages table: one row per entry of each index.
	Packages = Table{Name: "packages", Version: 2, SortColumn: "package", Schema: parquet.SchemaOf(PackageRow{})}
	// Snapshots is the snapshots table: one row per index of each snapshot.
	Snapshots = Table{Name: "snapshots", Version: 1, SortColumn: "index_path", Schema: parquet.SchemaOf(SnapshotRow{})}
)

// Tables lists every table, for tools that walk them all (ls, janitor).
var Tables = []Table{Packages, Snapshots, Releases, PackageChanges, CompareSummaries, SourceChanges, PackageHistory, PackageTrends, PackageLag, ImagePackages, ImageFiles, ImageSummaries, ConfigSettings, ImageDiffs, ImageCompareSummaries}

// SnapshotTables are the tables a repository snapshot writes, in the order
// it publishes them: the snapshots manifest, last, marks the snapshot done.
var SnapshotTables = []Table{Packages, Snapshots}

// TableByName finds a table by name.
func TableByName(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}
