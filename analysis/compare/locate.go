package compare

import (
	"context"
	"sort"

	"github.com/distroscope/distroscope/datasets"
)

// Locate finds a committed snapshot by its names: distro and release, and
// the snapshot id, or the newest one when snapshot is empty. A snapshot is
// committed when its snapshots partition has a manifest: the snapshot
// commit publishes that table last.
func (s Storage) Locate(ctx context.Context, distro, release, snapshot string) (datasets.Partition, bool, error) {
	ms, err := datasets.ListManifests(ctx, s.Store, datasets.Snapshots)
	if err != nil {
		return datasets.Partition{}, false, err
	}
	var found []datasets.Partition
	for _, m := range ms {
		p := m.Partition
		if p.Distro == distro && p.Release == release && (snapshot == "" || p.Snapshot == snapshot) {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return datasets.Partition{}, false, nil
	}
	// Snapshot ids start with the Release's date: the last sorts newest.
	sort.Slice(found, func(i, j int) bool { return found[i].Snapshot < found[j].Snapshot })
	return found[len(found)-1], true, nil
}
