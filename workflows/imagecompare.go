package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
)

// ImageCompareWorkflowName is the registered name of ImageCompareWorkflow.
const ImageCompareWorkflowName = "ImageCompareWorkflow"

// ImageCompareInput names the two images to compare, A (the baseline) and B.
type ImageCompareInput struct {
	A ImageAnalyzeInput `json:"a"`
	B ImageAnalyzeInput `json:"b"`
}

// ImageCompareResult is both analyses and the comparison.
type ImageCompareResult struct {
	A       activities.AnalyzeImageResult  `json:"a"`
	B       activities.AnalyzeImageResult  `json:"b"`
	Compare activities.CompareImagesResult `json:"compare"`
}

// ImageCompareProgress answers the progress query of an image comparison.
type ImageCompareProgress struct {
	// Phase is analysing, comparing or done.
	Phase string `json:"phase"`
	// A and B say how each side's analysis went: running, analysed,
	// reused (committed before) or failed.
	A string `json:"a"`
	B string `json:"b"`
}

// ImageCompareWorkflowID is a comparison's business key: both references
// (and platforms), so that comparing the same pair twice at once attaches
// to the first run.
func ImageCompareWorkflowID(in ImageCompareInput) string {
	return "image-compare/" + ImageAnalyzeWorkflowID(in.A)[len("image/"):] + "~" + ImageAnalyzeWorkflowID(in.B)[len("image/"):]
}

// ImageCompareWorkflow analyses both images at once (each an AnalyzeImage
// activity, which reuses an analysis committed before by the same
// analyzer version without reading the image again), then diffs the two
// committed analyses and commits image_diffs and its report. A worker
// killed during an analysis repeats that analysis only; one killed during
// the diff repeats the diff, whose inputs are committed datasets.
func ImageCompareWorkflow(ctx workflow.Context, in ImageCompareInput) (ImageCompareResult, error) {
	progress := ImageCompareProgress{Phase: "analysing", A: "running", B: "running"}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (ImageCompareProgress, error) { return progress, nil }); err != nil {
		return ImageCompareResult{}, err
	}
	var a *activities.Image
	actx := workflow.WithActivityOptions(ctx, analyzeImageOptions)
	fa := workflow.ExecuteActivity(actx, a.AnalyzeImage, in.A)
	fb := workflow.ExecuteActivity(actx, a.AnalyzeImage, in.B)
	var res ImageCompareResult
	settle := func(f workflow.Future, side *string, out *activities.AnalyzeImageResult, ref string) error {
		if err := f.Get(ctx, out); err != nil {
			*side = "failed"
			return stepError("analyze "+ref, err)
		}
		*side = "analysed"
		if out.Reused {
			*side = "reused"
		}
		return nil
	}
	// Both analyses are waited for, so that neither is abandoned half-way
	// when the other fails: a failure is reported once both ended.
	errA := settle(fa, &progress.A, &res.A, in.A.Ref)
	errB := settle(fb, &progress.B, &res.B, in.B.Ref)
	if errA != nil {
		return res, errA
	}
	if errB != nil {
		return res, errB
	}
	progress.Phase = "comparing"
	cin := activities.CompareImagesInput{A: res.A, B: res.B}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, compareImagesOptions), a.CompareImages, cin).Get(ctx, &res.Compare); err != nil {
		return res, stepError("compare "+in.A.Ref+" with "+in.B.Ref, err)
	}
	progress.Phase = "done"
	return res, nil
}
