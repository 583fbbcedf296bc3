package trends

import (
	"context"
	"fmt"
	"time"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// Storage is where trends read committed snapshots and states from and
// commit new states to, as compare.Storage is for comparisons.
type Storage struct {
	Store store.Store
	// TempDir holds objects spooled to be read at random offsets and the
	// Parquet files being staged ("" is the system's).
	TempDir string
	// Producer names this build in manifests ("distroscope 0.1.0").
	Producer string
	// Now is the clock of CommittedAt (time.Now when nil); tests pin it.
	Now func() time.Time
	// Rules map package names to projects across distributions for the
	// lag (nil: crossmap.DefaultRules()).
	Rules *crossmap.Rules
}

func (s Storage) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s Storage) rules() *crossmap.Rules {
	if s.Rules != nil {
		return s.Rules
	}
	return crossmap.DefaultRules()
}

// compare is the comparison side of the same store, whose snapshot
// listing and verification trends share.
func (s Storage) compare() compare.Storage {
	return compare.Storage{Store: s.Store, TempDir: s.TempDir, Producer: s.Producer, Now: s.Now}
}

// Release names a tracked release and which of its snapshots may be used.
type Release struct {
	Distro  string         `json:"distro"`
	Release string         `json:"release"`
	Trust   *compare.Trust `json:"trust,omitempty"`
}

func (r Release) String() string { return r.Distro + "/" + r.Release }

// Step computes one state.
type Step struct {
	// Target is the snapshot whose state this step commits.
	Target datasets.Partition `json:"target"`
	// Previous is the snapshot id of the state it builds on ("" for the
	// first snapshot of the release).
	Previous string `json:"previous,omitempty"`
	// Peers are the peer snapshots the lag is computed against.
	Peers       []datasets.Partition `json:"peers,omitempty"`
	LogicalDate time.Time            `json:"logical_date,omitzero"`
	// Run is the workflow run that commits the state, which its manifests
	// record (empty outside one).
	Run Run `json:"run,omitzero"`
}

// Run identifies the workflow run that commits a state.
type Run struct {
	WorkflowID string `json:"workflow_id,omitempty"`
	RunID      string `json:"run_id,omitempty"`
}

// Plan is what brings a release's trends up to date.
type Plan struct {
	// Steps are the states to compute, in snapshot order.
	Steps []Step `json:"steps"`
	// Stale are states (committed, or partly written) to Remove before
	// the steps run: they were built on a history that has changed since.
	Stale []datasets.Partition `json:"stale,omitempty"`
	// Snapshots counts the trusted committed snapshots of the release;
	// UpToDate those of them with a valid committed state.
	Snapshots int `json:"snapshots"`
	UpToDate  int `json:"up_to_date"`
}

// Applied is one state committed (or found committed) by Apply.
type Applied struct {
	Partition datasets.Partition       `json:"partition"`
	Trend     datasets.PackageTrendRow `json:"trend"`
	// Reused is true when the state was already committed.
	Reused      bool  `json:"reused"`
	HistoryRows int64 `json:"history_rows"`
	LagRows     int64 `json:"lag_rows"`
}

// Point is one committed package_trends row and the state it belongs to.
type Point struct {
	Partition datasets.Partition       `json:"partition"`
	Row       datasets.PackageTrendRow `json:"row"`
}

// stateTables are a state's tables in the order Remove takes them: the
// package_trends manifest first un-commits the state for every reader.
var stateTables = []datasets.Table{datasets.PackageTrends, datasets.PackageLag, datasets.PackageHistory}

// Remove deletes the trends state p: its package_trends manifest first,
// then the others, then their data (datasets.Remove). Idempotent.
func (s Storage) Remove(ctx context.Context, p datasets.Partition) error {
	if err := datasets.Remove(ctx, s.Store, p, stateTables...); err != nil {
		return fmt.Errorf("trends: remove %s: %w", partitionName(p), err)
	}
	return nil
}

// partitionName is "distro/release/snapshot", as package_trends' peers
// column names snapshots.
func partitionName(p datasets.Partition) string { return p.Distro + "/" + p.Release + "/" + p.Snapshot }

// releasePrefix is the folder of a release's partitions of table t.
func releasePrefix(t datasets.Table, distro, release string) string {
	return t.Prefix() + "distro=" + distro + "/release=" + release + "/"
}

// snapshotDate is the Release date a snapshot id starts with
// (datasets.SnapshotID).
func snapshotDate(id string) (time.Time, error) {
	const layout = "20060102T150405Z"
	if len(id) < len(layout) {
		return time.Time{}, fmt.Errorf("trends: snapshot id %q does not start with a date", id)
	}
	t, err := time.Parse(layout, id[:len(layout)])
	if err != nil {
		return time.Time{}, fmt.Errorf("trends: snapshot id %q does not start with a date: %w", id, err)
	}
	return t.UTC(), nil
}
