package deb

import (
	"bytes"
	"fmt"
	"io"

	"github.com/distroscope/distroscope/ecosystem"
)

// MaxUCFEntries and MaxUCFSize bound ucf's hashfile and registry: a
// system has a few dozen ucf-managed files.
const (
	MaxUCFEntries = 100_000
	MaxUCFSize    = 16 << 20
)

// readUCF reads a ucf file whole, refusing one larger than MaxUCFSize.
func readUCF(r io.Reader, file string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxUCFSize+1))
	if err != nil {
		return nil, fmt.Errorf("deb: %s: read: %w", file, err)
	}
	if len(data) > MaxUCFSize {
		return nil, &ParseError{File: file, Line: 1 + bytes.Count(data, []byte{'\n'}), Err: fmt.Errorf("%w: larger than %d bytes", ErrTooManyEntries, MaxUCFSize)}
	}
	return data, nil
}

// UCFHash is one line of ucf's /var/lib/ucf/hashfile: the md5 of the
// default ucf last installed at Path (what ucf compares the file on disk
// with to decide whether the administrator changed it).
type UCFHash struct {
	Path string
	MD5  string
}

// UCFRegistration is one line of ucf's /var/lib/ucf/registry: Package
// registered Path with ucfr(1), so the file is that package's although no
// .list names it (openssh-server's /etc/ssh/sshd_config, say).
type UCFRegistration struct {
	Package string
	Path    string
}

// ParseUCFHashfile reads /var/lib/ucf/hashfile: "md5  /path" lines, as
// md5sum(1) writes them. Lines are bounded by MaxInfoLine and their number
// by MaxUCFEntries; a failure is a *ParseError naming the line.
func ParseUCFHashfile(r io.Reader) ([]UCFHash, error) {
	data, err := readUCF(r, "ucf/hashfile")
	if err != nil {
		return nil, err
	}
	var out []UCFHash
	err = eachLine(data, "ucf/hashfile", MaxUCFEntries, func(ln []byte) error {
		sum, p, ok := ucfFields(ln)
		if !ok {
			return nil
		}
		if len(sum) != 32 || !isLowerHex(sum) {
			return fmt.Errorf("%w: %s is not an md5 digest", ErrSyntax, ecosystem.Quote(sum))
		}
		clean, err := ucfPath(p)
		if err != nil {
			return err
		}
		out = append(out, UCFHash{Path: clean, MD5: sum})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseUCFRegistry reads /var/lib/ucf/registry: "package \t /path" lines
// (ucfr writes the package, a blank, a tab, a blank and the path).
func ParseUCFRegistry(r io.Reader) ([]UCFRegistration, error) {
	data, err := readUCF(r, "ucf/registry")
	if err != nil {
		return nil, err
	}
	var out []UCFRegistration
	err = eachLine(data, "ucf/registry", MaxUCFEntries, func(ln []byte) error {
		pkg, p, ok := ucfFields(ln)
		if !ok {
			return nil
		}
		if err := checkPackageName(pkg); err != nil {
			return err
		}
		clean, err := ucfPath(p)
		if err != nil {
			return err
		}
		out = append(out, UCFRegistration{Package: pkg, Path: clean})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ucfFields splits a ucf line into its first word and the rest, which is
// a path and may contain blanks. ok is false for a blank line.
func ucfFields(ln []byte) (first, rest string, ok bool) {
	ln = trimSpaceBytes(ln)
	if len(ln) == 0 {
		return "", "", false
	}
	i := bytes.IndexAny(ln, " \t")
	if i < 0 {
		return string(ln), "", true
	}
	return string(ln[:i]), string(trimSpaceBytes(ln[i:])), true
}

// ucfPath checks a ucf path: ucf records absolute paths only.
func ucfPath(p string) (string, error) {
	if len(p) == 0 || p[0] != '/' {
		return "", fmt.Errorf("%w: %s is not an absolute path", errPath, ecosystem.Quote(p))
	}
	return cleanPath(p)
}
