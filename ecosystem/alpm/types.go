package alpm

// Package is one package of a repository database: its desc (and, in older
// databases, depends) entry and, when the reader was asked for them and the
// database is a .files database, its file list. Values are as the database
// writes them; Row normalizes them for the packages table.
type Package struct {
	Dir          string // the package's directory in the archive, "<name>-<version>"
	Filename     string // %FILENAME%
	Name         string // %NAME%
	Base         string // %BASE%: the pkgbase of a split package; often equal to Name, absent in old databases
	Version      string // %VERSION%: [epoch:]pkgver-pkgrel
	Description  string // %DESC%
	Groups       []string
	CSize        int64 // %CSIZE%: bytes of the package file; -1 when absent
	ISize        int64 // %ISIZE%: installed bytes; -1 when absent
	MD5Sum       string
	SHA256Sum    string
	PGPSig       string // %PGPSIG%: base64 of the detached OpenPGP signature
	URL          string
	Licenses     []string
	Arch         string
	BuildDate    int64 // %BUILDDATE%: Unix seconds; 0 when absent
	Packager     string
	Replaces     []string
	Conflicts    []string
	Provides     []string
	Depends      []string
	OptDepends   []string // "name[op version][: reason]"
	MakeDepends  []string
	CheckDepends []string
	// Files lists the package's paths (directories end in "/") when the
	// reader was made WithFiles and the database has files entries.
	Files []string
	// HasFiles reports that the directory had a files entry (a .files
	// database), whether or not its content was read.
	HasFiles bool
	// Extra holds every section without a field, in order, e.g. the
	// %EPOCH% and %FORCE% of very old databases.
	Extra []Section
}

// Section is one section of a desc entry that has no field of its own.
type Section struct {
	Name   string // without the percent signs
	Values []string
}
