package compare

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
)

// Column names of the packages table (datasets.PackageRow) that a
// comparison reads; every other column is never decoded.
const (
	colPackage           = "package"
	colIndexArchitecture = "index_architecture"
	colArchitecture      = "architecture"
	colVersion           = "version"
	colSource            = "source"
	colSourceVersion     = "source_version"
	colSection           = "section"
	colPriority          = "priority"
	colEssential         = "essential"
	colFormat            = "format"
	colDepends           = "depends"
	colPreDepends        = "pre_depends"
)

var neededColumns = []string{
	colPackage, colIndexArchitecture, colArchitecture, colVersion, colSource, colSourceVersion,
	colSection, colPriority, colEssential, colFormat, colDepends, colPreDepends,
}

// readBatchRows bounds the Arrow record batches ReadSnapshot decodes at a
// time: the batch is copied into the Snapshot and released, so Arrow's
// buffers never hold more than this many rows of the needed columns.
const readBatchRows = 8192

// Snapshot is the part of one packages snapshot a comparison needs, held
// column by column.
//
// Why this layout: a comparison holds two snapshots of ~70k rows each at
// once. As []datasets.PackageRow that is 70k structs of ~700 bytes plus one
// heap string per field and one slice per relationship list — millions of
// small objects for the collector to trace. Here each high-cardinality
// string column (package, version, source, relationships) is one string
// holding every value end to end plus a uint32 end offset per value, like
// an Arrow string array but in one contiguous piece (Arrow's record batches
// are released as soon as they are copied); the low-cardinality columns
// (architectures, section, priority, format) are interned into a small
// table with a uint16 code per row. A 63k-row Debian index takes ~15 MB
// this way, and reading a value is a substring, without allocation.
type Snapshot struct {
	n int

	pkg, version, source, sourceVersion stringColumn
	indexArch, arch, section, priority  internedColumn
	format                              internedColumn
	essential                           []bool
	// depends holds each row's Depends clauses followed by its Pre-Depends
	// clauses: comparisons diff them as one set (see diffDepends).
	depends listColumn
}

// Len is the number of rows.
func (s *Snapshot) Len() int { return s.n }

// Row returns row i as a PackageRef. Its strings share the snapshot's
// memory.
func (s *Snapshot) Row(i int) PackageRef {
	return PackageRef{
		Package: s.pkg.at(i), IndexArchitecture: s.indexArch.at(i), Architecture: s.arch.at(i),
		Version: s.version.at(i), Source: s.source.at(i), SourceVersion: s.sourceVersion.at(i),
		Section: s.section.at(i), Priority: s.priority.at(i), Essential: s.essential[i],
		Format: s.format.at(i),
	}
}

// Depends returns row i's Depends and Pre-Depends clauses, in a new slice.
func (s *Snapshot) Depends(i int) []string { return s.depends.at(i).strings() }

// finish ends the building of s (ReadSnapshot, SnapshotOf): every column
// is made one piece.
func (s *Snapshot) finish() {
	for _, c := range []*stringColumn{&s.pkg, &s.version, &s.source, &s.sourceVersion} {
		c.finish()
	}
	for _, c := range []*internedColumn{&s.indexArch, &s.arch, &s.section, &s.priority, &s.format} {
		c.finish()
	}
	s.depends.finish()
}

// PackageRef is one row of a Snapshot.
type PackageRef struct {
	Package, IndexArchitecture, Architecture string
	Version, Source, SourceVersion           string
	Section, Priority                        string
	Essential                                bool
	Format                                   string
}

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

func (c *stringColumn) finish() {
	c.data = c.b.String()
	c.b = strings.Builder{}
}

func (c *stringColumn) at(i int) string { return c.data[c.start(i):c.end[i]] }

// start is where value i begins (and value i-1 ends).
func (c *stringColumn) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return c.end[i-1]
}

// internedColumn stores each distinct value once.
type internedColumn struct {
	values []string
	codes  []uint16
	index  map[string]uint16 // while reading
}

