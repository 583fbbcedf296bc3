package settings

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// authReadFile reads name (relative to the image root) through the size
// bound, following symlinks inside the root as a chroot would
// (imageRoot.resolve): an image's /etc/ssh/sshd_config linking to
// /etc/shadow must not read the host's. A missing file is (nil, false,
// nil): the contract makes it no rows, not an error. Directories are
// missing too, as a glob may match one; a file masked by a link to
// /dev/null is empty.
func authReadFile(fsys fs.FS, name string) ([]byte, bool, error) {
	real, err := imageRoot{fsys}.resolve(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("settings: %s: %w", authAbs(name), err)
	}
	if real == "dev/null" {
		return nil, true, nil
	}
	f, err := fsys.Open(real)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("settings: open %s: %w", authAbs(name), err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, false, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, false, fmt.Errorf("settings: read %s: %w", authAbs(name), err)
	}
	if len(data) > maxFileBytes {
		return nil, false, fmt.Errorf("settings: %s is larger than %d bytes", authAbs(name), maxFileBytes)
	}
	return data, true, nil
}

// authReadDir lists directory name with its symlinks followed inside the
// root; a missing directory lists nothing.
func authReadDir(fsys fs.FS, name string) ([]fs.DirEntry, error) {
	return imageRoot{fsys}.readDir(name)
}

// authAbs is the absolute path a row's File names: fs.FS paths have no
// leading slash.
func authAbs(name string) string { return "/" + name }

// authRel turns a path a configuration file names (absolute, or relative to
// dir, an fs.FS path) into an fs.FS path, clamped to the image root as
// the program would be by a chroot: "/../etc" is "etc".
func authRel(dir, p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + dir + "/" + p
	}
	return strings.TrimPrefix(path.Clean(p), "/")
}

// authGlob expands pattern (an fs.FS path) sorted in byte order, as glob(3)
// sorts in the C locale. Its syntax is path.Match's: "[!x]" negates, as in
// glob(3); "[^x]" does not. A pattern whose directory has no wildcard —
// every one the formats here ship — lists that directory inside the root
// (authReadDir); one with wildcards in its directories goes through
// fs.Glob, which follows the file system's own symlinks.
func authGlob(fsys fs.FS, pattern string) ([]string, error) {
	dir, base := path.Split(pattern)
	dir = strings.TrimSuffix(dir, "/")
	if strings.ContainsAny(dir, "*?[\\") {
		names, err := fs.Glob(fsys, pattern)
		slices.Sort(names)
		return names, err
	}
	if _, err := path.Match(base, ""); err != nil {
		return nil, err
	}
	entries, err := authReadDir(fsys, cmp.Or(dir, "."))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if ok, _ := path.Match(base, e.Name()); ok {
			names = append(names, path.Join(dir, e.Name()))
		}
	}
	slices.Sort(names)
	return names, nil
}

// authLines splits data into lines without their line ends; the i-th
// line is line i+1 of the file.
func authLines(data []byte) []string {
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// authRowGuard fails once a parser has produced more rows than the bound.
func authRowGuard(n int, file string, line int) error {
	if n > maxRows {
		return fmt.Errorf("settings: %s line %d: more than %d settings", file, line, maxRows)
	}
	return nil
}

// authSort orders rows by Key then Condition, keeping file order within
// one key and condition (the order of a multi-valued setting's values).
func authSort(rows []Setting) {
	slices.SortStableFunc(rows, func(a, b Setting) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Condition, b.Condition)
	})
}
