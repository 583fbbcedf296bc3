// Package datasetstest builds datasets for tests of what reads them
// (comparisons, reports, DuckDB): packages rows written as the worker
// writes them, and committed to a store as a snapshot commits them.
package datasetstest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// PackagesParquet writes rows as one packages Parquet file.
func PackagesParquet(t testing.TB, rows []datasets.PackageRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, datasets.Packages, datasets.ComparePackageRows, 0)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// CommitPackages commits rows as the packages partition p of st: staged,
// published with its manifest, the staged part removed.
func CommitPackages(t testing.TB, st store.Store, p datasets.Partition, rows []datasets.PackageRow) datasets.Manifest {
	t.Helper()
	data := PackagesParquet(t, rows)
	ctx := context.Background()
	key := datasets.StagingKey(datasets.Packages, p, "test")
	if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	d := datasets.NewDigest()
	d.Write(data)
	m, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: p,
		Parts: []datasets.StagedPart{{Key: key, Rows: int64(len(rows)), SHA256: d.SHA256()}}, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	return m
}

// RewriteManifest replaces the manifest of m's partition of table tb with
// m, as a test makes a manifest of an older version (one without hashes).
func RewriteManifest(t testing.TB, st store.Store, tb datasets.Table, m datasets.Manifest) {
	t.Helper()
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), tb.ManifestKey(m.Partition), bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

// CommitSnapshot commits the snapshots partition p of st as a snapshot's
// commit leaves it, one row per index (main for amd64 and arm64), its
// Release verified by signers (none: unverified).
func CommitSnapshot(t testing.TB, st store.Store, p datasets.Partition, signers ...string) {
	t.Helper()
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, datasets.Snapshots, datasets.CompareSnapshotRows, 0)
	for _, arch := range []string{"amd64", "arm64"} {
		if err := w.Write(&datasets.SnapshotRow{Origin: p.Distro, Codename: p.Release, SignedBy: signers, Component: "main",
			IndexArchitecture: arch, IndexPath: "main/binary-" + arch + "/Packages.xz"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := datasets.StagingKey(datasets.Snapshots, p, "test")
	if err := st.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
	if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Snapshots, Partition: p,
		Parts: []datasets.StagedPart{{Key: key, Rows: 2}}, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
}

// CommitRelease commits rows as snapshot p of st, whole: its packages
// partition, then its snapshots partition (which commits the snapshot),
// its Release verified by signers (none: unverified).
func CommitRelease(t testing.TB, st store.Store, p datasets.Partition, rows []datasets.PackageRow, signers ...string) {
	t.Helper()
	CommitPackages(t, st, p, rows)
	CommitSnapshot(t, st, p, signers...)
}