func (c *internedColumn) append(v string) error {
	code, ok := c.index[v]
	if !ok {
		if len(c.values) > math.MaxUint16 {
			return errors.New("more than 65536 distinct values")
		}
		if c.index == nil {
			c.index = map[string]uint16{}
		}
		v = strings.Clone(v) // the value outlives Arrow's buffer
		code = uint16(len(c.values))
		c.values = append(c.values, v)
		c.index[v] = code
	}
	c.codes = append(c.codes, code)
	return nil
}

func (c *internedColumn) finish() { c.index = nil }

func (c *internedColumn) at(i int) string { return c.values[c.codes[i]] }

// listColumn is a list-of-strings column: row i's values are values
// end[i-1] to end[i]-1. It holds no string headers (the collector has
// nothing to trace in it); values are sliced out of values.data on use.
type listColumn struct {
	values stringColumn
	end    []uint32
}

func (c *listColumn) finish() { c.values.finish() }

// span is row i's values as [lo, hi) indexes into c.values.
func (c *listColumn) span(i int) (lo, hi int) {
	if i > 0 {
		lo = int(c.end[i-1])
	}
	return lo, int(c.end[i])
}

// list is one row of a listColumn, read without allocation.
type list struct {
	c      *stringColumn
	lo, hi int
}

func (c *listColumn) at(i int) list {
	lo, hi := c.span(i)
	return list{&c.values, lo, hi}
}

func (l list) len() int            { return l.hi - l.lo }
func (l list) at(k int) string     { return l.c.at(l.lo + k) }
func (l list) text() string        { return l.c.data[l.c.start(l.lo):l.c.start(l.hi)] }
func (l list) offset(k int) uint32 { return l.c.start(l.lo+k) - l.c.start(l.lo) }

// equal tells whether two rows hold the same values in the same order:
// the same text end to end and the same boundaries, compared without
// slicing out a single value.
func (l list) equal(m list) bool {
	if l.len() != m.len() || l.text() != m.text() {
		return false
	}
	for k := 1; k < l.len(); k++ {
		if l.offset(k) != m.offset(k) {
			return false
		}
	}
	return true
}

// strings copies the row's values into a new slice.
func (l list) strings() []string {
	out := make([]string, l.len())
	for k := range out {
		out[k] = l.at(k)
	}
	return out
}

// ErrCorrupt is returned (wrapped) for a packages file Arrow cannot
// decode.
var ErrCorrupt = errors.New("corrupt Parquet file")

// ReadSnapshot reads the columns a comparison needs from a packages
// Parquet file (datasets.Packages, schema v2) of size bytes, with Arrow,
// never decoding the other columns.
//
// Arrow's Parquet reader panics on some corrupt files (a page header
// without its dictionary header, for one) instead of returning an error;
// ReadSnapshot turns such a panic into an error wrapping ErrCorrupt, so
// one bad object fails its comparison, not the worker. That is also why
// columns are decoded on the calling goroutine (no pqarrow Parallel): a
// panic on one of Arrow's own goroutines could not be recovered here.
// Callers that read two snapshots read them concurrently instead.
func ReadSnapshot(ctx context.Context, r io.ReaderAt, size int64) (s *Snapshot, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("compare: packages file: %w: %v", ErrCorrupt, p)
		}
	}()
	return readSnapshot(ctx, r, size)
}

