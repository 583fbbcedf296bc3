package imagefs

import (
	"strings"
)

// cleanName turns a tar member name ("./etc/x", "etc/x", "etc/x/") into
// an absolute clean path, refusing what could name anything outside the
// root: an absolute name, a ".." component (even one that would stay
// inside, as no real layer writes one), a NUL byte, an overlong name.
func cleanName(name string, lim Limits) (string, *Error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", errorf(KindNUL, name, "name contains a NUL byte")
	}
	if len(name) > lim.MaxPathBytes {
		return "", errorf(KindPathTooLong, shorten(name), "name is %d bytes long, more than %d", len(name), lim.MaxPathBytes)
	}
	if strings.HasPrefix(name, "/") {
		return "", errorf(KindAbsolute, name, "absolute name")
	}
	var b strings.Builder
	b.Grow(len(name) + 1)
	for c := range strings.SplitSeq(name, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			return "", errorf(KindDotDot, name, "name escapes the root (a \"..\" component)")
		}
		b.WriteByte('/')
		b.WriteString(c)
	}
	if b.Len() == 0 {
		return "/", nil
	}
	return b.String(), nil
}

// cleanHardlink is cleanName for a hardlink's target, which names an
// earlier member the same way a member name does.
func cleanHardlink(name, target string, lim Limits) (string, *Error) {
	if strings.IndexByte(target, 0) >= 0 {
		return "", errorf(KindNUL, name, "hardlink target contains a NUL byte")
	}
	if strings.HasPrefix(target, "/") {
		return "", errorf(KindHardlinkEscape, name, "hardlink target %q is absolute", target)
	}
	p, err := cleanName(target, lim)
	if err != nil {
		if err.Kind == KindDotDot {
			return "", errorf(KindHardlinkEscape, name, "hardlink target %q escapes the root (a \"..\" component)", target)
		}
		err.Path = name
		err.Msg = "hardlink target: " + err.Msg
		return "", err
	}
	return p, nil
}

// checkSymlink refuses a symlink at p whose relative target, read
// lexically from the link's directory, climbs above the root. Resolving
// in the tree clamps ".." at the root anyway; such a link is refused
// because it exists only to attack a tool that extracts to disk.
// Absolute targets are normal (/etc/localtime -> /usr/share/zoneinfo/UTC).
func checkSymlink(name, p, target string, lim Limits) *Error {
	if strings.IndexByte(target, 0) >= 0 {
		return errorf(KindNUL, name, "symlink target contains a NUL byte")
	}
	if len(target) > lim.MaxPathBytes {
		return errorf(KindPathTooLong, name, "symlink target is %d bytes long, more than %d", len(target), lim.MaxPathBytes)
	}
	if strings.HasPrefix(target, "/") {
		return nil
	}
	depth := strings.Count(p, "/") - 1 // components of the link's directory
	for c := range strings.SplitSeq(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return errorf(KindSymlinkEscape, name, "symlink target %q climbs above the root", target)
			}
		default:
			depth++
		}
	}
	return nil
}

// shorten keeps an error message readable for a name of thousands of bytes.
func shorten(s string) string {
	if len(s) <= 128 {
		return s
	}
	return s[:128] + "…"
}
