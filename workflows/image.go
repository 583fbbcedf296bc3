package workflows

import (
	"strings"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
)

// ImageAnalyzeWorkflowName is the registered name of ImageAnalyzeWorkflow.
const ImageAnalyzeWorkflowName = "ImageAnalyzeWorkflow"

// ImageAnalyzeInput names the image to analyse.
type ImageAnalyzeInput = activities.AnalyzeImageInput

// ImageProgress answers the progress query of an analysis; the layer and
// entry it is at are in its activity's heartbeats.
type ImageProgress struct {
	Phase string `json:"phase"` // analysing, done
}

// RegisterImage registers ImageAnalyzeWorkflow, ImageCompareWorkflow and
// the image activities.
func RegisterImage(w worker.Registry, a *activities.Image) {
	w.RegisterWorkflowWithOptions(ImageAnalyzeWorkflow, workflow.RegisterOptions{Name: ImageAnalyzeWorkflowName})
	w.RegisterWorkflowWithOptions(ImageCompareWorkflow, workflow.RegisterOptions{Name: ImageCompareWorkflowName})
	w.RegisterActivity(a)
}

// ImageAnalyzeWorkflowID is an analysis's business key: the reference,
// platform and probe, so that analysing the same reference twice at once attaches
// to the first run. What the reference names is only known once read (a
// tag moves, a directory changes); the activity keys the result by that.
func ImageAnalyzeWorkflowID(in ImageAnalyzeInput) string {
	id := "image/" + strings.TrimPrefix(in.Ref, "/")
	if in.Platform != "" {
		id += "@" + in.Platform
	}
	if in.Probe {
		id += "+probe" // a probed analysis is another result
	}
	return id
}

// ImageAnalyzeWorkflow runs one heartbeating AnalyzeImage activity, which
// reads the image, compares its files and commits image_packages,
// image_files and image_summaries through the usual protocol. An attempt
// killed half-way leaves nothing committed and the next attempt reads the
// image again: the work is one in-memory tree, and the tree cannot be
// checkpointed more cheaply than read.
func ImageAnalyzeWorkflow(ctx workflow.Context, in ImageAnalyzeInput) (activities.AnalyzeImageResult, error) {
	progress := ImageProgress{Phase: "analysing"}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (ImageProgress, error) { return progress, nil }); err != nil {
		return activities.AnalyzeImageResult{}, err
	}
	var a *activities.Image
	var res activities.AnalyzeImageResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, analyzeImageOptions), a.AnalyzeImage, in).Get(ctx, &res); err != nil {
		return res, stepError("analyze "+in.Ref, err)
	}
	progress.Phase = "done"
	return res, nil
}
