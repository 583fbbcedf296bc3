// Package alpm reads the repository databases of pacman, the package
// manager of Arch Linux and its derivatives (ALPM: Arch Linux Package
// Management), and (Local, ParseMTree) its local database of installed
// packages, var/lib/pacman/local/NAME-VERSION/{desc,files,mtree}
// (alpm-db-desc(5), alpm-db-files(5), alpm-mtree(5) at
// https://alpm.archlinux.page/specifications/).
//
// A repository database (alpm-repo-db,
// https://alpm.archlinux.page/specifications/alpm-repo-db.7.html) is a tar
// archive, usually compressed (repo.db is a symlink to repo.db.tar.gz or
// repo.db.tar.zst), holding one directory per package named
// "<name>-<version>". Each directory has a desc file (alpm-repo-desc,
// https://alpm.archlinux.page/specifications/alpm-repo-desc.5.html) of
// "%SECTION%" header lines each followed by its values, one a line, up to
// a blank line. Databases written by pacman before 5.1 split each package's
// entry in two, desc and depends; libalpm (lib/libalpm/be_sync.c) reads any
// section from either, and so does Reader. The "files" variant (repo.files)
// adds a files entry per directory listing the package's paths under
// %FILES% (alpm-repo-files).
//
// Reader streams: it holds one package directory at a time (repo-add writes
// a directory's entries next to each other, in no fixed order) and bounds
// every member, line, section count (MaxSections), list (MaxValues,
// MaxFiles) and the archive as a whole, so that no package costs more than
// linear time and a bounded amount of memory. Every parse failure is a
// *ParseError naming the database, the tar member and, where there is one,
// the line, quoting values cut to a bounded prefix (ecosystem.Quote).
// %NAME% and %VERSION% must be what alpm-package-name(7) and
// alpm-package-version(7) allow: they key every comparison downstream, and
// a name that is not even UTF-8 made a whole table unreadable. Other
// sections are kept as written, bytes and all; making them valid UTF-8 for
// storage is the caller's business (repo.Ingest does it for every format). Open sniffs the compression (gzip, xz, zstd, bzip2) from the
// first bytes, so callers need not trust the file name.
package alpm
