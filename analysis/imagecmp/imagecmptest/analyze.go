package imagecmptest

import (
	"context"
	"testing"

	"github.com/distroscope/distroscope/analysis/image"
	"github.com/distroscope/distroscope/analysis/imagecmp"
	"github.com/distroscope/distroscope/internal/imageref"
)

// Analyze analyses the tree at root as `image analyze dir:ROOT` does,
// settings included, failing t on an error or on a settings file the
// parsers could not read (the trees the tests write have none).
func Analyze(t testing.TB, root string) *image.Result {
	t.Helper()
	ref, err := imageref.Parse("dir:" + root)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageref.Open(context.Background(), ref, imageref.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	res, err := image.Analyze(context.Background(), img, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SettingErrors) > 0 {
		t.Fatalf("%s: settings errors %q", root, res.SettingErrors)
	}
	return res
}

// Side is the tree at root analysed (Analyze), held as one side of a
// comparison, as imagecmp.Storage.Load would give it back once committed.
func Side(t testing.TB, root string) *imagecmp.Side {
	t.Helper()
	res := Analyze(t, root)
	return &imagecmp.Side{Summary: res.Summary, Partition: res.Partition, Packages: res.Packages, Files: res.Files, Settings: res.Settings}
}
