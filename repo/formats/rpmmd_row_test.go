package formats

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/rpm"
	"github.com/distroscope/distroscope/ecosystem/rpm/rpmtest"
	"github.com/distroscope/distroscope/repo"
)

// renderOracle renders a header dependency the way rows should hold it,
// from rpm's own strings: dpkg's operator, then the header's EVR less an
// explicit "0:" epoch.
func renderOracle(d rpmtest.Dep) string {
	ops := map[int]string{rpmtest.SenseLess: "<<", rpmtest.SenseGreater: ">>", rpmtest.SenseEqual: "=",
		rpmtest.SenseLess | rpmtest.SenseEqual: "<=", rpmtest.SenseGreater | rpmtest.SenseEqual: ">="}
	op, ok := ops[d.Flags&(rpmtest.SenseLess|rpmtest.SenseGreater|rpmtest.SenseEqual)]
	if !ok || d.Version == "" {
		return d.Name
	}
	return d.Name + " (" + op + " " + strings.TrimPrefix(d.Version, "0:") + ")"
}

func renderOracleAll(deps []rpmtest.Dep) []string {
	var out []string
	for _, d := range deps {
		out = append(out, renderOracle(d))
	}
	return out
}

// TestRPMRowsFromOracle reads the fixture repository through Resolve and
// Parse, with its filelists, and checks every column of every row against
// what rpm itself says of the package file.
func TestRPMRowsFromOracle(t *testing.T) {
	doc := rpmtest.Load(t)
	rows, _ := rpmFixtureRows(t)
	for _, o := range doc.Packages {
		var r *datasets.PackageRow
		for i := range rows {
			if rows[i].Filename == o.Location {
				r = &rows[i]
			}
		}
		if r == nil {
			t.Fatalf("%s not read", o.Location)
		}
		epoch := int64(0)
		version := o.Version + "-" + o.Release
		if o.Epoch != "(none)" {
			e, err := strconv.ParseInt(o.Epoch, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			epoch = e
			if e != 0 {
				version = o.Epoch + ":" + version
			}
		}
		sourceName, sourceVersion := doc.SourceOf(t, o)
		arch := o.Arch
		if o.SourcePackage == "1" {
			arch = "src" // the header names the build architecture
		}
		// Requires: the header's, filtered as createrepo_c does, split by
		// the pre marker.
		var depends, preDepends []string
		for _, k := range rpmtest.KeptRequires(o) {
			if k.Pre {
				preDepends = append(preDepends, renderOracle(k.Dep))
			} else {
				depends = append(depends, renderOracle(k.Dep))
			}
		}
		var files []string
		for _, f := range o.Files {
			files = append(files, f.Path)
		}
		checks := []struct {
			column    string
			got, want any
		}{
			{"format", r.Format, "rpm"},
			{"package", r.Package, o.Name},
			{"version", r.Version, version},
			{"epoch", *r.Epoch, epoch},
			{"upstream_version", r.UpstreamVersion, o.Version},
			{"revision", r.Revision, o.Release},
			{"architecture", r.Architecture, arch},
			{"source", r.Source, sourceName},
			{"source_version", r.SourceVersion, sourceVersion},
			{"maintainer", r.Maintainer, rpmtest.None(o.Packager)},
			{"homepage", r.Homepage, rpmtest.None(o.URL)},
			{"description", r.Description, o.Summary},
			{"license", r.License, o.License},
			{"groups", r.Groups, []string{o.Group}},
			{"size", r.Size, o.FileSize},
			{"installed_size_bytes", r.InstalledSizeBytes, o.InstalledSize},
			{"installed_size_kib", r.InstalledSizeKiB, (o.InstalledSize + 1023) / 1024},
			{"filename", r.Filename, o.Location},
			{"sha256", r.SHA256, o.SHA256},
			{"checksum", r.Checksum, ""},
			{"build_time", r.BuildTime, time.Unix(o.BuildTime, 0).UTC()},
			{"depends", r.Depends, depends},
			{"pre_depends", r.PreDepends, preDepends},
			{"provides", r.Provides, renderOracleAll(o.Provides)},
			{"conflicts", r.Conflicts, renderOracleAll(o.Conflicts)},
			{"obsoletes", r.Obsoletes, renderOracleAll(o.Obsoletes)},
			{"recommends", r.Recommends, renderOracleAll(o.Recommends)},
			{"suggests", r.Suggests, renderOracleAll(o.Suggests)},
			{"enhances", r.Enhances, renderOracleAll(o.Enhances)},
			{"extra Supplements", r.Extra["Supplements"], strings.Join(renderOracleAll(o.Supplements), ", ")},
			{"extra Vendor", r.Extra["Vendor"], rpmtest.None(o.Vendor)},
			{"extra Buildhost", r.Extra["Buildhost"], o.BuildHost},
			{"files", r.Files, files},
		}
		for _, c := range checks {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s: %s = %#v, want %#v", o.Location, c.column, c.got, c.want)
			}
		}
	}
}

