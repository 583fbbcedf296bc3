package initsys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

// maxLinks bounds the symbolic links followed for one path, as the kernel's
// ELOOP limit does (40).
const maxLinks = 40

// maxFileSize bounds the files read (unit files, presets, inittab): the
// largest real ones are a few KiB; the image is untrusted.
const maxFileSize = 1 << 20

// errLoop is returned for a path with more than maxLinks links.
var errLoop = errors.New("too many levels of symbolic links")

// resolve follows the symbolic links of p inside fsys's root, as in a chroot
// of it: an absolute target restarts at the root and ".." stops there. It
// returns the resolved path (clean, no leading slash, "." for the root).
// When a component does not exist it returns the path resolved so far joined
// with the rest, and an error wrapping fs.ErrNotExist.
//
// Resolving component by component keeps os.DirFS from following an
// absolute link out to the host: every path handed to fsys is one whose
// directories are already known to be real ones.
func resolve(fsys fs.FS, p string) (string, error) {
	rest := splitPath(p)
	var done []string
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cand := path.Join(append(done, c)...)
		info, err := lstat(fsys, cand)
		if err != nil {
			return path.Join(append([]string{cand}, rest...)...), err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		links++
		if links > maxLinks {
			return cand, fmt.Errorf("%s: %w", cand, errLoop)
		}
		target, err := fs.ReadLink(fsys, cand)
		if err != nil {
			return cand, err
		}
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		rest = append(splitPath(target), rest...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}

// lstat is fs.Lstat, with a file where a directory should be reported as
// fs.ErrNotExist (as fstest.MapFS does; the OS says ENOTDIR): what the path
// names is not there.
func lstat(fsys fs.FS, p string) (fs.FileInfo, error) {
	info, err := fs.Lstat(fsys, p)
	if errors.Is(err, syscall.ENOTDIR) {
		err = fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return info, err
}

// splitPath splits p into its components, without empty ones.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// exists reports whether p resolves to something in fsys.
func exists(fsys fs.FS, p string) bool {
	r, err := resolve(fsys, p)
	if err != nil {
		return false
	}
	_, err = fs.Stat(fsys, r)
	return err == nil
}

// isDir reports whether p resolves to a directory in fsys.
func isDir(fsys fs.FS, p string) bool {
	r, err := resolve(fsys, p)
	if err != nil {
		return false
	}
	info, err := fs.Stat(fsys, r)
	return err == nil && info.IsDir()
}

// readDir lists the directory p resolves to; a missing directory is empty.
func readDir(fsys fs.FS, p string) (string, []fs.DirEntry, error) {
	r, err := resolve(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil, nil
	}
	if err != nil {
		return r, nil, err
	}
	entries, err := fs.ReadDir(fsys, r)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil, nil
	}
	return r, entries, err
}

// readFile reads the file p resolves to, at most maxFileSize bytes.
func readFile(fsys fs.FS, p string) ([]byte, error) {
	b, r, err := readResolved(fsys, p, maxFileSize+1)
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("/%s: larger than %d bytes", r, maxFileSize)
	}
	return b, nil
}

// readHead reads the first n bytes at most of the file p resolves to: what
// tells a script from a binary without reading a multi-megabyte one.
func readHead(fsys fs.FS, p string, n int64) ([]byte, error) {
	b, _, err := readResolved(fsys, p, n)
	return b, err
}

// readResolved reads at most n bytes of the file p resolves to, and says
// which file that was.
func readResolved(fsys fs.FS, p string, n int64) ([]byte, string, error) {
	r, err := resolve(fsys, p)
	if err != nil {
		return nil, "", err
	}
	f, err := fsys.Open(r)
	if err != nil {
		return nil, r, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, n))
	if err != nil {
		return nil, r, fmt.Errorf("/%s: %w", r, err)
	}
	return b, r, nil
}

// masksDevNull reports whether p is a symbolic link to /dev/null, systemd's
// way to mask a unit or a preset file. The link is read, not followed: the
// image's /dev/null may not exist.
func masksDevNull(fsys fs.FS, p string) bool {
	dir, err := resolve(fsys, path.Dir(p))
	if err != nil {
		return false
	}
	t, err := fs.ReadLink(fsys, path.Join(dir, path.Base(p)))
	return err == nil && path.Clean(t) == "/dev/null"
}
