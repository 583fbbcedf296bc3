package compare

import (
	"bytes"
	"context"
	"testing"

	"github.com/distroscope/distroscope/datasets/datasetstest"
)

// FuzzReadSnapshot: whatever bytes a packages object holds (a truncated
// upload, a hostile footer, flipped bits in a page), ReadSnapshot returns
// a snapshot or an error — it never panics, and never reads more rows
// than the file declares.
func FuzzReadSnapshot(f *testing.F) {
	valid := datasetstest.PackagesParquet(f, parseFile(f, updatesFixture))
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(valid[len(valid)-64:])
	f.Add([]byte("PAR1PAR1"))
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/3] ^= 0xff
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSnapshot(context.Background(), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for i := range s.Len() {
			_ = s.Row(i)
			_ = s.Depends(i)
		}
	})
}
