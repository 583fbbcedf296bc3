package datasets

import (
	"strings"

	"github.com/parquet-go/parquet-go"
)

// PackageChangeRow is one package pair of a comparison: the same package (by
// name and index architecture, or by a cross-distro mapping rule) in the old
// and the new snapshot, or a package only one side has.
type PackageChangeRow struct {
	// Kind is added, removed, upgraded, downgraded, same, or unmatched
	// (cross-distro pairs no rule could map).
	Kind              string `parquet:"kind,dict"`
	Rebuild           bool   `parquet:"rebuild"` // an upgrade that is only a binNMU / rebuild
	Package           string `parquet:"package"`
	OldPackage        string `parquet:"old_package,optional"` // when a rule mapped names across distros
	IndexArchitecture string `parquet:"index_architecture,dict"`
	OldVersion        string `parquet:"old_version,optional"`
	NewVersion        string `parquet:"new_version,optional"`
	OldSource         string `parquet:"old_source,optional"`
	NewSource         string `parquet:"new_source,optional"`
	Section           string `parquet:"section,optional,dict"`
	Priority          string `parquet:"priority,optional,dict"`
	Essential         bool   `parquet:"essential"`
	// Upstream versions, normalised across ecosystems, and which side is
	// newer by them (cross-distro comparisons): -1 old, 0 same, 1 new.
	OldUpstream   string `parquet:"old_upstream,optional"`
	NewUpstream   string `parquet:"new_upstream,optional"`
	UpstreamOrder int32  `parquet:"upstream_order"`
	// Dependency deltas: clauses added and removed, and clauses whose
	// package stayed but whose version constraint changed ("old -> new").
	DependsAdded   []string `parquet:"depends_added,list"`
	DependsRemoved []string `parquet:"depends_removed,list"`
	DependsChanged []string `parquet:"depends_changed,list"`
	Rule           string   `parquet:"rule,optional,dict"` // the mapping rule that paired them
}

// CompareSummaryRow is one comparison's counts.
type CompareSummaryRow struct {
	OldDistro    string `parquet:"old_distro,dict"`
	OldRelease   string `parquet:"old_release,dict"`
	OldSnapshot  string `parquet:"old_snapshot"`
	NewDistro    string `parquet:"new_distro,dict"`
	NewRelease   string `parquet:"new_release,dict"`
	NewSnapshot  string `parquet:"new_snapshot"`
	CrossDistro  bool   `parquet:"cross_distro"`
	Added        int64  `parquet:"added"`
	Removed      int64  `parquet:"removed"`
	Upgraded     int64  `parquet:"upgraded"`
	Rebuilds     int64  `parquet:"rebuilds"`
	Downgraded   int64  `parquet:"downgraded"`
	Same         int64  `parquet:"same"`
	Unmatched    int64  `parquet:"unmatched"`
	DependsDelta int64  `parquet:"depends_changed_packages"`
}

// SourceChangeRow is one source package of a comparison: the pairs of
// its binaries rolled up, so that "what happened to openssl" is one row
// however many binaries and architectures it builds.
type SourceChangeRow struct {
	// Source is the new side's source name of its binaries (the old
	// side's for removed binaries).
	Source string `parquet:"source"`
	// Kind is the dominant kind of the binaries' pairs: the most frequent,
	// ties going to the more notable in the order upgraded, downgraded,
	// added, removed, same.
	Kind string `parquet:"kind,dict"`
	// Rebuild is set when Kind is upgraded and every upgraded pair is a
	// rebuild: a binNMU of the whole source.
	Rebuild bool `parquet:"rebuild"`
	// OldVersion and NewVersion are the highest source versions of the
	// binaries on each side ("" when the side has none of them). For deb
	// these are the Source field's versions, so a binNMU leaves them equal.
	OldVersion string `parquet:"old_version,optional"`
	NewVersion string `parquet:"new_version,optional"`
	// Binaries are the distinct binary package names, sorted.
	Binaries []string `parquet:"binaries,list"`
	// Pair counts by kind (one pair per binary and index architecture);
	// Rebuilds are also in Upgraded.
	Added      int64 `parquet:"added"`
	Removed    int64 `parquet:"removed"`
	Upgraded   int64 `parquet:"upgraded"`
	Rebuilds   int64 `parquet:"rebuilds"`
	Downgraded int64 `parquet:"downgraded"`
	Same       int64 `parquet:"same"`
}

// CompareSourceChangeRows orders rows by source name.
func CompareSourceChangeRows(a, b *SourceChangeRow) int { return strings.Compare(a.Source, b.Source) }

var (
	// PackageChanges is one row per package pair of a comparison. Its
	// partition is distro=<old distro>, release=<old>~<new release>,
	// snapshot=<old snapshot>~<new snapshot> (see ComparePartition).
	PackageChanges = Table{Name: "package_changes", Version: 1, SortColumn: "package", Schema: parquet.SchemaOf(PackageChangeRow{})}
	// CompareSummaries is one row per comparison, partitioned alike.
	CompareSummaries = Table{Name: "compare_summaries", Version: 1, SortColumn: "old_snapshot", Schema: parquet.SchemaOf(CompareSummaryRow{})}
	// SourceChanges is one row per source package of a comparison,
	// partitioned alike.
	SourceChanges = Table{Name: "source_changes", Version: 1, SortColumn: "source", Schema: parquet.SchemaOf(SourceChangeRow{})}
)

// ComparePackageChangeRows orders rows by package, then architecture.
func ComparePackageChangeRows(a, b *PackageChangeRow) int {
	if c := strings.Compare(a.Package, b.Package); c != 0 {
		return c
	}
	if c := strings.Compare(a.IndexArchitecture, b.IndexArchitecture); c != 0 {
		return c
	}
	return strings.Compare(a.OldPackage, b.OldPackage)
}

// ComparePartition names the partition of a comparison of old with new.
// Both snapshots' identities are in it, so comparing the same two snapshots
// again lands on the same (committed) partition.
func ComparePartition(old, new Partition) Partition {
	p := Partition{Distro: old.Distro, Release: old.Release + "~" + new.Release, Snapshot: old.Snapshot + "~" + new.Snapshot}
	if old.Distro != new.Distro {
		p.Distro = old.Distro + "~" + new.Distro
	}
	return p
}
