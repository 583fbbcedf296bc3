package trends

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
)

// Trends hold a snapshot's packages and a release's whole history at once:
// ~77k and ~260k rows for a release of sid's size. As structs with a heap
// string per field that would be millions of small objects for the
// collector to trace; instead each string column is one string holding
// every value end to end with a uint32 end offset per value (as
// compare.Snapshot does), and low-cardinality columns are interned with a
// uint32 code per row. Values read back are substrings: no allocation.

// stringColumn is a string column in one piece: value i is
// data[end[i-1]:end[i]].
type stringColumn struct {
	data string
	end  []uint32
	b    strings.Builder // while reading
}

func (c *stringColumn) append(v string) error {
	if c.b.Len()+len(v) > math.MaxUint32 {
		return errors.New("column holds more than 4 GiB of text")
	}
	c.b.WriteString(v)
	c.end = append(c.end, uint32(c.b.Len()))
	return nil
}

func (c *stringColumn) reserve(rows int, bytes int64) {
	c.end = make([]uint32, 0, rows)
	c.b.Grow(reserveBytes(bytes))
}

func (c *stringColumn) finish() {
	c.data = c.b.String()
	c.b = strings.Builder{}
}

func (c *stringColumn) at(i int) string {
	var start uint32
	if i > 0 {
		start = c.end[i-1]
	}
	return c.data[start:c.end[i]]
}

// internedColumn stores each distinct value once.
type internedColumn struct {
	values []string
	codes  []uint32
	index  map[string]uint32 // while reading
}

func (c *internedColumn) append(v string) {
	code, ok := c.index[v]
	if !ok {
		if c.index == nil {
			c.index = map[string]uint32{}
		}
		v = strings.Clone(v) // the value outlives Arrow's buffer
		code = uint32(len(c.values))
		c.values = append(c.values, v)
		c.index[v] = code
	}
	c.codes = append(c.codes, code)
}

func (c *internedColumn) reserve(rows int) { c.codes = make([]uint32, 0, rows) }

func (c *internedColumn) finish() { c.index = nil }

func (c *internedColumn) at(i int) string { return c.values[c.codes[i]] }

// stringDst and internedDst name a column of a record batch and the
// column array its values are copied into.
type (
	stringDst struct {
		name string
		dst  *stringColumn
	}
	internedDst struct {
		name string
		dst  *internedColumn
	}
)

// appendStrings copies every row of each named string column of rec into
// its array.
func appendStrings(rec arrow.RecordBatch, cols ...stringDst) error {
	n := int(rec.NumRows())
	for _, c := range cols {
		get, err := stringsOf(rec, c.name)
		if err != nil {
			return err
		}
		for i := range n {
			if err := c.dst.append(get(i)); err != nil {
				return fmt.Errorf("column %q: %w", c.name, err)
			}
		}
	}
	return nil
}

// appendInterned copies every row of each named string column of rec into
// its interned array.
func appendInterned(rec arrow.RecordBatch, cols ...internedDst) error {
	n := int(rec.NumRows())
	for _, c := range cols {
		get, err := stringsOf(rec, c.name)
		if err != nil {
			return err
		}
		for i := range n {
			c.dst.append(get(i))
		}
	}
	return nil
}

// readBatchRows bounds the Arrow record batches decoded at a time: each is
// copied into column arrays and released.
const readBatchRows = 8192

// maxFileRows bounds the rows of one file the trends read: a history of
// every version of every package of a large release over years is a few
// million rows; a footer claiming more is corrupt.
const maxFileRows = 1 << 26

// columnSink takes the columns readColumns decodes.
type columnSink interface {
	// reserve makes room for rows rows before the first batch; bytes are
	// each column's uncompressed size by the footer, a hint of its text.
	reserve(rows int, bytes map[string]int64)
	appendBatch(rec arrow.RecordBatch) error
}

// maxReserve bounds what a file's own claims make reserve allocate, so
// that a hostile footer cannot make it allocate more than a real file
// needs.
const maxReserve = 1 << 28

// reserveBytes is a footer's claim of a column's bytes, bounded.
func reserveBytes(n int64) int { return int(min(max(n, 0), maxReserve)) }