func TestRPMRowChecksumAndSizes(t *testing.T) {
	p := rpm.Package{Name: "a", Arch: "noarch", Version: rpm.EVR{Epoch: "0", Version: "1", Release: "1"},
		Checksum: rpm.Checksum{Type: "sha1", Value: strings.Repeat("ab", 20)}, InstalledSize: 1025}
	r := rpmRow(&p)
	if r.SHA256 != "" || r.Checksum != "sha1:"+strings.Repeat("ab", 20) {
		t.Errorf("sha1 pkgid: sha256 %q, checksum %q", r.SHA256, r.Checksum)
	}
	if r.InstalledSizeKiB != 2 || r.InstalledSizeBytes != 1025 {
		t.Errorf("1025 bytes: %d KiB, %d bytes", r.InstalledSizeKiB, r.InstalledSizeBytes)
	}
	if r.Source != "a" || r.Groups != nil || !r.BuildTime.IsZero() || r.Extra != nil || r.Epoch == nil || *r.Epoch != 0 {
		t.Errorf("sparse package: %+v", r)
	}
	p.Version.Epoch = ""
	if r := rpmRow(&p); r.Epoch != nil {
		t.Errorf("no epoch attribute: epoch %d, want null", *r.Epoch)
	}
}

// rpmFixtureRows reads the rpm fixture repository as a snapshot does —
// Resolve with files, then Ingest through Parse — and returns its rows.
func rpmFixtureRows(t *testing.T) ([]datasets.PackageRow, *repo.Resolved) {
	t.Helper()
	ctx := t.Context()
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(rpmtest.Testdata(t), "repo"))))
	t.Cleanup(srv.Close)
	spec := repo.Spec{Format: repo.FormatRPMMD, Distro: "fixture-rpm", Mirror: srv.URL, Suite: "1", URLTemplate: "{mirror}",
		Components: []string{"Everything"}, Architectures: []string{"x86_64"}, WithFiles: true}
	rel, err := RPMMD{}.Resolve(ctx, repo.DefaultFetcher(), spec, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var rows []datasets.PackageRow
	collect := func(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) error {
		return RPMMD{}.Parse(ctx, r, name, ix, func(row *datasets.PackageRow) error {
			rows = append(rows, *row)
			return emit(row)
		})
	}
	if _, err := repo.Ingest(ctx, repo.DefaultFetcher(), rel.Indexes[0], collect, io.Discard, repo.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	return rows, rel
}

func TestRPMMDWithFiles(t *testing.T) {
	rows, rel := rpmFixtureRows(t)
	withFiles := 0
	for _, r := range rows {
		if len(r.Files) > 0 {
			withFiles++
		}
	}
	if len(rows) == 0 || withFiles == 0 {
		t.Fatalf("%d rows, %d with files: filelists were not joined", len(rows), withFiles)
	}
	// A filelists that does not match repomd.xml fails the ingest.
	ix := rel.Indexes[0]
	ix.Extra["filelists_sha256"] = strings.Repeat("0", 64)
	if _, err := repo.Ingest(t.Context(), repo.DefaultFetcher(), ix, RPMMD{}.Parse, io.Discard, repo.IngestOptions{}); !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), "filelists") {
		t.Errorf("tampered filelists hash: err = %v, want ErrCorrupt naming the filelists", err)
	}
}
