package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/imagecmp/imagecmptest"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
)

func imageSetup(t *testing.T) (*activities.Image, *testsuite.TestActivityEnvironment, store.Store) {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := &activities.Image{Store: st, TempDir: t.TempDir(), Producer: "test"}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return a, env, st
}

func analyzeOK(t *testing.T, env *testsuite.TestActivityEnvironment, a *activities.Image, ref string) activities.AnalyzeImageResult {
	t.Helper()
	v, err := env.ExecuteActivity(a.AnalyzeImage, activities.AnalyzeImageInput{Ref: ref})
	if err != nil {
		t.Fatalf("analyze %s: %v", ref, err)
	}
	var res activities.AnalyzeImageResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func compareImagesOK(t *testing.T, env *testsuite.TestActivityEnvironment, a *activities.Image, in activities.CompareImagesInput) activities.CompareImagesResult {
	t.Helper()
	v, err := env.ExecuteActivity(a.CompareImages, in)
	if err != nil {
		t.Fatal(err)
	}
	var res activities.CompareImagesResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCompareImagesCommitsDiffsAndReport: an Alpine-like and an
// Arch-like tree, analysed and compared by the activities: image_diffs
// and its summary are committed in the pair's partition, the report's
// pages and CSVs are stored after them, and comparing again reads
// nothing again.
func TestCompareImagesCommitsDiffsAndReport(t *testing.T) {
	a, env, st := imageSetup(t)
	ra := analyzeOK(t, env, a, "dir:"+imagecmptest.Alpine(t))
	rb := analyzeOK(t, env, a, "dir:"+imagecmptest.Arch(t))
	res := compareImagesOK(t, env, a, activities.CompareImagesInput{A: ra, B: rb})
	if res.Reused || !res.Summary.CrossDistro || res.Summary.Packages == 0 || res.Summary.ADistro != "alpine" || res.Summary.BDistro != "arch" {
		t.Fatalf("result %+v", res)
	}
	if want := datasets.ImageComparePartition(ra.Partition, rb.Partition); res.Partition != want {
		t.Errorf("partition %+v, want %+v", res.Partition, want)
	}
	ctx := context.Background()
	for _, tbl := range datasets.ImageCompareTables {
		if _, ok, err := datasets.Committed(ctx, st, tbl, res.Partition); err != nil || !ok {
			t.Errorf("%s not committed: %v", tbl.Name, err)
		}
	}
	if len(res.Reports) != 2 || !strings.HasSuffix(strings.Join(res.Reports, " "), "image-compare.md "+res.Reports[1]) || !strings.HasSuffix(res.Reports[1], "image-compare.html") {
		t.Fatalf("reports %v", res.Reports)
	}
	objs, err := st.List(ctx, "reports/image-compare/")
	if err != nil {
		t.Fatal(err)
	}
	var csvs int
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".csv") {
			csvs++
		}
	}
	if csvs == 0 || len(objs) != csvs+2 {
		t.Errorf("report objects %v", objs)
	}

	again := compareImagesOK(t, env, a, activities.CompareImagesInput{A: ra, B: rb})
	if !again.Reused || again.Summary != res.Summary || len(again.Reports) != 2 {
		t.Errorf("the same pair again: %+v", again)
	}
	// The report lost (a worker killed between commit and pages): the
	// pair is diffed and its report stored again, the datasets kept.
	for _, r := range res.Reports {
		if err := st.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	redone := compareImagesOK(t, env, a, activities.CompareImagesInput{A: ra, B: rb})
	if redone.Reused || len(redone.Reports) != 2 {
		t.Errorf("a pair without its report: %+v", redone)
	}
	if _, err := st.Stat(ctx, res.Reports[0]); err != nil {
		t.Errorf("the report was not stored again: %v", err)
	}
}

// TestCompareImagesMissingAnalysisIsFinal: a side whose analysis is not
// committed fails at once, naming it.
func TestCompareImagesMissingAnalysisIsFinal(t *testing.T) {
	a, env, _ := imageSetup(t)
	ra := analyzeOK(t, env, a, "dir:"+imagecmptest.Alpine(t))
	ghost := activities.AnalyzeImageResult{Key: "sha256-00~a9", Partition: datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "sha256-00~a9"}}
	_, err := env.ExecuteActivity(a.CompareImages, activities.CompareImagesInput{A: ra, B: ghost})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || !strings.Contains(err.Error(), "sha256-00~a9") {
		t.Fatalf("err %v, want a final error naming the missing analysis", err)
	}
}
