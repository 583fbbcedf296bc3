// Package trends turns a release's committed snapshots into its history:
// package_history (first and last seen per package version), package_lag
// (the sources a peer distribution has a newer upstream version of) and
// package_trends (one row per snapshot), datasets.PackageHistory,
// datasets.PackageLag and datasets.PackageTrends.
//
// A trends state of a release as of snapshot S is the three partitions
// distro=<d>/release=<r>/snapshot=<S>, committed when its package_trends
// manifest, published last, is there. The state as of S is computed from
// the state as of the release's previous snapshot and S's own packages —
// never from the whole history — so that a new snapshot costs the work of
// one state and one snapshot however long the history grows.
//
// Plan says which states are missing or stale (a snapshot inserted into the
// past, by a backfill, invalidates every state after it); Apply computes
// one state, idempotently; Series and Lag read committed states back. The
// arithmetic (history.go) is plain functions over column arrays, without
// storage, so that tests can hold it to exact counts.
package trends
