package imagefs

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// Algo is a digest algorithm, spelled as the installed-package records
// spell it.
type Algo = installed.Algo

// Type is what kind of file a node is. A hardlink is not a type of its
// own: it becomes a node of its target's type sharing the target's content.
type Type uint8

const (
	Regular Type = iota + 1
	Dir
	Symlink
	CharDev
	BlockDev
	FIFO
	Socket
)

func (t Type) String() string {
	switch t {
	case Regular:
		return "regular"
	case Dir:
		return "dir"
	case Symlink:
		return "symlink"
	case CharDev:
		return "chardev"
	case BlockDev:
		return "blockdev"
	case FIFO:
		return "fifo"
	case Socket:
		return "socket"
	}
	return "unknown"
}

// Node is one path of the tree, with the metadata its layer or root gave it.
type Node struct {
	Path         string      // absolute and clean: "/etc/passwd"; the root is "/"
	Type         Type        //
	Mode         fs.FileMode // permission bits | fs.ModeSetuid|ModeSetgid|ModeSticky, no type bits
	UID, GID     int
	Size         int64 // regular files: the content's length
	MTime        time.Time
	Link         string // symlink target as written
	Major, Minor int64  // devices
	Layer        int    // the layer that last wrote this node (0 for dir: and file:)

	name     string  // last element of Path; "" for the root
	parent   *Node   // nil for the root
	children []*Node // directories: sorted by name
	body     *body   // regular files; shared by hardlinks
	gen      uint32  // the Apply that last wrote the node, for opaque directories
}

// locator says where a body's content can be read again after the tree
// was built.
type locator uint8

const (
	locNone locator = iota // streamed: only captured bytes and eager digests
	locDir                 // the file at the node's path under Tree.dir
	locTar                 // off in Tree.file, Node.Size bytes
)

// body is a regular file's content: where to read it again, and what is
// known of it already. Hardlinks share one body.
type body struct {
	loc      locator
	captured bool
	kept     bool // captured for ApplyOptions.Keep only: not a database
	off      int64
	data     []byte
	digests  []digest // guarded by Tree.mu: lazy digests are added concurrently
}

type digest struct {
	algo Algo
	hex  string
}

// Limits bound what an input may make imagefs do. Zero fields take their
// defaults (DefaultLimits); a negative MaxRatio turns the ratio check off.
type Limits struct {
	MaxEntries      int   // tar members or directory entries per tree (all layers)
	MaxLayerBytes   int64 // uncompressed tar bytes per layer
	MaxFileBytes    int64 // one regular file of a tar
	MaxCaptureBytes int64 // one file kept in memory (Capture, ReadFile)
	MaxRatio        int64 // uncompressed/compressed bytes, checked once uncompressed > 64 MiB
	MaxLinkDepth    int   // symlink hops when resolving a path
	MaxPathBytes    int   // one member name or link target
}

// ratioFloor is where the compression ratio starts being checked: small
// layers of zeros or text legitimately compress far better than any bomb
// threshold, and 64 MiB of decompression costs well under a second.
const ratioFloor = 64 << 20

// DefaultLimits are generous for real images (the largest distribution
// images have ~100k files, and single files of a few hundred MiB) and
// stop bombs before they cost more than seconds.
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:      1_000_000,
		MaxLayerBytes:   8 << 30,
		MaxFileBytes:    2 << 30,
		MaxCaptureBytes: 256 << 20,
		MaxRatio:        200,
		MaxLinkDepth:    40,
		MaxPathBytes:    4096,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	l.MaxEntries = cmp.Or(l.MaxEntries, d.MaxEntries)
	l.MaxLayerBytes = cmp.Or(l.MaxLayerBytes, d.MaxLayerBytes)
	l.MaxFileBytes = cmp.Or(l.MaxFileBytes, d.MaxFileBytes)
	l.MaxCaptureBytes = cmp.Or(l.MaxCaptureBytes, d.MaxCaptureBytes)
	l.MaxRatio = cmp.Or(l.MaxRatio, d.MaxRatio)
	l.MaxLinkDepth = cmp.Or(l.MaxLinkDepth, d.MaxLinkDepth)
	l.MaxPathBytes = cmp.Or(l.MaxPathBytes, d.MaxPathBytes)
	return l
}

// Tree is an in-memory root filesystem. It is built by Apply (one call per
// layer, in order), FromDir or FromTarFile; once built, its read methods
// are safe for concurrent use. It never writes anything to disk.
type Tree struct {
	lim     Limits
	root    *Node
	nodes   int // nodes besides the root
	entries int // members and directory entries counted against MaxEntries
	gen     uint32
	broken  error

	dir     *os.Root // locDir bodies
	dirFile *os.File // the same directory, whose descriptor openat2 starts from
	dirFD   uintptr
	file    *os.File // locTar bodies

	mu sync.Mutex // guards body.digests
}

// New returns an empty tree (a root directory, mode 0755, owned by 0:0).
func New(l Limits) *Tree {
	return &Tree{lim: l.withDefaults(), root: &Node{Path: "/", Type: Dir, Mode: 0o755}}
}

// Len is the number of nodes besides the root.
func (t *Tree) Len() int { return t.nodes }

// Close closes the files lazily read content comes from; Digest and
// ReadFile of such content fail afterwards.
func (t *Tree) Close() error {
	var errs []error
	if t.dir != nil {
		errs = append(errs, t.dir.Close(), t.dirFile.Close())
	}
	if t.file != nil {
		errs = append(errs, t.file.Close())
	}
	return errors.Join(errs...)
}

