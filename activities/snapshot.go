package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/store"
)

// Snapshot holds the dependencies of the snapshot activities.
type Snapshot struct {
	Store   store.Store
	Fetcher *repo.Fetcher
	TempDir string
	Metrics Metrics
	// Producer names this build in manifests ("distroscope 0.1.0").
	Producer string
	// Now is the clock (time.Now when nil); tests pin it.
	Now func() time.Time
	// Backoff spaces the attempts after transient failures (DefaultBackoff
	// when zero); tests shorten it.
	Backoff Backoff
	// MaxUncompressed is the hard cap on what one index may decompress to
	// (repo.DefaultMaxUncompressed, 1 GiB, when 0): the size the metadata
	// gives the plain file can only lower it.
	MaxUncompressed int64
}

// startHeartbeat starts an attempt's heartbeats, with its backoff.
func (s *Snapshot) startHeartbeat(ctx context.Context, step string) *heartbeat {
	b := s.Backoff
	if b == (Backoff{}) {
		b = DefaultBackoff
	}
	return startHeartbeatBackoff(ctx, step, b)
}

func (s *Snapshot) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// observe records an activity's duration and kind of failure.
func (s *Snapshot) observe(name string, start time.Time, err *error) {
	observe(s.metrics(), name, start, err)
}

func (s *Snapshot) metrics() Metrics {
	if s.Metrics == nil {
		return noMetrics{}
	}
	return s.Metrics
}

// ResolveInput names the suite to resolve.
type ResolveInput struct {
	Source repo.Spec `json:"source"`
}

// ResolveResult is the verified Release's index list and, when the same
// Release is already committed, its commit.
type ResolveResult struct {
	Resolved  repo.Resolved `json:"resolved"`
	Committed *CommitResult `json:"committed,omitempty"`
}

// ResolveRelease fetches and verifies the Release and checks whether this
// exact Release is already committed.
func (s *Snapshot) ResolveRelease(ctx context.Context, in ResolveInput) (out ResolveResult, err error) {
	defer s.observe("ResolveRelease", time.Now(), &err)
	hb := s.startHeartbeat(ctx, "resolving "+in.Source.Suite)
	defer hb.finish(&err)
	src, err := formats.For(in.Source.Format)
	if err != nil {
		return out, classify(err)
	}
	// A backfill's spec says the time to verify at (the archive's date);
	// every format verifies at the time it is given.
	at := in.Source.VerificationTime(s.now())
	rel, err := src.Resolve(ctx, s.Fetcher.WithProgress(hb.transfer), in.Source, at)
	if err != nil {
		return out, classify(err)
	}
	out.Resolved = *rel
	if out.Resolved.VerifiedAsOf.IsZero() {
		out.Resolved.VerifiedAsOf = at.UTC()
	}
	// The snapshots table is published last, so its manifest means the
	// whole snapshot is committed.
	snapM, ok, err := datasets.Committed(ctx, s.Store, datasets.Snapshots, rel.Partition)
	if err != nil || !ok {
		return out, err
	}
	pkgM, ok, err := datasets.Committed(ctx, s.Store, datasets.Packages, rel.Partition)
	if err != nil {
		return out, err
	}
	if !ok {
		// Committed before the packages table's current schema version
		// (or by a run that died between the two manifests): ingest again
		// into the current version; the snapshots partition is reused.
		return out, nil
	}
	c := commitResult(pkgM, snapM)
	out.Committed = &c
	activity.GetLogger(ctx).Info("release already committed", "distro", rel.Partition.Distro, "release", rel.Partition.Release, "snapshot", rel.Partition.Snapshot)
	return out, nil
}

// IngestInput is one index to stage.
type IngestInput struct {
	Format    repo.Format        `json:"format,omitempty"`
	Partition datasets.Partition `json:"partition"`
	Index     repo.Index         `json:"index"`
}

// IngestResult is one staged part and how it was obtained.
type IngestResult struct {
	Staged datasets.StagedPart `json:"staged"`
	Fetch  repo.IngestResult   `json:"fetch"`
}

func stagedPartName(ix repo.Index) string { return ix.Component + "_" + ix.Architecture }

