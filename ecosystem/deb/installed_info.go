package deb

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Limits on the files beside the status database. A path is at most
// PATH_MAX (4,096 bytes) on Linux, so no real line of a .list, .md5sums,
// diversions or ucf file is longer than MaxInfoLine. The largest .list of
// Debian (texlive and documentation packages) has tens of thousands of
// paths and a large desktop owns about 400,000 in all; MaxOwnedPaths,
// counted over every file one Installed call reads, keeps a hostile
// database to a bounded amount of memory (each path's record is about 200
// bytes).
const (
	MaxInfoLine   = 16 << 10
	MaxOwnedPaths = 1 << 20
)

// ErrTooManyEntries reports an installed-package file with more entries
// than its limit (MaxStatusEntries, MaxOwnedPaths).
var ErrTooManyEntries = errors.New("too many entries")

// errPath reports a path that is not one a package can own.
var errPath = errors.New("not a package path")

// cleanPath turns a path as dpkg records it — absolute in .list and
// Conffiles, relative (sometimes with "./") in .md5sums — into the
// absolute, clean form installed.File uses. dpkg writes only clean paths;
// one with a ".." element, a NUL or a newline can only come from a forged
// database and is refused, so that no record names a path outside the root.
func cleanPath(p string) (string, error) {
	if p == "" || len(p) > MaxInfoLine || strings.ContainsAny(p, "\x00\n") {
		return "", fmt.Errorf("%w: %s", errPath, ecosystem.Quote(p))
	}
	if p[0] == '/' && isCleanAbs(p) {
		return p, nil // nearly every path dpkg writes
	}
	rel := strings.TrimLeft(p, "/")
	for strings.HasPrefix(rel, "./") {
		rel = strings.TrimLeft(rel[2:], "/")
	}
	for elem := range strings.SplitSeq(rel, "/") {
		if elem == ".." {
			return "", fmt.Errorf("%w: %s has a \"..\" element", errPath, ecosystem.Quote(p))
		}
	}
	return path.Clean("/" + rel), nil
}

// isCleanAbs reports whether the absolute path p is already clean: no
// empty, "." or ".." element and no trailing slash.
func isCleanAbs(p string) bool {
	if p == "/" {
		return true
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		switch p[start:i] {
		case "", ".", "..":
			return false
		}
		start = i + 1
	}
	return true
}

// eachLine calls fn with every line of data (without its newline), at
// most maxLines of them, each at most MaxInfoLine bytes. An error from fn,
// or about a line, is returned as a *ParseError naming file and line. The
// files are already in memory (DB), so lines are sliced out of them, not
// copied through a reader's buffer: a tree has hundreds of them.
func eachLine(data []byte, file string, maxLines int, fn func(line []byte) error) error {
	for n := 1; len(data) > 0; n++ {
		ln := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(ln) > MaxInfoLine {
			return &ParseError{File: file, Line: n, Err: fmt.Errorf("%w: longer than %d bytes", ErrLineTooLong, MaxInfoLine)}
		}
		if n > maxLines {
			return &ParseError{File: file, Line: n, Err: fmt.Errorf("%w: more than %d lines", ErrTooManyEntries, maxLines)}
		}
		if bytes.IndexByte(ln, 0) >= 0 {
			return &ParseError{File: file, Line: n, Err: ErrNUL}
		}
		if err := fn(ln); err != nil {
			return &ParseError{File: file, Line: n, Err: err}
		}
	}
	return nil
}