func readSnapshot(ctx context.Context, r io.ReaderAt, size int64) (*Snapshot, error) {
	alloc := &recycler{}
	pf, err := file.NewParquetReader(io.NewSectionReader(r, 0, size), file.WithReadProps(parquet.NewReaderProperties(alloc)))
	if err != nil {
		return nil, fmt.Errorf("compare: packages file: %w", err)
	}
	defer pf.Close()
	schema := pf.MetaData().Schema
	want := map[string]bool{}
	for _, c := range neededColumns {
		want[c] = true
	}
	found := map[string]bool{}
	var leaves []int
	leafName := map[int]string{}
	for i := 0; i < schema.NumColumns(); i++ {
		path := schema.Column(i).ColumnPath()
		if len(path) > 0 && want[path[0]] {
			leaves = append(leaves, i)
			found[path[0]] = true
			leafName[i] = path[0]
		}
	}
	for _, c := range neededColumns {
		if !found[c] {
			return nil, fmt.Errorf("compare: packages file has no column %q (is it a packages v2 file?)", c)
		}
	}
	rows := pf.NumRows()
	if rows < 0 || rows > maxSnapshotRows {
		return nil, fmt.Errorf("compare: packages file claims %d rows, more than a snapshot has (at most %d): %w", rows, maxSnapshotRows, ErrCorrupt)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, alloc)
	if err != nil {
		return nil, fmt.Errorf("compare: packages file: %w", err)
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return nil, fmt.Errorf("compare: packages file: %w", err)
	}
	defer rr.Release()

	s := &Snapshot{}
	s.presize(pf, leafName, int(rows))
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.appendBatch(rr.RecordBatch()); err != nil {
			return nil, fmt.Errorf("compare: packages file row %d: %w", s.n, err)
		}
		if int64(s.n) > rows {
			// A row group claiming more rows than the footer: stop before
			// decoding them all.
			return nil, fmt.Errorf("compare: packages file holds more rows than the %d it declares: %w", rows, ErrCorrupt)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("compare: packages file: %w", err)
	}
	if int64(s.n) != rows {
		return nil, fmt.Errorf("compare: packages file: read %d rows of %d", s.n, rows)
	}
	s.finish()
	return s, nil
}

// maxPresize bounds the bytes presize reserves for one column from the
// file's own claims, so that a hostile footer cannot make it allocate
// more than the text a snapshot can hold anyway.
const maxPresize = 1 << 30

// maxSnapshotRows bounds the rows of one packages file. The largest
// repositories (Debian's all architectures, Fedora with updates) hold a
// few hundred thousand packages; a footer claiming more is corrupt.
const maxSnapshotRows = 1 << 24

// maxPresizeRows bounds the rows presize reserves room for, for the same
// reason: Parquet's run-length encoding lets a small file claim billions.
const maxPresizeRows = 1 << 22

// presize reserves each column's room up front from the footer's row
// count and uncompressed column sizes (which, with the length prefix of
// each value, slightly exceed the text): without it the columns grow by
// doubling, copying everything read so far each time.
func (s *Snapshot) presize(pf *file.Reader, leafName map[int]string, rows int) {
	bytes := map[string]int64{}
	values := map[string]int64{}
	md := pf.MetaData()
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		for leaf, name := range leafName {
			cc, err := rg.ColumnChunk(leaf)
			if err != nil {
				continue // the reader reports a broken footer itself
			}
			bytes[name] += cc.TotalUncompressedSize()
			values[name] += cc.NumValues()
		}
	}
	hint := func(n int64) int { return int(min(max(n, 0), maxPresize)) }
	rows = min(rows, maxPresizeRows)
	for _, sc := range []struct {
		name string
		dst  *stringColumn
	}{{colPackage, &s.pkg}, {colVersion, &s.version}, {colSource, &s.source}, {colSourceVersion, &s.sourceVersion}} {
		sc.dst.b.Grow(hint(bytes[sc.name]))
		sc.dst.end = make([]uint32, 0, rows)
	}
	s.depends.values.b.Grow(hint(bytes[colDepends] + bytes[colPreDepends]))
	s.depends.values.end = make([]uint32, 0, hint((values[colDepends]+values[colPreDepends])*4)/4)
	s.depends.end = make([]uint32, 0, rows)
	for _, ic := range []*internedColumn{&s.indexArch, &s.arch, &s.section, &s.priority, &s.format} {
		ic.codes = make([]uint16, 0, rows)
	}
	s.essential = make([]bool, 0, rows)
}

