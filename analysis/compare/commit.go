package compare

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// Run is one comparison to commit: its two snapshots, and the workflow
// run that commits it, which the manifests record (empty outside one).
type Run struct {
	Old, New          datasets.Partition
	WorkflowID, RunID string
}

// Published is a committed comparison: its partition (keyed by both
// snapshots), its summary, its datasets' manifests and its report pages.
type Published struct {
	Partition datasets.Partition
	Summary   datasets.CompareSummaryRow
	Manifests []string
	Reports   []string
}

// Committed returns the comparison p when the whole of it is committed:
// its summary, which is committed last, every table this version writes,
// and its report with every CSV this version renders. A comparison
// committed before source_changes or a report table existed, or whose
// worker died between the summary and the pages, is not committed by that
// rule: committing it again keeps the tables already there as they are,
// adds what is missing and renders the report again.
//
// A manifest or summary that is not what was committed is an error
// wrapping ErrCorrupt, naming it.
func (s Storage) Committed(ctx context.Context, p datasets.Partition) (Published, bool, error) {
	m, ok, err := datasets.Committed(ctx, s.Store, datasets.CompareSummaries, p)
	if err != nil || !ok {
		return Published{}, false, loadErrorOrNil(err)
	}
	for _, t := range []datasets.Table{datasets.PackageChanges, datasets.SourceChanges} {
		if _, ok, err := datasets.Committed(ctx, s.Store, t, p); err != nil || !ok {
			return Published{}, false, loadErrorOrNil(err)
		}
	}
	out := Published{Partition: p, Manifests: manifests(p)}
	if out.Summary, err = s.readSummary(ctx, m); err != nil {
		return Published{}, false, err
	}
	for _, name := range report.CSVNames {
		if ok, err := s.exists(ctx, reportPrefix(p)+"csv/"+name); err != nil || !ok {
			return Published{}, false, err
		}
	}
	for _, page := range []string{report.FileHTML, report.FileMarkdown} {
		if ok, err := s.exists(ctx, reportPrefix(p)+page); err != nil || !ok {
			return Published{}, false, err
		}
		out.Reports = append(out.Reports, reportPrefix(p)+page)
	}
	return out, true, nil
}

// Commit commits the comparison res of run and stores its report beside
// it. The report's tables are derived, its CSVs rendered and streamed into
// the store and its pages rendered while the datasets are committed (one
// core encodes Parquet, the other the report); the pages are stored after
// the commit, so a report page never describes an uncommitted comparison,
// and its presence implies the CSVs are there. Every object has a fixed
// name, so committing again after a failure anywhere completes the same
// comparison.
func (s Storage) Commit(ctx context.Context, run Run, res Result) (Published, error) {
	p := datasets.ComparePartition(run.Old, run.New)
	if err := p.Validate(); err != nil {
		return Published{}, fmt.Errorf("compare: %w", err)
	}
	var pages []report.File
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.commitDatasets(gctx, p, run, res) })
	g.Go(func() (err error) {
		rep := report.New(reportData(p, run, res))
		for _, o := range rep.Outputs() {
			if !strings.HasPrefix(o.Name, "csv/") {
				continue
			}
			if err := s.putOutput(gctx, p, o); err != nil {
				return err
			}
		}
		pages, err = rep.Pages()
		return err
	})
	if err := g.Wait(); err != nil {
		return Published{}, err
	}
	out := Published{Partition: p, Summary: res.Summary, Manifests: manifests(p)}
	for _, f := range pages {
		key := reportPrefix(p) + f.Name
		if err := s.Store.Put(ctx, key, bytes.NewReader(f.Data), int64(len(f.Data))); err != nil {
			return Published{}, fmt.Errorf("compare: report %s: %w", key, err)
		}
		out.Reports = append(out.Reports, key)
	}
	return out, nil
}

// reportPrefix is where a comparison's reports live, beside its datasets.
func reportPrefix(p datasets.Partition) string {
	return "reports/compare/distro=" + p.Distro + "/release=" + p.Release + "/snapshot=" + p.Snapshot + "/"
}

// manifests are the manifests of a comparison's datasets, in commit order.
func manifests(p datasets.Partition) []string {
	return []string{datasets.PackageChanges.ManifestKey(p), datasets.SourceChanges.ManifestKey(p), datasets.CompareSummaries.ManifestKey(p)}
}

func reportData(p datasets.Partition, run Run, res Result) report.Data {
	return report.Data{Old: run.Old, New: run.New, Summary: res.Summary, Changes: res.Changes, Sources: res.Sources,
		Format: res.Format, CSVLocation: reportPrefix(p) + "csv/", ChangesDataset: datasets.PackageChanges.DataKey(p)}
}

