package formats_test

import (
	"testing"
	"time"

	"github.com/distroscope/distroscope/aptrepo/aptrepotest"
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
