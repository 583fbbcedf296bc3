package datasets

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/distroscope/distroscope/store"
)

// StageRows writes rows, in cmp's order, as one staged part of table t for
// partition p, spooled through a temporary file in tempDir so that the
// store gets the part's size and SHA-256 up front. Publish commits it.
func StageRows[T any](ctx context.Context, st store.Store, tempDir string, t Table, p Partition, part string, rows []T, cmp func(a, b *T) int) (StagedPart, error) {
	f, err := os.CreateTemp(tempDir, "distroscope-stage-*.parquet")
	if err != nil {
		return StagedPart{}, fmt.Errorf("stage %s: %w", t.Name, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	written := NewDigest()
	w := NewWriter(io.MultiWriter(f, written), t, cmp, 0)
	if err := w.WriteAll(rows); err != nil {
		return StagedPart{}, fmt.Errorf("stage %s: %w", t.Name, err)
	}
	if err := w.Close(); err != nil {
		return StagedPart{}, fmt.Errorf("stage %s: %w", t.Name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return StagedPart{}, fmt.Errorf("stage %s: %w", t.Name, err)
	}
	key := StagingKey(t, p, part)
	if err := st.Put(ctx, key, f, written.Size()); err != nil {
		return StagedPart{}, fmt.Errorf("stage %s: %w", key, err)
	}
	return StagedPart{Key: key, Rows: int64(len(rows)), SHA256: written.SHA256()}, nil
}
