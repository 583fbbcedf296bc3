package trends

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
)

// ErrNotCommitted is returned (wrapped) when a partition the trends need
// has no manifest: a snapshot's packages, or the state a step builds on.
var ErrNotCommitted = errors.New("not committed")

// dataFile is the one data object of committed partition p of table t,
// as its manifest lists it (with the size and SHA-256 it is checked
// against).
func (s Storage) dataFile(ctx context.Context, t datasets.Table, p datasets.Partition) (datasets.Manifest, error) {
	m, ok, err := datasets.Committed(ctx, s.Store, t, p)
	if err != nil {
		return m, fmt.Errorf("trends: %w", err)
	}
	if !ok {
		return m, fmt.Errorf("trends: %s of %s: %w", t.Name, partitionName(p), ErrNotCommitted)
	}
	if len(m.Files) != 1 || m.Files[0].Key != t.DataKey(p) {
		return m, corrupt(t.ManifestKey(p), "lists %d files, want %s alone", len(m.Files), t.DataKey(p))
	}
	return m, nil
}

// readColumnsOf opens data object f, checked against its manifest, and
// decodes the named columns with Arrow.
func (s Storage) readColumnsOf(ctx context.Context, f datasets.ManifestFile, cols []string, sink columnSink) error {
	r, err := datasets.OpenFile(ctx, s.Store, f, s.TempDir)
	if err != nil {
		return fmt.Errorf("trends: %w", err)
	}
	defer r.Close()
	return readColumns(ctx, r, r.Size(), f.Key, cols, sink)
}

// readEntries reads the columns of snapshot p's packages the trends use.
func (s Storage) readEntries(ctx context.Context, p datasets.Partition) (*entries, datasets.ManifestFile, error) {
	m, err := s.dataFile(ctx, datasets.Packages, p)
	if err != nil {
		return nil, datasets.ManifestFile{}, err
	}
	e := &entries{}
	if err := s.readColumnsOf(ctx, m.Files[0], packagesColumns, e); err != nil {
		return nil, datasets.ManifestFile{}, err
	}
	e.finish()
	return e, m.Files[0], nil
}

// readHistory reads the package_history of state p, every column.
func (s Storage) readHistory(ctx context.Context, p datasets.Partition) (*history, datasets.ManifestFile, error) {
	m, err := s.dataFile(ctx, datasets.PackageHistory, p)
	if err != nil {
		return nil, datasets.ManifestFile{}, err
	}
	h := &history{}
	if err := s.readColumnsOf(ctx, m.Files[0], historyColumns, h); err != nil {
		return nil, datasets.ManifestFile{}, err
	}
	h.finish()
	if err := h.checkOrder(); err != nil {
		return nil, datasets.ManifestFile{}, corrupt(m.Files[0].Key, "%v", err)
	}
	return h, m.Files[0], nil
}

// maxSmallObject bounds the package_lag and package_trends objects read
// whole into memory: a release's outdated sources are tens of thousands
// of short rows at most, a trends object is one row.
const maxSmallObject = 64 << 20

// readRows reads all rows of the data object of committed partition p of
// table t.
func readRows[T any](ctx context.Context, s Storage, t datasets.Table, p datasets.Partition) ([]T, error) {
	m, err := s.dataFile(ctx, t, p)
	if err != nil {
		return nil, err
	}
	return readFileRows[T](ctx, s, m.Files[0])
}

func readFileRows[T any](ctx context.Context, s Storage, f datasets.ManifestFile) (rows []T, err error) {
	data, err := datasets.ReadFile(ctx, s.Store, f, maxSmallObject)
	if err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	defer func() {
		// parquet-go panics on some broken files.
		if p := recover(); p != nil {
			rows, err = nil, corrupt(f.Key, "%v", p)
		}
	}()
	r := parquet.NewGenericReader[T](bytes.NewReader(data))
	defer r.Close()
	rows = make([]T, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, corrupt(f.Key, "%v", err)
	}
	return rows[:n], nil
}

// readTrend reads the one package_trends row of state p.
func (s Storage) readTrend(ctx context.Context, p datasets.Partition) (datasets.PackageTrendRow, error) {
	rows, err := readRows[datasets.PackageTrendRow](ctx, s, datasets.PackageTrends, p)
	if err != nil {
		return datasets.PackageTrendRow{}, err
	}
	if len(rows) != 1 {
		return datasets.PackageTrendRow{}, corrupt(datasets.PackageTrends.DataKey(p), "%d rows, want 1", len(rows))
	}
	return rows[0], nil
}
