package activities

import (
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

	"github.com/distroscope/distroscope/compare"
	"github.com/distroscope/distroscope/crossmap"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/report"
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
}

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
// version ordering and commits the package_changes and compare_summaries
// partitions of the pair — or reports the ones already committed.
func (c *Compare) CompareSnapshots(ctx context.Context, in CompareInput) (out CompareResult, err error) {
	p := datasets.ComparePartition(in.Old, in.New)
	if err := p.Validate(); err != nil {
		return out, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	out.Partition = p
	if m, ok, err := datasets.Committed(ctx, c.Store, datasets.CompareSummaries, p); err != nil {
		return out, err
	} else if ok {
		out.Reused = true
		out.Manifests = []string{datasets.PackageChanges.ManifestKey(p), datasets.CompareSummaries.ManifestKey(p)}
		out.Summary, err = c.readSummary(ctx, m)
		for _, k := range []string{reportPrefix(p) + "report.html", reportPrefix(p) + "report.md"} {
			if _, serr := c.Store.Stat(ctx, k); serr == nil {
				out.Reports = append(out.Reports, k)
			}
		}
		return out, err
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
	now := time.Now().UTC()
	if c.Now != nil {
		now = c.Now()
	}
	base := datasets.Manifest{Producer: c.Producer, WorkflowID: in.WorkflowID, RunID: in.RunID,
		Inputs: []datasets.Input{{Path: datasets.Packages.DataKey(in.Old)}, {Path: datasets.Packages.DataKey(in.New)}}}
	changesKey, err := stageRows(ctx, c.Store, c.TempDir, datasets.PackageChanges, p, "changes", res.Changes, datasets.ComparePackageChangeRows)
	if err != nil {
		return out, err
	}
	if _, err := datasets.Publish(ctx, c.Store, datasets.PublishInput{Table: datasets.PackageChanges, Partition: p,
		Parts: []datasets.StagedPart{{Key: changesKey, Rows: int64(len(res.Changes))}}, Manifest: base, TempDir: c.TempDir, Now: now}); err != nil {
		return out, err
	}
	summaryKey, err := stageRows(ctx, c.Store, c.TempDir, datasets.CompareSummaries, p, "summary", []datasets.CompareSummaryRow{res.Summary},
		func(a, b *datasets.CompareSummaryRow) int { return strings.Compare(a.OldSnapshot, b.OldSnapshot) })
	if err != nil {
		return out, err
	}
	if _, err := datasets.Publish(ctx, c.Store, datasets.PublishInput{Table: datasets.CompareSummaries, Partition: p,
		Parts: []datasets.StagedPart{{Key: summaryKey, Rows: 1}}, Manifest: base, TempDir: c.TempDir, Now: now}); err != nil {
		return out, err
	}
	for _, k := range []string{changesKey, summaryKey} {
		_ = c.Store.Delete(ctx, k)
	}
	phase.done("commit")
	activity.RecordHeartbeat(ctx, "report")
	reports, err := c.writeReports(ctx, p, in, res)
	if err != nil {
		return out, err
	}
	phase.done("report")
	out.Reports = reports
	out.Summary = res.Summary
	out.Manifests = []string{datasets.PackageChanges.ManifestKey(p), datasets.CompareSummaries.ManifestKey(p)}
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
	f, err := os.CreateTemp(c.TempDir, "distroscope-compare-*.parquet")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, rc)
	if err != nil {
		return nil, err
	}
	s, err := compare.ReadSnapshot(ctx, f, n)
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

// writeReports renders the comparison as a self-contained HTML page, as
// Markdown and as one CSV per table, and stores them under reportPrefix.
// Their names are fixed, so a retry rewrites the same objects.
func (c *Compare) writeReports(ctx context.Context, p datasets.Partition, in CompareInput, res compare.Result) ([]string, error) {
	prefix := reportPrefix(p)
	d := report.Data{Old: in.Old, New: in.New, Summary: res.Summary, Changes: res.Changes, Format: res.Format,
		CSVLocation: prefix + "csv/"}
	var keys []string
	put := func(key string, data []byte) error {
		if err := c.Store.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
			return fmt.Errorf("activities: report %s: %w", key, err)
		}
		keys = append(keys, key)
		return nil
	}
	var html, md bytes.Buffer
	if err := report.HTML(&html, d); err != nil {
		return nil, err
	}
	if err := report.Markdown(&md, d); err != nil {
		return nil, err
	}
	files, err := report.CSVFiles(d)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := put(prefix+"csv/"+name, files[name]); err != nil {
			return nil, err
		}
	}
	if err := put(prefix+"report.md", md.Bytes()); err != nil {
		return nil, err
	}
	if err := put(prefix+"report.html", html.Bytes()); err != nil {
		return nil, err
	}
	// Only the two readable reports are listed; the CSVs sit beside them.
	return keys[len(keys)-2:], nil
}
