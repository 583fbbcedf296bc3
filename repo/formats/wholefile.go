package formats

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/distroscope/distroscope/repo"
)

// scanFunc reads a whole index fetched at resolve time — open gives a
// reader of it from its first byte, as often as needed — and reports its
// newest build date and any signing keys it names.
type scanFunc func(open func() io.Reader, url string) (newest time.Time, signers []string, err error)

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
			size, hs, t, signers, err := scanWholeFile(ctx, f, u, scan)
			if errors.Is(err, repo.ErrNotFound) {
				return nil, noSuchIndex(kind+" for "+names(spec, comp, arch), err)
			}
			if err != nil {
				return nil, err
			}
			if t.After(newest) {
				newest = t
			}
			res.Signers = append(res.Signers, signers...)
			h.Write([]byte(hs))
			res.Indexes = append(res.Indexes, repo.Index{Component: comp, Architecture: arch, Extra: extra,
				Candidates: []repo.Candidate{{URL: u, Path: comp + "/" + arch + pathSuffix, Size: size, SHA256: hs}}})
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

// scanWholeFile fetches the index at u into a temporary file, hashing it
// on the way, and scans it from there: a database may be hundreds of MB
// (maxDBBytes), which held in memory would take a worker far past its
// 150 MB.
func scanWholeFile(ctx context.Context, f *repo.Fetcher, u string, scan scanFunc) (size int64, sha string, newest time.Time, signers []string, err error) {
	rc, n, err := f.Open(ctx, u)
	if err != nil {
		return 0, "", time.Time{}, nil, err
	}
	defer rc.Close()
	if n > maxDBBytes {
		return 0, "", time.Time{}, nil, repo.Corrupt(fmt.Errorf("formats: %s is %d bytes, more than the %d allowed", u, n, maxDBBytes))
	}
	tmp, err := os.CreateTemp(f.TempDir, "distroscope-resolve-*")
	if err != nil {
		return 0, "", time.Time{}, nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), io.LimitReader(rc, maxDBBytes+1))
	if fe := (*repo.FetchError)(nil); errors.As(err, &fe) {
		return 0, "", time.Time{}, nil, err // it names the URL and the reason already
	}
	if err != nil {
		return 0, "", time.Time{}, nil, &repo.FetchError{URL: u, Reason: "reading: " + err.Error(), Err: err}
	}
	if size > maxDBBytes {
		return 0, "", time.Time{}, nil, repo.Corrupt(fmt.Errorf("formats: %s is more than the %d bytes allowed", u, maxDBBytes))
	}
	open := func() io.Reader { return io.NewSectionReader(tmp, 0, size) }
	newest, signers, err = scan(open, u)
	if err != nil {
		return 0, "", time.Time{}, nil, repo.Corrupt(err)
	}
	return size, hex.EncodeToString(h.Sum(nil)), newest, signers, nil
}
