package activities

import (
	"github.com/distroscope/distroscope/datasets"
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