// appendBatch copies one record batch into s.
func (s *Snapshot) appendBatch(rec arrow.RecordBatch) error {
	col := func(name string) (arrow.Array, error) {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("column %q: missing from the record batch", name)
		}
		return rec.Column(idx[0]), nil
	}
	n := int(rec.NumRows())
	for _, sc := range []struct {
		name string
		dst  *stringColumn
	}{{colPackage, &s.pkg}, {colVersion, &s.version}, {colSource, &s.source}, {colSourceVersion, &s.sourceVersion}} {
		a, err := col(sc.name)
		if err != nil {
			return err
		}
		get, err := stringsOf(sc.name, a)
		if err != nil {
			return err
		}
		for i := range n {
			if err := sc.dst.append(get(i)); err != nil {
				return fmt.Errorf("column %q: %w", sc.name, err)
			}
		}
	}
	for _, ic := range []struct {
		name string
		dst  *internedColumn
	}{{colIndexArchitecture, &s.indexArch}, {colArchitecture, &s.arch}, {colSection, &s.section}, {colPriority, &s.priority}, {colFormat, &s.format}} {
		a, err := col(ic.name)
		if err != nil {
			return err
		}
		get, err := stringsOf(ic.name, a)
		if err != nil {
			return err
		}
		for i := range n {
			if err := ic.dst.append(get(i)); err != nil {
				return fmt.Errorf("column %q: %w", ic.name, err)
			}
		}
	}
	a, err := col(colEssential)
	if err != nil {
		return err
	}
	ess, ok := a.(*array.Boolean)
	if !ok {
		return fmt.Errorf("column %q: want boolean, got %s", colEssential, a.DataType())
	}
	for i := range n {
		s.essential = append(s.essential, ess.IsValid(i) && ess.Value(i))
	}
	var lists [2]*array.List
	var values [2]func(int) string
	for k, name := range []string{colDepends, colPreDepends} {
		a, err := col(name)
		if err != nil {
			return err
		}
		l, ok := a.(*array.List)
		if !ok {
			return fmt.Errorf("column %q: want a list, got %s", name, a.DataType())
		}
		if values[k], err = stringsOf(name, l.ListValues()); err != nil {
			return err
		}
		lists[k] = l
	}
	for i := range n {
		for k, l := range lists {
			if l.IsNull(i) {
				continue
			}
			start, end := l.ValueOffsets(i)
			for j := start; j < end; j++ {
				if err := s.depends.values.append(values[k](int(j))); err != nil {
					return fmt.Errorf("column %q: %w", colDepends, err)
				}
			}
		}
		s.depends.end = append(s.depends.end, uint32(len(s.depends.values.end)))
	}
	s.n += n
	return nil
}

// stringsOf gives a reader of a string array's values, "" for nulls.
func stringsOf(name string, a arrow.Array) (func(int) string, error) { return StringValues(name, a) }

// StringValues gives a reader of the values of an Arrow array of strings —
// plain, large, binary or dictionary-encoded, as Parquet readers hand them
// out — with "" for nulls; name is the column's, for the error when the
// array holds something else. The trends readers share it.
func StringValues(name string, a arrow.Array) (func(int) string, error) {
	switch a := a.(type) {
	case *array.String:
		return func(i int) string {
			if a.IsNull(i) {
				return ""
			}
			return a.Value(i)
		}, nil
	case *array.LargeString:
		return func(i int) string {
			if a.IsNull(i) {
				return ""
			}
			return a.Value(i)
		}, nil
	case *array.Binary:
		return func(i int) string {
			if a.IsNull(i) {
				return ""
			}
			return a.ValueString(i)
		}, nil
	case *array.Dictionary:
		dict, err := StringValues(name, a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(i int) string {
			if a.IsNull(i) {
				return ""
			}
			return dict(a.GetValueIndex(i))
		}, nil
	}
	return nil, fmt.Errorf("column %q: want strings, got %s", name, a.DataType())
}
