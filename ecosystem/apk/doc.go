// Package apk reads the metadata of apk, the package manager of Alpine
// Linux and its derivatives: the repository index, APKINDEX.tar.gz, and
// (Installed) the installed database, lib/apk/db/installed, with the
// protected paths that make a file a configuration file.
//
// The file is a concatenation of gzip streams
// (https://wiki.alpinelinux.org/wiki/Apk_spec, apk-v2(5)): an optional
// first stream holding a tar segment (no end-of-archive blocks) with one
// ".SIGN.<algorithm>.<key name>" member per signature, then a stream
// holding a tar archive of DESCRIPTION and APKINDEX. abuild-sign signs the
// index stream as it was before signing: an RSA PKCS#1 v1.5 signature over
// its SHA-1 (algorithm RSA) or SHA-256 (RSA256). Verify checks one.
//
// APKINDEX itself is text: blank-line separated records of "X:value"
// lines, one letter per field, as apk-tools writes them
// (src/package.c apk_pkg_write_index_header) and reads them
// (apk_pkgtmpl_add_info); apk-package(5) documents each field. D, p and i
// hold space-separated dependencies "[!]name[op version]" with op a run of
// <, >, = and ~ (apk_dep_parse); a D, p or i line may repeat and adds to
// the list, as in apk.
//
// Reader streams the gzip members, the tar entries and the records, holding
// one record at a time, and bounds every line, record, its fields and
// dependencies (MaxLineSize, MaxRecordSize, MaxFields, MaxDependencies) and
// the decompressed size; every parse failure is a *ParseError naming the
// file and the line, quoting values cut to a bounded prefix
// (ecosystem.Quote). Names (P) and versions (V) must be what apk-package(5)
// allows, checked with apk's own version grammar (version/apk): they key
// every comparison downstream, and a name that is not even UTF-8 made a
// whole table unreadable. Other fields are kept as written, bytes and all;
// making them valid UTF-8 for storage is the caller's business (repo.Ingest
// does it for every format).
package apk
