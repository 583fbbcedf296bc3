package imagefs

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// ApplyOptions say what to keep of a layer while it streams by.
type ApplyOptions struct {
	// Layer is the index recorded on the nodes this layer writes.
	Layer int
	// Capture selects regular files whose bytes are kept in memory
	// (package databases): a streamed layer cannot be read again.
	Capture func(path string) bool
	// Keep selects more regular files to keep, seeing their size: the
	// small configuration files a later reader wants from a layer that
	// cannot be read again. Unlike Capture, a file Keep selects that is
	// larger than Limits.MaxCaptureBytes is skipped, not an error, and Keep's
	// paths are not reported in LayerStats.Changed. Only streamed input
	// keeps them: dir: and uncompressed file: sources read content lazily.
	Keep func(path string, size int64) bool
	// Digests are computed for every regular file while it streams.
	Digests []Algo
	// Progress is called about every 1000 entries or 64 MiB, so that the
	// caller can heartbeat.
	Progress func(LayerStats)
}

// LayerStats say what one layer held.
type LayerStats struct {
	Entries, Files, Whiteouts int
	Bytes, CompressedBytes    int64
	// Changed are the paths Capture selects that this layer wrote or
	// removed, sorted: the package databases to read again.
	Changed []string
}

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
	progressEvery  = 1000
	progressBytes  = 64 << 20
)

// Apply applies one layer, a tar stream that is uncompressed or gzip or
// zstd compressed (sniffed from its first bytes), on top of the tree: OCI
// and Docker whiteouts (.wh.NAME removes NAME; .wh..wh..opq removes what
// earlier layers put in its directory), a non-directory replacing a
// directory with its whole subtree, a directory replacing a
// non-directory, a directory over a directory merging children and taking
// the new metadata, hardlinks to members of this or earlier layers.
//
// Hostile input is refused with an *Error. An Apply that fails leaves the
// tree half-applied: every later call fails, and the caller discards it.
func (t *Tree) Apply(ctx context.Context, r io.Reader, o ApplyOptions) (LayerStats, error) {
	return t.apply(ctx, r, o, fmt.Sprintf("layer %d", o.Layer), nil)
}

// tarSource lets FromTarFile record where each member's data lies in an
// uncompressed tar file instead of reading it.
type tarSource struct {
	r *offsetReader
}

func (t *Tree) apply(ctx context.Context, r io.Reader, o ApplyOptions, source string, ts *tarSource) (st LayerStats, err error) {
	if t.broken != nil {
		return st, fmt.Errorf("imagefs: %s: the tree is unusable after an earlier failed Apply: %w", source, t.broken)
	}
	defer func() {
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Source == "" {
				e.Source = source
			}
			t.broken = err
		}
	}()
	t.gen++
	a := applier{t: t, o: o, ctx: ctx, st: &st, source: source, changed: map[string]bool{}}
	for _, al := range o.Digests {
		h, err := installed.NewHash(al)
		if err != nil {
			return st, fmt.Errorf("imagefs: %s: %w", source, err)
		}
		a.hashes = append(a.hashes, h)
	}

	var tr *tar.Reader
	var m *meter
	if ts != nil {
		// The tar reader reads the file directly, to seek over bodies; the
		// meter only reports the offset (FromTarFile checked the size).
		m = &meter{r: ts.r, lim: t.lim, compressed: &ts.r.pos, uncompressed: true}
		tr = tar.NewReader(ts.r)
		a.ts = ts
	} else {
		cr := &countReader{r: r}
		br := bufio.NewReaderSize(cr, 64<<10)
		dec, closeDec, err := decompressor(br)
		if err != nil {
			return st, &Error{Kind: KindCorrupt, Msg: "compressed stream", Err: err}
		}
		defer closeDec()
		de := &decodeErrReader{r: dec}
		m = &meter{r: de, lim: t.lim, compressed: &cr.n, uncompressed: dec == io.Reader(br)}
		a.decodeErr = de
		tr = tar.NewReader(m)
	}
	a.m = m
	a.tr = tr
	if err := a.run(); err != nil {
		return st, err
	}
	st.Bytes = m.bytes()
	st.CompressedBytes = *m.compressed
	st.Changed = make([]string, 0, len(a.changed))
	for p := range a.changed {
		st.Changed = append(st.Changed, p)
	}
	slices.Sort(st.Changed)
	return st, nil
}

type applier struct {
	t         *Tree
	o         ApplyOptions
	ctx       context.Context
	st        *LayerStats
	source    string
	tr        *tar.Reader
	m         *meter
	ts        *tarSource
	decodeErr *decodeErrReader
	hashes    []hash.Hash
	buf       []byte
	changed   map[string]bool
	lastProg  int64
	last      string // the last member's name
}

