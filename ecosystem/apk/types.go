package apk

// Package is one record of an APKINDEX, with its fields as apk-package(5)
// names them.
type Package struct {
	Name          string // P
	Version       string // V
	Arch          string // A
	Size          int64  // S: bytes of the .apk file
	InstalledSize int64  // I: installed bytes
	Description   string // T
	URL           string // U
	License       string // L
	Origin        string // o: the source package (aport)
	Maintainer    string // m
	BuildTime     int64  // t: Unix seconds; 0 when absent
	Commit        string // c: the aports commit
	// ProviderPriority is k; HasProviderPriority tells 0 from absent.
	ProviderPriority    int64
	HasProviderPriority bool
	Checksum            string // C: "Q1" + base64 SHA-1 of the control segment (or Q2/X1/X2)
	Depends             []Dependency
	Provides            []Dependency
	InstallIf           []Dependency
	// Extra holds every line with a letter apk does not write in an index,
	// in order (a letter may repeat).
	Extra []Field
	// Line is the 1-based line of the record's first field in APKINDEX.
	Line int
}

// Field is one line of a record that has no field of its own.
type Field struct {
	Name  string // the letter
	Value string
}

// Dependency is one entry of D, p or i: "[!]name[op version]".
type Dependency struct {
	Conflict bool   // a leading '!': the package must not be installed
	Name     string // e.g. "musl", "so:libc.musl-x86_64.so.1", "cmd:sh", "/bin/sh"
	Op       string // "", "<", "<=", "<~", "~", "=", ">=", ">~", ">" or "><" (checksum match)
	Version  string
}

// String renders the dependency in the packages table's normal form, the
// deb parser's: "name" or "name (op version)", without the '!'.
func (d Dependency) String() string {
	if d.Op == "" {
		return d.Name
	}
	return d.Name + " (" + d.Op + " " + d.Version + ")"
}