// commitDatasets commits the comparison's datasets: package_changes and
// source_changes (staged at once), then compare_summaries last — the
// summary is what marks a comparison committed (Committed), so a run
// stopped before it is redone whole.
func (s Storage) commitDatasets(ctx context.Context, p datasets.Partition, run Run, res Result) error {
	now := s.now()
	base := datasets.Manifest{Producer: s.Producer, WorkflowID: run.WorkflowID, RunID: run.RunID,
		Inputs: []datasets.Input{{Path: datasets.Packages.DataKey(run.Old)}, {Path: datasets.Packages.DataKey(run.New)}}}
	var changes, sources datasets.StagedPart
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		changes, err = stageRows(gctx, s.Store, s.TempDir, datasets.PackageChanges, p, "changes", res.Changes, datasets.ComparePackageChangeRows)
		return err
	})
	g.Go(func() (err error) {
		sources, err = stageRows(gctx, s.Store, s.TempDir, datasets.SourceChanges, p, "sources", res.Sources, datasets.CompareSourceChangeRows)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	summary, err := stageRows(ctx, s.Store, s.TempDir, datasets.CompareSummaries, p, "summary", []datasets.CompareSummaryRow{res.Summary},
		func(a, b *datasets.CompareSummaryRow) int { return strings.Compare(a.OldSnapshot, b.OldSnapshot) })
	if err != nil {
		return err
	}
	for _, st := range []struct {
		table datasets.Table
		part  datasets.StagedPart
	}{{datasets.PackageChanges, changes}, {datasets.SourceChanges, sources}, {datasets.CompareSummaries, summary}} {
		if _, err := datasets.Publish(ctx, s.Store, datasets.PublishInput{Table: st.table, Partition: p,
			Parts: []datasets.StagedPart{st.part}, Manifest: base, TempDir: s.TempDir, Now: now}); err != nil {
			return err
		}
	}
	// The janitor removes what this misses.
	for _, part := range []datasets.StagedPart{changes, sources, summary} {
		_ = s.Store.Delete(ctx, part.Key)
	}
	return nil
}

// putOutput renders one report output straight into the store through
// a pipe, so a 15 MB CSV never sits whole in the worker's memory. Its name
// is fixed, so a retry rewrites the same object.
func (s Storage) putOutput(ctx context.Context, p datasets.Partition, o report.Output) error {
	key := reportPrefix(p) + o.Name
	pr, pw := io.Pipe()
	go func() {
		// Templates and the CSV writer write a few bytes at a time; each
		// write to a pipe waits for the reader, so they go through a buffer.
		bw := bufio.NewWriterSize(pw, 256<<10)
		err := o.Render(bw)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	err := s.Store.Put(ctx, key, pr, -1)
	pr.CloseWithError(err) // a Put that stopped reading unblocks the renderer
	if err != nil {
		return fmt.Errorf("compare: report %s: %w", key, err)
	}
	return nil
}

func (s Storage) readSummary(ctx context.Context, m datasets.Manifest) (datasets.CompareSummaryRow, error) {
	if len(m.Files) == 0 {
		return datasets.CompareSummaryRow{}, fmt.Errorf("compare: summary manifest of %s without files", m.Partition.Snapshot)
	}
	rows, err := readRows[datasets.CompareSummaryRow](ctx, s.Store, m.Files[0])
	if err != nil {
		return datasets.CompareSummaryRow{}, loadError(fmt.Errorf("read summary: %w", err))
	}
	if len(rows) == 0 {
		return datasets.CompareSummaryRow{}, fmt.Errorf("compare: read summary %s: no rows", m.Files[0].Key)
	}
	return rows[0], nil
}

// stageRows stages a comparison's rows (datasets.StageRows), its errors
// saying they are the comparison's.
func stageRows[T any](ctx context.Context, st store.Store, tempDir string, t datasets.Table, p datasets.Partition, part string, rows []T, cmp func(a, b *T) int) (datasets.StagedPart, error) {
	sp, err := datasets.StageRows(ctx, st, tempDir, t, p, part, rows, cmp)
	if err != nil {
		return datasets.StagedPart{}, fmt.Errorf("compare: %w", err)
	}
	return sp, nil
}

// maxSmallObject bounds what readRows reads into memory.
const maxSmallObject = 64 << 20

// readRows reads a small committed Parquet object into rows, after
// checking it against its manifest.
func readRows[T any](ctx context.Context, st store.Store, f datasets.ManifestFile) (rows []T, err error) {
	data, err := datasets.ReadFile(ctx, st, f, maxSmallObject)
	if err != nil {
		return nil, err
	}
	defer func() {
		// parquet-go panics on some broken files (a manifest from before
		// hashes lets one through).
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("%s: %w: %v", f.Key, ErrCorrupt, p)
		}
	}()
	r := parquet.NewGenericReader[T](bytes.NewReader(data))
	defer r.Close()
	rows = make([]T, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", f.Key, err)
	}
	return rows[:n], nil
}

// exists says whether key is in the store; only a missing object is false.
func (s Storage) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.Store.Stat(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
