package imagefs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"time"
)

// FS returns an io/fs view of the tree, for readers written against
// fs.FS (the settings parsers, the init system detection): names follow
// fs.ValidPath ("etc/ssh/sshd_config", "." for the root, no leading slash).
//
// It reads the tree as a process chrooted into it would: Open, Stat and
// ReadFile follow symlinks with Resolve's chroot semantics (an absolute
// target starts again at the tree's root, ".." stops there), so a link in
// an image never reaches a file of the host; Lstat and ReadLink
// (fs.ReadLinkFS) do not follow the last component. ReadFile is bounded by
// Limits.MaxCaptureBytes and returns a copy; a file whose content the tree
// did not keep (a streamed layer's file that neither Capture nor Keep
// selected) fails with a KindNoContent error naming it. Devices, FIFOs and
// sockets read as empty: an image holds no content for them.
func (t *Tree) FS() fs.FS { return treeFS{t} }

// treeFS is the fs.FS of a Tree.
type treeFS struct{ t *Tree }

var (
	_ fs.ReadLinkFS = treeFS{}
	_ fs.ReadFileFS = treeFS{}
	_ fs.ReadDirFS  = treeFS{}
	_ fs.StatFS     = treeFS{}
)

// treePath turns an fs.FS name into the tree's absolute path, refusing
// names fs.ValidPath refuses.
func treePath(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return "/" + name, nil
}

func (f treeFS) resolve(op, name string) (*Node, error) {
	p, err := treePath(op, name)
	if err != nil {
		return nil, err
	}
	n, err := f.t.Resolve(p)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// Open opens the file name resolves to.
func (f treeFS) Open(name string) (fs.File, error) {
	n, err := f.resolve("open", name)
	if err != nil {
		return nil, err
	}
	info := nodeInfo{n: n, name: path.Base(name)}
	switch n.Type {
	case Dir:
		return &treeDir{info: info, children: slices.Clone(n.children)}, nil
	case Regular:
		r, closeFn, err := f.t.section(n)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &treeFile{info: info, SectionReader: r, closeFn: closeFn}, nil
	}
	return &treeFile{info: info, SectionReader: io.NewSectionReader(bytes.NewReader(nil), 0, 0), closeFn: func() {}}, nil
}

// ReadFile returns a copy of the content of the file name resolves to.
func (f treeFS) ReadFile(name string) ([]byte, error) {
	p, err := treePath("readfile", name)
	if err != nil {
		return nil, err
	}
	n, err := f.t.Resolve(p)
	if err == nil && n.Type != Regular && n.Type != Dir {
		return []byte{}, nil
	}
	var b []byte
	if err == nil {
		b, err = f.t.ReadFile(p)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return bytes.Clone(b), nil
}

// ReadDir lists the directory name resolves to, sorted by name; the
// entries are not followed (a symlink's Type is fs.ModeSymlink).
func (f treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	if n.Type != Dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errorf(KindNotDir, "/"+name, "not a directory")}
	}
	return entries(n.children), nil
}

// Stat describes the file name resolves to.
func (f treeFS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return nodeInfo{n: n, name: path.Base(name)}, nil
}

// Lstat describes name without following it when it is a symlink (its
// directories are followed).
func (f treeFS) Lstat(name string) (fs.FileInfo, error) {
	p, err := treePath("lstat", name)
	if err != nil {
		return nil, err
	}
	n, err := f.t.Lstat(p)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	return nodeInfo{n: n, name: path.Base(name)}, nil
}

// errNotSymlink is ReadLink's error for a name that is no symlink, as
// readlink(2)'s EINVAL.
var errNotSymlink = errors.New("not a symbolic link")

// ReadLink returns the target of the symlink name, as written.
func (f treeFS) ReadLink(name string) (string, error) {
	p, err := treePath("readlink", name)
	if err != nil {
		return "", err
	}
	n, err := f.t.Lstat(p)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	if n.Type != Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: errNotSymlink}
	}
	return n.Link, nil
}

// section returns a reader of the regular file n's content, bounded by
// the size the tree recorded, and what closes it.
func (t *Tree) section(n *Node) (*io.SectionReader, func(), error) {
	b := n.body
	switch {
	case b == nil:
		return nil, nil, errorf(KindNoContent, n.Path, "no content")
	case b.captured:
		return io.NewSectionReader(bytes.NewReader(b.data), 0, int64(len(b.data))), func() {}, nil
	case b.loc == locTar:
		return io.NewSectionReader(t.file, b.off, n.Size), func() {}, nil
	case b.loc == locDir:
		r, done, err := t.open(n)
		if err != nil {
			return nil, nil, err
		}
		ra, ok := r.(io.ReaderAt)
		if !ok {
			done()
			return nil, nil, errorf(KindNoContent, n.Path, "the source cannot be read at offsets")
		}
		return io.NewSectionReader(ra, 0, n.Size), done, nil
	}
	return nil, nil, errorf(KindNoContent, n.Path, "the content was streamed and not kept (neither ApplyOptions.Capture nor Keep selected it)")
}

// treeFile is an open regular file (or an empty device, FIFO or socket).
type treeFile struct {
	*io.SectionReader
	info    nodeInfo
	closeFn func()
	closed  bool
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *treeFile) Close() error {
	if !f.closed {
		f.closed = true
		f.closeFn()
	}
	return nil
}

// treeDir is an open directory; ReadDir pages through a snapshot of its
// children.
type treeDir struct {
	info     nodeInfo
	children []*Node
	off      int
}

func (d *treeDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *treeDir) Close() error               { return nil }

func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

func (d *treeDir) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.children[d.off:]
	if count > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if count > 0 && count < len(rest) {
		rest = rest[:count]
	}
	d.off += len(rest)
	return entries(rest), nil
}

func entries(nodes []*Node) []fs.DirEntry {
	out := make([]fs.DirEntry, len(nodes))
	for i, n := range nodes {
		out[i] = fs.FileInfoToDirEntry(nodeInfo{n: n, name: n.name})
	}
	return out
}

// nodeInfo is a node's fs.FileInfo under the name it was reached by. Sys
// returns the *Node.
type nodeInfo struct {
	n    *Node
	name string
}

func (i nodeInfo) Name() string {
	if i.name == "" || i.name == "/" {
		return "."
	}
	return i.name
}

func (i nodeInfo) Size() int64 {
	switch i.n.Type {
	case Regular:
		return i.n.Size
	case Symlink:
		return int64(len(i.n.Link))
	}
	return 0
}

func (i nodeInfo) Mode() fs.FileMode {
	m := i.n.Mode
	switch i.n.Type {
	case Dir:
		m |= fs.ModeDir
	case Symlink:
		m |= fs.ModeSymlink
	case CharDev:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case BlockDev:
		m |= fs.ModeDevice
	case FIFO:
		m |= fs.ModeNamedPipe
	case Socket:
		m |= fs.ModeSocket
	}
	return m
}

func (i nodeInfo) ModTime() time.Time { return i.n.MTime }
func (i nodeInfo) IsDir() bool        { return i.n.Type == Dir }
func (i nodeInfo) Sys() any           { return i.n }
