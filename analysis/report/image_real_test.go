package report_test

import (
	"testing"

	"github.com/distroscope/distroscope/analysis/imagecmp"
	"github.com/distroscope/distroscope/analysis/imagecmp/imagecmptest"
	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/internal/rootfstest"
)

// TestImageBrowserCrossDistro is the issue's "synthetic images for
// Alpine-, Fedora- and Arch-like trees compared with the Debian tree
// through the cross-distro rules, rendered and checked in Chromium": the
// debootstrap bookworm tree and each of imagecmptest's trees analysed by
// analysis/image, diffed by analysis/imagecmp, rendered with each side's
// headline from its config_settings rows, and checked in the browser
// (report.CheckImagePageCrossDistro).
func TestImageBrowserCrossDistro(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and analyses root filesystems and starts a browser")
	}
	debian := imagecmptest.Side(t, rootfstest.Debootstrap(t, "bookworm"))
	for _, tc := range []struct {
		name string
		tree func(testing.TB) string
	}{
		{"alpine", imagecmptest.Alpine},
		{"fedora", imagecmptest.Fedora},
		{"arch", imagecmptest.Arch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := imagecmptest.Side(t, tc.tree(t))
			res, err := imagecmp.Diff(debian, other, imagecmp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			report.CheckImagePageCrossDistro(t, report.ImageData{A: debian.Summary, B: other.Summary, Summary: res.Summary, Diffs: res.Diffs,
				AHead: report.ImageHeadlineOf(debian.Settings), BHead: report.ImageHeadlineOf(other.Settings)})
		})
	}
}
