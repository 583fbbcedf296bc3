package imagefs

import (
	"fmt"
	"io/fs"
)

// Kind says what was wrong with an input or a lookup, so that callers can
// branch (a corrupt layer is not retried; a missing path is not an error
// for an analyzer that only looks).
type Kind string

const (
	KindAbsolute       Kind = "absolute-name"      // a member name starting with "/"
	KindDotDot         Kind = "dotdot-name"        // a member name with a ".." component
	KindNUL            Kind = "nul-name"           // a NUL byte in a name or link target
	KindPathTooLong    Kind = "path-too-long"      // longer than Limits.MaxPathBytes
	KindHardlinkEscape Kind = "hardlink-escape"    // a hardlink target absolute or with ".."
	KindHardlinkTarget Kind = "hardlink-target"    // a hardlink to no earlier member, or to a directory
	KindSymlinkEscape  Kind = "symlink-escape"     // a relative symlink target climbing above the root
	KindRootReplace    Kind = "root-replace"       // a non-directory named "." or "/"
	KindWhiteout       Kind = "bad-whiteout"       // ".wh." with no name, or of "." or ".."
	KindDevice         Kind = "device-node"        // a char or block device outside /dev
	KindNotDir         Kind = "not-a-directory"    // a path goes through a non-directory
	KindNotExist       Kind = "not-exist"          // no such path (wraps fs.ErrNotExist)
	KindFileTooLarge   Kind = "file-too-large"     // Limits.MaxFileBytes or MaxCaptureBytes
	KindLayerTooLarge  Kind = "layer-too-large"    // Limits.MaxLayerBytes
	KindTooManyEntries Kind = "too-many-entries"   // Limits.MaxEntries
	KindRatio          Kind = "compression-ratio"  // Limits.MaxRatio: a decompression bomb
	KindTruncated      Kind = "truncated"          // a member's data is shorter than its header says
	KindCorrupt        Kind = "corrupt"            // an invalid tar header or compressed stream
	KindUnsupported    Kind = "unsupported-member" // a tar member type an image has no use for
	KindLinkDepth      Kind = "link-depth"         // more than Limits.MaxLinkDepth symlink hops
	KindLinkLoop       Kind = "link-loop"          // a symlink loop
	KindNoContent      Kind = "no-content"         // content asked for that was streamed and not kept
)

// Error is every error imagefs returns about its input or a path in the
// tree: Kind says what was wrong, Path names the member (as written in the
// tar, or the path looked up), Source the layer or root it came from.
type Error struct {
	Kind   Kind
	Source string // "layer 2", "file:/x/rootfs.tar", "dir:/x/root"; empty for lookups
	Path   string
	Msg    string
	Err    error // the underlying error, if any
}

func (e *Error) Error() string {
	s := "imagefs: "
	if e.Source != "" {
		s += e.Source + ": "
	}
	if e.Path != "" {
		if e.Source != "" {
			s += "member "
		}
		s += fmt.Sprintf("%q: ", e.Path)
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error; a KindNotExist error unwraps to
// fs.ErrNotExist so that errors.Is works as with os.
func (e *Error) Unwrap() error {
	if e.Err == nil && e.Kind == KindNotExist {
		return fs.ErrNotExist
	}
	return e.Err
}

func errorf(kind Kind, path, format string, args ...any) *Error {
	return &Error{Kind: kind, Path: path, Msg: fmt.Sprintf(format, args...)}
}
