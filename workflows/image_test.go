package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/workflows"
)

func newImageEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	workflows.RegisterImage(env, &activities.Image{})
	return env
}

// TestImageAnalyzeWorkflow: the input reaches the activity as given, its
// result is the workflow's, and the progress query says done.
func TestImageAnalyzeWorkflow(t *testing.T) {
	env := newImageEnv(t)
	var a *activities.Image
	want := activities.AnalyzeImageResult{Key: "sha256-ab~a1", Partition: datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "sha256-ab~a1"},
		Summary: datasets.ImageSummaryRow{Packages: 90}}
	env.OnActivity(a.AnalyzeImage, mock.Anything, activities.AnalyzeImageInput{Ref: "dir:/srv/root", Platform: "linux/arm64"}).Return(want, nil).Once()
	env.ExecuteWorkflow(workflows.ImageAnalyzeWorkflow, workflows.ImageAnalyzeInput{Ref: "dir:/srv/root", Platform: "linux/arm64"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got activities.AnalyzeImageResult
	if err := env.GetWorkflowResult(&got); err != nil || got.Key != want.Key || got.Summary.Packages != 90 {
		t.Fatalf("result %+v, %v", got, err)
	}
	v, err := env.QueryWorkflow(workflows.ProgressQuery)
	var p workflows.ImageProgress
	if err != nil || v.Get(&p) != nil || p.Phase != "done" {
		t.Fatalf("progress %+v, %v", p, err)
	}
	env.AssertExpectations(t)
}

// TestImageAnalyzeWorkflowCorruptIsFinal: a hostile image fails the run
// after one attempt, naming the step.
func TestImageAnalyzeWorkflowCorruptIsFinal(t *testing.T) {
	env := newImageEnv(t)
	var a *activities.Image
	calls := 0
	env.OnActivity(a.AnalyzeImage, mock.Anything, mock.Anything).Return(func(context.Context, activities.AnalyzeImageInput) (activities.AnalyzeImageResult, error) {
		calls++
		err := errors.New(`layer 0: member "../../etc/passwd": name escapes the root`)
		return activities.AnalyzeImageResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeCorrupt, err)
	})
	env.ExecuteWorkflow(workflows.ImageAnalyzeWorkflow, workflows.ImageAnalyzeInput{Ref: "file:/tmp/evil.tar"})
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "analyze file:/tmp/evil.tar") || !strings.Contains(err.Error(), "escapes the root") || calls != 1 {
		t.Fatalf("err %v after %d attempts, want one attempt and the step and cause named", err, calls)
	}
}

func TestImageAnalyzeWorkflowID(t *testing.T) {
	for in, want := range map[workflows.ImageAnalyzeInput]string{
		{Ref: "dir:/srv/root"}: "image/dir:/srv/root",
		{Ref: "registry:host/lib/debian:12", Platform: "linux/arm64"}: "image/registry:host/lib/debian:12@linux/arm64",
		{Ref: "dir:/srv/root", Probe: true}:                           "image/dir:/srv/root+probe",
	} {
		if got := workflows.ImageAnalyzeWorkflowID(in); got != want {
			t.Errorf("ID(%+v) = %q, want %q", in, got, want)
		}
	}
}
