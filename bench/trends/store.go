package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store/localfs"
)

// benchKey is the "fingerprint" the synthetic snapshots are signed by in
// their snapshots rows; the trends trust it (and the real sid's signers).
var benchKey = strings.ToUpper(hexOf("distroscope bench/trends synthetic key")[:40])

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// history is the cached store of the synthetic year: days 1..days-1 made
// by walking back from the real sid index, which is day days; one peer
// snapshot; the trends states of days 1..days-1. Day days is committed
// but its state is not: that is the update the bench measures.
type history struct {
	dir    string // the folder store
	sid    realSid
	days   int
	seed   uint64
	target trends.Release
	peers  []trends.Release
	newest datasets.Partition // day days, the real index
	// churn is each day's generated churn (index 0 is day 1, which has
	// none: it is where the history starts).
	churn []dayChurn
}

// dayDate is day d's Release date: the real index's, d−days days before.
func (h *history) dayDate(d int) time.Time {
	return h.sid.Sides[0].Snapshot.ReleaseDate.Add(-time.Duration(h.days-d) * 24 * time.Hour)
}

func (h *history) cacheKey() string {
	return fmt.Sprintf("generator v%d seed=%d days=%d sid=%s/%s/%s", generatorVersion, h.seed, h.days,
		h.sid.Partition.Distro, h.sid.Partition.Release, h.sid.Partition.Snapshot)
}

