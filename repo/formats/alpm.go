package formats

import (
	"context"
	"io"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/alpm"
	"github.com/distroscope/distroscope/repo"
)

// ALPM is the pacman repository database format (Arch Linux and
// derivatives) as a repo.Source. Each component is a pacman repository
// (core, extra) with one database per architecture.
type ALPM struct{}

var _ repo.Source = ALPM{}

// DefaultALPMTemplate is Arch's mirror layout.
const DefaultALPMTemplate = "{mirror}/{component}/os/{arch}/{component}.db"

// DefaultALPMFilesTemplate is the .files database beside it.
const DefaultALPMFilesTemplate = "{mirror}/{component}/os/{arch}/{component}.files"

// maxDBBytes bounds a fetched database: Arch's largest (extra.files) is
// ~60 MB compressed.
const maxDBBytes = 512 << 20

// Resolve fetches each database once to learn its hash and its newest build
// date (pacman databases list no checksums and carry no date of their own);
// the ingest fetches it again and must get the same bytes.
func (ALPM) Resolve(ctx context.Context, f *repo.Fetcher, spec repo.Spec, now time.Time) (*repo.Resolved, error) {
	def, kind := DefaultALPMTemplate, "pacman database"
	var extra map[string]string
	if spec.WithFiles {
		def, kind, extra = DefaultALPMFilesTemplate, "pacman files database", map[string]string{"files": "1"}
	}
	return resolveWholeFiles(ctx, f, spec, kind, template(spec, def), "", extra, func(open func() io.Reader, u string) (time.Time, []string, error) {
		var newest time.Time
		rd, err := alpm.Open(open(), u, alpm.WithMaxSize(repo.MaxUncompressed(ctx)))
		if err != nil {
			return newest, nil, err
		}
		defer rd.Close()
		for {
			p, err := rd.Next()
			if err == io.EOF {
				return newest, nil, nil
			}
			if err != nil {
				return newest, nil, err
			}
			if t := time.Unix(p.BuildDate, 0); p.BuildDate > 0 && t.After(newest) {
				newest = t
			}
		}
	})
}

// Parse reads a database, compressed or not (the compression is sniffed:
// <repo>.db is usually a symlink to .db.tar.zst or .db.tar.gz), decompressing
// at most the ingest's limit (repo.MaxUncompressed).
func (ALPM) Parse(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) error {
	opts := []alpm.Option{alpm.WithMaxSize(repo.MaxUncompressed(ctx))}
	if ix.Extra["files"] != "" {
		opts = append(opts, alpm.WithFiles())
	}
	rd, err := alpm.Open(r, name, opts...)
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		p, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		row := alpmRow(p)
		if err := emit(&row); err != nil {
			return err
		}
	}
}
