package deb

import "time"

// Release is a parsed Release file (or the signed body of an InRelease file):
// the suite's table of contents, from which every index is fetched and
// verified. See https://wiki.debian.org/DebianRepository/Format#A.22Release.22_files
type Release struct {
	Origin        string
	Label         string
	Suite         string
	Codename      string
	Version       string
	Description   string
	Date          time.Time // required by apt; zero only if absent
	ValidUntil    time.Time // zero when the Release has no Valid-Until
	Architectures []string
	Components    []string
	// AcquireByHash says the mirror also serves each index under
	// <dir>/by-hash/SHA256/<hash>, which cannot change during a mirror update.
	AcquireByHash        bool
	NotAutomatic         bool
	ButAutomaticUpgrades bool
	// Files lists every index named in the MD5Sum/SHA1/SHA256/SHA512
	// sections, merged by path, sorted by path.
	Files []ReleaseFile
}

// ReleaseFile is one index named by a Release file, with its size and hashes
// (lowercase hex; empty when the Release does not list that hash).
type ReleaseFile struct {
	Path   string
	Size   int64
	MD5    string
	SHA1   string
	SHA256 string
	SHA512 string
}

// Package is one stanza of a binary Packages index. Relationship fields hold
// one normalized clause per element, alternatives joined with " | "
// (e.g. "libc6 (>= 2.36)", "default-mta | mail-transport-agent").
type Package struct {
	Package            string
	Version            string
	Architecture       string
	Source             string // source package name; equals Package when the stanza has no Source
	SourceVersion      string // version in "Source: name (version)"; equals Version otherwise
	Section            string
	Priority           string
	Essential          bool
	Protected          bool
	BuildEssential     bool
	MultiArch          string
	Maintainer         string
	OriginalMaintainer string
	InstalledSize      int64 // KiB, as the field states
	Size               int64 // bytes of the .deb
	Filename           string
	MD5sum             string
	SHA256             string
	Homepage           string
	Description        string // the synopsis (first line)
	DescriptionMD5     string
	Tag                string
	Depends            []string
	PreDepends         []string
	Recommends         []string
	Suggests           []string
	Enhances           []string
	Conflicts          []string
	Breaks             []string
	Provides           []string
	Replaces           []string
	BuiltUsing         []string
	StaticBuiltUsing   []string
	// Extra holds every other field, in stanza order, as name/value pairs
	// (value with continuation lines joined by "\n").
	Extra []Field
	// Line is the 1-based line of the stanza's first field in its index.
	Line int
}

// Field is one deb822 field that has no dedicated column.
type Field struct {
	Name  string
	Value string
}
