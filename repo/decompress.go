package repo

import (
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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
		g := &xzGuard{r: r}
		zr, err := xz.NewReader(g)
		if err != nil {
			return nil, nil, corrupt(fmt.Errorf("xz header: %w", err))
		}
		return explained{zr, g}, func() {}, nil
	case "zst":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderMaxWindow(MaxZstdWindow))
		if err != nil {
			return nil, nil, corrupt(fmt.Errorf("zstd header: %w", err))
		}
		return zr, zr.Close, nil
	case "bz2":
		return bzip2.NewReader(r), func() {}, nil
	}
	return nil, nil, fmt.Errorf("repo: unknown compression %q", c)
}

// MaxZstdWindow bounds the window a zstd frame may ask for: the decoder
// fills that much history as it decodes, so a bomb made with a 128 MiB
// window (zstd --long=27) took a worker to 222 MB, and one of 64 MiB to
// 161 MB. 32 MiB is zstd --ultra -20's; levels up to 19 use 8 MiB at most.
const MaxZstdWindow = 32 << 20

// MaxXZDictionary bounds the LZMA2 dictionary an xz block may ask for: the
// decoder would set that much memory aside and fill it as it decodes, so a
// bomb whose header asked for 2 GiB took a worker to 1.1 GB. 64 MiB is xz
// -9's, the largest preset; more is refused.
const MaxXZDictionary = 64 << 20

// XZDecodeDictionary is the most dictionary memory the decoder sets aside.
// A block that asks for more (xz -8's 32 MiB is the most it uses; -9 asks
// for 64 MiB) is decoded with this much, by rewriting its header's
// dictionary size before the decoder reads it: a match never reaches back
// further than the bytes decoded so far, so an index of up to 32 MiB
// decodes exactly, and a larger one whose matches reach back further fails
// as corrupt, saying so. With 64 MiB set aside, a bomb made with xz -9 took
// a worker to 159–165 MB, past its 150 MB target (bench/hostile); with 32
// MiB it stays at ~135 MB. Debian's and createrepo_c's indexes use 8 MiB
// (xz -6).
const XZDecodeDictionary = 32 << 20

// xzGuard passes an xz file through to the decoder while following its
// structure (https://tukaani.org/xz/xz-file-format.txt) — stream headers,
// block headers, LZMA2 chunks (skipped by the sizes their headers give),
// checks, indexes, footers, stream padding — so that a block header whose
// dictionary is over MaxXZDictionary is refused before the decoder reads
// it. The decoder reads exactly, without reading ahead, so the guard sees
// each byte before it does. Anything else wrong is left to the decoder.
type xzGuard struct {
	r   io.Reader
	err error

	state     xzState
	need      int    // bytes still to collect into buf, or to skip
	buf       []byte // the structure being collected
	checkSize int    // of each block's check, from the stream flags
	blockLen  int64  // bytes of the current block so far, for its padding
	counted   bool   // the index's number of records was read
	varints   uint64 // numbers of index records still to read
	indexLen  int64  // bytes of the index so far, for its padding
	tail      int    // the index's padding and CRC32 still to read

	header bool  // feed just completed a block header (in buf)
	asked  int64 // the largest dictionary a lowered block asked for
}

type xzState uint8

const (
	xzStreamHeader  xzState = iota // collecting 12 bytes
	xzBlockOrIndex                 // one byte: a block header's size, or 0 for the index
	xzBlockHeader                  // collecting the rest of the block header
	xzChunk                        // an LZMA2 chunk's control byte
	xzChunkHeader                  // collecting the rest of a chunk header
	xzSkip                         // skipping chunk data, then xzChunk
	xzBlockPadding                 // zeros to a multiple of four, then the check
	xzCheck                        // skipping the check, then xzBlockOrIndex
	xzIndex                        // collecting varints and the rest of the index
	xzFooter                       // skipping 12 bytes, then xzStreamPadding
	xzStreamPadding                // zeros, or the next stream's header
)

