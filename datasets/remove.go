package datasets

import (
	"context"
	"fmt"

	"github.com/distroscope/distroscope/store"
)

// Remove deletes partition p of each of tables, the reverse of a commit:
// first every table's manifest, in the order given, then the partition's
// data objects. Pass the tables with the one whose manifest marks the
// whole commit first (Snapshots for a snapshot, PackageTrends for a trends
// state), so that the first deletion un-commits it for every reader: a
// removal interrupted at any point leaves either a committed partition
// whose data is all there, or an uncommitted one that a second Remove (or
// the janitor, for data objects) finishes. No data object is deleted while
// a manifest that lists it exists.
//
// Remove is idempotent; a partition that is already gone is no error.
func Remove(ctx context.Context, st store.Store, p Partition, tables ...Table) error {
	if err := p.Validate(); err != nil {
		return err
	}
	for _, t := range tables {
		if err := st.Delete(ctx, t.ManifestKey(p)); err != nil {
			return fmt.Errorf("datasets: un-commit %s: %w", t.ManifestKey(p), err)
		}
	}
	for _, t := range tables {
		objs, err := st.List(ctx, t.PartitionPrefix(p))
		if err != nil {
			return fmt.Errorf("datasets: remove %s: %w", t.PartitionPrefix(p), err)
		}
		for _, o := range objs {
			if err := st.Delete(ctx, o.Key); err != nil {
				return fmt.Errorf("datasets: remove %s: %w", o.Key, err)
			}
		}
	}
	return nil
}
