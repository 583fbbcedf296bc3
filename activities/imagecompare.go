package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/analysis/imagecmp"
	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// CompareImagesInput is two committed analyses, A the baseline.
type CompareImagesInput struct {
	A AnalyzeImageResult `json:"a"`
	B AnalyzeImageResult `json:"b"`
}

// CompareImagesResult says where the comparison is and what it found.
type CompareImagesResult struct {
	Partition datasets.Partition              `json:"partition"`
	Summary   datasets.ImageCompareSummaryRow `json:"summary"`
	Reports   []string                        `json:"reports,omitempty"`
	Reused    bool                            `json:"reused"` // committed before: nothing was diffed again
}

// CompareImages diffs two committed image analyses — packages through
// each ecosystem's ordering or the cross-distro rules, file states,
// settings, init system and services — and commits image_diffs and
// image_compare_summaries, then stores the HTML, Markdown and CSV report
// beside them (after the commit: a report never describes an
// uncommitted comparison). A pair whose comparison and report are
// committed is not diffed again.
func (a *Image) CompareImages(ctx context.Context, in CompareImagesInput) (res CompareImagesResult, err error) {
	hb := startHeartbeat(ctx, "loading "+in.A.Key+" and "+in.B.Key)
	defer hb.finish(&err)
	st := imagecmp.Storage{Store: a.Store, TempDir: a.TempDir, Producer: a.Producer, Now: a.Now}
	p := datasets.ImageComparePartition(in.A.Partition, in.B.Partition)
	res.Partition = p
	sum, known, err := st.Known(ctx, p)
	if err != nil {
		return res, interrupted(ctx, err)
	}
	if known {
		if keys, ok, err := a.committedReports(ctx, p); err != nil {
			return res, interrupted(ctx, err)
		} else if ok {
			res.Summary, res.Reused, res.Reports = sum, true, keys
			return res, nil
		}
	}
	sa, err := st.Load(ctx, in.A.Partition)
	if err != nil {
		return res, loadFailure(ctx, in.A.Key, err)
	}
	sb, err := st.Load(ctx, in.B.Partition)
	if err != nil {
		return res, loadFailure(ctx, in.B.Key, err)
	}
	hb.report(fmt.Sprintf("diffing %d and %d packages, %d and %d settings", len(sa.Packages), len(sb.Packages), len(sa.Settings), len(sb.Settings)))
	rules := a.Rules
	if rules == nil {
		rules = crossmap.DefaultRules()
	}
	out, err := imagecmp.Diff(sa, sb, imagecmp.Options{Rules: rules})
	if err != nil {
		return res, invalid(err)
	}
	res.Summary = out.Summary
	if !known {
		hb.report(fmt.Sprintf("committing %d differences", len(out.Diffs)))
		info := activity.GetInfo(ctx)
		if err := st.Commit(ctx, &out, imagecmp.Run{WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID}); err != nil {
			return res, interrupted(ctx, err)
		}
	}
	hb.report("storing the report")
	files, err := report.RenderImageCompare(report.ImageData{A: sa.Summary, B: sb.Summary, Summary: out.Summary, Diffs: out.Diffs,
		AHead: report.ImageHeadlineOf(sa.Settings), BHead: report.ImageHeadlineOf(sb.Settings),
		CSVLocation: imageReportPrefix(p)})
	if err != nil {
		return res, fmt.Errorf("image compare: report: %w", err)
	}
	// RenderImageCompare returns the CSVs first and the pages last, so
	// the pages' presence says the CSVs are stored.
	for _, f := range files {
		key := imageReportPrefix(p) + f.Name
		if err := a.Store.Put(ctx, key, bytes.NewReader(f.Data), int64(len(f.Data))); err != nil {
			return res, interrupted(ctx, fmt.Errorf("image compare: report %s: %w", key, err))
		}
		if isPage(f.Name) {
			res.Reports = append(res.Reports, key)
		}
	}
	return res, nil
}

// imageReportPrefix is where an image comparison's report lives.
func imageReportPrefix(p datasets.Partition) string {
	return "reports/image-compare/distro=" + p.Distro + "/release=" + p.Release + "/snapshot=" + p.Snapshot + "/"
}

func isPage(name string) bool {
	return name == report.FileImageHTML || name == report.FileImageMarkdown
}

// committedReports returns the report pages of comparison p when both are
// stored.
func (a *Image) committedReports(ctx context.Context, p datasets.Partition) ([]string, bool, error) {
	var keys []string
	for _, name := range []string{report.FileImageHTML, report.FileImageMarkdown} {
		key := imageReportPrefix(p) + name
		if _, err := a.Store.Stat(ctx, key); errors.Is(err, store.ErrNotFound) {
			return nil, false, nil
		} else if err != nil {
			return nil, false, err
		}
		keys = append(keys, key)
	}
	return keys, true, nil
}

// loadFailure classifies a failure to read a committed analysis back: one
// that is not there (removed since it was analysed), one made by an older
// analyzer (no config_settings) or a corrupt object will not load on the
// next attempt either; the store's failures are retried.
func loadFailure(ctx context.Context, key string, err error) error {
	err = fmt.Errorf("image compare: analysis %s: %w", key, err)
	if errors.Is(err, imagecmp.ErrNotAnalysed) || errors.Is(err, imagecmp.ErrNoSettings) || errors.Is(err, datasets.ErrCorrupt) {
		return corrupt(err)
	}
	return interrupted(ctx, err)
}
