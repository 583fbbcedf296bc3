// Package installed holds the one record every installed-package reader
// returns — dpkg's status and info/, the rpm database, apk's installed
// database, pacman's local database — so that the file-state comparison
// (analysis/image) is written once for all four ecosystems.
//
// What an ecosystem records differs, and the comparison follows it: a field
// a database does not record is left at its zero value with its Has flag
// false, and is then not compared. dpkg records no modes, so a chmod'ed
// conffile is "unchanged" to distroscope exactly as it is to dpkg --verify;
// rpm records mode, owner, size, mtime and a digest, so rpm -V's checks are
// all made.
package installed

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"io/fs"
	"time"

	"github.com/distroscope/distroscope/ecosystem"
)

// Package is one installed package as its ecosystem's database records it.
type Package struct {
	Ecosystem     ecosystem.Name
	Name          string
	Version       string // the ecosystem's full version (epoch, revision, release)
	Architecture  string
	Source        string // source package; empty when the database does not say
	SourceVersion string // empty when equal to Version or unknown
	// Files are the paths the package owns, as recorded, in the order of
	// the database. Directories are included where the database lists them.
	Files []File
}

// Key identifies a package within one database: dpkg allows one name per
// architecture (Multi-Arch: same), the others one per name.
func (p Package) Key() string { return p.Name + ":" + p.Architecture }

// FileType is what kind of file a database says a path is.
type FileType uint8

const (
	TypeUnknown FileType = iota // the database does not say (dpkg's .list)
	TypeRegular
	TypeDir
	TypeSymlink
	TypeOther // devices, fifos, sockets
)

// File is one owned path and what the package expects of it.
type File struct {
	// Path is absolute and clean ("/etc/ssh/sshd_config").
	Path string
	Type FileType

	// Digest is the expected content of a regular file; zero when the
	// database records none (dpkg directories, rpm %ghost files).
	Digest Digest

	// Config marks a configuration file: a dpkg conffile, an rpm %config,
	// a pacman backup file, an apk file under a protected path. Its Digest
	// is the default the package shipped.
	Config bool
	// NoReplace is rpm's %config(noreplace); informational.
	NoReplace bool
	// Ghost marks a path the package owns but does not ship (rpm %ghost,
	// a dpkg conffile marked "obsolete" or "remove-on-upgrade"): it is not
	// reported deleted when absent, and its content is not compared.
	Ghost bool
	// MissingOK: absence is not reported (rpm's %config(missingok));
	// present, the file is compared as any other.
	MissingOK bool
	// Managed names a tool other than the package manager that owns the
	// default ("ucf" for Debian files registered in /var/lib/ucf/hashfile);
	// Digest is then that tool's recorded default.
	Managed string

	HasMode bool
	Mode    fs.FileMode // permission bits plus fs.ModeSetuid/Setgid/Sticky

	HasOwner bool
	UID, GID int    // numeric owner, when the database records numbers
	User     string // owner names, when it records names (rpm); empty otherwise
	Group    string

	HasSize bool
	Size    int64

	HasMTime bool
	MTime    time.Time

	HasLink bool
	Link    string // symlink target as recorded
}

// Digest is a content digest: the algorithm and the lowercase hex value.
type Digest struct {
	Algo Algo
	Hex  string
}

// IsZero reports whether no digest is recorded.
func (d Digest) IsZero() bool { return d.Hex == "" }

// String is "algo:hex", or "" for no digest.
func (d Digest) String() string {
	if d.IsZero() {
		return ""
	}
	return string(d.Algo) + ":" + d.Hex
}

// Algo is a digest algorithm name as used in Digest.
type Algo string

const (
	MD5    Algo = "md5"
	SHA1   Algo = "sha1"
	SHA256 Algo = "sha256"
	SHA512 Algo = "sha512"
)

// Mode turns st_mode permission bits (0o7777) into the fs.FileMode File
// holds: permissions plus setuid, setgid and sticky, no type.
func Mode(unix uint32) fs.FileMode {
	m := fs.FileMode(unix & 0o777)
	if unix&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if unix&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if unix&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// UnixMode is Mode's inverse: the number chmod takes.
func UnixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// NewHash returns a hash of algorithm a.
func NewHash(a Algo) (hash.Hash, error) {
	switch a {
	case MD5:
		return md5.New(), nil
	case SHA1:
		return sha1.New(), nil
	case SHA256:
		return sha256.New(), nil
	case SHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unknown digest algorithm %q", a)
}
