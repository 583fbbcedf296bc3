package datasets

import (
	"runtime"

	"github.com/klauspost/compress/zstd"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// pageCodec compresses pages with zstd at its fastest level.
//
// Why not parquet-go's zstd.Codec alone: it keeps encoders in a pool the
// garbage collector empties, and each new encoder allocates its history
// window (8 MB at the fastest level) on first use — in a worker that
// collects every few tens of MB, a new window for most row groups. Here a
// fixed set of encoders is kept for the process's life, each with a
// window no larger than a page (PageBufferSize caps pages at 256 KiB, so
// a larger window finds nothing more), so they cost ~1 MB each. Decoding
// is parquet-go's.
type pageCodec struct {
	pqzstd.Codec // Decode, String, CompressionCodec
	encoders     chan *zstd.Encoder
}

// pageWindow is the encoders' window: a page and then some.
const pageWindow = 512 << 10

func newPageCodec() *pageCodec {
	return &pageCodec{
		Codec:    pqzstd.Codec{Level: pqzstd.SpeedFastest},
		encoders: make(chan *zstd.Encoder, 2*runtime.GOMAXPROCS(0)),
	}
}

func (c *pageCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode compresses src into dst with a kept encoder, or a new one when
// every kept encoder is busy (it is kept afterwards if there is room).
func (c *pageCodec) Encode(dst, src []byte) ([]byte, error) {
	var e *zstd.Encoder
	select {
	case e = <-c.encoders:
	default:
		var err error
		e, err = zstd.NewWriter(nil,
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithWindowSize(pageWindow),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
		)
		if err != nil {
			return dst[:0], err
		}
	}
	out := e.EncodeAll(src, dst[:0])
	select {
	case c.encoders <- e:
	default:
	}
	return out, nil
}
