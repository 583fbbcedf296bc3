package activities

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/membudget"
	"github.com/distroscope/distroscope/store"
)

// Compare holds the dependencies of the comparison activities.
type Compare struct {
	Store    store.Store
	TempDir  string
	Producer string
	Now      func() time.Time
	// Rules map package names across distributions; nil means the
	// defaults shipped with distroscope.
	Rules *crossmap.Rules
	// Heap is the worker's heap budget, raised by a comparison's working
	// set while it runs; nil leaves the limit alone.
	Heap *membudget.Budget
}

// CompareWorkingSet is the live heap a comparison keeps for packages
// files of fileBytes together: bookworm and trixie (33 MB of Parquet) keep
// ~60 MB live through the comparison, the commit and the report.
func CompareWorkingSet(fileBytes int64) int64 { return 2 * fileBytes }

// LocateInput names a snapshot: distro and release, and optionally the
// snapshot id (the newest committed one otherwise).
type LocateInput struct {
	Distro, Release, Snapshot string
}

// LocateResult is the committed snapshot found, if any.
type LocateResult struct {
	Found     bool               `json:"found"`
	Partition datasets.Partition `json:"partition"`
}

// LocateSnapshot finds a committed snapshot by its names.
func (c *Compare) LocateSnapshot(ctx context.Context, in LocateInput) (LocateResult, error) {
	ms, err := datasets.ListManifests(ctx, c.Store, datasets.Snapshots)
	if err != nil {
		return LocateResult{}, err
	}
	var found []datasets.Partition
	for _, m := range ms {
		p := m.Partition
		if p.Distro == in.Distro && p.Release == in.Release && (in.Snapshot == "" || p.Snapshot == in.Snapshot) {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return LocateResult{}, nil
	}
	// Snapshot ids start with the Release's date: the last sorts newest.
	sort.Slice(found, func(i, j int) bool { return found[i].Snapshot < found[j].Snapshot })
	return LocateResult{Found: true, Partition: found[len(found)-1]}, nil
}

// CompareInput names the two committed snapshots to compare.
type CompareInput struct {
	Old        datasets.Partition `json:"old"`
	New        datasets.Partition `json:"new"`
	WorkflowID string             `json:"workflow_id,omitempty"`
	RunID      string             `json:"run_id,omitempty"`
}

// CompareResult is where the comparison was committed, and its counts.
type CompareResult struct {
	Partition datasets.Partition         `json:"partition"`
	Summary   datasets.CompareSummaryRow `json:"summary"`
	Manifests []string                   `json:"manifests"`
	Reports   []string                   `json:"reports,omitempty"`
	Reused    bool                       `json:"reused"`
}

// CompareSnapshots reads both snapshots' packages (columnar, only the
// columns the comparison needs), compares them with each ecosystem's exact
// version ordering (or, across distributions, by the mapping rules),
// commits the package_changes, source_changes and compare_summaries
// partitions of the pair and stores the report beside them — or reports
// the ones already committed. Bad input (a snapshot that is not committed,
// no architecture in common, a corrupt packages file) fails without
// retries and commits nothing.
func (c *Compare) CompareSnapshots(ctx context.Context, in CompareInput) (out CompareResult, err error) {
	p := datasets.ComparePartition(in.Old, in.New)
	if err := p.Validate(); err != nil {
		return out, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	out.Partition = p
	m, ok, err := c.committedComparison(ctx, p)
	if err != nil {
		return out, err
	}
	if ok {
		out.Reused = true
		out.Manifests = compareManifests(p)
		out.Summary, err = c.readSummary(ctx, m)
		for _, k := range []string{reportPrefix(p) + "report.html", reportPrefix(p) + "report.md"} {
			if _, serr := c.Store.Stat(ctx, k); serr == nil {
				out.Reports = append(out.Reports, k)
			}
		}
		return out, err
	}
	if size, err := c.packagesBytes(ctx, in.Old, in.New); err == nil {
		defer c.Heap.Reserve(CompareWorkingSet(size))()
	}
	// Both snapshots at once: reading is decompression and decoding,
	// which one snapshot alone does not spread over every core.
	phase := newPhases()
	var old, nw *compare.Snapshot
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { old, err = c.loadSnapshot(gctx, in.Old); return err })
	g.Go(func() (err error) { nw, err = c.loadSnapshot(gctx, in.New); return err })
	if err := g.Wait(); err != nil {
		return out, err
	}
	phase.done("read")
	activity.RecordHeartbeat(ctx, "snapshots read")
	opts := compare.Options{Old: in.Old, New: in.New}
	var res compare.Result
	if in.Old.Distro == in.New.Distro {
		res, err = compare.Compare(old, nw, opts)
	}
	if in.Old.Distro != in.New.Distro || errors.Is(err, compare.ErrCrossDistro) {
		// Different distributions: names are mapped by rules and versions
		// compared by their normalised upstream part.
		rules := c.Rules
		if rules == nil {
			rules = crossmap.DefaultRules()
		}
		res, err = crossmap.Compare(old, nw, rules, opts)
	}
	if err != nil {
		return out, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	phase.done("compare")
	activity.RecordHeartbeat(ctx, "compared")

	// The report's tables are derived, its CSVs rendered and streamed into
	// the store and its pages rendered while the datasets are committed
	// (one core encodes Parquet, the other the report), so the commit
	// starts at once; the pages are stored after the commit, so a report
	// page never describes an uncommitted comparison, and its presence
	// implies the CSVs are there.
	var pages []report.File
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error { return c.commitComparison(gctx, p, in, res) })
	g.Go(func() (err error) {
		rep := report.New(c.reportData(p, in, res))
		for _, o := range rep.Outputs() {
			if !strings.HasPrefix(o.Name, "csv/") {
				continue
			}
			if err := c.putOutput(gctx, p, o); err != nil {
				return err
			}
		}
		pages, err = rep.Pages()
		return err
	})
	if err := g.Wait(); err != nil {
		return out, err
	}
	phase.done("commit")
	activity.RecordHeartbeat(ctx, "report")
	var reports []string
	for _, f := range pages {
		key := reportPrefix(p) + f.Name
		if err := c.Store.Put(ctx, key, bytes.NewReader(f.Data), int64(len(f.Data))); err != nil {
			return out, fmt.Errorf("activities: report %s: %w", key, err)
		}
		reports = append(reports, key)
	}
	phase.done("report")
	out.Reports = reports
	out.Summary = res.Summary
	out.Manifests = compareManifests(p)
	activity.GetLogger(ctx).Info("comparison committed", append([]any{"partition", p.Distro + "/" + p.Release + "/" + p.Snapshot,
		"upgraded", res.Summary.Upgraded, "added", res.Summary.Added, "removed", res.Summary.Removed}, phase.keyvals()...)...)
	return out, nil
}

// phases times the steps of an activity for its log line, so a slow run
// says where its time went.
type phases struct {
	last time.Time
	kv   []any
}

func newPhases() *phases { return &phases{last: time.Now()} }

func (p *phases) done(name string) {
	now := time.Now()
	p.kv = append(p.kv, name+"_ms", now.Sub(p.last).Milliseconds())
	p.last = now
}

func (p *phases) keyvals() []any { return p.kv }

// packagesBytes is the size of both sides' packages files.
func (c *Compare) packagesBytes(ctx context.Context, ps ...datasets.Partition) (int64, error) {
	var n int64
	for _, p := range ps {
		info, err := c.Store.Stat(ctx, datasets.Packages.DataKey(p))
		if err != nil {
			return 0, err
		}
		n += info.Size
	}
	return n, nil
}

// localFile is what a local folder's Get returns.
type localFile interface {
	io.ReaderAt
	Stat() (os.FileInfo, error)
}

func (c *Compare) loadSnapshot(ctx context.Context, p datasets.Partition) (*compare.Snapshot, error) {
	key := datasets.Packages.DataKey(p)
	rc, err := c.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		err := fmt.Errorf("activities: no committed packages for %s/%s/%s (%s)", p.Distro, p.Release, p.Snapshot, key)
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Parquet is read at random offsets: a local folder's object is read
	// in place (objects are replaced by rename, never rewritten, so the
	// open file stays what it was); an S3 object is spooled to a file.
	var ra io.ReaderAt
	var n int64
	if f, ok := rc.(localFile); ok {
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		ra, n = f, fi.Size()
	} else {
		f, err := os.CreateTemp(c.TempDir, "distroscope-compare-*.parquet")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if n, err = io.Copy(f, rc); err != nil {
			return nil, err
		}
		ra = f
	}
	s, err := compare.ReadSnapshot(ctx, ra, n)
	if err != nil {
		err = fmt.Errorf("activities: %s: %w", key, err)
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeCorrupt, err)
	}
	return s, nil
}

