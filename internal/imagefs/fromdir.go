package imagefs

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// dirWorkers is how many directories FromDir reads at once: lstat-bound
// scanning gains from a second goroutine on the 2-core machines the
// benchmarks run on, and little from more.
const dirWorkers = 2

// FromDir reads the root filesystem at root (dir:PATH) without following
// symlinks. It records metadata only; content is read when Digest or
// ReadFile asks, through an os.Root so that it cannot leave root — except
// the Capture files, read at once. The contents of /proc and /sys (a live
// root's mount points) are skipped; device nodes are recorded under /dev
// only, at any depth there (a live /dev holds /dev/pts/0 and the like).
// Close the tree to close root.
func FromDir(ctx context.Context, root string, l Limits, o ApplyOptions) (*Tree, error) {
	source := "dir:" + root
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("imagefs: %s: %w", source, err)
	}
	if !fi.IsDir() {
		return nil, &Error{Kind: KindNotDir, Source: source, Msg: "not a directory"}
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("imagefs: %s: %w", source, err)
	}
	df, err := os.Open(root)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("imagefs: %s: %w", source, err)
	}
	t := New(l)
	t.dir, t.dirFile, t.dirFD = r, df, df.Fd()
	setStat(t.root, fi)
	t.root.Layer = o.Layer
	s := &dirScan{t: t, o: o, ctx: ctx, disk: filepath.Clean(root), stack: []*Node{t.root}}
	s.cond = sync.NewCond(&s.mu)
	var wg sync.WaitGroup
	for range dirWorkers {
		wg.Go(s.work)
	}
	wg.Wait()
	if s.err != nil {
		t.Close()
		if e, ok := s.err.(*Error); ok && e.Source == "" {
			e.Source = source
		}
		return nil, s.err
	}
	t.nodes, t.entries = s.stats.Entries, s.stats.Entries
	return t, nil
}

type dirScan struct {
	t    *Tree
	o    ApplyOptions
	ctx  context.Context
	disk string // root on disk

	mu      sync.Mutex
	cond    *sync.Cond
	stack   []*Node // directories to read
	pending int     // directories taken and not yet read
	err     error
	stats   LayerStats
	lastRep int
}

func (s *dirScan) work() {
	for {
		s.mu.Lock()
		for len(s.stack) == 0 && s.pending > 0 && s.err == nil {
			s.cond.Wait()
		}
		if s.err != nil || len(s.stack) == 0 {
			s.mu.Unlock()
			s.cond.Broadcast()
			return
		}
		d := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		s.pending++
		s.mu.Unlock()

		subdirs, files, err := s.read(d)

		s.mu.Lock()
		s.pending--
		if err != nil && s.err == nil {
			s.err = err
		}
		s.stack = append(s.stack, subdirs...)
		s.stats.Entries += len(d.children)
		s.stats.Files += files
		if s.stats.Entries > s.t.lim.MaxEntries && s.err == nil {
			s.err = errorf(KindTooManyEntries, d.Path, "more than %d entries", s.t.lim.MaxEntries)
		}
		if s.o.Progress != nil && s.stats.Entries-s.lastRep >= progressEvery {
			s.lastRep = s.stats.Entries
			s.o.Progress(s.stats)
		}
		s.mu.Unlock()
		s.cond.Broadcast()
	}
}

// read fills d's children from the directory on disk and returns the
// subdirectories to read next and how many regular files it found.
func (s *dirScan) read(d *Node) ([]*Node, int, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("imagefs: dir:%s: %w", s.disk, err)
	}
	if d.Path == "/proc" || d.Path == "/sys" {
		return nil, 0, nil
	}
	dp := s.disk + d.Path
	ents, err := os.ReadDir(dp) // sorted by name, as children are
	if err != nil {
		return nil, 0, fmt.Errorf("imagefs: dir:%s: reading %s: %w", s.disk, d.Path, err)
	}
	prefix := d.Path + "/"
	if d.parent == nil {
		prefix = "/"
	}
	d.children = make([]*Node, 0, len(ents))
	var subdirs []*Node
	files := 0
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			return nil, 0, &Error{Kind: KindNotExist, Path: prefix + e.Name(), Msg: "lstat", Err: err}
		}
		n := &Node{Path: prefix + e.Name(), Layer: s.o.Layer, parent: d}
		n.name = n.Path[len(prefix):]
		setStat(n, fi)
		switch n.Type {
		case Dir:
			subdirs = append(subdirs, n)
		case Regular:
			files++
			n.body = &body{loc: locDir}
			if s.o.Capture != nil && s.o.Capture(n.Path) {
				if err := s.capture(n); err != nil {
					return nil, 0, err
				}
			}
		case Symlink:
			if n.Link, err = os.Readlink(s.disk + n.Path); err != nil {
				return nil, 0, &Error{Kind: KindNotExist, Path: n.Path, Msg: "readlink", Err: err}
			}
			if e := checkSymlink(n.Path, n.Path, n.Link, s.t.lim); e != nil {
				return nil, 0, e
			}
		case CharDev, BlockDev:
			if !strings.HasPrefix(n.Path, "/dev/") {
				return nil, 0, errorf(KindDevice, n.Path, "%s device %d:%d outside /dev", n.Type, n.Major, n.Minor)
			}
		case 0:
			return nil, 0, errorf(KindUnsupported, n.Path, "file of mode %v is not a file a root filesystem holds", fi.Mode())
		}
		d.children = append(d.children, n)
	}
	return subdirs, files, nil
}

func (s *dirScan) capture(n *Node) error {
	limit := s.t.lim.MaxCaptureBytes
	if n.Size > limit {
		return errorf(KindFileTooLarge, n.Path, "file of %d bytes to keep in memory, more than %d", n.Size, limit)
	}
	r, done, err := s.t.open(n)
	if err != nil {
		return err
	}
	defer done()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return &Error{Kind: KindNoContent, Path: n.Path, Msg: "reading a captured file", Err: err}
	}
	if int64(len(data)) > limit {
		return errorf(KindFileTooLarge, n.Path, "file of more than %d bytes to keep in memory", limit)
	}
	n.body.data, n.body.captured = data, true
	return nil
}

// setStat copies what lstat says into n.
func setStat(n *Node, fi fs.FileInfo) {
	m := fi.Mode()
	n.Mode = m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	n.MTime = fi.ModTime()
	switch m.Type() {
	case 0:
		n.Type, n.Size = Regular, fi.Size()
	case fs.ModeDir:
		n.Type = Dir
	case fs.ModeSymlink:
		n.Type = Symlink
	case fs.ModeDevice | fs.ModeCharDevice:
		n.Type = CharDev
	case fs.ModeDevice:
		n.Type = BlockDev
	case fs.ModeNamedPipe:
		n.Type = FIFO
	case fs.ModeSocket:
		n.Type = Socket
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		n.UID, n.GID = int(st.Uid), int(st.Gid)
		if n.Type == CharDev || n.Type == BlockDev {
			rdev := uint64(st.Rdev)
			n.Major = int64((rdev>>8)&0xfff | (rdev>>32)&^0xfff)
			n.Minor = int64(rdev&0xff | (rdev>>12)&^0xff)
		}
	}
}
