package releases

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// AllReleases is the release= partition value of the releases table: one
// partition holds every release of a distribution.
const AllReleases = "all"

// Files are the CSVs distro-info-data ships, by distribution, in the order
// Load reads them.
var Files = []struct{ Distro, Name string }{{"debian", "debian.csv"}, {"ubuntu", "ubuntu.csv"}}

// Load reads every CSV of Files present in dir (distro-info-data installs
// them in /usr/share/distro-info), keyed by distro. source is stamped on
// every row; say which data it is ("distro-info-data " + the package's
// version). It fails when dir holds none of them.
func Load(dir, source string) (map[string]File, error) {
	out := map[string]File{}
	for _, f := range Files {
		fh, err := os.Open(filepath.Join(dir, f.Name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("releases: %w", err)
		}
		file, err := Read(fh, f.Distro, f.Name, source)
		fh.Close()
		if err != nil {
			return nil, err
		}
		out[f.Distro] = file
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("releases: %s holds no distro-info CSV (debian.csv, ubuntu.csv): %w", dir, fs.ErrNotExist)
	}
	return out, nil
}

// Newest is the latest creation date among the file's releases: the date of
// its newest entry.
func (f File) Newest() datasets.Date {
	var d datasets.Date
	for _, r := range f.Rows {
		d = max(d, r.Created)
	}
	return d
}

// Partition is where f is committed: distro=<distro>/release=all/
// snapshot=<SnapshotID of f's newest creation date and its SHA-256>. The same
// CSV always maps to the same partition, so writing it again reuses the
// committed one; an edited CSV gets a new partition even when no release
// was added (its hash changed).
func (f File) Partition() datasets.Partition {
	return datasets.Partition{Distro: f.Distro, Release: AllReleases, Snapshot: datasets.SnapshotID(f.Newest().Time(), f.SHA256)}
}

// Write commits f as one partition of the releases table: it stages the
// rows as one Parquet part, publishes it with datasets.Publish and removes
// the staged part. If the partition is already committed Write returns its
// manifest and writes nothing. now stamps the manifest (zero: time.Now).
func Write(ctx context.Context, st store.Store, f File, now time.Time) (datasets.Manifest, error) {
	if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 {
		return datasets.Manifest{}, fmt.Errorf("releases: write %s: SHA256 %q is not a hex SHA-256", f.Name, f.SHA256)
	}
	if len(f.Rows) == 0 {
		return datasets.Manifest{}, fmt.Errorf("releases: write %s: %w", f.Name, ErrNoReleases)
	}
	t, p := datasets.Releases, f.Partition()
	if err := p.Validate(); err != nil {
		return datasets.Manifest{}, fmt.Errorf("releases: write %s: %w", f.Name, err)
	}
	if m, ok, err := datasets.Committed(ctx, st, t, p); err != nil || ok {
		return m, err
	}
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, t, datasets.CompareReleaseRows, 0)
	for i := range f.Rows {
		if err := w.Write(&f.Rows[i]); err != nil {
			return datasets.Manifest{}, fmt.Errorf("releases: write %s: %w", f.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return datasets.Manifest{}, fmt.Errorf("releases: write %s: %w", f.Name, err)
	}
	key := datasets.StagingKey(t, p, f.Distro)
	if err := st.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		return datasets.Manifest{}, fmt.Errorf("releases: stage %s: %w", key, err)
	}
	m, err := datasets.Publish(ctx, st, datasets.PublishInput{
		Table: t, Partition: p, Parts: []datasets.StagedPart{{Key: key, Rows: w.Rows()}},
		Manifest: datasets.Manifest{Inputs: []datasets.Input{{Path: f.Name, Size: f.Size, SHA256: f.SHA256}}},
		Now:      now,
	})
	if err != nil {
		return datasets.Manifest{}, err
	}
	// The janitor removes the staged part if this fails.
	_ = st.Delete(ctx, key)
	return m, nil
}
