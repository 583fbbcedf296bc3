package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/distroscope/distroscope/store"
)

// Manifest records what one committed partition holds and where it came
// from. It is written after the partition's data, so its presence means the
// partition is complete.
type Manifest struct {
	Table         string         `json:"table"`
	SchemaVersion int            `json:"schema_version"`
	Partition     Partition      `json:"partition"`
	Files         []ManifestFile `json:"files"`
	Rows          int64          `json:"rows"`
	// Inputs are the upstream files this partition was built from, with the
	// hashes they were verified against.
	Inputs      []Input   `json:"inputs,omitempty"`
	Producer    string    `json:"producer,omitempty"`
	WorkflowID  string    `json:"workflow_id,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	CommittedAt time.Time `json:"committed_at"`
}

// ManifestFile is one data object of a partition.
type ManifestFile struct {
	Key   string `json:"key"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	// SHA256 is the object's SHA-256 in lowercase hex, so that readers can
	// refuse a changed byte anywhere in it (see OpenFile). Manifests written
	// before it was recorded have none.
	SHA256 string `json:"sha256,omitempty"`
}

// Input is one upstream file a partition was built from.
type Input struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// maxManifestBytes bounds what ReadManifest accepts: a manifest lists a
// handful of files and inputs, so anything larger is not ours.
const maxManifestBytes = 4 << 20

// ReadManifest reads one partition's manifest. It returns an error wrapping
// store.ErrNotFound when the partition is not committed.
func ReadManifest(ctx context.Context, st store.Store, key string) (Manifest, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return Manifest{}, fmt.Errorf("datasets: manifest %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifestBytes+1))
	if err != nil {
		return Manifest{}, fmt.Errorf("datasets: read manifest %s: %w", key, err)
	}
	if len(data) > maxManifestBytes {
		return Manifest{}, fmt.Errorf("datasets: manifest %s is larger than %d bytes", key, maxManifestBytes)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		// Ours are written whole (an atomic put) from valid JSON: one
		// that does not decode was changed after.
		return Manifest{}, corrupt(key, "manifest does not decode: %v", err)
	}
	return m, nil
}

// Committed reports whether partition p of table t has a manifest.
func Committed(ctx context.Context, st store.Store, t Table, p Partition) (Manifest, bool, error) {
	m, err := ReadManifest(ctx, st, t.ManifestKey(p))
	if errors.Is(err, store.ErrNotFound) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, err
	}
	return m, true, nil
}

func writeManifest(ctx context.Context, st store.Store, key string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("datasets: encode manifest: %w", err)
	}
	data = append(data, '\n')
	if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("datasets: write manifest %s: %w", key, err)
	}
	return nil
}

// ListManifests returns the manifests of every committed partition of t,
// sorted by partition.
func ListManifests(ctx context.Context, st store.Store, t Table) ([]Manifest, error) {
	objs, err := st.List(ctx, t.Prefix())
	if err != nil {
		return nil, fmt.Errorf("datasets: list %s: %w", t.Prefix(), err)
	}
	var out []Manifest
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, "/_manifest.json") {
			continue
		}
		m, err := ReadManifest(ctx, st, o.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Partition, out[j].Partition
		if a.Distro != b.Distro {
			return a.Distro < b.Distro
		}
		if a.Release != b.Release {
			return a.Release < b.Release
		}
		return a.Snapshot < b.Snapshot
	})
	return out, nil
}