// parseList reads info/PKG.list: one absolute path per line, directories
// included, "/." standing for the root directory (left out here).
func parseList(data []byte, file string, budget *int) ([]string, error) {
	var paths []string
	err := eachLine(data, file, *budget, func(ln []byte) error {
		if len(ln) == 0 || string(ln) == "/." {
			return nil
		}
		p, err := cleanPath(string(ln))
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	*budget -= len(paths)
	return paths, err
}

// md5Line is one line of a .md5sums file.
type md5Line struct {
	Path, MD5 string
}

// parseMD5sums reads PKG.md5sums: "digest  path" (md5sum(1)'s format, a
// '*' in place of the second space in binary mode), the path relative to
// the root. dh_md5sums leaves conffiles out.
func parseMD5sums(data []byte, file string, budget *int) ([]md5Line, error) {
	var out []md5Line
	err := eachLine(data, file, *budget, func(ln []byte) error {
		if len(trimSpaceBytes(ln)) == 0 {
			return nil
		}
		if len(ln) < 35 || ln[32] != ' ' || (ln[33] != ' ' && ln[33] != '*') {
			return fmt.Errorf("%w: %s is not \"md5  path\"", ErrSyntax, ecosystem.QuoteBytes(ln))
		}
		sum := string(ln[:32])
		if !isLowerHex(sum) {
			return fmt.Errorf("%w: %s is not an md5 digest", ErrSyntax, ecosystem.Quote(sum))
		}
		rel := ln[34:]
		if len(rel) > 0 && rel[0] != '/' && rel[0] != '.' {
			// Relative as md5sum writes it: made absolute in one allocation.
			abs := make([]byte, 0, len(rel)+1)
			rel = append(append(abs, '/'), rel...)
		}
		p, err := cleanPath(string(rel))
		if err != nil {
			return err
		}
		out = append(out, md5Line{Path: p, MD5: sum})
		return nil
	})
	*budget -= len(out)
	return out, err
}

// parseConffilesInfo reads info/PKG.conffiles, the conffiles list the
// package shipped: one absolute path per line, since dpkg 1.20.1 possibly
// after flags ("remove-on-upgrade /etc/x"). The digests are in the status
// file's Conffiles field; this list only says which paths are conffiles.
func parseConffilesInfo(data []byte, file string, budget *int) ([]Conffile, error) {
	var out []Conffile
	err := eachLine(data, file, *budget, func(ln []byte) error {
		s := trimSpace(string(ln))
		if s == "" {
			return nil
		}
		var c Conffile
		for !strings.HasPrefix(s, "/") {
			flag, rest, ok := strings.Cut(s, " ")
			if !ok || flag != "remove-on-upgrade" {
				return fmt.Errorf("%w: %s is not \"[flags] /path\"", ErrSyntax, ecosystem.Quote(s))
			}
			c.RemoveOnUpgrade = true
			s = strings.TrimLeft(rest, " \t")
		}
		p, err := cleanPath(s)
		if err != nil {
			return err
		}
		c.Path = p
		out = append(out, c)
		return nil
	})
	*budget -= len(out)
	return out, err
}

// Diversion is one entry of /var/lib/dpkg/diversions: From is diverted to
// To for every package but Package (empty for a local diversion, made by
// the administrator: it applies to all packages).
type Diversion struct {
	From, To, Package string
}

// parseDiversions reads /var/lib/dpkg/diversions: three lines per entry —
// the diverted path, where it goes instead, and the package that made the
// diversion (":" for a local one).
func parseDiversions(data []byte, file string, budget *int) (map[string]Diversion, error) {
	out := map[string]Diversion{}
	var cur []string
	err := eachLine(data, file, *budget, func(ln []byte) error {
		cur = append(cur, string(ln))
		if len(cur) < 3 {
			return nil
		}
		from, err := cleanPath(cur[0])
		if err != nil {
			return err
		}
		to, err := cleanPath(cur[1])
		if err != nil {
			return err
		}
		d := Diversion{From: from, To: to}
		if cur[2] != ":" {
			if err := checkPackageName(cur[2]); err != nil {
				return err
			}
			d.Package = cur[2]
		}
		if _, dup := out[from]; dup {
			return fmt.Errorf("%w: %s is diverted twice", ErrSyntax, ecosystem.Quote(from))
		}
		out[from] = d
		cur = cur[:0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(cur) != 0 {
		return nil, &ParseError{File: file, Line: 3*len(out) + len(cur), Err: fmt.Errorf("%w: an entry of %d lines, want 3", ErrSyntax, len(cur))}
	}
	*budget -= 3 * len(out)
	return out, nil
}
