package datasets

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/store"
)

// StagedPart is one staged Parquet object and the rows it holds.
type StagedPart struct {
	Key  string `json:"key"`
	Rows int64  `json:"rows"`
}

// PublishInput says what to publish where.
type PublishInput struct {
	Table     Table
	Partition Partition
	Parts     []StagedPart
	// Manifest carries the caller's provenance (inputs, workflow IDs); Publish
	// fills in the table, partition, files, rows and commit time.
	Manifest Manifest
	// TempDir is where a multi-part merge spools its output ("" = os.TempDir).
	TempDir string
	// Now stamps the manifest; zero means time.Now.
	Now time.Time
}

// Publish commits staged parts as one partition: it writes the partition's
// single data object, then its manifest. Both steps are idempotent, so a
// Publish interrupted at any point is completed by running it again; if the
// partition is already committed Publish returns the existing manifest and
// writes nothing.
func Publish(ctx context.Context, st store.Store, in PublishInput) (Manifest, error) {
	t, p := in.Table, in.Partition
	if err := p.Validate(); err != nil {
		return Manifest{}, err
	}
	if len(in.Parts) == 0 {
		return Manifest{}, fmt.Errorf("datasets: publish %s %s: no staged parts", t.Name, t.PartitionPrefix(p))
	}
	if m, ok, err := Committed(ctx, st, t, p); err != nil || ok {
		return m, err
	}
	var rows int64
	for _, part := range in.Parts {
		rows += part.Rows
	}
	dataKey := t.DataKey(p)
	if len(in.Parts) == 1 {
		if err := st.Copy(ctx, in.Parts[0].Key, dataKey); err != nil {
			return Manifest{}, fmt.Errorf("datasets: publish %s: %w", dataKey, err)
		}
	} else {
		if err := mergeParts(ctx, st, t, in.Parts, rows, in.TempDir, dataKey); err != nil {
			return Manifest{}, fmt.Errorf("datasets: publish %s: %w", dataKey, err)
		}
	}
	info, err := st.Stat(ctx, dataKey)
	if err != nil {
		return Manifest{}, fmt.Errorf("datasets: publish %s: %w", dataKey, err)
	}
	m := in.Manifest
	m.Table, m.SchemaVersion, m.Partition = t.Name, t.Version, p
	m.Files = []ManifestFile{{Key: dataKey, Rows: rows, Bytes: info.Size}}
	m.Rows = rows
	m.CommittedAt = in.Now
	if m.CommittedAt.IsZero() {
		m.CommittedAt = time.Now().UTC()
	}
	if err := writeManifest(ctx, st, t.ManifestKey(p), m); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// mergeParts concatenates the staged parts' row groups into the partition's
// one data object. Row groups are copied as they are — each already bounded
// and sorted by t.SortColumn — so nothing is decoded and memory stays at a
// page per column. (A k-way merge into one global order was 7× slower for a
// gain readers barely see: an index's own order is by source package, so even
// a single part's row groups each span the whole alphabet.)
func mergeParts(ctx context.Context, st store.Store, t Table, parts []StagedPart, wantRows int64, tempDir, dataKey string) error {
	var rowGroups []parquet.RowGroup
	for _, part := range parts {
		f, err := spool(ctx, st, part.Key, tempDir)
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		pf, err := parquet.OpenFile(f, fi.Size())
		if err != nil {
			return fmt.Errorf("staged part %s: %w", part.Key, err)
		}
		if !parquet.SameNodes(pf.Schema(), t.Schema) {
			return fmt.Errorf("staged part %s: schema differs from %s v%d", part.Key, t.Name, t.Version)
		}
		rowGroups = append(rowGroups, pf.RowGroups()...)
	}
	out, err := os.CreateTemp(tempDir, "distroscope-merge-*.parquet")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	w := parquet.NewWriter(out, writerOptions(t)...)
	var n int64
	for _, rg := range rowGroups {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := w.WriteRowGroup(rg)
		if err != nil {
			return fmt.Errorf("copy row group: %w", err)
		}
		n += k
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close merged file: %w", err)
	}
	size, err := out.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if n != wantRows {
		return fmt.Errorf("staged parts hold %d rows, their writers reported %d", n, wantRows)
	}
	return st.Put(ctx, dataKey, out, size)
}

// spool copies an object into a temp file: Parquet needs random access.
func spool(ctx context.Context, st store.Store, key, tempDir string) (*os.File, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("staged part %s: %w", key, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(tempDir, "distroscope-part-*.parquet")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("staged part %s: %w", key, err)
	}
	return f, nil
}