func (c *Compare) readSummary(ctx context.Context, m datasets.Manifest) (datasets.CompareSummaryRow, error) {
	if len(m.Files) == 0 {
		return datasets.CompareSummaryRow{}, fmt.Errorf("activities: summary manifest without files")
	}
	rows, err := readAll[datasets.CompareSummaryRow](ctx, c.Store, m.Files[0].Key)
	if err != nil || len(rows) == 0 {
		return datasets.CompareSummaryRow{}, fmt.Errorf("activities: read summary %s: %v", m.Files[0].Key, err)
	}
	return rows[0], nil
}

// reportPrefix is where a comparison's reports live, beside its datasets.
func reportPrefix(p datasets.Partition) string {
	return "reports/compare/distro=" + p.Distro + "/release=" + p.Release + "/snapshot=" + p.Snapshot + "/"
}

// committedComparison returns the summary manifest of p when the whole
// comparison is committed: its summary, which is committed last, and every
// table this version writes (a comparison committed before source_changes
// existed is completed, not reused: the tables already committed are kept
// as they are, the missing one is added and the report rendered again).
func (c *Compare) committedComparison(ctx context.Context, p datasets.Partition) (datasets.Manifest, bool, error) {
	m, ok, err := datasets.Committed(ctx, c.Store, datasets.CompareSummaries, p)
	if err != nil || !ok {
		return m, false, err
	}
	for _, t := range []datasets.Table{datasets.PackageChanges, datasets.SourceChanges} {
		if _, ok, err := datasets.Committed(ctx, c.Store, t, p); err != nil || !ok {
			return m, false, err
		}
	}
	return m, true, nil
}

