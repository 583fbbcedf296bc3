package datasets

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// DefaultRowGroupRows bounds both a writer's memory (the rows it buffers to
// sort, and parquet-go's column buffers) and the size of each row group
// readers fetch: 4Ki rows of packages are ~1 MB of zstd on disk. Measured on
// sid's main/amd64 index (2 cores): with 16Ki rows the live heap sat near the
// worker's memory limit, the collector ran every 40 ms and each flush stalled
// the parser behind it (0.8–0.9 s per index); with 4Ki rows the stages
// overlap and the same index streams in ~0.55 s, for a file ~2% larger.
const DefaultRowGroupRows = 4096

// zstdCodec is shared by every writer, so that its encoders are too.
var zstdCodec = newPageCodec()

// writerOptions are the settings of every Parquet file distroscope writes:
// zstd at its fastest level (2-3x smaller than snappy on package metadata, and
// still faster to write than to fetch), page statistics, the sorting column
// declared so readers can use it, and the table's name and version.
func writerOptions(t Table) []parquet.WriterOption {
	return []parquet.WriterOption{
		t.Schema,
		parquet.Compression(zstdCodec),
		parquet.PageBufferSize(256 * 1024),
		parquet.MaxRowsPerRowGroup(DefaultRowGroupRows),
		parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending(t.SortColumn))),
		parquet.KeyValueMetadata("distroscope.table", t.Name),
		parquet.KeyValueMetadata("distroscope.schema_version", fmt.Sprint(t.Version)),
		parquet.CreatedBy("distroscope", "1", ""),
	}
}

// Writer writes rows of one table as Parquet: zstd, statistics on every
// column, rows buffered up to a bound, sorted, and flushed as one row group.
// Rows are therefore sorted within each row group. (Debian's indexes are in
// source-package order, so their rows do need the sort.)
type Writer[T any] struct {
	w       *parquet.GenericWriter[T]
	cw      *countingWriter
	less    func(a, b *T) int
	buf     []T
	maxRows int
	rows    int64
}

// NewWriter starts a Parquet file of table t on out. compareRows orders rows
// and must order by t.SortColumn first. rowGroupRows <= 0 means
// DefaultRowGroupRows.
func NewWriter[T any](out io.Writer, t Table, compareRows func(a, b *T) int, rowGroupRows int) *Writer[T] {
	if rowGroupRows <= 0 {
		rowGroupRows = DefaultRowGroupRows
	}
	cw := &countingWriter{w: out}
	pw := parquet.NewGenericWriter[T](cw, append(writerOptions(t), parquet.MaxRowsPerRowGroup(int64(rowGroupRows)))...)
	return &Writer[T]{w: pw, cw: cw, less: compareRows, buf: make([]T, 0, rowGroupRows), maxRows: rowGroupRows}
}

// Write buffers one row, flushing a sorted row group when the buffer is full.
// The row is copied; the caller may reuse it.
func (w *Writer[T]) Write(row *T) error {
	w.buf = append(w.buf, *row)
	if len(w.buf) >= w.maxRows {
		return w.flush()
	}
	return nil
}

// WriteAll writes rows that are already in memory. When they are in
// order it writes them in row groups straight from the caller's slice,
// without copying each row into the writer's buffer first; otherwise it
// writes them one by one. rows must not change until WriteAll returns.
func (w *Writer[T]) WriteAll(rows []T) error {
	sorted := len(w.buf) == 0
	for i := 1; i < len(rows) && sorted; i++ {
		sorted = w.less(&rows[i-1], &rows[i]) <= 0
	}
	if !sorted {
		for i := range rows {
			if err := w.Write(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for len(rows) > 0 {
		n := min(len(rows), w.maxRows)
		if _, err := w.w.Write(rows[:n]); err != nil {
			return fmt.Errorf("datasets: write rows: %w", err)
		}
		if err := w.w.Flush(); err != nil {
			return fmt.Errorf("datasets: flush row group: %w", err)
		}
		w.rows += int64(n)
		rows = rows[n:]
	}
	return nil
}

func (w *Writer[T]) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	w.sortBuffer()
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("datasets: write rows: %w", err)
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("datasets: flush row group: %w", err)
	}
	w.rows += int64(len(w.buf))
	clear(w.buf) // drop references to the stanzas so they can be collected
	w.buf = w.buf[:0]
	return nil
}

// sortBuffer orders the buffered rows. Already sorted input costs one
// comparison per row. Otherwise it sorts a permutation rather than the rows:
// rows are hundreds of bytes, and moving them around dominated the writer's
// time.
func (w *Writer[T]) sortBuffer() {
	sorted := true
	for i := 1; i < len(w.buf) && sorted; i++ {
		sorted = w.less(&w.buf[i-1], &w.buf[i]) <= 0
	}
	if sorted {
		return
	}
	perm := make([]int32, len(w.buf))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(i, j int32) int { return w.less(&w.buf[i], &w.buf[j]) })
	out := make([]T, len(w.buf), cap(w.buf))
	for i, p := range perm {
		out[i] = w.buf[p]
	}
	w.buf = out
}

// Close flushes the last row group and writes the footer.
func (w *Writer[T]) Close() error {
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.w.Close(); err != nil {
		return fmt.Errorf("datasets: close parquet: %w", err)
	}
	return nil
}

// Rows is the number of rows written so far (flushed row groups).
func (w *Writer[T]) Rows() int64 { return w.rows }

// Bytes is the number of bytes written to the output so far.
func (w *Writer[T]) Bytes() int64 { return w.cw.n }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ComparePackageRows orders package rows by name, then index architecture,
// then version, component and architecture, so output is deterministic. (It
// returns early rather than using cmp.Or, which would evaluate every
// comparison: this runs a million times per index.)
func ComparePackageRows(a, b *PackageRow) int {
	if c := strings.Compare(a.Package, b.Package); c != 0 {
		return c
	}
	if c := strings.Compare(a.IndexArchitecture, b.IndexArchitecture); c != 0 {
		return c
	}
	if c := strings.Compare(a.Version, b.Version); c != 0 {
		return c
	}
	if c := strings.Compare(a.Component, b.Component); c != 0 {
		return c
	}
	return strings.Compare(a.Architecture, b.Architecture)
}

// CompareSnapshotRows orders snapshot rows by index path.
func CompareSnapshotRows(a, b *SnapshotRow) int {
	if c := strings.Compare(a.IndexPath, b.IndexPath); c != 0 {
		return c
	}
	return strings.Compare(a.Component, b.Component)
}
