package trends

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
)

// Plan says what brings the trends of target up to date: the states to
// compute, in snapshot order, each on the one before, and the states to
// remove first.
//
// The snapshots are target's committed snapshots that its Trust accepts
// (as compare.Storage.Find takes them), in id order — ids start with the
// Release date. A committed state is valid when its package_history
// manifest records, among its inputs, the state it would be built on now
// (the previous snapshot's package_history object, by hash) and the
// snapshot's packages object (by hash). A snapshot inserted into the past
// (a backfill) changes the previous state of the one after it, so that
// state and every later one are stale: Plan lists them in Stale and
// computes them again, from the first snapshot without a valid state to
// the newest.
//
// Each step's peers are, for each of peers, its newest trusted committed
// snapshot dated on or before the end of the target's UTC day (a peer
// without one is left out). logical[snapshot id] is the step's
// LogicalDate; a stale state keeps the one its trend row had when logical
// has none.
func (s Storage) Plan(ctx context.Context, target Release, peers []Release, logical map[string]time.Time) (Plan, error) {
	written := map[string]bool{} // snapshots with a manifest of any state table
	committed := map[string]bool{}
	for _, t := range stateTables {
		ids, err := s.manifests(ctx, t, target.Distro, target.Release)
		if err != nil {
			return Plan{}, err
		}
		for _, id := range ids {
			written[id] = true
			committed[id] = committed[id] || t.Name == datasets.PackageTrends.Name
		}
	}
	snaps, err := s.trusted(ctx, target, committed)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Snapshots: len(snaps)}
	var prev *datasets.Input
	for _, p := range snaps {
		if !committed[p.Snapshot] {
			break
		}
		in, err := s.inputs(ctx, p, prev, nil)
		if err != nil {
			return Plan{}, err
		}
		hist, ok, err := s.validState(ctx, p, in, prev == nil)
		if err != nil {
			return Plan{}, err
		}
		if !ok {
			break
		}
		prev = &hist
		plan.UpToDate++
	}
	peerSnaps := make([][]datasets.Partition, len(peers))
	for i, r := range peers {
		if peerSnaps[i], err = s.trusted(ctx, r, nil); err != nil {
			return Plan{}, err
		}
	}
	for k := plan.UpToDate; k < len(snaps); k++ {
		p := snaps[k]
		step := Step{Target: p, LogicalDate: logical[p.Snapshot]}
		if k > 0 {
			step.Previous = snaps[k-1].Snapshot
		}
		if step.Peers, err = peersOf(p, peerSnaps); err != nil {
			return Plan{}, err
		}
		if written[p.Snapshot] {
			plan.Stale = append(plan.Stale, p)
			if step.LogicalDate.IsZero() && committed[p.Snapshot] {
				// What the old state knew of its night; unreadable, none.
				if row, err := s.readTrend(ctx, p); err == nil {
					step.LogicalDate = row.LogicalDate
				} else if ctx.Err() != nil {
					return Plan{}, ctx.Err()
				}
			}
		}
		plan.Steps = append(plan.Steps, step)
	}
	return plan, nil
}

