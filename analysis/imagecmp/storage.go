package imagecmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// ErrNotAnalysed is returned (wrapped) by Load for an image whose analysis
// is not committed; it wraps store.ErrNotFound too.
var ErrNotAnalysed = fmt.Errorf("image analysis not committed: %w", store.ErrNotFound)

// ErrNoSettings is returned (wrapped) by Load for an analysis committed
// without config_settings, by an analyzer older than the settings: compared
// as empty, every setting of the other image would read as added or
// removed. Analysing the image again (the current analyzer's key is new)
// gives it settings.
var ErrNoSettings = errors.New("analysis has no config_settings (made by an older analyzer: analyse the image again)")

// Storage reads committed analyses and commits comparisons with the usual
// protocol: the data object first, then its manifest, and
// image_compare_summaries last — its manifest marks a comparison
// committed, so one stopped half-way is redone whole.
type Storage struct {
	Store    store.Store
	TempDir  string
	Producer string
	Now      func() time.Time
}

// Run says which workflow run commits, for the manifests.
type Run struct {
	WorkflowID string
	RunID      string
}

// Bounds on what Load reads back: an analysis of the largest images holds
// a few hundred thousand file rows; a manifest claiming far more is not
// one this code wrote.
const (
	maxRows     = 1 << 23
	maxDataSize = 4 << 30
)

// LoadKey loads the committed analysis named key (datasets.ImageKey: the
// key alone names it, whatever its distro and release).
func (s Storage) LoadKey(ctx context.Context, key string) (*Side, error) {
	objs, err := s.Store.List(ctx, datasets.ImageSummaries.Prefix())
	if err != nil {
		return nil, fmt.Errorf("imagecmp: list analyses: %w", err)
	}
	suffix := "/snapshot=" + key + "/_manifest.json"
	for _, o := range objs {
		if strings.HasSuffix(o.Key, suffix) {
			m, err := datasets.ReadManifest(ctx, s.Store, o.Key)
			if err != nil {
				return nil, fmt.Errorf("imagecmp: %w", err)
			}
			return s.Load(ctx, m.Partition)
		}
	}
	return nil, fmt.Errorf("imagecmp: analysis %s: %w", key, ErrNotAnalysed)
}

// Load reads the committed analysis of partition p: its summary (whose
// manifest marks it committed), packages, files and settings.
func (s Storage) Load(ctx context.Context, p datasets.Partition) (*Side, error) {
	side := &Side{Partition: p}
	sums, err := readTable[datasets.ImageSummaryRow](ctx, s, datasets.ImageSummaries, p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("imagecmp: analysis %s/%s/%s: %w", p.Distro, p.Release, p.Snapshot, ErrNotAnalysed)
	}
	if err != nil {
		return nil, err
	}
	if len(sums) != 1 {
		return nil, fmt.Errorf("imagecmp: %s: %w: %d summary rows, want 1", datasets.ImageSummaries.DataKey(p), datasets.ErrCorrupt, len(sums))
	}
	side.Summary = sums[0]
	if side.Packages, err = readTable[datasets.ImagePackageRow](ctx, s, datasets.ImagePackages, p); err != nil {
		return nil, err
	}
	if side.Files, err = readTable[datasets.ImageFileRow](ctx, s, datasets.ImageFiles, p); err != nil {
		return nil, err
	}
	side.Settings, err = readTable[datasets.ConfigSettingRow](ctx, s, datasets.ConfigSettings, p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("imagecmp: analysis %s: %w", p.Snapshot, ErrNoSettings)
	}
	if err != nil {
		return nil, err
	}
	return side, nil
}

