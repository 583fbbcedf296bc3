package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/workflows"
)

// TestImageCompareWorkflow: each side is analysed with its own input, the
// diff gets both committed analyses, and the result carries all three.
func TestImageCompareWorkflow(t *testing.T) {
	env := newImageEnv(t)
	var a *activities.Image
	in := workflows.ImageCompareInput{A: workflows.ImageAnalyzeInput{Ref: "dir:/srv/bookworm"}, B: workflows.ImageAnalyzeInput{Ref: "dir:/srv/trixie", Probe: true}}
	ra := activities.AnalyzeImageResult{Key: "k-a~a2", Reused: true, Partition: datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "k-a~a2"}}
	rb := activities.AnalyzeImageResult{Key: "k-b~a2", Partition: datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "k-b~a2"}}
	env.OnActivity(a.AnalyzeImage, mock.Anything, in.A).Return(ra, nil).Once()
	env.OnActivity(a.AnalyzeImage, mock.Anything, in.B).Return(rb, nil).Once()
	want := activities.CompareImagesResult{Summary: datasets.ImageCompareSummaryRow{Added: 3}}
	env.OnActivity(a.CompareImages, mock.Anything, activities.CompareImagesInput{A: ra, B: rb}).Return(want, nil).Once()
	env.ExecuteWorkflow(workflows.ImageCompareWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got workflows.ImageCompareResult
	if err := env.GetWorkflowResult(&got); err != nil || got.A.Key != "k-a~a2" || got.B.Key != "k-b~a2" || got.Compare.Summary.Added != 3 {
		t.Fatalf("result %+v, %v", got, err)
	}
	v, err := env.QueryWorkflow(workflows.ProgressQuery)
	var p workflows.ImageCompareProgress
	if err != nil || v.Get(&p) != nil || p != (workflows.ImageCompareProgress{Phase: "done", A: "reused", B: "analysed"}) {
		t.Fatalf("progress %+v, %v", p, err)
	}
	env.AssertExpectations(t)
}

// TestImageCompareWorkflowSideFails: a hostile B fails the run naming B,
// after A's analysis ended, and nothing is diffed.
func TestImageCompareWorkflowSideFails(t *testing.T) {
	env := newImageEnv(t)
	var a *activities.Image
	in := workflows.ImageCompareInput{A: workflows.ImageAnalyzeInput{Ref: "dir:/srv/a"}, B: workflows.ImageAnalyzeInput{Ref: "file:/tmp/evil.tar"}}
	aDone := false
	env.OnActivity(a.AnalyzeImage, mock.Anything, in.A).Return(func(context.Context, activities.AnalyzeImageInput) (activities.AnalyzeImageResult, error) {
		aDone = true
		return activities.AnalyzeImageResult{Key: "k"}, nil
	})
	env.OnActivity(a.AnalyzeImage, mock.Anything, in.B).Return(func(context.Context, activities.AnalyzeImageInput) (activities.AnalyzeImageResult, error) {
		err := errors.New(`layer 0: member "../x": name escapes the root`)
		return activities.AnalyzeImageResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeCorrupt, err)
	})
	env.ExecuteWorkflow(workflows.ImageCompareWorkflow, in)
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "analyze file:/tmp/evil.tar") || !strings.Contains(err.Error(), "escapes the root") || !aDone {
		t.Fatalf("err %v (A done %t), want B's step and cause named after A ended", err, aDone)
	}
	env.AssertNotCalled(t, "CompareImages", mock.Anything, mock.Anything)
}

func TestImageCompareWorkflowID(t *testing.T) {
	in := workflows.ImageCompareInput{A: workflows.ImageAnalyzeInput{Ref: "dir:/srv/a"}, B: workflows.ImageAnalyzeInput{Ref: "registry:h/x:1", Platform: "linux/arm64"}}
	if got, want := workflows.ImageCompareWorkflowID(in), "image-compare/dir:/srv/a~registry:h/x:1@linux/arm64"; got != want {
		t.Fatalf("ID = %q, want %q", got, want)
	}
}