// compareManifests are the manifests of a comparison's datasets.
func compareManifests(p datasets.Partition) []string {
	return []string{datasets.PackageChanges.ManifestKey(p), datasets.SourceChanges.ManifestKey(p), datasets.CompareSummaries.ManifestKey(p)}
}

func (c *Compare) reportData(p datasets.Partition, in CompareInput, res compare.Result) report.Data {
	return report.Data{Old: in.Old, New: in.New, Summary: res.Summary, Changes: res.Changes, Sources: res.Sources,
		Format: res.Format, CSVLocation: reportPrefix(p) + "csv/", ChangesDataset: datasets.PackageChanges.DataKey(p)}
}

// commitComparison commits the comparison's datasets: package_changes and
// source_changes (staged at once), then compare_summaries last — the
// summary is what marks a comparison committed (CompareSnapshots' reuse
// check), so a run stopped before it is redone whole.
func (c *Compare) commitComparison(ctx context.Context, p datasets.Partition, in CompareInput, res compare.Result) error {
	now := time.Now().UTC()
	if c.Now != nil {
		now = c.Now()
	}
	base := datasets.Manifest{Producer: c.Producer, WorkflowID: in.WorkflowID, RunID: in.RunID,
		Inputs: []datasets.Input{{Path: datasets.Packages.DataKey(in.Old)}, {Path: datasets.Packages.DataKey(in.New)}}}
	var changesKey, sourcesKey string
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		changesKey, err = stageRows(gctx, c.Store, c.TempDir, datasets.PackageChanges, p, "changes", res.Changes, datasets.ComparePackageChangeRows)
		return err
	})
	g.Go(func() (err error) {
		sourcesKey, err = stageRows(gctx, c.Store, c.TempDir, datasets.SourceChanges, p, "sources", res.Sources, datasets.CompareSourceChangeRows)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	summaryKey, err := stageRows(ctx, c.Store, c.TempDir, datasets.CompareSummaries, p, "summary", []datasets.CompareSummaryRow{res.Summary},
		func(a, b *datasets.CompareSummaryRow) int { return strings.Compare(a.OldSnapshot, b.OldSnapshot) })
	if err != nil {
		return err
	}
	for _, st := range []struct {
		table datasets.Table
		key   string
		rows  int
	}{{datasets.PackageChanges, changesKey, len(res.Changes)}, {datasets.SourceChanges, sourcesKey, len(res.Sources)}, {datasets.CompareSummaries, summaryKey, 1}} {
		if _, err := datasets.Publish(ctx, c.Store, datasets.PublishInput{Table: st.table, Partition: p,
			Parts: []datasets.StagedPart{{Key: st.key, Rows: int64(st.rows)}}, Manifest: base, TempDir: c.TempDir, Now: now}); err != nil {
			return err
		}
	}
	for _, k := range []string{changesKey, sourcesKey, summaryKey} {
		_ = c.Store.Delete(ctx, k)
	}
	return nil
}

// putOutput renders one report output straight into the store through
// a pipe, so a 15 MB CSV never sits whole in the worker's memory. Its name
// is fixed, so a retry rewrites the same object.
func (c *Compare) putOutput(ctx context.Context, p datasets.Partition, o report.Output) error {
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
	err := c.Store.Put(ctx, key, pr, -1)
	pr.CloseWithError(err) // a Put that stopped reading unblocks the renderer
	if err != nil {
		return fmt.Errorf("activities: report %s: %w", key, err)
	}
	return nil
}
