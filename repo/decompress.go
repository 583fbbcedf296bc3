package repo

import (
	"compress/bzip2"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Compression is the suffix of an index file: "" (plain), "gz", "xz",
// "zst", "bz2".
type Compression string

// DefaultCompressionOrder is fastest end to end first. Decoding dominates on
// a fast link: zstd and gzip decode at hundreds of MB/s in Go, xz at ~40 MB/s
// and bzip2 slower still. Plain files are last because they are rarely
// served (Debian lists them in Release without publishing them) and cost the
// most bytes on a real network; callers with a mirror on the same host may
// put "" first.
var DefaultCompressionOrder = []Compression{"zst", "gz", "xz", "bz2", ""}

// ParseCompressionOrder reads a comma-separated list ("gz,xz,plain").
func ParseCompressionOrder(s string) ([]Compression, error) {
	var out []Compression
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "plain", "none", "uncompressed":
			out = append(out, "")
		case "gz", "xz", "zst", "bz2":
			out = append(out, Compression(f))
		default:
			return nil, fmt.Errorf("repo: unknown compression %q (want gz, xz, zst, bz2 or plain)", f)
		}
	}
	return out, nil
}

// Suffix is the file name suffix of c (".gz"), "" for plain files.
func (c Compression) Suffix() string {
	if c == "" {
		return ""
	}
	return "." + string(c)
}

func (c Compression) String() string {
	if c == "" {
		return "plain"
	}
	return string(c)
}

// decompressor wraps r in a decoder for c. The returned closer releases the
// decoder's resources (zstd keeps goroutines).
func decompressor(c Compression, r io.Reader) (io.Reader, func(), error) {
	return Decompressor(c, r)
}

// Decompressor wraps r in a decoder for c, for formats that fetch a second
// file beside an index (rpm-md's filelists). The returned func releases the
// decoder. A bad header is ErrCorrupt.
func Decompressor(c Compression, r io.Reader) (io.Reader, func(), error) {
	switch c {
	case "":
		return r, func() {}, nil
	case "gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, corrupt(fmt.Errorf("gzip header: %w", err))
		}
		return zr, func() { zr.Close() }, nil
	case "xz":
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, corrupt(fmt.Errorf("xz header: %w", err))
		}
		return zr, func() {}, nil
	case "zst":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		if err != nil {
			return nil, nil, corrupt(fmt.Errorf("zstd header: %w", err))
		}
		return zr, zr.Close, nil
	case "bz2":
		return bzip2.NewReader(r), func() {}, nil
	}
	return nil, nil, fmt.Errorf("repo: unknown compression %q", c)
}
