package workflows

import (
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
