package formats_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/aptrepo/aptrepotest"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/formats"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/repotest"
)

func source(t *testing.T, f repo.Format) repo.Source {
	t.Helper()
	s, err := formats.For(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceApt(t *testing.T) {
	keyring := aptrepotest.Path(t, "keyring.gpg")
	repotest.Run(t, repotest.Fixture{
		Source: source(t, repo.FormatApt),
		Root:   aptrepotest.Path(t, "repo"),
		Spec: func(m string) repo.Spec {
			return repo.Spec{Mirror: m, Suite: aptrepotest.Suite, Components: []string{"main", "contrib"},
				Architectures: []string{"amd64", "arm64"}, SignedBy: []string{keyring}}
		},
		RowFormat: "deb", MinRows: 59, Now: time.Now(),
	})
}

func TestUnknownFormat(t *testing.T) {
	if _, err := formats.For("portage"); err == nil {
		t.Fatal("an unknown format resolved")
	}
}

func TestConformanceRPMMD(t *testing.T) {
	for _, variant := range []string{"../rpmmd/testdata/repo"} {
		repotest.Run(t, repotest.Fixture{
			Source: source(t, repo.FormatRPMMD),
			Root:   variant,
			Spec: func(m string) repo.Spec {
				return repo.Spec{Format: repo.FormatRPMMD, Distro: "fixture-rpm", Release: "1", Mirror: m, Suite: "1",
					URLTemplate: "{mirror}", Components: []string{"Everything"}, Architectures: []string{"x86_64"}}
			},
			RowFormat: "rpm", MinRows: 5, Now: time.Now(),
		})
	}
}

func TestConformanceALPM(t *testing.T) {
	for _, db := range []string{"fixture.db.tar.gz", "fixture.db.tar.xz", "fixture.db.tar.zst"} {
		t.Run(db, func(t *testing.T) {
			repotest.Run(t, repotest.Fixture{
				Source: source(t, repo.FormatALPM),
				Root:   "../alpm/testdata/repo",
				Spec: func(m string) repo.Spec {
					return repo.Spec{Format: repo.FormatALPM, Distro: "fixture-arch", Mirror: m, Suite: "rolling",
						URLTemplate: "{mirror}/" + db, Components: []string{"fixture"}, Architectures: []string{"x86_64"}}
				},
				RowFormat: "alpm", MinRows: 3, Now: time.Now(),
			})
		})
	}
}

func TestRPMMDSignedRepomd(t *testing.T) {
	ctx := t.Context()
	srv := httptest.NewServer(http.FileServer(http.Dir("../rpmmd/testdata/repo")))
	defer srv.Close()
	spec := repo.Spec{Format: repo.FormatRPMMD, Distro: "fixture-rpm", Mirror: srv.URL, Suite: "1", URLTemplate: "{mirror}",
		Components: []string{"Everything"}, Architectures: []string{"x86_64"},
		SignedBy: []string{"../rpmmd/testdata/fixture-signing-key.asc"}}
	rel, err := formats.RPMMD{}.Resolve(ctx, repo.DefaultFetcher(), spec, time.Now())
	if err != nil {
		t.Fatalf("signed repomd with its key: %v", err)
	}
	if len(rel.Signers) == 0 {
		t.Errorf("no signer reported")
	}
	spec.SignedBy = []string{"../aptrepo/testdata/other-keyring.gpg"}
	if _, err := (formats.RPMMD{}).Resolve(ctx, repo.DefaultFetcher(), spec, time.Now()); !errors.Is(err, repo.ErrCorrupt) {
		t.Errorf("repomd signed by an untrusted key: err = %v, want ErrCorrupt", err)
	}
}

func TestConformanceAPK(t *testing.T) {
	for _, ix := range []string{"alpine-3.18-aarch64.APKINDEX.tar.gz", "postmarketos-aarch64.APKINDEX.tar.gz", "apk-tools-test.APKINDEX.tar.gz"} {
		t.Run(ix, func(t *testing.T) {
			repotest.Run(t, repotest.Fixture{
				Source: source(t, repo.FormatAPK),
				Root:   "../apkindex/testdata",
				Spec: func(m string) repo.Spec {
					return repo.Spec{Format: repo.FormatAPK, Distro: "fixture-alpine", Mirror: m, Suite: "v3.18",
						URLTemplate: "{mirror}/" + ix, Components: []string{"main"}, Architectures: []string{"aarch64"}}
				},
				RowFormat: "apk", MinRows: 1, Now: time.Now(),
			})
		})
	}
}

func TestRPMMDWithFiles(t *testing.T) {
	ctx := t.Context()
	srv := httptest.NewServer(http.FileServer(http.Dir("../rpmmd/testdata/repo")))
	defer srv.Close()
	spec := repo.Spec{Format: repo.FormatRPMMD, Distro: "fixture-rpm", Mirror: srv.URL, Suite: "1", URLTemplate: "{mirror}",
		Components: []string{"Everything"}, Architectures: []string{"x86_64"}, WithFiles: true}
	src := formats.RPMMD{}
	f := repo.DefaultFetcher()
	rel, err := src.Resolve(ctx, f, spec, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var rows []datasets.PackageRow
	collect := func(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) error {
		return src.Parse(ctx, r, name, ix, func(row *datasets.PackageRow) error {
			rows = append(rows, *row)
			return emit(row)
		})
	}
	if _, err := repo.Ingest(ctx, f, rel.Indexes[0], collect, io.Discard, repo.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
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
	if _, err := repo.Ingest(ctx, f, ix, src.Parse, io.Discard, repo.IngestOptions{}); !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), "filelists") {
		t.Errorf("tampered filelists hash: err = %v, want ErrCorrupt naming the filelists", err)
	}
}
