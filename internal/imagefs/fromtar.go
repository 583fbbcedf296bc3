package imagefs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// FromTarFile reads a root filesystem tarball (file:PATH). An
// uncompressed tar is not read through: each regular member's offset is
// recorded and its content read only when Digest or ReadFile asks (the
// tar reader seeks over the rest), so o.Digests are not computed ahead;
// Capture files are read at once. A gzip or zstd tarball is streamed as
// Apply streams a layer, with o.Digests computed eagerly. Close the tree
// to close the file.
func FromTarFile(ctx context.Context, path string, l Limits, o ApplyOptions) (*Tree, error) {
	source := "file:" + path
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imagefs: %s: %w", source, err)
	}
	t := New(l)
	head := make([]byte, 4)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("imagefs: %s: %w", source, err)
	}
	head = head[:n]
	if bytes.HasPrefix(head, gzipMagic) || bytes.HasPrefix(head, zstdMagic) {
		defer f.Close()
		if _, err := t.apply(ctx, f, o, source, nil); err != nil {
			return nil, err
		}
		return t, nil
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("imagefs: %s: %w", source, err)
	}
	if fi.Size() > t.lim.MaxLayerBytes {
		f.Close()
		return nil, &Error{Kind: KindLayerTooLarge, Source: source, Msg: fmt.Sprintf("tar of %d bytes, more than %d", fi.Size(), t.lim.MaxLayerBytes)}
	}
	t.file = f
	if _, err := t.apply(ctx, nil, o, source, &tarSource{r: &offsetReader{f: f, buf: make([]byte, 64<<10)}}); err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

// offsetReader reads a file through a buffer, knows the offset it is at,
// and seeks forward within the buffer when it can: the tar reader seeks
// over the members nobody asked for, most of them smaller than the buffer.
type offsetReader struct {
	f    *os.File
	buf  []byte
	r, w int   // buf[r:w] is unread
	pos  int64 // the file offset of buf[r]
	read int64 // bytes read from the file, to show what seeking saved
}

func (b *offsetReader) Read(p []byte) (int, error) {
	if b.r == b.w {
		if len(p) >= len(b.buf) {
			n, err := b.f.ReadAt(p, b.pos)
			b.pos += int64(n)
			b.read += int64(n)
			if n > 0 && errors.Is(err, io.EOF) {
				err = nil
			}
			return n, err
		}
		n, err := b.f.ReadAt(b.buf, b.pos)
		b.r, b.w = 0, n
		b.read += int64(n)
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	b.pos += int64(n)
	return n, nil
}

// Seek supports what archive/tar asks of it: the current offset, and
// skipping forward.
func (b *offsetReader) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || off < 0 {
		return 0, errors.New("imagefs: offsetReader seeks only forward from the current offset")
	}
	if off <= int64(b.w-b.r) {
		b.r += int(off)
	} else {
		b.r, b.w = 0, 0
	}
	b.pos += off
	return b.pos, nil
}
