// Package releases reads distro-info-data — the Debian package whose CSVs
// list every Debian and Ubuntu release with the dates it was created,
// released and left each phase of support — and commits it as the releases
// table, so that every snapshot of a repository can be joined to the support
// status its release had on the day of the snapshot.
//
// The CSVs (installed in /usr/share/distro-info/) have a header row naming
// their columns: version, codename, series, created, release, eol, then per
// distribution eol-lts and eol-elts (debian.csv) or eol-server, eol-esm and
// eol-legacy (ubuntu.csv). Rows may stop early when the later dates are not
// known yet. Dates are YYYY-MM-DD (or YYYY-MM, meaning the month's last
// day); an end date is the first day its phase no longer applies.
// The format is distro-info's own; its reference readers are the
// distro-info tools (debian-distro-info(1), ubuntu-distro-info(1)), and the
// tests check Status against them
// (https://manpages.debian.org/debian-distro-info.1).
//
// All input is untrusted and bounded (MaxCSVSize); every parse failure is a
// *ParseError naming the file and line.
//
// # Partition
//
// Each distribution is one partition of the releases table:
//
//	releases/v1/distro=<debian|ubuntu>/release=all/snapshot=<id>/part-00000.parquet
//
// where id is datasets.SnapshotID of the newest creation date in the CSV and
// the CSV's SHA-256, so the same CSV always lands in the same partition (a
// second Write reuses it) and a distro-info-data update that adds a release
// sorts after the one before. An update that only moves dates keeps the date
// part of the id; tell those apart by the manifest's committed_at or the
// source column.
//
// The series column ("bookworm", "noble") is what a Release file's Codename
// says, and so what the packages and snapshots tables have in their release=
// partition — except for update suites, whose Codename carries a suffix
// ("bookworm-security", "bookworm-updates"; Ubuntu's update suites keep the
// bare codename). The codename column is distro-info's display name
// ("Bookworm", "Noble Numbat").
//
// # Joining with DuckDB
//
// Every packages snapshot with the support status of its release on the day
// of the snapshot (the date part of the snapshot id is the Release file's
// Date), using the newest releases partition of each distribution. The CASE
// is Status, in SQL. Run it from the store's root:
//
//	WITH releases AS (
//	    SELECT * FROM read_parquet('releases/v1/*/*/*/*.parquet', hive_partitioning = true)
//	    QUALIFY snapshot = max(snapshot) OVER (PARTITION BY distro)
//	),
//	snapshots AS (
//	    SELECT distro, release, snapshot, count(*) AS packages,
//	           CAST(strptime(split_part(snapshot, '-', 1), '%Y%m%dT%H%M%SZ') AS DATE) AS day
//	    FROM read_parquet('packages/v2/*/*/*/*.parquet', hive_partitioning = true)
//	    GROUP BY ALL
//	)
//	SELECT s.distro, s.release, s.snapshot, s.day, s.packages, r.version, r.series,
//	       r.release_date, r.eol,
//	       CASE
//	           WHEN r.series IS NULL THEN NULL
//	           WHEN r.release_date IS NULL OR s.day < r.release_date THEN 'unreleased'
//	           WHEN greatest(r.eol, r.eol_server) IS NULL
//	                OR s.day < greatest(r.eol, r.eol_server) THEN 'supported'
//	           WHEN s.day < r.eol_lts THEN 'lts'
//	           WHEN s.day < r.eol_elts THEN 'elts'
//	           WHEN s.day < r.eol_esm THEN 'esm'
//	           WHEN s.day < r.eol_legacy THEN 'legacy'
//	           ELSE 'eol'
//	       END AS status
//	FROM snapshots s
//	LEFT JOIN releases r
//	       ON r.distro = s.distro AND r.series = split_part(s.release, '-', 1)
//	ORDER BY s.distro, s.release, s.snapshot
//
// Both tables have a release partition column (the codename there, "all"
// here), so qualify it. The same ON clause joins the snapshots table.
package releases
