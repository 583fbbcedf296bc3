package formats

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/distroscope/distroscope/repo"
)

// scanFunc reads a whole index fetched at resolve time and reports its
// newest build date and any signing keys it names.
type scanFunc func(data []byte, url string) (newest time.Time, signers []string, err error)

// resolveWholeFiles resolves formats whose index is a single file with no
// external checksum (APKINDEX, pacman databases): each index is fetched
// once to pin its size and SHA256 — the ingest fetches it again and must
// get the same bytes — and scanned for the newest build date, which dates
// the snapshot since these formats carry no date of their own. An index
// the mirror does not have is ErrNoSuchSuite, naming it as kind ("APKINDEX").
func resolveWholeFiles(ctx context.Context, f *repo.Fetcher, spec repo.Spec, kind, tmpl, pathSuffix string, extra map[string]string, scan scanFunc) (*repo.Resolved, error) {
	if err := repo.ValidateSpec(spec); err != nil {
		return nil, err
	}
	h := sha256.New()
	var newest time.Time
	res := &repo.Resolved{Source: spec, Origin: spec.Distro, Suite: spec.Suite, Version: spec.Suite}
	for _, comp := range spec.Components {
		for _, arch := range spec.Architectures {
			u := spec.Expand(tmpl, comp, arch)
			data, err := f.ReadAll(ctx, u, maxDBBytes)
			if errors.Is(err, repo.ErrNotFound) {
				return nil, noSuchIndex(kind+" for "+names(spec, comp, arch), err)
			}
			if err != nil {
				return nil, err
			}
			t, signers, err := scan(data, u)
			if err != nil {
				return nil, repo.Corrupt(err)
			}
			if t.After(newest) {
				newest = t
			}
			res.Signers = append(res.Signers, signers...)
			hs := sum(data)
			h.Write([]byte(hs))
			res.Indexes = append(res.Indexes, repo.Index{Component: comp, Architecture: arch, Extra: extra,
				Candidates: []repo.Candidate{{URL: u, Path: comp + "/" + arch + pathSuffix, Size: int64(len(data)), SHA256: hs}}})
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
