// Package rpm reads the metadata of the rpm ecosystem. Today that is
// rpm-md repository metadata, the "repodata" of
// Fedora, RHEL and its rebuilds, openSUSE and every yum/dnf/zypper
// repository: repodata/repomd.xml, the table of contents, and the primary
// and filelists documents it lists.
//
// rpm-md has no formal specification; its de facto definition is what
// createrepo_c writes and dnf/libsolv read:
//   - https://rpm-software-management.github.io/createrepo_c/ (the
//     generator; its src/xml_dump_primary.c, xml_dump_filelists.c and
//     repomd.c write the documents, src/parsehdr.c decides what of an rpm
//     header goes in them),
//   - https://en.opensuse.org/openSUSE:Standards_Rpm_Metadata (the
//     element-by-element description),
//   - https://rpm-software-management.github.io/rpm/manual/dependencies.html
//     and more_dependencies.html (what requires, weak and rich dependencies
//     mean).
//
// A primary document is the hot path: Fedora's lists 70,000 packages in
// some 200 MB of XML. PrimaryReader and FilelistsReader stream it with a
// tokenizer of their own that accepts and returns what encoding/xml's
// RawToken does (tested side by side) at a fraction of its cost and
// allocations, holding one package at a time: each package
// (MaxPackageSize), each element's text (MaxTextSize), each dependency list
// (MaxEntries), each file list (MaxFiles) and repomd.xml (MaxRepomdSize)
// are bounded, whatever the input; the long description is read and
// dropped. Package names and versions must be what rpm builds (ASCII, of
// rpmbuild's characters): they key every comparison downstream, and a name
// that is not even UTF-8 (which sqlite, unlike XML, can hold) made a whole
// table unreadable. Values in errors are quoted cut to a bounded prefix
// (ecosystem.Quote). Elements are matched by their literal "rpm:" prefix, as
// libsolv and createrepo_c do, and elements not known here are skipped, so
// that additions to the format do not break reading. Every parse failure is
// a *ParseError naming the file, the line and, where known, the package and
// element; errors about one package leave the reader on the next one.
//
// The sqlite form of primary ("primary_db") is read by package primarydb
// into the same Package values; repo/formats maps a package to the row of
// the packages table. VerifySignature checks the detached OpenPGP signature
// (repomd.xml.asc) some repositories publish. The tokenizer is
// internal/xmltok, with its own tests and benchmark.
package rpm
