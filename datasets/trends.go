package datasets

import (
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Trends tables. Each is partitioned like the snapshot it was computed at:
// distro=<d>/release=<r>/snapshot=<id>. A trends partition is the state of
// the release's history as of that snapshot, so updating the trends for a
// new snapshot reads the previous partition and the new snapshot only,
// never the whole history, and a run killed half-way resumes at the first
// snapshot whose partition is not committed.

// PackageHistoryRow is one version of one binary package in one index
// architecture of a release, over every snapshot the history has seen:
// when it was first and last seen.
type PackageHistoryRow struct {
	Package           string `parquet:"package"`
	IndexArchitecture string `parquet:"index_architecture,dict"`
	Version           string `parquet:"version"`
	Source            string `parquet:"source"`
	// Upstream is version/upstream.Normalize of Version: what version
	// velocity and lag compare across ecosystems.
	Upstream string `parquet:"upstream"`
	Format   string `parquet:"format,dict"`
	// FirstSnapshot and LastSnapshot are the snapshot ids; FirstSeen and
	// LastSeen their Release dates (the archive's own time).
	FirstSnapshot string    `parquet:"first_snapshot"`
	FirstSeen     time.Time `parquet:"first_seen,timestamp(millisecond)"`
	LastSnapshot  string    `parquet:"last_snapshot"`
	LastSeen      time.Time `parquet:"last_seen,timestamp(millisecond)"`
	// Snapshots counts the snapshots it was in; Current says whether the
	// partition's own snapshot has it.
	Snapshots int64 `parquet:"snapshots"`
	Current   bool  `parquet:"current"`
}

// PackageTrendRow is one snapshot of a release: one point of every series.
type PackageTrendRow struct {
	// ReleaseDate is the Release's own Date (the point's date); LogicalDate
	// the nightly run's logical date when a nightly took the snapshot.
	ReleaseDate time.Time `parquet:"release_date,timestamp(millisecond)"`
	LogicalDate time.Time `parquet:"logical_date,optional,timestamp(millisecond)"`
	// PreviousSnapshot is the snapshot the deltas are against ("" for the
	// first point of the history).
	PreviousSnapshot string `parquet:"previous_snapshot,optional"`
	// Packages counts (package, index architecture) entries, the unit of
	// the deltas; BinaryNames and Sources the distinct names.
	Packages    int64 `parquet:"packages"`
	BinaryNames int64 `parquet:"binary_names"`
	Sources     int64 `parquet:"sources"`
	// Deltas against the previous snapshot, by (package, index
	// architecture), ordered the ecosystem's own way.
	Added      int64 `parquet:"added"`
	Removed    int64 `parquet:"removed"`
	Upgraded   int64 `parquet:"upgraded"`
	Downgraded int64 `parquet:"downgraded"`
	// NewUpstream counts the source packages whose upstream version this
	// snapshot is the first in the history to have.
	NewUpstream int64 `parquet:"new_upstream"`
	// Version age: how long each entry's current version has been in the
	// release (ReleaseDate − FirstSeen), in days.
	VersionAgeMeanDays   float64 `parquet:"version_age_mean_days"`
	VersionAgeMedianDays float64 `parquet:"version_age_median_days"`
	VersionAgeP90Days    float64 `parquet:"version_age_p90_days"`
	// Lag behind the other tracked distributions (see PackageLagRow):
	// source packages whose project a peer also has, and those of them a
	// peer has a newer upstream version of.
	LagMatched  int64 `parquet:"lag_matched"`
	LagOutdated int64 `parquet:"lag_outdated"`
	// Peers are the peer snapshots the lag was computed against, as
	// "distro/release/snapshot".
	Peers []string `parquet:"peers,list"`
}

// PackageLagRow is one source package of the release that a peer
// distribution has a newer upstream version of: Repology's "outdated",
// one partition per snapshot so the whole history is kept.
type PackageLagRow struct {
	Source string `parquet:"source"`
	// Project is the canonical project name the cross-distro rules map
	// the source to (analysis/crossmap), the key matched across distros.
	Project  string `parquet:"project"`
	Version  string `parquet:"version"`
	Upstream string `parquet:"upstream"`
	// The newest upstream version of the project among the peers, and
	// where it is.
	NewestUpstream string `parquet:"newest_upstream"`
	NewestVersion  string `parquet:"newest_version"`
	NewestDistro   string `parquet:"newest_distro,dict"`
	NewestRelease  string `parquet:"newest_release,dict"`
	// OutdatedSince is the Release date of the first snapshot in which
	// this source, at this upstream version, was behind a peer.
	OutdatedSince time.Time `parquet:"outdated_since,timestamp(millisecond)"`
	// Binaries are the source's binary package names in the snapshot.
	Binaries []string `parquet:"binaries,list"`
}

var (
	// PackageHistory is the history state as of each snapshot.
	PackageHistory = Table{Name: "package_history", Version: 1, SortColumn: "package", Schema: parquet.SchemaOf(PackageHistoryRow{})}
	// PackageTrends is one row per snapshot of a release.
	PackageTrends = Table{Name: "package_trends", Version: 1, SortColumn: "release_date", Schema: parquet.SchemaOf(PackageTrendRow{})}
	// PackageLag is the outdated source packages as of each snapshot.
	PackageLag = Table{Name: "package_lag", Version: 1, SortColumn: "source", Schema: parquet.SchemaOf(PackageLagRow{})}
)

// TrendsTables are the tables a trends update writes, in the order it
// publishes them: the package_trends manifest, last, marks the snapshot's
// trends done.
var TrendsTables = []Table{PackageHistory, PackageLag, PackageTrends}

// ComparePackageHistoryRows orders rows by package, index architecture,
// then version text.
func ComparePackageHistoryRows(a, b *PackageHistoryRow) int {
	if c := strings.Compare(a.Package, b.Package); c != 0 {
		return c
	}
	if c := strings.Compare(a.IndexArchitecture, b.IndexArchitecture); c != 0 {
		return c
	}
	return strings.Compare(a.Version, b.Version)
}

// ComparePackageLagRows orders rows by source.
func ComparePackageLagRows(a, b *PackageLagRow) int { return strings.Compare(a.Source, b.Source) }
