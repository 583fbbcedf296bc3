package datasets

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
)

// ArrowSchema derives table t's Arrow schema from its Parquet definition the
// way every Arrow reader will: it writes an empty file with the table's
// writer settings and lets Arrow's own Parquet-to-Arrow mapping read the
// schema back. There is no second hand-written schema that could drift.
func ArrowSchema(t Table) (*arrow.Schema, error) {
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, t.Schema)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("datasets: %s: write empty file: %w", t.Name, err)
	}
	pr, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: read back schema: %w", t.Name, err)
	}
	defer pr.Close()
	s, err := pqarrow.FromParquet(pr.MetaData().Schema, &pqarrow.ArrowReadProperties{}, nil)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: arrow schema: %w", t.Name, err)
	}
	return s, nil
}
