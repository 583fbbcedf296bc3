package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/membudget"
	"github.com/distroscope/distroscope/store"
)

// Compare holds the dependencies of the comparison activities.
type Compare struct {
	Store    store.Store
	TempDir  string
	Producer string
	Now      func() time.Time
	// Rules map package names across distributions; nil means the
	// defaults shipped with distroscope.
	Rules *crossmap.Rules
	// Heap is the worker's heap budget, raised by a comparison's working
	// set while it runs; nil leaves the limit alone.
	Heap *membudget.Budget
}

// CompareWorkingSet is the live heap a comparison keeps for packages
// files of fileBytes together: bookworm and trixie (33 MB of Parquet) keep
// ~60 MB live through the comparison, the commit and the report.
func CompareWorkingSet(fileBytes int64) int64 { return 2 * fileBytes }

func (c *Compare) storage() compare.Storage {
	return compare.Storage{Store: c.Store, TempDir: c.TempDir, Producer: c.Producer, Now: c.Now}
}

// LocateInput names a snapshot: distro and release, and optionally the
// snapshot id (the newest committed one otherwise), and which snapshots of
// that name may be used.
type LocateInput struct {
	Distro, Release, Snapshot string
	// Trust, when set, takes only snapshots it accepts (compare.Find); nil,
	// in runs started before comparisons checked verification, takes any.
	Trust *compare.Trust `json:"trust,omitempty"`
}

// LocateResult is the committed snapshot found, if any, and how it was
// verified.
type LocateResult struct {
	Found     bool               `json:"found"`
	Partition datasets.Partition `json:"partition"`
	// Located says who verified it and which snapshots of the name the
	// trust passed over (also when none was found).
	Located compare.Located `json:"located"`
}

// LocateSnapshot finds a committed snapshot by its names. It runs as a
// local activity, inside the workflow task (see CompareWorkflow).
func (c *Compare) LocateSnapshot(ctx context.Context, in LocateInput) (LocateResult, error) {
	l, found, err := c.storage().Find(ctx, in.Distro, in.Release, in.Snapshot, in.Trust)
	return LocateResult{Found: found, Partition: l.Partition, Located: l}, interrupted(ctx, err)
}

// CompareInput names the two committed snapshots to compare.
type CompareInput struct {
	Old        datasets.Partition `json:"old"`
	New        datasets.Partition `json:"new"`
	WorkflowID string             `json:"workflow_id,omitempty"`
	RunID      string             `json:"run_id,omitempty"`
}

// CompareResult is where the comparison was committed, and its counts.
type CompareResult struct {
	Partition datasets.Partition         `json:"partition"`
	Summary   datasets.CompareSummaryRow `json:"summary"`
	Manifests []string                   `json:"manifests"`
	Reports   []string                   `json:"reports,omitempty"`
	Reused    bool                       `json:"reused"`
	// Old and New are the snapshots compared, how each was verified and
	// what was passed over to get them: CompareWorkflow fills them in, so
	// that no comparison uses a snapshot without saying whose it is.
	Old compare.Located `json:"old,omitzero"`
	New compare.Located `json:"new,omitzero"`
}

func resultOf(p compare.Published, reused bool) CompareResult {
	return CompareResult{Partition: p.Partition, Summary: p.Summary, Manifests: p.Manifests, Reports: p.Reports, Reused: reused}
}

// CompareSnapshots compares two committed snapshots and commits the
// comparison with its report (compare.Storage), or reports the one already
// committed. Within one distribution versions are ordered by the
// ecosystem's exact comparator; across distributions names are mapped by
// the rules and versions compared by their normalised upstream part. Bad
// input — a snapshot that is not committed, no architecture in common, a
// corrupt packages file — fails without retries and commits nothing.
func (c *Compare) CompareSnapshots(ctx context.Context, in CompareInput) (out CompareResult, err error) {
	p := datasets.ComparePartition(in.Old, in.New)
	if err := p.Validate(); err != nil {
		return out, invalid(err)
	}
	hb := startHeartbeat(ctx, "checking "+p.Snapshot)
	defer hb.finish(&err)
	st := c.storage()
	done, ok, err := st.Committed(ctx, p)
	if errors.Is(err, compare.ErrCorrupt) {
		// Read again, the same bytes: retrying cannot help.
		return out, corrupt(err)
	}
	if err != nil {
		return out, err
	}
	if ok {
		return resultOf(done, true), nil
	}
	if size, err := st.InputBytes(ctx, in.Old, in.New); err == nil {
		defer c.Heap.Reserve(CompareWorkingSet(size))()
	}
	phase := newPhases()
	hb.report("reading")
	old, nw, err := st.LoadBoth(ctx, in.Old, in.New)
	switch {
	case errors.Is(err, compare.ErrNotCommitted):
		return out, invalid(err)
	case errors.Is(err, compare.ErrCorrupt):
		return out, corrupt(err)
	case err != nil:
		return out, err
	}
	phase.done("read")
	hb.report("comparing")
	res, err := c.compare(old, nw, compare.Options{Old: in.Old, New: in.New})
	if err != nil {
		return out, invalid(err)
	}
	phase.done("compare")
	hb.report("committing")
	pub, err := st.Commit(ctx, compare.Run{Old: in.Old, New: in.New, WorkflowID: in.WorkflowID, RunID: in.RunID}, res)
	if err != nil {
		return out, err
	}
	phase.done("commit")
	activity.GetLogger(ctx).Info("comparison committed", append([]any{"partition", p.Distro + "/" + p.Release + "/" + p.Snapshot,
		"upgraded", res.Summary.Upgraded, "added", res.Summary.Added, "removed", res.Summary.Removed}, phase.keyvals()...)...)
	return resultOf(pub, false), nil
}

// compare orders versions exactly within one distribution and, across
// distributions, maps names by rules and compares normalised upstream
// versions.
func (c *Compare) compare(old, nw *compare.Snapshot, opts compare.Options) (compare.Result, error) {
	if opts.Old.Distro == opts.New.Distro {
		res, err := compare.Compare(old, nw, opts)
		if !errors.Is(err, compare.ErrCrossDistro) {
			return res, err
		}
	}
	rules := c.Rules
	if rules == nil {
		rules = crossmap.DefaultRules()
	}
	return crossmap.Compare(old, nw, rules, opts)
}

// phases times the steps of an activity for its log line, so a slow run
// says where its time went.
type phases struct {
	last time.Time
	kv   []any
}

func newPhases() *phases { return &phases{last: time.Now()} }

func (p *phases) done(name string) {
	now := time.Now()
	p.kv = append(p.kv, name+"_ms", now.Sub(p.last).Milliseconds())
	p.last = now
}

func (p *phases) keyvals() []any { return p.kv }