func (g *xzGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	var n int
	var err error
	if rest := g.need - len(g.buf); g.state == xzBlockHeader && rest <= len(p) {
		// The rest of a block header in one piece, so that it can be
		// rewritten before the decoder sees it (the decoder asks for it
		// whole).
		n, err = io.ReadFull(g.r, p[:rest])
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
	} else {
		n, err = g.r.Read(p)
	}
	for i := 0; i < n; {
		k, gerr := g.feed(p[i:n])
		if gerr == nil && g.header {
			g.header = false
			gerr = g.lower(p[:i+k])
		}
		if gerr != nil {
			g.err = corrupt(fmt.Errorf("xz: %w", gerr))
			return 0, g.err
		}
		i += k
	}
	return n, err
}

// lower rewrites the block header just completed, whose last byte ends
// read, to ask for XZDecodeDictionary when it asks for more, with its
// CRC32 made again. read holds the header but for its first byte at most.
func (g *xzGuard) lower(read []byte) error {
	h := g.buf
	at, dict, err := checkBlockHeader(h)
	if err != nil || dict <= XZDecodeDictionary {
		return err
	}
	start := len(read) - len(h) // where h starts in read; -1: its size byte came before
	if start+at < 0 {
		return fmt.Errorf("a block asks for a dictionary of %d bytes, more than the %d decoded with, and its header came in pieces", dict, XZDecodeDictionary)
	}
	h[at] = xzDictionaryProps(XZDecodeDictionary)
	binary.LittleEndian.PutUint32(h[len(h)-4:], crc32.ChecksumIEEE(h[:len(h)-4]))
	copy(read[max(start, 0):], h[max(-start, 0):])
	g.asked = max(g.asked, dict)
	return nil
}

// explain says why a decoding error happened when a block was decoded
// with less dictionary than it asked for.
func (g *xzGuard) explain(err error) error {
	if err == nil || g.asked == 0 || errors.Is(err, io.EOF) || g.err != nil {
		return err
	}
	return corrupt(fmt.Errorf("xz: %w (a block asks for a dictionary of %d bytes and is decoded with %d: its matches reach back further)", err, g.asked, XZDecodeDictionary))
}

// explained is an xz decoder whose errors say when its dictionary was
// lowered.
type explained struct {
	r io.Reader
	g *xzGuard
}

func (e explained) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	return n, e.g.explain(err)
}

// xzDictionaryProps is the LZMA2 properties byte of dictionary size d, a
// power of two of at least 4 KiB.
func xzDictionaryProps(d int64) byte {
	var p byte
	for (int64(2|p&1) << (p/2 + 11)) < d {
		p++
	}
	return p
}