// readColumns decodes the named top-level columns of the Parquet object
// key (r, of size bytes) with Arrow, never the others, into sink. Arrow panics on some corrupt files instead of returning an
// error; that panic, a missing column and a decoding error are all errors
// wrapping datasets.ErrCorrupt that name the object. Columns are decoded on
// the calling goroutine so such a panic can be recovered here.
func readColumns(ctx context.Context, r io.ReaderAt, size int64, key string, cols []string, sink columnSink) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corrupt(key, "%v", p)
		}
	}()
	// Buffers recycled across batches: the history is copied out batch by
	// batch, and Go's allocator made every batch's buffers new garbage.
	alloc := compare.NewAllocator()
	pf, err := file.NewParquetReader(io.NewSectionReader(r, 0, size), file.WithReadProps(parquet.NewReaderProperties(alloc)))
	if err != nil {
		return corrupt(key, "%v", err)
	}
	defer pf.Close()
	schema := pf.MetaData().Schema
	var leaves []int
	found := map[string]bool{}
	leafName := map[int]string{}
	for i := 0; i < schema.NumColumns(); i++ {
		path := schema.Column(i).ColumnPath()
		for _, c := range cols {
			if len(path) > 0 && path[0] == c {
				leaves = append(leaves, i)
				found[c] = true
				leafName[i] = c
			}
		}
	}
	for _, c := range cols {
		if !found[c] {
			return corrupt(key, "no column %q", c)
		}
	}
	rows := pf.NumRows()
	if rows < 0 || rows > maxFileRows {
		return corrupt(key, "claims %d rows", rows)
	}
	bytes := map[string]int64{}
	md := pf.MetaData()
	for g := 0; g < md.NumRowGroups(); g++ {
		for leaf, name := range leafName {
			if cc, err := md.RowGroup(g).ColumnChunk(leaf); err == nil {
				bytes[name] += cc.TotalUncompressedSize()
			}
		}
	}
	sink.reserve(int(min(rows, maxReserve/8)), bytes)
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, alloc)
	if err != nil {
		return corrupt(key, "%v", err)
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return corrupt(key, "%v", err)
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rr.RecordBatch()
		n += rec.NumRows()
		if n > rows {
			return corrupt(key, "holds more rows than the %d it declares", rows)
		}
		if err := sink.appendBatch(rec); err != nil {
			return corrupt(key, "row %d: %v", n-rec.NumRows(), err)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return corrupt(key, "%v", err)
	}
	if n != rows {
		return corrupt(key, "read %d rows of %d", n, rows)
	}
	return nil
}

// corrupt is the datasets.ErrCorrupt of object key.
func corrupt(key, format string, args ...any) error {
	return fmt.Errorf("trends: %w", &datasets.CorruptError{Key: key, Reason: fmt.Sprintf(format, args...)})
}

// column finds a record batch's column by name.
func column(rec arrow.RecordBatch, name string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		return nil, fmt.Errorf("column %q: missing from the record batch", name)
	}
	return rec.Column(idx[0]), nil
}

// stringsOf gives a reader of a string column's values, "" for nulls.
func stringsOf(rec arrow.RecordBatch, name string) (func(int) string, error) {
	a, err := column(rec, name)
	if err != nil {
		return nil, err
	}
	return compare.StringValues(name, a)
}

// int64sOf gives a reader of an integer or millisecond-timestamp column.
func int64sOf(rec arrow.RecordBatch, name string) (func(int) int64, error) {
	a, err := column(rec, name)
	if err != nil {
		return nil, err
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value, nil
	case *array.Timestamp:
		if unit := a.DataType().(*arrow.TimestampType).Unit; unit != arrow.Millisecond {
			return nil, fmt.Errorf("column %q: timestamps in %s, want milliseconds", name, unit)
		}
		return func(i int) int64 { return int64(a.Value(i)) }, nil
	}
	return nil, fmt.Errorf("column %q: want int64 or timestamp, got %s", name, a.DataType())
}

// boolsOf gives a reader of a boolean column, false for nulls.
func boolsOf(rec arrow.RecordBatch, name string) (func(int) bool, error) {
	a, err := column(rec, name)
	if err != nil {
		return nil, err
	}
	b, ok := a.(*array.Boolean)
	if !ok {
		return nil, fmt.Errorf("column %q: want boolean, got %s", name, a.DataType())
	}
	return func(i int) bool { return b.IsValid(i) && b.Value(i) }, nil
}
