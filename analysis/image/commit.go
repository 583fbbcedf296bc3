package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// Storage commits analyses to a store through the usual protocol: data
// objects first, then manifests, image_summaries last — its manifest marks
// an analysis committed, so one stopped half-way is redone whole and
// readers never see half of it.
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

func (s Storage) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// maxSummaryBytes bounds the one-row summary object read back.
const maxSummaryBytes = 1 << 20

// Known returns the committed summary of the analysis named key (any
// partition: the key alone names it), for Options.Known.
func (s Storage) Known(ctx context.Context, key string) (datasets.ImageSummaryRow, bool, error) {
	objs, err := s.Store.List(ctx, datasets.ImageSummaries.Prefix())
	if err != nil {
		return datasets.ImageSummaryRow{}, false, fmt.Errorf("image: list analyses: %w", err)
	}
	suffix := "/snapshot=" + key + "/_manifest.json"
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, suffix) {
			continue
		}
		m, err := datasets.ReadManifest(ctx, s.Store, o.Key)
		if err != nil {
			return datasets.ImageSummaryRow{}, false, fmt.Errorf("image: %w", err)
		}
		row, err := s.readSummary(ctx, m)
		if errors.Is(err, datasets.ErrCorrupt) {
			return datasets.ImageSummaryRow{}, false, nil // analysed again, and committed over it
		}
		return row, err == nil, err
	}
	return datasets.ImageSummaryRow{}, false, nil
}

func (s Storage) readSummary(ctx context.Context, m datasets.Manifest) (row datasets.ImageSummaryRow, err error) {
	if len(m.Files) != 1 {
		return row, fmt.Errorf("image: summary %s: %w: %d files", m.Partition.Snapshot, datasets.ErrCorrupt, len(m.Files))
	}
	data, err := datasets.ReadFile(ctx, s.Store, m.Files[0], maxSummaryBytes)
	if err != nil {
		return row, err
	}
	defer func() {
		if p := recover(); p != nil { // parquet-go panics on some broken files
			err = fmt.Errorf("image: summary %s: %w: %v", m.Files[0].Key, datasets.ErrCorrupt, p)
		}
	}()
	rows, err := parquet.Read[datasets.ImageSummaryRow](bytes.NewReader(data), int64(len(data)))
	if err != nil || len(rows) != 1 {
		return row, fmt.Errorf("image: summary %s: %w: %v (%d rows)", m.Files[0].Key, datasets.ErrCorrupt, err, len(rows))
	}
	return rows[0], nil
}

// Commit writes an analysis's tables (datasets.ImageTables) to its partition. Committing
// the same analysis again is a no-op (Publish keeps a committed
// partition).
func (s Storage) Commit(ctx context.Context, res *Result, run Run) error {
	p := res.Partition
	base := datasets.Manifest{Producer: s.Producer, WorkflowID: run.WorkflowID, RunID: run.RunID,
		Inputs: []datasets.Input{{Path: res.Summary.Ref, SHA256: strings.TrimPrefix(res.Summary.Identity, "sha256:")}}}
	var pkgs, files, settings, sum datasets.StagedPart
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		pkgs, err = datasets.StageRows(gctx, s.Store, s.TempDir, datasets.ImagePackages, p, "packages", res.Packages, datasets.CompareImagePackageRows)
		return err
	})
	g.Go(func() (err error) {
		files, err = datasets.StageRows(gctx, s.Store, s.TempDir, datasets.ImageFiles, p, "files", res.Files, datasets.CompareImageFileRows)
		return err
	})
	g.Go(func() (err error) {
		settings, err = datasets.StageRows(gctx, s.Store, s.TempDir, datasets.ConfigSettings, p, "settings", res.Settings, datasets.CompareConfigSettingRows)
		return err
	})
	g.Go(func() (err error) {
		sum, err = datasets.StageRows(gctx, s.Store, s.TempDir, datasets.ImageSummaries, p, "summary", []datasets.ImageSummaryRow{res.Summary},
			func(a, b *datasets.ImageSummaryRow) int { return strings.Compare(a.Identity, b.Identity) })
		return err
	})
	if err := g.Wait(); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	now := s.now()
	for _, st := range []struct {
		table datasets.Table
		part  datasets.StagedPart
	}{{datasets.ImagePackages, pkgs}, {datasets.ImageFiles, files}, {datasets.ConfigSettings, settings}, {datasets.ImageSummaries, sum}} {
		if _, err := datasets.Publish(ctx, s.Store, datasets.PublishInput{Table: st.table, Partition: p,
			Parts: []datasets.StagedPart{st.part}, Manifest: base, TempDir: s.TempDir, Now: now}); err != nil {
			return fmt.Errorf("image: %w", err)
		}
	}
	for _, part := range []datasets.StagedPart{pkgs, files, settings, sum} {
		_ = s.Store.Delete(ctx, part.Key) // the janitor removes what this misses
	}
	return nil
}
