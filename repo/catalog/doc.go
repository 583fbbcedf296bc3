// Package catalog reads the sources catalogue: one YAML file naming each
// distribution a user tracks — format, mirror URLs (per architecture where
// they differ, e.g. Ubuntu's ports), suites, components, architectures,
// keyring, minimum package count, dated archive — so that `distroscope
// snapshot fedora/40` resolves without flags. The machine's apt sources are
// the default entries. An entry's archive is its dated archive for
// backfills: a URL with {date} where a snapshot archive puts its timestamp
// (YYYYMMDDThhmmssZ, repo.ArchiveDateLayout), e.g.
// "https://archive.example.org/debian/{date}/"; repo.Spec.AtDate fills it.
//
// Validation is strict and names lines: an unknown key, a missing field, an
// unknown format or a keyring file that does not exist is an error pointing at
// the line that says it.
//
// It also decides what a command means when it names no source or only
// part of one, in plain Go the CLI calls: FromMachine (the machine's own apt
// suites, with a command line's Overrides), Catalog.Select (NAME[/SUITE]
// references), and DefaultComparison (this machine's release against the
// next one in distro-info-data).
package catalog
