package formats_test

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/alpm/alpmtest"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// TestALPMRows checks every row of the fixture's files database, read
// through the format's Parse, against what makepkg wrote of each package.
func TestALPMRows(t *testing.T) {
	want := alpmtest.Load(t)
	rows := formatstest.Rows(t, repo.FormatALPM, filepath.Join(alpmtest.Testdata(t), "repo", "fixture.files.tar.gz"),
		repo.Index{Component: "fixture", Architecture: "x86_64", Extra: map[string]string{"files": "1"}})
	if len(rows) != len(want) {
		t.Fatalf("%d rows for %d fixture packages", len(rows), len(want))
	}
	for _, row := range rows {
		w := want[row.Package]
		if w == nil {
			t.Fatalf("row for %q, which is no fixture package", row.Package)
		}
		in := w.Info
		if row.Format != "alpm" || row.Package != row.Package || row.Version != in.One("pkgver") || row.Filename != w.File {
			t.Errorf("%s: row identity %q %q %q %q", row.Package, row.Format, row.Package, row.Version, row.Filename)
		}
		// The version split, checked against the parts of the PKGBUILD
		// version that .PKGINFO's pkgver joins.
		v := in.One("pkgver")
		epoch, rest, hasEpoch := strings.Cut(v, ":")
		if !hasEpoch {
			rest = v
		}
		i := strings.LastIndexByte(rest, '-')
		if row.UpstreamVersion != rest[:i] || row.Revision != rest[i+1:] {
			t.Errorf("%s: split %q into %q, %q", row.Package, v, row.UpstreamVersion, row.Revision)
		}
		if hasEpoch != (row.Epoch != nil) || hasEpoch && strconv.FormatInt(*row.Epoch, 10) != epoch {
			t.Errorf("%s: epoch %v for %q", row.Package, row.Epoch, v)
		}
		if row.Source != in.One("pkgbase") || row.SourceVersion != v {
			t.Errorf("%s: source %q %q", row.Package, row.Source, row.SourceVersion)
		}
		size, _ := strconv.ParseInt(in.One("size"), 10, 64)
		if row.InstalledSizeBytes != size || row.InstalledSizeKiB != (size+1023)/1024 || row.Size != int64(len(w.Data)) {
			t.Errorf("%s: sizes %d %d %d", row.Package, row.InstalledSizeBytes, row.InstalledSizeKiB, row.Size)
		}
		if got := row.BuildTime.Unix(); strconv.FormatInt(got, 10) != in.One("builddate") {
			t.Errorf("%s: build time %v", row.Package, row.BuildTime)
		}
		if row.License != strings.Join(in["license"], " AND ") {
			t.Errorf("%s: license %q", row.Package, row.License)
		}
		if row.Maintainer != in.One("packager") || row.Homepage != in.One("url") || row.Description != in.One("pkgdesc") {
			t.Errorf("%s: maintainer/homepage/description %q %q %q", row.Package, row.Maintainer, row.Homepage, row.Description)
		}
		if !slices.Equal(row.OptionalDepends, in["optdepend"]) || !slices.Equal(row.Groups, in["group"]) || !slices.Equal(row.Files, w.Files) {
			t.Errorf("%s: optdepends %q groups %q files %q", row.Package, row.OptionalDepends, row.Groups, row.Files)
		}
		for _, rel := range []struct {
			got []string
			key string
		}{{row.Depends, "depend"}, {row.Provides, "provides"}, {row.Conflicts, "conflict"}, {row.Replaces, "replaces"}, {row.MakeDepends, "makedepend"}, {row.CheckDepends, "checkdepend"}} {
			if len(rel.got) != len(in[rel.key]) {
				t.Errorf("%s: %s %q, want %q", row.Package, rel.key, rel.got, in[rel.key])
				continue
			}
			for i, raw := range in[rel.key] {
				// Normal form: the operator and version moved into
				// parentheses, nothing else changed.
				if strings.NewReplacer(" (", "", ")", "", " ", "").Replace(rel.got[i]) != raw {
					t.Errorf("%s: %s %q does not render %q", row.Package, rel.key, rel.got[i], raw)
				}
				if strings.ContainsAny(raw, "<>=") != strings.Contains(rel.got[i], " (") {
					t.Errorf("%s: %s %q is not in normal form", row.Package, rel.key, rel.got[i])
				}
			}
		}
	}
}
