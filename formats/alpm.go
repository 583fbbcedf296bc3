package formats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"github.com/distroscope/distroscope/alpm"
	"github.com/distroscope/distroscope/datasets"
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
	if err := repo.ValidateSpec(spec); err != nil {
		return nil, err
	}
	def := DefaultALPMTemplate
	if spec.WithFiles {
		def = DefaultALPMFilesTemplate
	}
	tmpl := template(spec, def)
	h := sha256.New()
	var newest time.Time
	res := &repo.Resolved{Source: spec, Origin: spec.Distro, Suite: spec.Suite}
	for _, comp := range spec.Components {
		for _, arch := range spec.Architectures {
			u := spec.Expand(tmpl, comp, arch)
			data, err := f.ReadAll(ctx, u, maxDBBytes)
			if err != nil {
				return nil, err
			}
			rd, err := alpm.Open(bytes.NewReader(data), u)
			if err != nil {
				return nil, repo.Corrupt(err)
			}
			for {
				p, err := rd.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					rd.Close()
					return nil, repo.Corrupt(err)
				}
				if t := time.Unix(p.BuildDate, 0); p.BuildDate > 0 && t.After(newest) {
					newest = t
				}
			}
			rd.Close()
			hs := sum(data)
			h.Write([]byte(hs))
			ix := repo.Index{Component: comp, Architecture: arch, Candidates: []repo.Candidate{{
				URL: u, Path: comp + "/" + arch, Size: int64(len(data)), SHA256: hs,
			}}}
			if spec.WithFiles {
				ix.Extra = map[string]string{"files": "1"}
			}
			res.Indexes = append(res.Indexes, ix)
			if res.ReleaseURL == "" {
				res.ReleaseURL = u
			}
		}
	}
	p, err := partitionFor(spec, newest, h)
	if err != nil {
		return nil, err
	}
	res.Partition, res.Date, res.ReleaseSHA256 = p, newest.UTC(), fmt.Sprintf("%x", h.Sum(nil))
	return res, nil
}

// Parse reads a database, compressed or not (the compression is sniffed:
// <repo>.db is usually a symlink to .db.tar.zst or .db.tar.gz).
func (ALPM) Parse(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) error {
	var opts []alpm.Option
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
		row := p.Row()
		if err := emit(&row); err != nil {
			return err
		}
	}
}
