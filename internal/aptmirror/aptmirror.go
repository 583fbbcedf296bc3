// Package aptmirror takes real indexes from the apt mirror this machine is
// configured with, for the benchmarks and for the tests that run on real
// release-size data. The mirror comes from the apt sources, never from a
// host name in code. (It is apart from internal/benchdata because it
// ingests with repo/formats, which the deb package's benchmarks, users of
// benchdata, cannot import.)
package aptmirror

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/deb/aptsources"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// Side is one prepared snapshot: its Parquet file and the partition the
// worker would have committed it under.
type Side struct {
	Path      string             `json:"path"`
	Partition datasets.Partition `json:"partition"`
	Rows      int64              `json:"rows"`
	Snapshot  datasets.SnapshotRow
}

// URI is the first URI of the first deb entry of this machine's apt
// sources: the benchmarks' and real-index tests' mirror, never a host name
// written in code.
func URI() (string, error) {
	entries, _ := aptsources.Load("/")
	for _, e := range entries {
		if slices.Contains(e.Types, "deb") && len(e.URIs) > 0 {
			return e.URIs[0], nil
		}
	}
	return "", fmt.Errorf("no deb entry in the apt sources")
}

// SideFiles names a cached side's folder, Parquet file and description.
func SideFiles(cache, name string) (dir, parquet, meta string) {
	dir = filepath.Join(cache, name)
	return dir, filepath.Join(dir, "part-00000.parquet"), filepath.Join(dir, "side.json")
}

func LoadSide(meta string) (Side, bool) {
	data, err := os.ReadFile(meta)
	if err != nil {
		return Side{}, false
	}
	var s Side
	if json.Unmarshal(data, &s) != nil {
		return Side{}, false
	}
	if _, err := os.Stat(s.Path); err != nil {
		return Side{}, false
	}
	return s, true
}

func SaveSide(meta string, s Side) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(meta, data, 0o644)
}

// fromMirror resolves suite on the first deb source of this machine and
// ingests its main/amd64 index as the worker does.
// Ingest takes suite's main/amd64 index from the first deb source of
// this machine's apt sources and ingests it into a packages Parquet file
// with the worker's own code (formats.Apt{}.Resolve verifies the InRelease
// against keyring, repo.Ingest fetches, verifies, parses and
// writes), once: the file and its description are cached under cache.
func Ingest(ctx context.Context, cache, suite, keyring string) (Side, error) {
	dir, pq, meta := SideFiles(cache, suite)
	if s, ok := LoadSide(meta); ok {
		return s, nil
	}
	base, err := URI()
	if err != nil {
		return Side{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	f := repo.DefaultFetcher()
	src := repo.Spec{Mirror: base, Suite: suite, Components: []string{"main"}, Architectures: []string{"amd64"},
		SignedBy: []string{keyring}, AllowExpired: true}
	now := time.Now()
	rel, err := formats.Apt{}.Resolve(ctx, f, src, now)
	if err != nil {
		return Side{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Side{}, err
	}
	tmp := pq + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return Side{}, err
	}
	defer os.Remove(tmp)
	ix := rel.Indexes[0]
	res, err := repo.Ingest(ctx, f, ix, formats.Apt{}.Parse, out, repo.IngestOptions{})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Side{}, err
	}
	if err := os.Rename(tmp, pq); err != nil {
		return Side{}, err
	}
	s := Side{Path: pq, Partition: rel.Partition, Rows: res.Rows, Snapshot: datasets.SnapshotRow{
		Origin: rel.Origin, Label: rel.Label, Suite: rel.Suite, Codename: rel.Codename, Version: rel.Version,
		ReleaseDate: rel.Date, ValidUntil: rel.ValidUntil, ReleaseSHA256: rel.ReleaseSHA256, SignedBy: rel.Signers,
		Mirror: base, Component: "main", IndexArchitecture: "amd64", IndexPath: res.Path,
		Compression: string(res.Compression), IndexSize: res.CompressedBytes, IndexSHA256: res.SHA256,
		UncompressedSize: res.UncompressedBytes, Rows: res.Rows, FetchedAt: now.UTC(),
	}}
	return s, SaveSide(meta, s)
}
