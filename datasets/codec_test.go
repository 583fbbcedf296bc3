package datasets

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"testing"

	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
)

// TestPageCodecRoundTrip: pages compressed by the kept encoders, from
// several goroutines at once, decode with parquet-go's own zstd codec to
// what went in — including pages larger than the encoders' window.
func TestPageCodecRoundTrip(t *testing.T) {
	c := newPageCodec()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			var dec pqzstd.Codec
			var dst, back []byte
			for i := range 200 {
				size := r.IntN(300 << 10)
				if i%50 == 0 {
					size = 3 * pageWindow // longer than the window
				}
				page := make([]byte, size)
				for j := range page {
					page[j] = "abcdefgh ,;()<>=-0123456789"[r.IntN(27)] // compressible, like a column of versions
				}
				var err error
				if dst, err = c.Encode(dst, page); err != nil {
					t.Error(err)
					return
				}
				if back, err = dec.Decode(back, dst); err != nil {
					t.Errorf("page %d (%d bytes): %v", i, size, err)
					return
				}
				if !bytes.Equal(back, page) {
					t.Errorf("page %d (%d bytes) decodes to %d different bytes", i, size, len(back))
					return
				}
			}
		})
	}
	wg.Wait()
	if n := len(c.encoders); n == 0 || n > cap(c.encoders) {
		t.Errorf("%d encoders kept, want 1..%d", n, cap(c.encoders))
	}
}