// IngestIndex streams one index into a staged Parquet part. Its staged key
// is deterministic, so a retry overwrites its own earlier attempt; and a
// small receipt written after the part lets an attempt that follows a crash
// after staging return at once instead of fetching again.
func (s *Snapshot) IngestIndex(ctx context.Context, in IngestInput) (out IngestResult, err error) {
	defer s.observe("IngestIndex", time.Now(), &err)
	if err := in.Partition.Validate(); err != nil {
		return out, invalid(err)
	}
	hb := s.startHeartbeat(ctx, "ingesting "+in.Index.Name())
	defer hb.finish(&err)
	key := datasets.StagingKey(datasets.Packages, in.Partition, stagedPartName(in.Index))
	receiptKey := key + ".receipt.json"
	if r, ok := s.readReceipt(ctx, receiptKey, key); ok {
		activity.GetLogger(ctx).Info("index already staged", "index", in.Index.Name(), "key", key)
		return r, nil
	}

	tmp, err := os.CreateTemp(s.TempDir, "distroscope-index-*.parquet")
	if err != nil {
		return out, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	format, err := formats.Lookup(in.Format)
	if err != nil {
		return out, classify(err)
	}
	logger := activity.GetLogger(ctx)
	// The part's SHA-256, taken as it is written, which the commit checks
	// the staged object against: a byte changed between here and the
	// commit would otherwise be hashed into the manifest as the truth.
	d := datasets.NewDigest()
	res, err := repo.Ingest(ctx, s.Fetcher.WithProgress(hb.transfer), in.Index, format.Source.Parse, io.MultiWriter(tmp, d), repo.IngestOptions{
		OnProgress: func(p repo.Progress) { hb.rows(p.Rows) },
		// A mirror without by-hash/ (the canonical name is fetched
		// instead, verified the same) or caught mid-sync (fetched again)
		// still gives verified data, but an operator should hear of it.
		OnNotice:        func(n repo.Notice) { logger.Warn(n.String(), "index", n.Index, "url", n.URL, "notice", string(n.Kind)) },
		TempDir:         s.TempDir,
		MaxUncompressed: s.MaxUncompressed,
	})
	if err != nil {
		return out, classify(err)
	}
	hb.report("staging " + key)
	if d.Size() != res.ParquetBytes {
		return out, fmt.Errorf("activities: stage %s: the ingest wrote %d bytes and says %d", key, d.Size(), res.ParquetBytes)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return out, err
	}
	if err := s.Store.Put(ctx, key, tmp, res.ParquetBytes); err != nil {
		return out, fmt.Errorf("activities: stage %s: %w", key, err)
	}
	out = IngestResult{Staged: datasets.StagedPart{Key: key, Rows: res.Rows, SHA256: d.SHA256()}, Fetch: res}
	receipt, _ := json.Marshal(out)
	if err := s.Store.Put(ctx, receiptKey, bytes.NewReader(receipt), int64(len(receipt))); err != nil {
		return out, fmt.Errorf("activities: stage %s: %w", receiptKey, err)
	}
	s.metrics().AddIndexBytes(string(format.Ecosystem), res.CompressedBytes)
	activity.GetLogger(ctx).Info("index staged", "index", in.Index.Name(), "rows", res.Rows,
		"compression", res.Compression.String(), "fetched_bytes", res.CompressedBytes, "parquet_bytes", res.ParquetBytes)
	return out, nil
}

func (s *Snapshot) readReceipt(ctx context.Context, receiptKey, partKey string) (IngestResult, bool) {
	rc, err := s.Store.Get(ctx, receiptKey)
	if err != nil {
		return IngestResult{}, false
	}
	defer rc.Close()
	var r IngestResult
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&r); err != nil || r.Staged.Key != partKey {
		return IngestResult{}, false
	}
	if info, err := s.Store.Stat(ctx, partKey); err != nil || info.Size != r.Fetch.ParquetBytes {
		return IngestResult{}, false
	}
	return r, true
}

// CommitInput is everything needed to commit one snapshot.
type CommitInput struct {
	Resolved   repo.Resolved  `json:"resolved"`
	Parts      []IngestResult `json:"parts"`
	WorkflowID string         `json:"workflow_id"`
	RunID      string         `json:"run_id"`
}

// CommitResult names what was committed.
type CommitResult struct {
	Rows         int64    `json:"rows"`
	Manifests    []string `json:"manifests"`
	DataKeys     []string `json:"data_keys"`
	ParquetBytes int64    `json:"parquet_bytes"`
}

func commitResult(pkg, snap datasets.Manifest) CommitResult {
	c := CommitResult{Rows: pkg.Rows,
		Manifests: []string{datasets.Packages.ManifestKey(pkg.Partition), datasets.Snapshots.ManifestKey(snap.Partition)}}
	for _, f := range append(append([]datasets.ManifestFile{}, pkg.Files...), snap.Files...) {
		c.DataKeys = append(c.DataKeys, f.Key)
		c.ParquetBytes += f.Bytes
	}
	return c
}