// build makes the store unless the cache holds it complete for the same
// generator, seed, days and sid index; a build interrupted half-way is
// resumed (commits and trends states are idempotent).
func (h *history) build(ctx context.Context, tmp string) error {
	keyFile, doneFile := h.dir+".key", h.dir+".complete"
	key := h.cacheKey()
	if b, err := os.ReadFile(keyFile); err != nil || string(b) != key {
		os.RemoveAll(h.dir)
		os.Remove(doneFile)
		if err := os.MkdirAll(filepath.Dir(h.dir), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(keyFile, []byte(key), 0o644); err != nil {
			return err
		}
	}
	st, err := localfs.New(h.dir)
	if err != nil {
		return err
	}
	defer st.Close()
	real, err := h.sid.rows()
	if err != nil {
		return err
	}
	h.churn = make([]dayChurn, h.days)
	churnFile := h.dir + ".churn.json"
	if _, err := os.Stat(doneFile); err == nil {
		if b, err := os.ReadFile(churnFile); err == nil && json.Unmarshal(b, &h.churn) == nil && len(h.churn) == h.days {
			return nil
		}
	}

	start := time.Now()
	fmt.Printf("building the synthetic year (%d daily snapshots of %s, %d rows on day %d) into %s\n",
		h.days-1, h.sid.Partition.Release, len(real), h.days, h.dir)
	// The peer, dated just before day 1 so that every day's lag has it.
	peer, ahead := peerRows(real, h.seed)
	pp := h.peers[0]
	peerPart := datasets.Partition{Distro: pp.Distro, Release: pp.Release,
		Snapshot: datasets.SnapshotID(h.dayDate(1).Add(-time.Hour), hexOf("peer"))}
	if err := h.commitDay(ctx, st, tmp, peerPart, peer, h.dayDate(1).Add(-time.Hour)); err != nil {
		return err
	}
	fmt.Printf("  peer %s/%s/%s: %d rows, %d sources at a newer upstream version\n", peerPart.Distro, peerPart.Release,
		peerPart.Snapshot, len(peer), ahead)
	// Days are made one after the other, each from the next, and written
	// two at a time (each day's rows are its own copy).
	var g errgroup.Group
	g.SetLimit(2)
	err = h.walk(real, func(d int, rows []datasets.PackageRow) error {
		if d == h.days {
			return nil // committed after the states: the update measured
		}
		g.Go(func() error {
			if err := h.commitDay(ctx, st, tmp, h.dayPartition(d), rows, h.dayDate(d)); err != nil {
				return fmt.Errorf("day %d: %w", d, err)
			}
			if d%25 == 0 || d == 1 {
				fmt.Printf("  day %3d committed (%d rows) — %s\n", d, len(rows), time.Since(start).Round(time.Second))
			}
			return nil
		})
		return nil
	})
	if err := cmpErr(err, g.Wait()); err != nil {
		return err
	}

	ts := trends.Storage{Store: st, TempDir: tmp, Producer: "distroscope bench/trends"}
	plan, err := ts.Plan(ctx, h.target, h.peers, nil)
	if err != nil {
		return fmt.Errorf("plan the history's trends: %w", err)
	}
	for _, p := range plan.Stale {
		if err := ts.Remove(ctx, p); err != nil {
			return err
		}
	}
	fmt.Printf("  trends states: %d to compute (%d snapshots, %d up to date)\n", len(plan.Steps), plan.Snapshots, plan.UpToDate)
	for i, step := range plan.Steps {
		a, err := ts.Apply(ctx, step, nil)
		if err != nil {
			return fmt.Errorf("trends of %s: %w", step.Target.Snapshot, err)
		}
		if (i+1)%25 == 0 || i == len(plan.Steps)-1 {
			fmt.Printf("  state %d/%d (%s): %d history rows, %d outdated — %s\n", i+1, len(plan.Steps), step.Target.Snapshot,
				a.HistoryRows, a.Trend.LagOutdated, time.Since(start).Round(time.Second))
		}
	}
	if err := h.commitDay(ctx, st, tmp, h.newest, real, h.dayDate(h.days)); err != nil {
		return fmt.Errorf("day %d: %w", h.days, err)
	}
	fmt.Printf("built in %s\n", time.Since(start).Round(time.Second))
	b, err := json.Marshal(h.churn)
	if err != nil {
		return err
	}
	if err := os.WriteFile(churnFile, b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(doneFile, []byte(key), 0o644)
}

// walk calls f with each day's rows, from the real index (day days) back
// to day 1, recording each day's churn.
func (h *history) walk(real []datasets.PackageRow, f func(d int, rows []datasets.PackageRow) error) error {
	rows := real
	for d := h.days; d >= 1; d-- {
		if err := f(d, rows); err != nil {
			return err
		}
		if d > 1 {
			rng := rand.New(rand.NewPCG(h.seed, uint64(d)))
			rows, h.churn[d-1] = stepBack(rows, d, rng)
		}
	}
	return nil
}

// dayPartition is day d's snapshot: the real one for the last day, a
// synthetic Release's id, one day apart, for the others.
func (h *history) dayPartition(d int) datasets.Partition {
	if d == h.days {
		return h.newest
	}
	return datasets.Partition{Distro: h.sid.Partition.Distro, Release: h.sid.Partition.Release,
		Snapshot: datasets.SnapshotID(h.dayDate(d), hexOf(fmt.Sprintf("synthetic %s day %d seed %d", h.sid.Partition.Release, d, h.seed)))}
}

// commitDay commits rows as snapshot p, as a snapshot's commit leaves it:
// the packages partition, then the snapshots partition (one row, the
// Release's as the real index has it, dated date and signed by benchKey
// unless p is the real snapshot). Already committed: nothing is written.
func (h *history) commitDay(ctx context.Context, st *localfs.Store, tmp string, p datasets.Partition, rows []datasets.PackageRow, date time.Time) error {
	if _, ok, err := datasets.Committed(ctx, st, datasets.Snapshots, p); err != nil || ok {
		return err
	}
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, datasets.Packages, datasets.ComparePackageRows, 0)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := publish(ctx, st, tmp, datasets.Packages, p, buf.Bytes(), int64(len(rows))); err != nil {
		return err
	}
	snap := h.sid.Sides[0].Snapshot
	if p != h.newest {
		snap.ReleaseDate, snap.FetchedAt = date, date
		snap.ReleaseSHA256 = hexOf(p.Distro + "/" + p.Release + "/" + p.Snapshot)
		snap.SignedBy = []string{benchKey}
		snap.ValidUntil = date.Add(7 * 24 * time.Hour)
		snap.IndexSHA256 = hexOf("index " + snap.ReleaseSHA256)
		snap.Origin, snap.Label, snap.Codename = p.Distro, p.Distro, p.Release
	}
	snap.Rows = int64(len(rows))
	return publishSnapshotRow(ctx, st, tmp, p, snap)
}

// publishSnapshotRow commits the snapshots partition p: one index's row.
func publishSnapshotRow(ctx context.Context, st *localfs.Store, tmp string, p datasets.Partition, row datasets.SnapshotRow) error {
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, datasets.Snapshots, datasets.CompareSnapshotRows, 0)
	if err := w.Write(&row); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return publish(ctx, st, tmp, datasets.Snapshots, p, buf.Bytes(), 1)
}

// publish stages data and commits it as partition p of table t.
func publish(ctx context.Context, st *localfs.Store, tmp string, t datasets.Table, p datasets.Partition, data []byte, rows int64) error {
	key := datasets.StagingKey(t, p, "bench")
	if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return err
	}
	d := datasets.NewDigest()
	d.Write(data)
	if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: t, Partition: p, TempDir: tmp,
		Parts: []datasets.StagedPart{{Key: key, Rows: rows, SHA256: d.SHA256()}}}); err != nil {
		return fmt.Errorf("publish %s of %s/%s/%s: %w", t.Name, p.Distro, p.Release, p.Snapshot, err)
	}
	return st.Delete(ctx, key)
}

// trust is what the trends take of the bench's snapshots: the synthetic
// ones' key and the real sid's signers.
func trust(sid realSid) *compare.Trust {
	return &compare.Trust{Keys: append([]string{benchKey}, sid.Sides[0].Snapshot.SignedBy...), By: "bench/trends"}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
