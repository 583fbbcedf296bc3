package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/aptmirror"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// sidComponents are the components of sid taken: main alone is the
// issue's real-size release (~77k amd64 packages; contrib, non-free and
// non-free-firmware would add 1.5k), and the same component as the
// comparison's bookworm and trixie.
var sidComponents = []string{"main"}

// realSid is the real sid release as the worker would have snapshotted it:
// one packages file per component (cached) and the snapshot's rows.
type realSid struct {
	Partition datasets.Partition
	Sides     []aptmirror.Side
}

// ingestSid resolves sid on the first deb source of this machine's apt
// sources (never a host written here) with the worker's own code —
// formats.Apt{}.Resolve verifies the InRelease against keyring, repo.Ingest
// fetches, verifies, parses and writes each index — once per component:
// the files and their descriptions are cached under cache/sid/<component>.
func ingestSid(ctx context.Context, cache, keyring string) (realSid, error) {
	var out realSid
	var missing bool
	for _, c := range sidComponents {
		_, _, meta := aptmirror.SideFiles(filepath.Join(cache, "sid"), c)
		s, ok := aptmirror.LoadSide(meta)
		if !ok {
			missing = true
			break
		}
		out.Sides = append(out.Sides, s)
		out.Partition = s.Partition
	}
	if !missing {
		return out, nil
	}
	out = realSid{}
	base, err := aptmirror.URI()
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	f := repo.DefaultFetcher()
	src := repo.Spec{Mirror: base, Suite: "sid", Components: sidComponents, Architectures: []string{"amd64"},
		SignedBy: []string{keyring}, AllowExpired: true}
	now := time.Now()
	rel, err := formats.Apt{}.Resolve(ctx, f, src, now)
	if err != nil {
		return out, fmt.Errorf("resolve sid on %s: %w", base, err)
	}
	out.Partition = rel.Partition
	for _, ix := range rel.Indexes {
		dir, pq, meta := aptmirror.SideFiles(filepath.Join(cache, "sid"), ix.Component)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return out, err
		}
		fmt.Printf("  fetching sid %s/%s\n", ix.Component, ix.Architecture)
		tmp := pq + ".tmp"
		w, err := os.Create(tmp)
		if err != nil {
			return out, err
		}
		res, err := repo.Ingest(ctx, f, ix, formats.Apt{}.Parse, w, repo.IngestOptions{})
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, pq)
		}
		if err != nil {
			os.Remove(tmp)
			return out, fmt.Errorf("ingest sid %s: %w", ix.Name(), err)
		}
		s := aptmirror.Side{Path: pq, Partition: rel.Partition, Rows: res.Rows, Snapshot: datasets.SnapshotRow{
			Origin: rel.Origin, Label: rel.Label, Suite: rel.Suite, Codename: rel.Codename, Version: rel.Version,
			ReleaseDate: rel.Date, ValidUntil: rel.ValidUntil, ReleaseSHA256: rel.ReleaseSHA256, SignedBy: rel.Signers,
			Mirror: base, Component: ix.Component, IndexArchitecture: ix.Architecture, IndexPath: res.Path,
			Compression: string(res.Compression), IndexSize: res.CompressedBytes, IndexSHA256: res.SHA256,
			UncompressedSize: res.UncompressedBytes, Rows: res.Rows, FetchedAt: now.UTC(),
		}}
		if err := aptmirror.SaveSide(meta, s); err != nil {
			return out, err
		}
		out.Sides = append(out.Sides, s)
	}
	return out, nil
}

// rows reads every component's packages rows, in component order.
func (s realSid) rows() ([]datasets.PackageRow, error) {
	var all []datasets.PackageRow
	for _, side := range s.Sides {
		rows, err := readPackages(side.Path)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return all, nil
}

// readPackages reads a whole packages Parquet file.
func readPackages(path string) ([]datasets.PackageRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := parquet.NewGenericReader[datasets.PackageRow](pf)
	defer r.Close()
	rows := make([]datasets.PackageRow, pf.NumRows())
	n, err := r.Read(rows)
	if int64(n) == pf.NumRows() {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read %d of %d rows: %w", path, n, pf.NumRows(), err)
	}
	return rows, nil
}
