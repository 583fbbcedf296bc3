package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/store"
)

// IgnoredColumns say when a run happened, not what it found (the
// snapshots table's fetched_at and verified_as_of, the trends' nightly
// logical_date): they differ between any two runs and are left out of the
// row comparison.
var IgnoredColumns = []string{"fetched_at", "verified_as_of", "logical_date"}

// Contents is what a store holds after a nightly: every key outside the
// staging area and the nightly records, and the rows of every Parquet
// data object, as one digest per row in file order.
type Contents struct {
	Keys []string
	Rows map[string][][sha256.Size]byte
	// Records are the nightly records' keys (one per plan and logical
	// date).
	Records []string
}

// ReadContents reads every committed key of st and the rows of its
// Parquet objects.
func ReadContents(ctx context.Context, st store.Store) (Contents, error) {
	c := Contents{Rows: map[string][][sha256.Size]byte{}}
	objs, err := st.List(ctx, "")
	if err != nil {
		return c, fmt.Errorf("list %s: %w", st, err)
	}
	for _, o := range objs {
		switch {
		case strings.HasPrefix(o.Key, "_staging/"):
			continue // the janitor's to clean: no reader sees it
		case strings.HasPrefix(o.Key, activities.NightlyPrefix):
			c.Records = append(c.Records, o.Key)
			continue
		}
		c.Keys = append(c.Keys, o.Key)
		if !strings.HasSuffix(o.Key, ".parquet") {
			continue
		}
		rows, err := rowDigests(ctx, st, o.Key)
		if err != nil {
			return c, err
		}
		c.Rows[o.Key] = rows
	}
	return c, nil
}

// rowDigests reads a Parquet object's rows, each as the SHA-256 of its
// values (column, levels, kind and bytes) but those of IgnoredColumns.
func rowDigests(ctx context.Context, st store.Store, key string) ([][sha256.Size]byte, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	ignored := map[int]bool{}
	for i, path := range f.Schema().Columns() {
		if slices.Contains(IgnoredColumns, path[len(path)-1]) {
			ignored[i] = true
		}
	}
	r := parquet.NewReader(bytes.NewReader(data))
	defer r.Close()
	out := make([][sha256.Size]byte, 0, f.NumRows())
	buf := make([]parquet.Row, 256)
	var b []byte
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			b = b[:0]
			for _, v := range row {
				if ignored[v.Column()] {
					continue
				}
				b = binary.AppendUvarint(b, uint64(v.Column()))
				b = append(b, byte(v.RepetitionLevel()), byte(v.DefinitionLevel()), byte(v.Kind()))
				raw := v.Bytes()
				b = binary.AppendUvarint(b, uint64(len(raw)))
				b = append(b, raw...)
			}
			out = append(out, sha256.Sum256(b))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", key, len(out), err)
		}
	}
	if int64(len(out)) != f.NumRows() {
		return nil, fmt.Errorf("%s: read %d rows of %d", key, len(out), f.NumRows())
	}
	return out, nil
}

// RowCount is the number of rows of every Parquet object.
func (c Contents) RowCount() (objects int, rows int) {
	for _, r := range c.Rows {
		objects++
		rows += len(r)
	}
	return objects, rows
}

// Diff lists how c differs from want: keys one has and the other not
// (a duplicate or a missing object), and for each Parquet object the first
// row that differs. Nil means identical, row for row. Exactly one nightly
// record is expected in each.
func (c Contents) Diff(want Contents) []string {
	var out []string
	for _, k := range c.Keys {
		if _, ok := slices.BinarySearch(want.Keys, k); !ok {
			out = append(out, "extra object "+k)
		}
	}
	for _, k := range want.Keys {
		if _, ok := slices.BinarySearch(c.Keys, k); !ok {
			out = append(out, "missing object "+k)
		}
	}
	for k, rows := range want.Rows {
		got, ok := c.Rows[k]
		if !ok {
			continue
		}
		if len(got) != len(rows) {
			out = append(out, fmt.Sprintf("%s: %d rows, the undisturbed run %d", k, len(got), len(rows)))
			continue
		}
		for i := range rows {
			if got[i] != rows[i] {
				out = append(out, fmt.Sprintf("%s: row %d differs", k, i))
				break
			}
		}
	}
	if len(c.Records) != 1 {
		out = append(out, fmt.Sprintf("%d nightly records, want 1: %v", len(c.Records), c.Records))
	}
	slices.Sort(out)
	return out
}