// CommitSnapshot publishes the staged packages parts and the snapshot's
// own row set: packages first, snapshots last, each data before manifest.
// Every step is idempotent, so a retry after a crash anywhere completes it.
func (s *Snapshot) CommitSnapshot(ctx context.Context, in CommitInput) (out CommitResult, err error) {
	defer s.observe("CommitSnapshot", time.Now(), &err)
	rel := in.Resolved
	p := rel.Partition
	if len(in.Parts) != len(rel.Indexes) {
		return out, invalid(fmt.Errorf("activities: commit %s: %d parts for %d indexes", p.Snapshot, len(in.Parts), len(rel.Indexes)))
	}
	var total int64
	for _, part := range in.Parts {
		total += part.Staged.Rows
	}
	if min := rel.Source.MinPackages; min > 0 && total < min {
		// Repology's guard: a mirror caught mid-sync or a truncated index
		// can parse cleanly and still be wrong.
		return out, corrupt(fmt.Errorf("activities: commit %s/%s: %d packages, fewer than the %d the source declares as its minimum: treating the input as truncated",
			p.Distro, p.Release, total, min))
	}
	hb := s.startHeartbeat(ctx, "packages")
	defer hb.finish(&err)
	base := datasets.Manifest{Producer: s.Producer, WorkflowID: in.WorkflowID, RunID: in.RunID}
	var staged []datasets.StagedPart
	for _, part := range in.Parts {
		staged = append(staged, part.Staged)
		base.Inputs = append(base.Inputs, datasets.Input{Path: part.Fetch.Path, Size: part.Fetch.CompressedBytes, SHA256: part.Fetch.SHA256})
	}
	now := s.now().UTC()
	pkgM, err := datasets.Publish(ctx, s.Store, datasets.PublishInput{
		Table: datasets.Packages, Partition: p, Parts: staged, Manifest: base, TempDir: s.TempDir, Now: now,
	})
	if errors.Is(err, datasets.ErrCorrupt) {
		// A staged part changed after it was written: Publish deleted
		// it, and a run started again stages it afresh.
		return out, corrupt(err)
	}
	if err != nil {
		return out, err
	}
	hb.report("snapshots")
	snapKey, rows, err := s.stageSnapshotRows(ctx, rel, in.Parts, now)
	if err != nil {
		return out, err
	}
	snapM, err := datasets.Publish(ctx, s.Store, datasets.PublishInput{
		Table: datasets.Snapshots, Partition: p, Parts: []datasets.StagedPart{{Key: snapKey, Rows: rows}},
		Manifest: base, TempDir: s.TempDir, Now: now,
	})
	if err != nil {
		return out, err
	}
	out = commitResult(pkgM, snapM)
	for _, m := range []datasets.Manifest{pkgM, snapM} {
		s.metrics().AddRows(m.Table, m.Rows)
		for _, f := range m.Files {
			s.metrics().AddBytes(m.Table, f.Bytes)
		}
	}
	// Staged parts are no longer needed; the janitor removes any this misses.
	for _, t := range datasets.SnapshotTables {
		objs, err := s.Store.List(ctx, datasets.StagingPrefix(t, p))
		if err == nil {
			for _, o := range objs {
				_ = s.Store.Delete(ctx, o.Key)
			}
		}
	}
	activity.GetLogger(ctx).Info("snapshot committed", "distro", p.Distro, "release", p.Release, "snapshot", p.Snapshot, "rows", out.Rows)
	return out, nil
}

func (s *Snapshot) stageSnapshotRows(ctx context.Context, rel repo.Resolved, parts []IngestResult, now time.Time) (string, int64, error) {
	tmp, err := os.CreateTemp(s.TempDir, "distroscope-snapshots-*.parquet")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := datasets.NewWriter(tmp, datasets.Snapshots, datasets.CompareSnapshotRows, 0)
	for i, part := range parts {
		ix := rel.Indexes[i]
		row := datasets.SnapshotRow{
			Origin: rel.Origin, Label: rel.Label, Suite: rel.Suite, Codename: rel.Codename, Version: rel.Version,
			ReleaseDate: rel.Date, ValidUntil: rel.ValidUntil, ReleaseSHA256: rel.ReleaseSHA256, SignedBy: rel.Signers,
			Mirror: rel.Source.Mirror, Component: ix.Component, IndexArchitecture: ix.Architecture,
			IndexPath: part.Fetch.Path, Compression: part.Fetch.Compression.String(), IndexSize: part.Fetch.CompressedBytes,
			IndexSHA256: part.Fetch.SHA256, UncompressedSize: part.Fetch.UncompressedBytes, Rows: part.Staged.Rows,
			FetchedAt: now, InvalidUTF8Rows: part.Fetch.InvalidUTF8Rows, InvalidUTF8Fields: part.Fetch.InvalidUTF8Fields,
			InvalidUTF8Columns: part.Fetch.InvalidUTF8Columns, VerifiedAsOf: verifiedAsOf(rel, now),
		}
		if err := w.Write(&row); err != nil {
			return "", 0, err
		}
	}
	if err := w.Close(); err != nil {
		return "", 0, err
	}
	key := datasets.StagingKey(datasets.Snapshots, rel.Partition, "snapshot")
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	if err := s.Store.Put(ctx, key, tmp, w.Bytes()); err != nil {
		return "", 0, fmt.Errorf("activities: stage %s: %w", key, err)
	}
	return key, int64(len(parts)), nil
}

// verifiedAsOf is the time the snapshot's Release was verified at, for its
// record: a backfill's archive date, else the resolve's clock — or, for a
// run resolved before Resolved carried it, the commit's.
func verifiedAsOf(rel repo.Resolved, now time.Time) time.Time {
	if !rel.VerifiedAsOf.IsZero() {
		return rel.VerifiedAsOf
	}
	return now
}
