// Package report renders one comparison of two snapshots (the
// package_changes, source_changes and compare_summaries tables of
// datasets/compare.go) as
// the documents people read: a self-contained HTML page, the same content
// as Markdown, and one CSV file per table.
//
// The HTML page opens offline: CSS is inline and the charts are SVG drawn
// here, so there is no script, font, image or style sheet to fetch, and a
// report copied out of object storage still works years later. Package
// names, versions and dependency clauses come from repository indexes
// anyone can publish, so every value is escaped for where it lands:
// html/template for HTML (https://pkg.go.dev/html/template), backslash
// escapes for Markdown (CommonMark 0.31 §2.4, https://spec.commonmark.org/0.31.2/#backslash-escapes,
// plus GitHub's tables and strikethrough), RFC 4180 quoting for CSV
// (https://www.rfc-editor.org/rfc/rfc4180). CSV cells are written verbatim,
// not defanged against spreadsheet formulas, because they are data exports
// meant to round-trip.
//
// Every downgrade is listed, right below the headline counts: there are one
// or two in a release upgrade, and each means a system upgrade keeps the
// old version. Long tables are cut at Data.MaxRows rows in HTML and
// Markdown, with a note naming the CSV file that has them all.
//
// New derives a comparison's tables once; Report.Outputs renders each
// output straight into a writer (the compare activity streams the CSVs
// into object storage while the datasets commit) and Report.Pages the two
// pages into memory: a release upgrade has ~77k package pairs, and
// rendering is part of every compare activity. The tables refer to the
// caller's rows rather than copying them, only the shown rows of a table
// are ever sorted, and CSV rows stream through one reused record. The
// full list of pairs is not a report table: it is the package_changes
// dataset, which the pages name (Data.ChangesDataset).
package report