func (a *applier) run() error {
	for {
		hdr, err := a.tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// Reading the next header also reads the rest of the last
			// member's data: a limit or a truncation is most likely there.
			return a.streamErr(a.last, err)
		}
		a.last = hdr.Name
		if err := a.ctx.Err(); err != nil {
			return fmt.Errorf("imagefs: %s: %w", a.source, err)
		}
		a.st.Entries++
		a.t.entries++
		if a.t.entries > a.t.lim.MaxEntries {
			return errorf(KindTooManyEntries, hdr.Name, "more than %d entries", a.t.lim.MaxEntries)
		}
		if err := a.entry(hdr); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return a.streamErr(hdr.Name, err)
			}
			if e.Path == "" {
				e.Path = hdr.Name
			}
			return e
		}
		if a.o.Progress != nil && (a.st.Entries%progressEvery == 0 || a.m.bytes()-a.lastProg >= progressBytes) {
			a.lastProg = a.m.bytes()
			s := *a.st
			s.Bytes, s.CompressedBytes = a.m.bytes(), *a.m.compressed
			a.o.Progress(s)
		}
	}
}

// streamErr names what went wrong reading the stream: a limit of the
// meter, the decompressor, or the tar format.
func (a *applier) streamErr(member string, err error) error {
	if a.m.err != nil {
		if member != "" && a.m.err.Path == "" {
			a.m.err.Path = member
		}
		return a.m.err
	}
	if a.decodeErr != nil && a.decodeErr.err != nil {
		return &Error{Kind: KindCorrupt, Path: member, Msg: "corrupt compressed stream", Err: a.decodeErr.err}
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Kind: KindTruncated, Path: member, Msg: "the stream ends inside a member (its header's size is larger than its data)", Err: err}
	case errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrInsecurePath):
		return &Error{Kind: KindCorrupt, Path: member, Msg: "invalid tar header", Err: err}
	}
	return &Error{Kind: KindCorrupt, Path: member, Msg: "reading the tar stream", Err: err}
}

func (a *applier) entry(hdr *tar.Header) error {
	lim := a.t.lim
	p, e := cleanName(hdr.Name, lim)
	if e != nil {
		return e
	}
	if p == "/" && hdr.Typeflag != tar.TypeDir {
		return errorf(KindRootReplace, hdr.Name, "only a directory can be the root (tar type %q)", hdr.Typeflag)
	}
	dir, base := path.Split(p)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(hdr.Name, path.Clean(dir), base)
	}
	var typ Type
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil // pax comments (git archive writes one)
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		typ = Regular
	case tar.TypeLink:
		return a.hardlink(hdr, p)
	case tar.TypeSymlink:
		typ = Symlink
		if err := checkSymlink(hdr.Name, p, hdr.Linkname, lim); err != nil {
			return err
		}
	case tar.TypeChar:
		typ = CharDev
	case tar.TypeBlock:
		typ = BlockDev
	case tar.TypeDir:
		typ = Dir
	case tar.TypeFifo:
		typ = FIFO
	default:
		return errorf(KindUnsupported, hdr.Name, "tar member type %q is not a file an image holds", hdr.Typeflag)
	}
	if (typ == CharDev || typ == BlockDev) && path.Dir(p) != "/dev" {
		return errorf(KindDevice, hdr.Name, "%s device %d:%d outside /dev", typ, hdr.Devmajor, hdr.Devminor)
	}
	n := &Node{
		Type:  typ,
		Mode:  tarMode(hdr.Mode),
		UID:   hdr.Uid,
		GID:   hdr.Gid,
		MTime: hdr.ModTime,
		Layer: a.o.Layer,
		gen:   a.t.gen,
	}
	switch typ {
	case Symlink:
		n.Link = hdr.Linkname
	case CharDev, BlockDev:
		n.Major, n.Minor = hdr.Devmajor, hdr.Devminor
	case Regular:
		a.st.Files++
		if hdr.Size > lim.MaxFileBytes {
			return errorf(KindFileTooLarge, hdr.Name, "file of %d bytes, more than %d", hdr.Size, lim.MaxFileBytes)
		}
		n.Size = hdr.Size
		if err := a.content(hdr, p, n); err != nil {
			return err
		}
	}
	return a.put(hdr.Name, p, n)
}

