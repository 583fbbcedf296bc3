package imageref

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// An archive of an image (an OCI layout or a docker save) holds a few
// members; more than this is not an image archive but an attack on our
// memory.
const maxArchiveMembers = 100_000

// maxArchiveLinks bounds symlink and hardlink chains between members.
const maxArchiveLinks = 16

// tarMember is where one member's bytes are in the archive file.
type tarMember struct {
	offset, size int64
	link         string // symlink or hardlink target, "" for regular files
	symlink      bool
}

// tarIndex serves the members of an uncompressed tar straight from the file
// through io.SectionReader, so an OCI or docker archive is read in place
// instead of being extracted to a scratch directory. One pass over the
// headers (archive/tar seeks past the contents) builds it.
type tarIndex struct {
	f       *os.File
	name    string
	members map[string]tarMember
}

// positionReader tells where archive/tar has got to: after Next returns, the
// position is the start of the member's contents.
type positionReader struct {
	f   *os.File
	pos int64
}

func (p *positionReader) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	p.pos += int64(n)
	return n, err
}

func (p *positionReader) Seek(offset int64, whence int) (int64, error) {
	n, err := p.f.Seek(offset, whence)
	if err == nil {
		p.pos = n
	}
	return n, err
}

func openTarIndex(name string) (*tarIndex, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("imageref: %w", err)
	}
	ti := &tarIndex{f: f, name: name, members: map[string]tarMember{}}
	pr := &positionReader{f: f}
	tr := tar.NewReader(pr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("imageref: %s: not a readable tar archive: %w", name, err)
		}
		if len(ti.members) >= maxArchiveMembers {
			f.Close()
			return nil, fmt.Errorf("imageref: %s: more than %d members, not an image archive", name, maxArchiveMembers)
		}
		key := cleanMember(h.Name)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives still use TypeRegA
			ti.members[key] = tarMember{offset: pr.pos, size: h.Size}
		case tar.TypeSymlink:
			ti.members[key] = tarMember{link: path.Join(path.Dir(key), h.Linkname), symlink: true}
		case tar.TypeLink:
			ti.members[key] = tarMember{link: cleanMember(h.Linkname)}
		}
	}
	return ti, nil
}

// cleanMember spells a member name the way lookups do: "./a//b" is "a/b".
func cleanMember(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// open returns a member's contents and size, following links between
// members; a link leaving the archive or a chain too deep is an error.
func (ti *tarIndex) open(name string) (io.ReadCloser, int64, error) {
	key := cleanMember(name)
	for range maxArchiveLinks {
		m, ok := ti.members[key]
		if !ok {
			return nil, 0, fmt.Errorf("imageref: %s: no member %s: %w", ti.name, name, fs.ErrNotExist)
		}
		if m.link == "" {
			return io.NopCloser(io.NewSectionReader(ti.f, m.offset, m.size)), m.size, nil
		}
		if strings.HasPrefix(m.link, "../") || m.link == ".." {
			return nil, 0, fmt.Errorf("imageref: %s: member %s links outside the archive (%s)", ti.name, name, m.link)
		}
		key = cleanMember(m.link)
	}
	return nil, 0, fmt.Errorf("imageref: %s: member %s: more than %d links in a chain", ti.name, name, maxArchiveLinks)
}

func (ti *tarIndex) has(name string) bool {
	_, ok := ti.members[cleanMember(name)]
	return ok
}

func (ti *tarIndex) Close() error { return ti.f.Close() }
