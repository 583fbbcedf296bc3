package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// stageRows writes rows of table t as one staged part of partition p.
func stageRows[T any](ctx context.Context, st store.Store, tempDir string, t datasets.Table, p datasets.Partition, part string, rows []T, cmp func(a, b *T) int) (string, error) {
	f, err := os.CreateTemp(tempDir, "distroscope-stage-*.parquet")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w := datasets.NewWriter(f, t, cmp, 0)
	if err := w.WriteAll(rows); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	key := datasets.StagingKey(t, p, part)
	if err := st.Put(ctx, key, f, w.Bytes()); err != nil {
		return "", fmt.Errorf("activities: stage %s: %w", key, err)
	}
	return key, nil
}

// readAll reads a small committed Parquet object into rows.
func readAll[T any](ctx context.Context, st store.Store, key string) ([]T, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, err
	}
	r := parquet.NewGenericReader[T](bytes.NewReader(data))
	defer r.Close()
	rows := make([]T, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return rows[:n], nil
}
