// Package crossmap compares snapshots of different distributions or
// ecosystems (Debian against Fedora, Alpine, Arch...), where package names
// differ and versions share no exact comparator.
//
// Names are mapped to canonical project names by an ordered, data-driven
// rule list (Rules, a strict YAML file; default-rules.yaml is embedded and
// a user file is layered over it), in the spirit of Repology's rules
// (https://github.com/repology/repology-rules): Debian python3-foo, Alpine
// py3-foo and Arch python-foo are all python:foo; libfoo-dev and
// libfoo-devel are foo of flavor dev. Packages pair by canonical source
// name first, then by canonical binary name, and each pair is ordered by
// upstream version (package version/upstream, libversion's algorithm).
// Packages no rule could pair are reported as "unmatched", never dropped.
//
// Compare returns a compare.Result whose rows fit the package_changes
// table (datasets.PackageChangeRow), each pair carrying both upstream
// versions and which side is newer; the report's version lag table
// (report.VersionLag) measures how far behind the older side is.
package crossmap
