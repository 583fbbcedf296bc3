// Package compare compares two snapshots of the packages table of one
// ecosystem: which packages were added, removed, upgraded, downgraded or
// kept, which upgrades are only rebuilds (Debian binNMUs), how their
// dependencies changed, and the same rolled up by source package.
//
// ReadSnapshot reads a committed packages Parquet file with Arrow's Parquet
// reader (pqarrow), decoding only the columns a comparison needs into a
// compact column-oriented Snapshot. Compare joins two snapshots by (package
// name, index architecture) and orders each pair's versions with the exact
// comparator of their format (package version), so every classification
// agrees with dpkg, rpm, apk or pacman. Snapshots of different formats need
// cross-distro mapping rules and are refused here.
//
// The output rows are datasets.PackageChangeRow, SourceChangeRow and
// CompareSummaryRow, ready for the package_changes, source_changes and
// compare_summaries tables.
//
// Compare pairs the two key-ordered snapshots in one merge and classifies
// the pairs on every core; dependency diffs work on the snapshot's own
// memory (see diffDepends). A snapshot is read from one goroutine with a
// buffer recycler, and a corrupt file — including one that makes Arrow's
// reader panic — is an error wrapping ErrCorrupt, never a crash.
//
// Storage is the comparison's side of the dataset layout: Locate finds a
// committed snapshot by name, Load reads one, Committed says whether a
// comparison is committed already, and Commit commits it — package_changes
// and source_changes, then compare_summaries last, which marks it
// committed — with its report beside it (reports/compare/…, the pages
// after the datasets). It is plain Go over a store.Store, so the Temporal
// activity around it only heartbeats, classifies errors and sizes the heap.
//
// Debian binNMUs: https://wiki.debian.org/binNMU
// Debian relationship fields: https://www.debian.org/doc/debian-policy/ch-relationships.html
// Arrow's Parquet reader: https://pkg.go.dev/github.com/apache/arrow-go/v18/parquet/pqarrow
package compare