// tarMode keeps the permission and set-id bits of a tar mode.
func tarMode(m int64) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// content reads what is kept of a regular file: captured bytes, eager
// digests, or (from an uncompressed tar file) only where it lies.
func (a *applier) content(hdr *tar.Header, p string, n *Node) error {
	b := &body{}
	n.body = b
	capture := a.o.Capture != nil && a.o.Capture(p)
	if capture && hdr.Size > a.t.lim.MaxCaptureBytes {
		return errorf(KindFileTooLarge, hdr.Name, "file of %d bytes to keep in memory, more than %d", hdr.Size, a.t.lim.MaxCaptureBytes)
	}
	sparse := isSparse(hdr)
	if !capture && (a.ts == nil || sparse) && a.o.Keep != nil && hdr.Size <= a.t.lim.MaxCaptureBytes {
		capture = a.o.Keep(p, hdr.Size)
		b.kept = capture
	}
	if a.ts != nil && !sparse {
		b.loc, b.off = locTar, a.ts.r.pos
		if !capture {
			return nil // the tar reader seeks over the data
		}
	}
	hashes := a.hashes
	if b.loc == locTar {
		hashes = nil // read lazily, only for the files asked about
	}
	if !capture && len(hashes) == 0 {
		return nil
	}
	var data *bytes.Buffer
	ws := make([]io.Writer, 0, len(hashes)+1)
	for _, h := range hashes {
		h.Reset()
		ws = append(ws, h)
	}
	if capture {
		data = bytes.NewBuffer(make([]byte, 0, hdr.Size))
		ws = append(ws, data)
	}
	if a.buf == nil {
		a.buf = make([]byte, 64<<10)
	}
	if _, err := io.CopyBuffer(io.MultiWriter(ws...), a.tr, a.buf); err != nil {
		return err
	}
	for i, h := range hashes {
		b.digests = append(b.digests, digest{algo: a.o.Digests[i], hex: hex.EncodeToString(h.Sum(nil))})
	}
	if capture {
		b.data, b.captured = data.Bytes(), true
	}
	return nil
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func (a *applier) hardlink(hdr *tar.Header, p string) error {
	tp, e := cleanHardlink(hdr.Name, hdr.Linkname, a.t.lim)
	if e != nil {
		return e
	}
	target, ok := a.t.Lookup(tp)
	if !ok {
		// Written through a symlinked parent (lib -> usr/lib), the target
		// is where put put it.
		if d, err := a.parentDir(hdr.Name, tp, false); err == nil && d != nil {
			target = d.child(path.Base(tp))
			ok = target != nil
		}
	}
	if !ok {
		return errorf(KindHardlinkTarget, hdr.Name, "hardlink target %q is no earlier member", hdr.Linkname)
	}
	if target.Type == Dir {
		return errorf(KindHardlinkTarget, hdr.Name, "hardlink target %q is a directory", hdr.Linkname)
	}
	if target.Type == Regular {
		a.st.Files++
	}
	n := &Node{
		Type: target.Type, Mode: target.Mode, UID: target.UID, GID: target.GID,
		Size: target.Size, MTime: target.MTime, Link: target.Link,
		Major: target.Major, Minor: target.Minor,
		Layer: a.o.Layer, gen: a.t.gen, body: target.body,
	}
	if target.Path == p {
		return nil // a link to itself changes nothing
	}
	if b := target.body; b != nil && !b.captured && b.loc == locTar && a.o.Capture != nil && a.o.Capture(p) {
		// The link is a file to keep and its target was not: read it now.
		// (In a streamed layer the target's bytes are gone; ReadFile then
		// says so.)
		if n.Size > a.t.lim.MaxCaptureBytes {
			return errorf(KindFileTooLarge, hdr.Name, "file of %d bytes to keep in memory, more than %d", n.Size, a.t.lim.MaxCaptureBytes)
		}
		data := make([]byte, n.Size)
		if _, err := a.t.file.ReadAt(data, b.off); err != nil {
			return &Error{Kind: KindTruncated, Path: hdr.Name, Msg: "reading the hardlink's target " + target.Path, Err: err}
		}
		b.data, b.captured = data, true
	}
	return a.put(hdr.Name, p, n)
}

// put writes n at p: missing parent directories are made, a node of the
// same name is replaced (with its subtree), except that a directory over
// a directory keeps its children and takes the new metadata.
func (a *applier) put(member, p string, n *Node) error {
	if p == "/" {
		r := a.t.root
		r.Mode, r.UID, r.GID, r.MTime, r.Layer, r.gen = n.Mode, n.UID, n.GID, n.MTime, n.Layer, n.gen
		return nil
	}
	parent, err := a.parentDir(member, p, true)
	if err != nil {
		return err
	}
	n.name = path.Base(p)
	if old := parent.child(n.name); old != nil {
		if old.Type == Dir && n.Type == Dir {
			old.Mode, old.UID, old.GID, old.MTime, old.Layer, old.gen = n.Mode, n.UID, n.GID, n.MTime, n.Layer, n.gen
			a.touch(old.Path)
			return nil
		}
		a.t.remove(old, a.gone)
	}
	a.t.add(parent, n)
	a.touch(n.Path)
	return nil
}

// parentDir returns the directory p goes into. A missing directory is
// made (when create is set; otherwise nil is returned); a symlinked one
// is followed within the tree, as extracting would follow it within a
// chroot.
func (a *applier) parentDir(member, p string, create bool) (*Node, error) {
	comps := split(p)
	d := a.t.root
	for _, c := range comps[:len(comps)-1] {
		next := d.child(c)
		if next == nil {
			if !create {
				return nil, nil
			}
			next = &Node{name: c, Type: Dir, Mode: 0o755, Layer: a.o.Layer, gen: a.t.gen}
			a.t.add(d, next)
		}
		if next.Type == Symlink {
			r, err := a.t.resolve(d, []string{c}, next.Path)
			if err != nil {
				var e *Error
				if errors.As(err, &e) && e.Kind == KindNotExist && !create {
					return nil, nil
				}
				return nil, &Error{Kind: KindNotDir, Path: member, Msg: fmt.Sprintf("parent %s is a symlink to no directory", next.Path), Err: err}
			}
			next = r
		}
		if next.Type != Dir {
			return nil, errorf(KindNotDir, member, "parent %s is a %s, not a directory", next.Path, next.Type)
		}
		d = next
	}
	return d, nil
}

func (a *applier) whiteout(member, dir, base string) error {
	a.st.Whiteouts++
	if base == whiteoutOpaque {
		d, err := a.parentDir(member, path.Join(dir, base), false)
		if err != nil || d == nil {
			return err
		}
		a.opaque(d)
		return nil
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	switch {
	case name == "", name == ".", name == "..":
		return errorf(KindWhiteout, member, "whiteout of %q names no file", name)
	case strings.HasPrefix(name, whiteoutPrefix):
		return nil // other AUFS metadata (.wh..wh.plnk): nothing of the image
	}
	d, err := a.parentDir(member, path.Join(dir, name), false)
	if err != nil || d == nil {
		return err
	}
	if old := d.child(name); old != nil {
		a.t.remove(old, a.gone)
	}
	if a.o.Capture != nil {
		if p := path.Join(d.Path, name); a.o.Capture(p) {
			a.changed[p] = true
		}
	}
	return nil
}

// opaque removes from d what earlier layers put under it: a node stays if
// this layer wrote it or something under it.
func (a *applier) opaque(d *Node) {
	var keep func(n *Node) bool
	keep = func(n *Node) bool {
		kept := n.gen == a.t.gen
		for i := 0; i < len(n.children); {
			c := n.children[i]
			if keep(c) {
				kept = true
				i++
				continue
			}
			a.t.remove(c, a.gone)
		}
		return kept
	}
	for i := 0; i < len(d.children); {
		c := d.children[i]
		if keep(c) {
			i++
			continue
		}
		a.t.remove(c, a.gone)
	}
}

func (a *applier) touch(p string) {
	if a.o.Capture != nil && a.o.Capture(p) {
		a.changed[p] = true
	}
}

func (a *applier) gone(n *Node) {
	if n.body != nil && n.body.captured && !n.body.kept || a.o.Capture != nil && a.o.Capture(n.Path) {
		a.changed[n.Path] = true
	}
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompressor sniffs br's first bytes: gzip, zstd, or else a plain tar.
func decompressor(br *bufio.Reader) (io.Reader, func(), error) {
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return z, func() { z.Close() }, nil
	case bytes.HasPrefix(head, zstdMagic):
		// One decoder goroutine: a layer is read in order, and the
		// compressed count the ratio check uses stays close to the truth.
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, nil, err
		}
		return z, z.Close, nil
	}
	return br, func() {}, nil
}

// countReader counts the compressed bytes read.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeErrReader remembers the decompressor's error, which the tar
// reader would otherwise report as its own.
type decodeErrReader struct {
	r   io.Reader
	err error
}

func (d *decodeErrReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		d.err = err
	}
	return n, err
}

// meter counts the uncompressed bytes of a layer and stops the stream at
// MaxLayerBytes or a compression ratio above MaxRatio.
type meter struct {
	r            io.Reader
	n            int64
	lim          Limits
	compressed   *int64
	uncompressed bool // no decompressor: the ratio is 1
	err          *Error
}

func (m *meter) bytes() int64 {
	if or, ok := m.r.(*offsetReader); ok {
		return or.pos
	}
	return m.n
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	if m.n > m.lim.MaxLayerBytes {
		m.err = errorf(KindLayerTooLarge, "", "layer of more than %d bytes uncompressed", m.lim.MaxLayerBytes)
		return 0, m.err
	}
	if !m.uncompressed && m.lim.MaxRatio > 0 && m.n > ratioFloor && m.n > m.lim.MaxRatio*max(*m.compressed, 1) {
		m.err = errorf(KindRatio, "", "decompression bomb: %d bytes from %d compressed, a ratio above %d", m.n, *m.compressed, m.lim.MaxRatio)
		return 0, m.err
	}
	return n, err
}