func (n *Node) child(name string) *Node {
	i, ok := n.find(name)
	if !ok {
		return nil
	}
	return n.children[i]
}

func (n *Node) find(name string) (int, bool) {
	// Tar members and directory listings come mostly in order: check the end first.
	if k := len(n.children); k > 0 && n.children[k-1].name < name {
		return k, false
	}
	return slices.BinarySearchFunc(n.children, name, func(c *Node, name string) int {
		return strings.Compare(c.name, name)
	})
}

// add makes c a child of dir n; a child of the same name must not exist.
func (t *Tree) add(n, c *Node) {
	i, _ := n.find(c.name)
	c.parent = n
	if n == t.root {
		c.Path = "/" + c.name
	} else {
		c.Path = n.Path + "/" + c.name
	}
	n.children = slices.Insert(n.children, i, c)
	t.nodes++
}

// remove takes c and its subtree out of the tree, calling gone for each
// removed node.
func (t *Tree) remove(c *Node, gone func(*Node)) {
	p := c.parent
	if i, ok := p.find(c.name); ok {
		p.children = slices.Delete(p.children, i, i+1)
	}
	var drop func(*Node)
	drop = func(n *Node) {
		t.nodes--
		if gone != nil {
			gone(n)
		}
		for _, k := range n.children {
			drop(k)
		}
	}
	drop(c)
	c.parent = nil
}

// split returns the components of an absolute or relative path.
func split(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// Lookup returns the node at p without following any symlink.
func (t *Tree) Lookup(p string) (*Node, bool) {
	n := t.root
	for _, c := range split(p) {
		switch c {
		case ".":
			continue
		case "..":
			if n.parent != nil {
				n = n.parent
			}
			continue
		}
		if n.Type != Dir {
			return nil, false
		}
		if n = n.child(c); n == nil {
			return nil, false
		}
	}
	return n, true
}

// Resolve returns the node at p, following symlinks in every component
// with chroot semantics: an absolute target starts again at the tree's
// root, and ".." at the root stays there, so nothing resolves outside the
// tree.
func (t *Tree) Resolve(p string) (*Node, error) {
	return t.resolve(t.root, split(p), p)
}

func (t *Tree) resolve(start *Node, comps []string, p string) (*Node, error) {
	n := start
	var seen []*Node // symlinks followed, to tell a loop from a long chain
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		switch c {
		case ".":
			continue
		case "..":
			if n.parent != nil {
				n = n.parent
			}
			continue
		}
		if n.Type != Dir {
			return nil, errorf(KindNotDir, p, "%s is not a directory", n.Path)
		}
		next := n.child(c)
		if next == nil {
			return nil, errorf(KindNotExist, p, "%s has no %q", n.Path, c)
		}
		if next.Type != Symlink {
			n = next
			continue
		}
		if slices.Contains(seen, next) && len(seen) >= t.lim.MaxLinkDepth {
			return nil, errorf(KindLinkLoop, p, "symlink loop through %s -> %s", next.Path, next.Link)
		}
		if len(seen) >= t.lim.MaxLinkDepth {
			return nil, errorf(KindLinkDepth, p, "more than %d symlinks to follow (at %s)", t.lim.MaxLinkDepth, next.Path)
		}
		seen = append(seen, next)
		target := split(next.Link)
		if strings.HasPrefix(next.Link, "/") {
			n = t.root
		}
		// n stays the link's directory for a relative target.
		comps = append(target, comps...)
	}
	return n, nil
}

// Lstat returns the node at p as lstat(2) finds it in a chroot: symlinks
// in its directories are followed (a usr-merged /bin/ls is /usr/bin/ls),
// the last component is not.
func (t *Tree) Lstat(p string) (*Node, error) {
	comps := split(p)
	if len(comps) == 0 {
		return t.root, nil
	}
	last := comps[len(comps)-1]
	if last == "." || last == ".." {
		return t.Resolve(p)
	}
	dir, err := t.resolve(t.root, comps[:len(comps)-1], p)
	if err != nil {
		return nil, err
	}
	if dir.Type != Dir {
		return nil, errorf(KindNotDir, p, "%s is not a directory", dir.Path)
	}
	n := dir.child(last)
	if n == nil {
		return nil, errorf(KindNotExist, p, "%s has no %q", dir.Path, last)
	}
	return n, nil
}

// ReadDir returns the children of the directory at p (symlinks followed),
// sorted by name.
func (t *Tree) ReadDir(p string) ([]*Node, error) {
	n, err := t.Resolve(p)
	if err != nil {
		return nil, err
	}
	if n.Type != Dir {
		return nil, errorf(KindNotDir, p, "not a directory")
	}
	return slices.Clone(n.children), nil
}

// Walk calls fn for the node at prefix (not following symlinks) and,
// depth first in name order, for everything under it. fn returning
// fs.SkipDir for a directory skips its children, for a file the rest of
// its directory; any other error stops the walk and is returned.
func (t *Tree) Walk(prefix string, fn func(*Node) error) error {
	n, ok := t.Lookup(prefix)
	if !ok {
		return errorf(KindNotExist, prefix, "no such path")
	}
	err := walk(n, fn)
	if errors.Is(err, fs.SkipDir) {
		return nil
	}
	return err
}

func walk(n *Node, fn func(*Node) error) error {
	if err := fn(n); err != nil {
		return err
	}
	for _, c := range n.children {
		if err := walk(c, fn); err != nil {
			if errors.Is(err, fs.SkipDir) {
				if c.Type == Dir {
					continue
				}
				return nil // as fs.WalkDir: the rest of this directory is skipped
			}
			return err
		}
	}
	return nil
}
