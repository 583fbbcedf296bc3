package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/distroscope/distroscope/internal/aptmirror"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// freeze copies, once, what a snapshot of each suite's main/amd64 reads
// from this machine's apt mirror — the InRelease and the index in every
// compression the worker takes (gzip first, xz), under their names and
// their by-hash names — into dir, so that every run of the proof reads
// the same bytes. It returns whether the suites' InRelease files carry a
// Valid-Until (the catalogue then allows a frozen one past it).
func freeze(dir string, suites []string, keyring string) (validUntil bool, err error) {
	for _, suite := range suites {
		dists := filepath.Join(dir, "dists", suite)
		if _, err := os.Stat(filepath.Join(dists, ".complete")); err != nil {
			if err := freezeSuite(dists, suite, keyring); err != nil {
				return false, fmt.Errorf("freeze %s: %w", suite, err)
			}
		}
		inrel, err := os.ReadFile(filepath.Join(dists, "InRelease"))
		if err != nil {
			return false, err
		}
		validUntil = validUntil || strings.Contains(string(inrel), "\nValid-Until:")
	}
	return validUntil, nil
}

func freezeSuite(dists, suite, keyring string) error {
	base, err := aptmirror.URI()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := repo.DefaultFetcher()
	inrel, err := f.ReadAll(ctx, base+"/dists/"+suite+"/InRelease", 32<<20)
	if err != nil {
		return err
	}
	src := repo.Spec{Mirror: base, Suite: suite, Components: []string{"main"}, Architectures: []string{"amd64"},
		SignedBy: []string{keyring}, AllowExpired: true}
	fetched := map[string][]byte{}
	for _, c := range []repo.Compression{"gz", "xz"} {
		src.CompressionOrder = []repo.Compression{c}
		rel, err := formats.Apt{}.Resolve(ctx, f, src, time.Now())
		if err != nil {
			return err
		}
		for _, cand := range rel.Indexes[0].Candidates {
			if cand.Compression != c {
				continue
			}
			data, ok := fetched[cand.SHA256]
			if !ok {
				fmt.Printf("  fetching %s (%d MB)\n", cand.URL[len(base):], cand.Size>>20)
				if data, err = f.ReadAll(ctx, cand.URL, 256<<20); err != nil {
					return err
				}
				sum := sha256.Sum256(data)
				if hex.EncodeToString(sum[:]) != cand.SHA256 {
					return fmt.Errorf("%s: SHA256 is not the Release's", cand.URL)
				}
				fetched[cand.SHA256] = data
			}
			byHash := filepath.Join(filepath.Dir(cand.Path), "by-hash", "SHA256", cand.SHA256)
			for _, p := range []string{cand.Path, byHash} {
				p = filepath.Join(dists, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					return err
				}
			}
		}
	}
	if len(fetched) == 0 {
		return fmt.Errorf("%s offers no gzip or xz main/amd64 index", suite)
	}
	if err := os.WriteFile(filepath.Join(dists, "InRelease"), inrel, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dists, ".complete"), nil, 0o644)
}
