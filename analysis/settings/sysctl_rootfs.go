package settings

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// imageRootMaxLinks is Linux's own limit on symlinks followed in one lookup.
const imageRootMaxLinks = 40

// errImageRootLinks is returned for a path whose symlinks loop or nest
// deeper than the kernel would follow.
var errImageRootLinks = errors.New("too many levels of symbolic links")

// imageRoot reads files of an image's root as a chroot would: absolute
// symlink targets ("/usr/share/zoneinfo/UTC") and ".." stay inside the
// root. os.DirFS would follow them on the host instead, and the files the
// parsers here read are often symlinks (/etc/resolv.conf, /etc/localtime,
// /etc/sysctl.d/99-sysctl.conf).
type imageRoot struct{ fsys fs.FS }

// resolve returns name with every symlink on it followed inside the root.
// A file system without fs.ReadLinkFS is taken to resolve symlinks itself.
func (r imageRoot) resolve(name string) (string, error) {
	rl, ok := r.fsys.(fs.ReadLinkFS)
	if !ok {
		return name, nil
	}
	pending := strings.Split(name, "/")
	var done []string
	links := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		p := strings.Join(append(done[:len(done):len(done)], c), "/")
		fi, err := rl.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) && path.Join(p, path.Join(pending...)) == "dev/null" {
			return "dev/null", nil // a mask; images often lack the device node
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		if links++; links > imageRootMaxLinks {
			return "", &fs.PathError{Op: "resolve", Path: name, Err: errImageRootLinks}
		}
		target, err := rl.ReadLink(p)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

// readFile returns the content of name, bounded, and the absolute path of
// the file it really read (after symlinks), for the rows' File. A file
// that resolves to /dev/null is empty: that is how a drop-in is masked.
// A missing file is an error wrapping fs.ErrNotExist.
func (r imageRoot) readFile(name string) ([]byte, string, error) {
	real, err := r.resolve(name)
	if err != nil {
		return nil, "/" + name, err
	}
	if real == "dev/null" {
		return nil, "/dev/null", nil
	}
	f, err := r.fsys.Open(real)
	if err != nil {
		return nil, "/" + real, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, "/" + real, err
	}
	if fi.IsDir() {
		return nil, "/" + real, &fs.PathError{Op: "read", Path: real, Err: errors.New("is a directory")}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, "/" + real, err
	}
	if len(data) > maxFileBytes {
		return nil, "/" + real, fmt.Errorf("/%s is larger than %d bytes", real, maxFileBytes)
	}
	return data, "/" + real, nil
}

// readDir lists the directory name after following its symlinks; a
// missing directory lists nothing.
func (r imageRoot) readDir(name string) ([]fs.DirEntry, error) {
	real, err := r.resolve(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ents, err := fs.ReadDir(r.fsys, real)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return ents, err
}

// readLink returns the target of name when name itself is a symlink, and
// ok false when it is not one (or the file system cannot say).
func (r imageRoot) readLink(name string) (target string, ok bool, err error) {
	rl, isRL := r.fsys.(fs.ReadLinkFS)
	if !isRL {
		return "", false, nil
	}
	dir, err := r.resolve(path.Dir(name))
	if err != nil {
		return "", false, err
	}
	p := path.Join(dir, path.Base(name))
	fi, err := rl.Lstat(p)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return "", false, err
	}
	target, err = rl.ReadLink(p)
	return target, err == nil, err
}

// imageRootLinkTarget returns where a symlink at name with target points inside the
// root, as a clean path without the leading slash.
func imageRootLinkTarget(name, target string) string {
	if !strings.HasPrefix(target, "/") {
		target = path.Join("/", path.Dir(name), target)
	}
	return strings.TrimPrefix(path.Clean(target), "/")
}

// imageRootLines calls fn with each line of data (without its newline and a
// trailing carriage return) and its 1-based number.
func imageRootLines(data []byte, fn func(line string, n int)) {
	for n := 1; len(data) > 0; n++ {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		fn(string(bytes.TrimSuffix(line, []byte{'\r'})), n)
		data = rest
	}
}

// imageRootSort orders rows by Key then Condition, keeping the order of
// rows that tie (the values of a multi-valued key).
func imageRootSort(rows []Setting) []Setting {
	slices.SortStableFunc(rows, func(a, b Setting) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Condition, b.Condition))
	})
	return rows
}
