package compare

import (
	"time"

	"github.com/distroscope/distroscope/store"
)

// Storage is where comparisons read committed snapshots from and commit
// their own datasets and report to: the comparison's side of the dataset
// layout, in one place, so the activity that runs a comparison only adds
// Temporal's concerns (heartbeats, error classification, the heap budget).
type Storage struct {
	Store store.Store
	// TempDir holds an S3 object spooled to be read at random offsets,
	// and the Parquet files being staged ("" is the system's).
	TempDir string
	// Producer names this build in manifests ("distroscope 0.1.0").
	Producer string
	// Now is the clock of CommittedAt (time.Now when nil); tests pin it.
	Now func() time.Time
}

func (s Storage) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