// xzCheckSizes is the size of a block's check for each check type.
var xzCheckSizes = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// feed follows the structure through b and returns how many bytes it took.
func (g *xzGuard) feed(b []byte) (int, error) {
	switch g.state {
	case xzSkip, xzCheck, xzFooter:
		k := min(g.need, len(b))
		g.need -= k
		if g.state == xzSkip {
			g.blockLen += int64(k)
		}
		if g.need == 0 {
			switch g.state {
			case xzSkip:
				g.state = xzChunk
			case xzCheck:
				g.state = xzBlockOrIndex
			case xzFooter:
				g.state = xzStreamPadding
			}
		}
		return k, nil
	}
	c := b[0]
	switch g.state {
	case xzStreamHeader, xzStreamPadding:
		if g.state == xzStreamPadding && len(g.buf) == 0 && c == 0 {
			return 1, nil
		}
		g.state = xzStreamHeader
		g.buf = append(g.buf, c)
		if len(g.buf) == 12 {
			g.checkSize = xzCheckSizes[g.buf[7]&0x0f]
			g.buf, g.state = g.buf[:0], xzBlockOrIndex
		}
	case xzBlockOrIndex:
		if c == 0 {
			g.state, g.indexLen, g.counted, g.varints, g.tail, g.buf = xzIndex, 1, false, 0, 0, g.buf[:0]
			return 1, nil
		}
		g.buf = append(g.buf[:0], c)
		g.need, g.state = (int(c)+1)*4, xzBlockHeader
	case xzBlockHeader:
		g.buf = append(g.buf, c)
		if len(g.buf) == g.need {
			g.header = true // Read checks it, and lowers its dictionary
			g.blockLen, g.state = int64(len(g.buf)), xzChunk
		}
	case xzChunk:
		g.blockLen++
		switch {
		case c == 0:
			g.state = xzBlockPadding
		case c == 1 || c == 2:
			g.buf, g.need, g.state = append(g.buf[:0], c), 3, xzChunkHeader
		case c >= 0x80:
			g.need = 5
			if c >= 0xc0 {
				g.need = 6 // a new properties byte
			}
			g.buf, g.state = append(g.buf[:0], c), xzChunkHeader
		default:
			return 0, fmt.Errorf("invalid LZMA2 chunk control byte %#x", c)
		}
	case xzChunkHeader:
		g.blockLen++
		g.buf = append(g.buf, c)
		if len(g.buf) == g.need {
			if g.buf[0] < 0x80 {
				g.need = int(g.buf[1])<<8 | int(g.buf[2]) + 1
			} else {
				g.need = int(g.buf[3])<<8 | int(g.buf[4]) + 1
			}
			g.state = xzSkip
		}
	case xzBlockPadding:
		if g.blockLen%4 != 0 {
			g.blockLen++
			return 1, nil
		}
		g.need, g.state = g.checkSize, xzCheck
		if g.need == 0 {
			g.state = xzBlockOrIndex
		}
		return 0, nil
	case xzIndex:
		g.indexLen++
		if g.tail > 0 {
			// The index's padding, then its CRC32.
			if g.tail--; g.tail == 0 {
				g.need, g.state = 12, xzFooter
			}
			return 1, nil
		}
		g.buf = append(g.buf, c)
		if c&0x80 != 0 {
			if len(g.buf) >= 9 {
				return 0, errors.New("index: a number longer than 9 bytes")
			}
			return 1, nil
		}
		v, _ := binary.Uvarint(g.buf)
		g.buf = g.buf[:0]
		if !g.counted {
			if v > 1<<40 {
				return 0, fmt.Errorf("index: %d records", v)
			}
			g.counted, g.varints = true, 2*v
		} else {
			g.varints--
		}
		if g.varints == 0 {
			g.tail = int((4-g.indexLen%4)%4) + 4
		}
	}
	return 1, nil
}

// checkBlockHeader refuses a block header (CRC32 included) whose LZMA2
// filter asks for a dictionary over MaxXZDictionary, and returns where its
// LZMA2 properties byte is and the dictionary it asks for.
func checkBlockHeader(h []byte) (at int, dict int64, err error) {
	pos, end := 2, len(h)-4
	varint := func() (uint64, error) {
		v, n := binary.Uvarint(h[pos:end])
		if n <= 0 {
			return 0, errors.New("block header: truncated")
		}
		pos += n
		return v, nil
	}
	flags := h[1]
	for _, present := range []byte{0x40, 0x80} {
		if flags&present != 0 {
			if _, err := varint(); err != nil {
				return 0, 0, err
			}
		}
	}
	for range int(flags&3) + 1 {
		id, err := varint()
		if err != nil {
			return 0, 0, err
		}
		size, err := varint()
		if err != nil {
			return 0, 0, err
		}
		if size > uint64(end-pos) {
			return 0, 0, errors.New("block header: truncated filter properties")
		}
		props := h[pos : pos+int(size)]
		pos += int(size)
		if id != 0x21 {
			continue
		}
		if len(props) != 1 || props[0] > 40 {
			return 0, 0, errors.New("block header: invalid LZMA2 properties")
		}
		d := uint64(props[0])
		asks := uint64(1<<32 - 1)
		if d < 40 {
			asks = (2 | d&1) << (d/2 + 11)
		}
		if asks > MaxXZDictionary {
			return 0, 0, fmt.Errorf("a block asks for a dictionary of %d bytes, more than the %d allowed", asks, MaxXZDictionary)
		}
		at, dict = pos-1, int64(asks)
	}
	return at, dict, nil
}
