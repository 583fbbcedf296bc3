// Package rpmdb reads the rpm database of an installed system or image —
// which packages are installed and what each expects of its files — into
// installed.Package records, for the file-state comparison shared by the
// four ecosystems. It is pure: bytes in, records out.
//
// rpm keeps one header blob per installed package (the package file's
// header as installed, plus install-time tags; the format is rpm's
// doc/manual/format.md and lib/header.c) in one of three backends, which
// Read tells apart by the files of the database directory:
//
//   - sqlite, rpmdb.sqlite (rpm ≥ 4.16's default: Fedora ≥ 33, RHEL 9, and
//     Debian's rpm): table Packages(hnum, blob), read with modernc.org/sqlite;
//   - Berkeley DB, Packages (RHEL ≤ 8, CentOS 7, SLE 12): a hash database
//     whose pages this package reads itself (bdb.go has the layout);
//   - ndb, Packages.db (openSUSE and SLE 15 and later): rpm's own format
//     (ndb.go has the layout).
//
// Every structure is bounded (MaxHeaderSize, MaxTags, MaxFiles,
// MaxPackages) and every offset checked before it is read; damage is a
// *ParseError naming the file, the package's header number and the tag or
// page at fault.
//
// The file records say what rpm -V would check: a check excluded by the
// file's %verify flags, by its type or %ghost, or by an install-time state
// (a %doc file not installed under --excludedocs, as container images are
// made) has its Has flag unset. gpg-pubkey pseudo-packages (keys imported
// with rpm --import, listed by rpm -qa) are not returned.
//
// github.com/knqyf263/go-rpmdb reads all three backends in its recent
// releases, but the module proxy here serves only its 2021 version, which
// reads Berkeley DB alone; hence this package.
package rpmdb