// trusted lists the committed snapshots of r that r.Trust accepts, in id
// order. As compare.Storage.Find does, a snapshot whose snapshots file
// cannot be read counts as unverified.
//
// A snapshot with a committed trends state (stated) is taken as trusted
// without reading its signers again: the update that computed the state
// took it under the release's trust, and reading the snapshots file of
// every snapshot of a year's history was a quarter of an update's time.
// A snapshot that has none yet — the new one, or one a backfill inserted —
// is checked.
func (s Storage) trusted(ctx context.Context, r Release, stated map[string]bool) ([]datasets.Partition, error) {
	ids, err := s.manifests(ctx, datasets.Snapshots, r.Distro, r.Release)
	if err != nil {
		return nil, err
	}
	var out []datasets.Partition
	for _, id := range ids {
		p := datasets.Partition{Distro: r.Distro, Release: r.Release, Snapshot: id}
		if r.Trust != nil && !r.Trust.AllowUnverified && !stated[id] {
			signers, err := s.compare().SignedBy(ctx, p)
			if err != nil && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !r.Trust.Accepts(compare.Candidate{Partition: p, SignedBy: signers}.Verified()) {
				continue
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// manifests lists the snapshot ids of distro/release that have a manifest
// of table t, in id order.
func (s Storage) manifests(ctx context.Context, t datasets.Table, distro, release string) ([]string, error) {
	prefix := releasePrefix(t, distro, release)
	objs, err := s.Store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("trends: list %s: %w", prefix, err)
	}
	var ids []string
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, "/_manifest.json") {
			continue
		}
		p, ok := datasets.ParsePartitionPrefix(t, o.Key)
		if ok && p.Distro == distro && p.Release == release && t.ManifestKey(p) == o.Key {
			ids = append(ids, p.Snapshot)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// peersOf picks, of each peer's snapshots (in id order), the newest dated
// before the end of target's UTC day.
func peersOf(target datasets.Partition, peerSnaps [][]datasets.Partition) ([]datasets.Partition, error) {
	date, err := snapshotDate(target.Snapshot)
	if err != nil {
		return nil, err
	}
	end := date.Truncate(24 * time.Hour).Add(24 * time.Hour)
	var out []datasets.Partition
	for _, snaps := range peerSnaps {
		var pick *datasets.Partition
		for i := range snaps {
			d, err := snapshotDate(snaps[i].Snapshot)
			if err != nil {
				return nil, err
			}
			if !d.Before(end) {
				break
			}
			pick = &snaps[i]
		}
		if pick != nil {
			out = append(out, *pick)
		}
	}
	return out, nil
}

// inputs are what state p is built from, as its manifests record them:
// the previous state's package_history object (none for the first), p's
// packages object and the peers' packages objects, each with its size and
// SHA-256 as their manifests list them.
func (s Storage) inputs(ctx context.Context, p datasets.Partition, prev *datasets.Input, peers []datasets.Partition) ([]datasets.Input, error) {
	var out []datasets.Input
	if prev != nil {
		out = append(out, *prev)
	}
	for _, q := range append([]datasets.Partition{p}, peers...) {
		m, err := s.dataFile(ctx, datasets.Packages, q)
		if err != nil {
			return nil, err
		}
		out = append(out, inputOf(m.Files[0]))
	}
	return out, nil
}

func inputOf(f datasets.ManifestFile) datasets.Input {
	return datasets.Input{Path: f.Key, Size: f.Bytes, SHA256: f.SHA256}
}

// validState reports whether the committed state p was built on what in
// says (its previous state and p's packages; see inputs), and returns its
// package_history object as the next state's input. A state whose
// manifests cannot be read is not valid: it is computed again.
//
// The first snapshot of the series may have a state built on an older
// one's (first): retention removes a release's old snapshots and their
// superseded history, and the state of the oldest snapshot kept, which
// carries the history of everything before it, stays valid.
func (s Storage) validState(ctx context.Context, p datasets.Partition, in []datasets.Input, first bool) (datasets.Input, bool, error) {
	m, err := s.dataFile(ctx, datasets.PackageHistory, p)
	if errors.Is(err, ErrNotCommitted) || errors.Is(err, datasets.ErrCorrupt) {
		return datasets.Input{}, false, nil
	}
	if err != nil {
		return datasets.Input{}, false, err
	}
	recorded := m.Inputs
	if first {
		for len(recorded) > 0 && isHistory(recorded[0]) {
			recorded = recorded[1:]
		}
	}
	if !sameBase(recorded, in) {
		return datasets.Input{}, false, nil
	}
	return inputOf(m.Files[0]), true, nil
}

// isHistory tells a state's input that is a package_history object.
func isHistory(in datasets.Input) bool {
	return strings.HasPrefix(in.Path, datasets.PackageHistory.Prefix())
}

// sameBase reports whether recorded, a state's inputs, hold the same
// previous state and the same packages object of the state's own
// snapshot as want (whose first inputs are those; peers do not count: a
// state stays valid when a peer takes a new snapshot later that day).
func sameBase(recorded, want []datasets.Input) bool {
	// The previous state's object, if any, then the snapshot's own.
	base := func(ins []datasets.Input) []datasets.Input {
		for i, in := range ins {
			if !isHistory(in) {
				return ins[:i+1]
			}
		}
		return ins
	}
	return slices.Equal(base(recorded), base(want))
}