// readTable reads the one data object of a committed partition of t,
// checked against its manifest; a partition without a manifest is an
// error wrapping store.ErrNotFound.
func readTable[T any](ctx context.Context, s Storage, t datasets.Table, p datasets.Partition) (rows []T, err error) {
	m, err := datasets.ReadManifest(ctx, s.Store, t.ManifestKey(p))
	if err != nil {
		return nil, fmt.Errorf("imagecmp: %s: %w", t.Name, err)
	}
	if len(m.Files) != 1 || m.Rows < 0 || m.Rows > maxRows || m.Files[0].Bytes > maxDataSize {
		return nil, fmt.Errorf("imagecmp: %s: %w: %d files, %d rows (at most one file, %d rows, %d bytes)",
			t.ManifestKey(p), datasets.ErrCorrupt, len(m.Files), m.Rows, maxRows, int64(maxDataSize))
	}
	f, err := datasets.OpenFile(ctx, s.Store, m.Files[0], s.TempDir)
	if err != nil {
		return nil, fmt.Errorf("imagecmp: %w", err)
	}
	defer f.Close()
	defer func() {
		if r := recover(); r != nil { // parquet-go panics on some broken files
			rows, err = nil, fmt.Errorf("imagecmp: %s: %w: %v", m.Files[0].Key, datasets.ErrCorrupt, r)
		}
	}()
	r := parquet.NewGenericReader[T](f)
	defer r.Close()
	if r.NumRows() != m.Rows {
		return nil, fmt.Errorf("imagecmp: %s: %w: %d rows, its manifest says %d", m.Files[0].Key, datasets.ErrCorrupt, r.NumRows(), m.Rows)
	}
	rows = make([]T, m.Rows)
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("imagecmp: %s: %w: %v", m.Files[0].Key, datasets.ErrCorrupt, err)
	}
	if int64(n) != m.Rows {
		return nil, fmt.Errorf("imagecmp: %s: %w: read %d rows of %d", m.Files[0].Key, datasets.ErrCorrupt, n, m.Rows)
	}
	return rows, nil
}

// Known returns the committed summary of the comparison in partition p
// (datasets.ImageComparePartition of the two analyses'), so a pair
// compared before is not compared again.
func (s Storage) Known(ctx context.Context, p datasets.Partition) (datasets.ImageCompareSummaryRow, bool, error) {
	rows, err := readTable[datasets.ImageCompareSummaryRow](ctx, s, datasets.ImageCompareSummaries, p)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return datasets.ImageCompareSummaryRow{}, false, nil
	case errors.Is(err, datasets.ErrCorrupt):
		return datasets.ImageCompareSummaryRow{}, false, nil // compared again, and committed over it
	case err != nil:
		return datasets.ImageCompareSummaryRow{}, false, err
	case len(rows) != 1:
		return datasets.ImageCompareSummaryRow{}, false, nil
	}
	return rows[0], true, nil
}

func (s Storage) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Commit writes a comparison's image_diffs, then its
// image_compare_summaries row, to res.Partition. Committing the same
// comparison again is a no-op (Publish keeps a committed partition).
func (s Storage) Commit(ctx context.Context, res *Result, run Run) error {
	p := res.Partition
	if err := p.Validate(); err != nil {
		return fmt.Errorf("imagecmp: partition: %w", err)
	}
	sum := res.Summary
	a := datasets.Partition{Distro: sum.ADistro, Release: sum.ARelease, Snapshot: sum.AKey}
	b := datasets.Partition{Distro: sum.BDistro, Release: sum.BRelease, Snapshot: sum.BKey}
	base := datasets.Manifest{Producer: s.Producer, WorkflowID: run.WorkflowID, RunID: run.RunID, Inputs: []datasets.Input{
		{Path: datasets.ImageSummaries.ManifestKey(a)}, {Path: datasets.ImageSummaries.ManifestKey(b)}}}
	diffs, err := datasets.StageRows(ctx, s.Store, s.TempDir, datasets.ImageDiffs, p, "diffs", res.Diffs, datasets.CompareImageDiffRows)
	if err != nil {
		return fmt.Errorf("imagecmp: %w", err)
	}
	summary, err := datasets.StageRows(ctx, s.Store, s.TempDir, datasets.ImageCompareSummaries, p, "summary", []datasets.ImageCompareSummaryRow{sum},
		func(x, y *datasets.ImageCompareSummaryRow) int { return strings.Compare(x.AKey, y.AKey) })
	if err != nil {
		return fmt.Errorf("imagecmp: %w", err)
	}
	now := s.now()
	for _, st := range []struct {
		table datasets.Table
		part  datasets.StagedPart
	}{{datasets.ImageDiffs, diffs}, {datasets.ImageCompareSummaries, summary}} {
		if _, err := datasets.Publish(ctx, s.Store, datasets.PublishInput{Table: st.table, Partition: p,
			Parts: []datasets.StagedPart{st.part}, Manifest: base, TempDir: s.TempDir, Now: now}); err != nil {
			return fmt.Errorf("imagecmp: %w", err)
		}
	}
	for _, part := range []datasets.StagedPart{diffs, summary} {
		_ = s.Store.Delete(ctx, part.Key) // the janitor removes what this misses
	}
	return nil
}
