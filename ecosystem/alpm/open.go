package alpm

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// Open returns a reader of the database r, compressed or not: the
// compression is recognized by its magic number (gzip, xz, zstd, bzip2,
// lz4) rather than by name, since repo.db is only a symlink. Other
// compressions repo-add can write (compress, lrzip, lzip, lzop) fail with
// ErrUnknownCompressor. The reader's Close releases the decompressor.
func Open(r io.Reader, name string, opts ...Option) (*Reader, error) {
	if name == "" {
		name = "db"
	}
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(512)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &ParseError{File: name, Err: fmt.Errorf("%w: %w", ErrCorruptArchive, err)}
	}
	var (
		dr     io.Reader = br
		closer io.Closer
		comp   = "none"
	)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Err: fmt.Errorf("%w: gzip: %w", ErrCorruptArchive, err)}
		}
		dr, closer, comp = zr, zr, "gzip"
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Err: fmt.Errorf("%w: xz: %w", ErrCorruptArchive, err)}
		}
		dr, comp = xr, "xz"
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, &ParseError{File: name, Err: fmt.Errorf("%w: zstd: %w", ErrCorruptArchive, err)}
		}
		dr, closer, comp = zr, zstdCloser{zr}, "zstd"
	case bytes.HasPrefix(magic, []byte("BZh")):
		dr, comp = bzip2.NewReader(br), "bzip2"
	case bytes.HasPrefix(magic, []byte{0x04, 0x22, 0x4d, 0x18}):
		dr, comp = lz4.NewReader(br), "lz4"
	case len(magic) == 0 || len(magic) >= 263 && bytes.Equal(magic[257:262], []byte("ustar")) || isZeroBlock(magic):
		// An uncompressed tar, or an empty file.
	default:
		return nil, &ParseError{File: name, Err: ErrUnknownCompressor}
	}
	rd := NewReader(dr, name, opts...)
	rd.closer, rd.comp = closer, comp
	return rd, nil
}

// isZeroBlock reports an empty tar: end-of-archive blocks only.
func isZeroBlock(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	for _, c := range b[:512] {
		if c != 0 {
			return false
		}
	}
	return true
}

type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Close() error { z.d.Close(); return nil }
