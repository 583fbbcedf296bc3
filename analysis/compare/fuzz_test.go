package compare

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets/datasetstest"
)

// FuzzReadSnapshot: whatever bytes a packages object holds (a truncated
// upload, a hostile footer, flipped bits in a page), ReadSnapshot returns
// a snapshot or an error — it never panics, and a snapshot it returns has
// exactly the rows the file declares, as another reader (parquet-go) reads
// the footer: a footer declaring fewer rows than the row groups hold is
// corrupt, not a bigger snapshot.
func FuzzReadSnapshot(f *testing.F) {
	valid := datasetstest.PackagesParquet(f, parseFile(f, updatesFixture))
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(valid[len(valid)-64:])
	f.Add([]byte("PAR1PAR1"))
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/3] ^= 0xff
	f.Add(flipped)
	f.Add(declaringFewerRows(f, valid))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSnapshot(context.Background(), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if declared, ok := declaredRows(data); ok && int64(s.Len()) != declared {
			t.Fatalf("read %d rows from a file that declares %d", s.Len(), declared)
		}
		for i := range s.Len() {
			_ = s.Row(i)
			_ = s.Depends(i)
		}
	})
}

// declaredRows is the row count the footer states, read by parquet-go;
// ok is false when parquet-go cannot read the footer either.
func declaredRows(data []byte) (n int64, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, false
	}
	return pf.NumRows(), true
}

// declaringFewerRows returns a copy of a valid packages file whose footer
// says one row less than its row groups hold: FileMetaData's num_rows
// (Thrift compact field 3, i64) rewritten in place, same varint length.
func declaringFewerRows(tb testing.TB, valid []byte) []byte {
	tb.Helper()
	rows, ok := declaredRows(valid)
	if !ok || rows < 2 {
		tb.Fatalf("fixture declares %d rows", rows)
	}
	footerLen := int(binary.LittleEndian.Uint32(valid[len(valid)-8:]))
	meta := len(valid) - 8 - footerLen
	want := append([]byte{0x16}, binary.AppendUvarint(nil, uint64(rows)<<1)...) // zigzag of a positive i64
	less := append([]byte{0x16}, binary.AppendUvarint(nil, uint64(rows-1)<<1)...)
	i := bytes.Index(valid[meta:], want)
	if i < 0 || len(less) != len(want) {
		tb.Fatalf("no num_rows %d field in the footer", rows)
	}
	out := bytes.Clone(valid)
	copy(out[meta+i:], less)
	if got, ok := declaredRows(out); !ok || got != rows-1 {
		tb.Fatalf("patched footer declares %d rows (%v), want %d", got, ok, rows-1)
	}
	return out
}
