package image

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/distroscope/distroscope/analysis/probe"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/imageref"
	"github.com/distroscope/distroscope/internal/sandbox"
)

// ResultKey is the partition key of an analysis of identity: the
// analyzer's version in it, and "p" after it when the analysis probed —
// a probed analysis holds effective values an unprobed one lacks, so
// neither stands for the other.
func ResultKey(identity string, probed bool) string {
	k := datasets.ImageKey(identity, Version)
	if probed {
		k += "p"
	}
	return k
}

// probeSettings runs the probes on img and merges what they report into
// rows. A probe that cannot run (no sandbox on this host, no sshd in the
// image, an input not on disk) leaves rows as they are and says why: the
// image's programs never run unconfined.
func probeSettings(ctx context.Context, img *imageref.Image, rows []datasets.ConfigSettingRow) ([]datasets.ConfigSettingRow, string) {
	if img.Ref.Scheme != imageref.SchemeDir {
		return rows, fmt.Sprintf("probe skipped: it runs the image's programs from a root filesystem on disk (dir:), and %s: is read in memory, never extracted", img.Ref.Scheme)
	}
	vals, err := probe.Sshd(ctx, img.Path, sandbox.Limits{})
	switch {
	case errors.Is(err, probe.ErrNoSshd):
		return rows, "probe: the image has no sshd"
	case errors.Is(err, sandbox.ErrUnavailable):
		return rows, fmt.Sprintf("probe skipped: %v", err)
	case err != nil:
		return rows, fmt.Sprintf("probe failed: %v", err)
	}
	rows = probe.Merge(rows, "sshd", vals)
	slices.SortStableFunc(rows, func(a, b datasets.ConfigSettingRow) int { return datasets.CompareConfigSettingRows(&a, &b) })
	return rows, ""
}
