package rpm

import "time"

// Repomd is a parsed repodata/repomd.xml: the repository's table of
// contents, from which every other metadata file is fetched and verified.
type Repomd struct {
	// Revision is free text, by convention the Unix time the repository
	// was generated at.
	Revision string
	// Data lists the metadata files in document order, without zchunk
	// ("*_zck") records, which carry the same content in another container.
	Data []RepomdData
}

// RepomdData is one <data type="..."> record of repomd.xml.
type RepomdData struct {
	Type         string // "primary", "filelists", "other", "primary_db", "updateinfo", ...
	Location     string // href relative to the repository root, e.g. "repodata/<sha256>-primary.xml.gz"
	LocationBase string // xml:base of <location>, when the file lives elsewhere; usually empty
	// Checksum is that of the file as served; OpenChecksum that of its
	// decompressed content (zero when the file is not compressed or the
	// record does not say).
	Checksum     Checksum
	OpenChecksum Checksum
	Size         int64 // bytes as served; -1 when absent
	OpenSize     int64 // bytes decompressed; -1 when absent
	Timestamp    time.Time
	// DatabaseVersion is the createrepo sqlite schema version of a *_db
	// record (10 for every createrepo and createrepo_c), 0 otherwise.
	DatabaseVersion int
}

// Checksum is a digest as rpm-md writes it: a type ("sha256", "sha1",
// "sha512", ...; the legacy "sha" is reported as "sha1") and lowercase hex.
type Checksum struct {
	Type  string
	Value string
}

// EVR is an rpm epoch, version and release as the metadata gives them. Epoch
// is "" when the element has no epoch attribute (createrepo writes "0" for
// packages without one, so in practice it is "" only in dependencies without
// a version).
type EVR struct {
	Epoch   string
	Version string
	Release string
}

// Flags is the comparison of a versioned dependency, as rpm-md spells it.
type Flags string

// The comparisons rpm-md knows; NoFlags for an unversioned dependency.
const (
	NoFlags Flags = ""
	EQ      Flags = "EQ"
	LT      Flags = "LT"
	LE      Flags = "LE"
	GT      Flags = "GT"
	GE      Flags = "GE"
)

// Dependency is one <rpm:entry> of a provides, requires, conflicts,
// obsoletes or weak dependency list. Rich dependencies ("(a if b)") are kept
// whole in Name, as rpm-md writes them.
type Dependency struct {
	Name  string
	Flags Flags
	EVR
	// Pre is set on requires the package's install scriptlets need
	// (Requires(pre), Requires(post), PreReq): createrepo_c writes pre="1".
	Pre bool
}

// File is one file a package contains, as primary (a subset: binaries and
// /etc) or filelists (all) lists it.
type File struct {
	Path string
	Type string // "" for a file, "dir" or "ghost"
}

// Package is one <package> of primary.xml (or one row of the packages table
// of primary.sqlite). The long description is not kept: nothing downstream
// reads it, and it is most of a primary file's text.
type Package struct {
	Name    string
	Arch    string // "x86_64", "noarch", "src", ...
	Version EVR
	// Checksum of the package file; rpm-md calls its value the pkgid.
	Checksum      Checksum
	Summary       string
	Packager      string
	URL           string
	FileTime      int64 // Unix time of the package file, as the repository saw it
	BuildTime     int64 // Unix time of the build
	PackageSize   int64 // bytes of the .rpm
	InstalledSize int64 // bytes installed
	ArchiveSize   int64 // bytes of the cpio payload
	Location      string
	LocationBase  string
	License       string
	Vendor        string
	Group         string
	BuildHost     string
	// SourceRPM is the file name of the source package
	// ("name-version-release.src.rpm"); empty for a source package itself.
	SourceRPM string
	// SourceName and SourceVersion ("version-release") are split from
	// SourceRPM; for a source package, its own name and version-release.
	SourceName    string
	SourceVersion string
	HeaderStart   int64
	HeaderEnd     int64
	Provides      []Dependency
	Requires      []Dependency
	Conflicts     []Dependency
	Obsoletes     []Dependency
	Recommends    []Dependency
	Suggests      []Dependency
	Supplements   []Dependency
	Enhances      []Dependency
	// Files is empty unless asked for: primary's partial list with
	// WithPrimaryFiles, or the full list from filelists with JoinFilelists.
	Files []File
	// Line is the 1-based line of the <package> element (0 from sqlite).
	Line int
}

// FileList is one <package> of filelists.xml: every file of one package,
// keyed by the package's pkgid.
type FileList struct {
	PkgID   string
	Name    string
	Arch    string
	Version EVR
	Files   []File
	Line    int
}

// PackageReader is what every way of reading primary data offers: the next
// package, or io.EOF after the last one. *PrimaryReader, *PrimaryDB and the
// reader JoinFilelists returns implement it.
type PackageReader interface {
	Next() (*Package, error)
}
