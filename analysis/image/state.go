package image

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

// Actual is what an image has at an owned path, as the comparison needs
// it. Digest computes the content digest in the algorithm the package
// recorded, on demand: most packages record md5 (dpkg, old rpm), others
// sha1 (apk) or sha256 (rpm, pacman).
type Actual struct {
	Exists bool
	Type   installed.FileType
	Mode   fs.FileMode // permission bits and setuid/setgid/sticky
	UID    int
	GID    int
	Size   int64
	MTime  time.Time
	Link   string
	Digest func(installed.Algo) (string, error)
}

// Accounts maps the image's own user and group names to ids, as rpm -V
// does through the root's /etc/passwd and /etc/group: rpm records owners
// by name.
type Accounts struct {
	Users  map[string]int
	Groups map[string]int
}

// The changes Compare reports, in rpm -V's order (SM5DLUGT): content
// changes first, then metadata.
const (
	changeType   = "type"
	changeSize   = "size"
	changeMode   = "mode"
	changeDigest = "digest"
	changeLink   = "link"
	changeOwner  = "owner"
	changeGroup  = "group"
	changeMTime  = "mtime"
)

// permBits are the mode bits a package records and rpm -V compares.
const permBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Compare is the file-state comparison every ecosystem shares: it checks
// what the package's database recorded of the path — and only that, so
// that each ecosystem's own verifier (dpkg --verify, rpm -V, pacman -Qkk,
// apk audit) and distroscope agree — and returns the state and what
// differs. A content change (type, size, digest, link target) is
// "modified"; a change of mode, owner or mtime alone is
// "metadata-changed"; an absent path is "deleted" unless the package
// only claims it (a ghost).
func Compare(rec installed.File, a Actual, acc Accounts) (state string, changes []string, err error) {
	if !a.Exists {
		if rec.Ghost || rec.MissingOK {
			return datasets.StateUnchanged, nil, nil
		}
		return datasets.StateDeleted, nil, nil
	}
	if rec.Ghost {
		return datasets.StateUnchanged, nil, nil // claimed, not shipped: nothing to compare
	}
	content := false
	if rec.Type != installed.TypeUnknown && rec.Type != a.Type {
		return datasets.StateModified, []string{changeType}, nil
	}
	regular := a.Type == installed.TypeRegular
	if rec.HasSize && regular && rec.Size != a.Size {
		changes, content = append(changes, changeSize), true
	}
	if rec.HasMode && rec.Mode&permBits != a.Mode&permBits && a.Type != installed.TypeSymlink {
		changes = append(changes, changeMode)
	}
	// apk records a symlink's digest too, of its target's text, without
	// saying the path is a symlink.
	digestable := regular || a.Type == installed.TypeSymlink && rec.Type == installed.TypeUnknown
	if !rec.Digest.IsZero() && digestable {
		got, err := a.Digest(rec.Digest.Algo)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", rec.Path, err)
		}
		if got != rec.Digest.Hex {
			changes, content = append(changes, changeDigest), true
		}
	}
	if rec.HasLink && a.Type == installed.TypeSymlink && rec.Link != a.Link {
		changes, content = append(changes, changeLink), true
	}
	if rec.HasOwner {
		uid, gid := rec.UID, rec.GID
		okU, okG := true, true
		if rec.User != "" {
			uid, okU = lookupID(acc.Users, rec.User)
		}
		if rec.Group != "" {
			gid, okG = lookupID(acc.Groups, rec.Group)
		}
		if !okU || uid != a.UID {
			changes = append(changes, changeOwner)
		}
		if !okG || gid != a.GID {
			changes = append(changes, changeGroup)
		}
	}
	if rec.HasMTime && a.Type != installed.TypeDir && rec.MTime.Unix() != a.MTime.Unix() {
		changes = append(changes, changeMTime)
	}
	switch {
	case content:
		return datasets.StateModified, changes, nil
	case len(changes) > 0:
		return datasets.StateMetadataChanged, changes, nil
	}
	return datasets.StateUnchanged, nil, nil
}

// lookupID maps an owner name to its id in the image. "root" is 0 even in
// an image without /etc/passwd, as rpm's rpmugUid and rpmugGid hold it.
func lookupID(ids map[string]int, name string) (int, bool) {
	if id, ok := ids[name]; ok {
		return id, true
	}
	return 0, name == "root"
}
