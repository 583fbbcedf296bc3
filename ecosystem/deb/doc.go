// Package deb reads the metadata of the deb ecosystem (dpkg and apt): the
// Release file that is a suite's table of contents, the binary Packages
// indexes it lists, and (package aptsources) the machine's apt sources.
//
// Release and Packages are deb822 documents (https://manpages.debian.org/deb822.5): stanzas
// of "Name: value" fields separated by blank lines, continuation lines
// starting with a space or tab, field names compared without regard to case.
// The fields themselves follow
// https://wiki.debian.org/DebianRepository/Format and, for relationship
// fields, Debian Policy chapter 7
// (https://www.debian.org/doc/debian-policy/ch-relationships.html).
//
// A Packages index of a full suite is tens of megabytes and tens of thousands
// of stanzas, and ingesting it is the hot path of the project, so
// PackagesReader streams: it holds one stanza at a time, copies each
// stanza's values (not its field names, nor its long description, which
// nothing downstream reads) into a single string and slices every field out
// of it, and looks field names up without maps.
// All input is untrusted and bounded — in bytes (MaxLineSize, MaxFieldSize,
// MaxStanzaSize, MaxReleaseSize) and in counts (MaxFields, MaxClauses,
// MaxAlternatives), so that no stanza costs more than linear time and a
// bounded amount of memory; every parse failure is a *ParseError naming the
// index and line, and quotes the values it names cut to a bounded prefix
// (ecosystem.Quote). Package names and versions must follow Debian Policy
// (5.6.1, 5.6.7, 5.6.12): they key every comparison and join downstream,
// and a name that is not even UTF-8 made a whole table unreadable. Other
// fields are kept as written, bytes and all; making them valid UTF-8 for
// storage is the caller's business (repo.Ingest does it for every
// format).
//
// Signatures are not checked here: ParseRelease takes a Release file or the
// already verified body of an InRelease file.
//
// Installed reads what dpkg keeps of the installed packages: the status
// file (or status.d/, one stanza a file, as distroless images keep it),
// info/*.list for ownership, info/*.md5sums for the files' digests — but
// not the conffiles', which dh_md5sums leaves out: those come from the
// status file's Conffiles field — the diversions, and ucf's hashfile and
// registry for the configuration files ucf manages instead of dpkg
// (sshd_config). ParseStatus lists what dpkg-query -W lists.
package deb
