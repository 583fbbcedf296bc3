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
	// SHA256 is the staged object's SHA-256 in lowercase hex, as its stager
	// wrote it (a Digest of the bytes it put). Publish refuses a part that
	// no longer has it rather than commit it: a bit flipped in a staged
	// part would otherwise be copied, or its row group concatenated, into
	// a data object whose own recorded hash then vouches for it. A part
	// staged without one is hashed as Publish reads it, which protects it
	// only from then on.
	SHA256 string `json:"sha256,omitempty"`
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
// single data object, then its manifest, which records the object's size
// and SHA-256. Both steps are idempotent, so a Publish interrupted at any
// point is completed by running it again; if the partition is already
// committed Publish returns the existing manifest and writes nothing.
//
// A staged part whose bytes are not the ones its stager recorded fails
// the publish with an error wrapping ErrCorrupt that names it, commits
// nothing, and is deleted, so that it is staged again rather than
// committed: a comparison stages its parts on every attempt, and a
// snapshot's ingest stages again a part it finds missing.
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
	var written *Digest
	var err error
	if len(in.Parts) == 1 {
		written, err = copyPart(ctx, st, in.Parts[0], dataKey)
	} else {
		written, err = mergeParts(ctx, st, t, in.Parts, rows, in.TempDir, dataKey)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("datasets: publish %s: %w", dataKey, err)
	}
	info, err := st.Stat(ctx, dataKey)
	if err != nil {
		return Manifest{}, fmt.Errorf("datasets: publish %s: %w", dataKey, err)
	}
	if info.Size != written.Size() {
		return Manifest{}, corrupt(dataKey, "publish: the store holds %d bytes of the %d written", info.Size, written.Size())
	}
	m := in.Manifest
	m.Table, m.SchemaVersion, m.Partition = t.Name, t.Version, p
	m.Files = []ManifestFile{{Key: dataKey, Rows: rows, Bytes: info.Size, SHA256: written.SHA256()}}
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

// copyPart publishes a single staged part as the data object by a
// server-side copy, after reading it once to check it against its
// stager's hash (or, without one, to learn it): checked before the copy,
// a bad part never appears in the table's tree, even for a moment.
func copyPart(ctx context.Context, st store.Store, part StagedPart, dataKey string) (*Digest, error) {
	rc, err := st.Get(ctx, part.Key)
	if err != nil {
		return nil, fmt.Errorf("staged part %s: %w", part.Key, err)
	}
	d := NewDigest()
	_, err = io.Copy(d, rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("staged part %s: %w", part.Key, err)
	}
	if err := refuseCorrupt(ctx, st, part, d); err != nil {
		return nil, err
	}
	if err := st.Copy(ctx, part.Key, dataKey); err != nil {
		return nil, err
	}
	return d, nil
}

// refuseCorrupt checks what was read of a staged part against its
// stager's hash, and deletes a part that fails (see Publish).
func refuseCorrupt(ctx context.Context, st store.Store, part StagedPart, d *Digest) error {
	err := part.check(d)
	if err == nil {
		return nil
	}
	if derr := st.Delete(ctx, part.Key); derr != nil {
		return fmt.Errorf("%w (and deleting it failed: %v)", err, derr)
	}
	return fmt.Errorf("%w (deleted: stage it again)", err)
}

// mergeParts concatenates the staged parts' row groups into the partition's
// one data object. Row groups are copied as they are — each already bounded
// and sorted by t.SortColumn — so nothing is decoded and memory stays at a
// page per column. (A k-way merge into one global order was 7× slower for a
// gain readers barely see: an index's own order is by source package, so even
// a single part's row groups each span the whole alphabet.)
//
// Each part is checked against its stager's hash as it is spooled, before
// any of its row groups is copied: the copy carries pages over as they
// are, so a flipped bit would otherwise pass into the merged file, whose
// own hash is computed as it is written.
func mergeParts(ctx context.Context, st store.Store, t Table, parts []StagedPart, wantRows int64, tempDir, dataKey string) (*Digest, error) {
	var rowGroups []parquet.RowGroup
	for _, part := range parts {
		f, err := spool(ctx, st, part, tempDir)
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		pf, err := parquet.OpenFile(f, fi.Size())
		if err != nil {
			return nil, fmt.Errorf("staged part %s: %w", part.Key, err)
		}
		if !parquet.SameNodes(pf.Schema(), t.Schema) {
			return nil, fmt.Errorf("staged part %s: schema differs from %s v%d", part.Key, t.Name, t.Version)
		}
		rowGroups = append(rowGroups, pf.RowGroups()...)
	}
	out, err := os.CreateTemp(tempDir, "distroscope-merge-*.parquet")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	written := NewDigest()
	w := parquet.NewWriter(io.MultiWriter(out, written), writerOptions(t)...)
	var n int64
	for _, rg := range rowGroups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, err := w.WriteRowGroup(rg)
		if err != nil {
			return nil, fmt.Errorf("copy row group: %w", err)
		}
		n += k
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close merged file: %w", err)
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if n != wantRows {
		return nil, fmt.Errorf("staged parts hold %d rows, their writers reported %d", n, wantRows)
	}
	if err := st.Put(ctx, dataKey, out, written.Size()); err != nil {
		return nil, err
	}
	return written, nil
}

// spool copies a staged part into a temp file (Parquet needs random
// access), checking it against its stager's hash on the way.
func spool(ctx context.Context, st store.Store, part StagedPart, tempDir string) (*os.File, error) {
	rc, err := st.Get(ctx, part.Key)
	if err != nil {
		return nil, fmt.Errorf("staged part %s: %w", part.Key, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(tempDir, "distroscope-part-*.parquet")
	if err != nil {
		return nil, err
	}
	d := NewDigest()
	if _, err = io.Copy(io.MultiWriter(f, d), rc); err == nil {
		err = refuseCorrupt(ctx, st, part, d)
	} else {
		err = fmt.Errorf("staged part %s: %w", part.Key, err)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}
