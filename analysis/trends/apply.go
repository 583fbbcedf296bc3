package trends

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/datasets"
)

// ErrStale is returned (wrapped) by Apply for a step whose state is
// already committed on other inputs: the release's snapshots changed
// since the plan was made, which has to be made again.
var ErrStale = errors.New("committed on other inputs than the step's")

// Apply computes and commits the state of step.Target from the state of
// step.Previous and the target's and peers' packages: package_history,
// then package_lag, then package_trends, whose manifest commits the
// state. Each manifest records the inputs (see Plan) and step.Run.
//
// Apply is idempotent: a state already committed on the same inputs is
// Reused; one committed on others fails with ErrStale. A state partly
// written by an Apply that stopped is completed when it was built on the
// same inputs, removed and written again otherwise. The same inputs
// always give byte-identical data objects.
//
// progress, when not nil, is told each phase as it starts (for
// heartbeats).
func (s Storage) Apply(ctx context.Context, step Step, progress func(phase string)) (Applied, error) {
	if progress == nil {
		progress = func(string) {}
	}
	p := step.Target
	if err := p.Validate(); err != nil {
		return Applied{}, fmt.Errorf("trends: %w", err)
	}
	date, err := snapshotDate(p.Snapshot)
	if err != nil {
		return Applied{}, err
	}
	var prev *datasets.Partition
	var prevIn *datasets.Input
	if step.Previous != "" {
		prev = &datasets.Partition{Distro: p.Distro, Release: p.Release, Snapshot: step.Previous}
		if _, ok, err := datasets.Committed(ctx, s.Store, datasets.PackageTrends, *prev); err != nil {
			return Applied{}, fmt.Errorf("trends: %w", err)
		} else if !ok {
			return Applied{}, fmt.Errorf("trends: the state %s builds on, %s: %w", partitionName(p), partitionName(*prev), ErrNotCommitted)
		}
		m, err := s.dataFile(ctx, datasets.PackageHistory, *prev)
		if err != nil {
			return Applied{}, err
		}
		in := inputOf(m.Files[0])
		prevIn = &in
	}
	inputs, err := s.inputs(ctx, p, prevIn, step.Peers)
	if err != nil {
		return Applied{}, err
	}
	if out, ok, err := s.committedState(ctx, p, inputs); err != nil || ok {
		return out, err
	}

	// The history and the lag are two independent computations over the
	// same snapshot: each reads its inputs and computes on a goroutine of
	// its own, so an update uses the machine's cores as a comparison does
	// (one core did the whole update in sequence, 3× a comparison's time).
	// Each reader recovers its own decoder's panics (readColumns).
	progress("reading and computing")
	cur, _, err := s.readEntries(ctx, p)
	if err != nil {
		return Applied{}, err
	}
	var (
		trend    datasets.PackageTrendRow
		histPart datasets.StagedPart
		lagRows  []datasets.PackageLagRow
		matched  int64
		lagInput = lagEntries(cur)
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var prevHistory *history
		if prev != nil {
			var err error
			if prevHistory, _, err = s.readHistory(gctx, *prev); err != nil {
				return err
			}
		}
		var err error
		histPart, err = stage(gctx, s, datasets.PackageHistory, p, "history", datasets.ComparePackageHistoryRows,
			func(write func(*datasets.PackageHistoryRow) error) (err error) {
				trend, err = advance(prevHistory, cur, snapshotAt{ID: p.Snapshot, Date: date}, write)
				return err
			})
		return err
	})
	g.Go(func() error {
		var prevLag []datasets.PackageLagRow
		if prev != nil {
			var err error
			if prevLag, err = readRows[datasets.PackageLagRow](gctx, s, datasets.PackageLag, *prev); err != nil {
				return err
			}
		}
		peers := make([]Peer, len(step.Peers))
		for i, q := range step.Peers {
			e, _, err := s.readEntries(gctx, q)
			if err != nil {
				return err
			}
			peers[i] = Peer{Partition: q, Packages: lagEntries(e)}
		}
		lagRows, matched = ComputeLag(date, lagInput, peers, prevLag, s.rules())
		return nil
	})
	if err := g.Wait(); err != nil {
		return Applied{}, err
	}
	trend.PreviousSnapshot = step.Previous
	trend.LogicalDate = step.LogicalDate
	trend.LagMatched, trend.LagOutdated = matched, int64(len(lagRows))
	for _, q := range step.Peers {
		trend.Peers = append(trend.Peers, partitionName(q))
	}
	lag, err := stage(ctx, s, datasets.PackageLag, p, "lag", datasets.ComparePackageLagRows, writeAll(lagRows))
	if err != nil {
		return Applied{}, err
	}
	trends, err := stage(ctx, s, datasets.PackageTrends, p, "trends",
		func(a, b *datasets.PackageTrendRow) int { return a.ReleaseDate.Compare(b.ReleaseDate) },
		writeAll([]datasets.PackageTrendRow{trend}))
	if err != nil {
		return Applied{}, err
	}

	progress("publishing")
	base := datasets.Manifest{Inputs: inputs, Producer: s.Producer, WorkflowID: step.Run.WorkflowID, RunID: step.Run.RunID}
	now := s.now()
	out := Applied{Partition: p, Trend: trend}
	for _, st := range []struct {
		table datasets.Table
		part  datasets.StagedPart
		rows  *int64
	}{{datasets.PackageHistory, histPart, &out.HistoryRows}, {datasets.PackageLag, lag, &out.LagRows}, {datasets.PackageTrends, trends, nil}} {
		m, err := datasets.Publish(ctx, s.Store, datasets.PublishInput{Table: st.table, Partition: p,
			Parts: []datasets.StagedPart{st.part}, Manifest: base, TempDir: s.TempDir, Now: now})
		if err != nil {
			return Applied{}, fmt.Errorf("trends: %w", err)
		}
		if st.rows != nil {
			*st.rows = m.Rows
		}
	}
	// The janitor removes what this misses.
	for _, part := range []datasets.StagedPart{histPart, lag, trends} {
		_ = s.Store.Delete(ctx, part.Key)
	}
	return out, nil
}

// committedState returns state p when it is committed on inputs. A state
// committed on others is ErrStale; one partly written on others is
// removed, so that Apply writes it whole.
func (s Storage) committedState(ctx context.Context, p datasets.Partition, inputs []datasets.Input) (Applied, bool, error) {
	ms := map[string]datasets.Manifest{}
	for _, t := range stateTables {
		m, ok, err := datasets.Committed(ctx, s.Store, t, p)
		if errors.Is(err, datasets.ErrCorrupt) {
			continue // as good as not there: written again
		}
		if err != nil {
			return Applied{}, false, fmt.Errorf("trends: %w", err)
		}
		if ok {
			ms[t.Name] = m
		}
	}
	if _, ok := ms[datasets.PackageTrends.Name]; !ok {
		for _, m := range ms {
			if !slices.Equal(m.Inputs, inputs) {
				return Applied{}, false, s.Remove(ctx, p)
			}
		}
		return Applied{}, false, nil
	}
	h, ok := ms[datasets.PackageHistory.Name]
	if !ok || !sameBase(h.Inputs, inputs) {
		return Applied{}, false, fmt.Errorf("trends: state %s: %w (plan again)", partitionName(p), ErrStale)
	}
	trend, err := s.readTrend(ctx, p)
	if err != nil {
		return Applied{}, false, err
	}
	return Applied{Partition: p, Trend: trend, Reused: true, HistoryRows: h.Rows, LagRows: ms[datasets.PackageLag.Name].Rows}, true, nil
}

// lagEntries are e's entries as the lag reads them: one per (package,
// version, source, format), whatever the index architectures.
func lagEntries(e *entries) []PackageVersion {
	out := make([]PackageVersion, e.n)
	for i := range e.n {
		out[i] = PackageVersion{Package: e.pkg.at(i), Source: e.sourceAt(i), Version: e.version.at(i), Format: e.format.at(i)}
	}
	slices.SortFunc(out, func(a, b PackageVersion) int {
		if c := strings.Compare(a.Package, b.Package); c != 0 {
			return c
		}
		if c := strings.Compare(a.Version, b.Version); c != 0 {
			return c
		}
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.Format, b.Format)
	})
	return slices.Compact(out)
}

func writeAll[T any](rows []T) func(write func(*T) error) error {
	return func(write func(*T) error) error {
		for i := range rows {
			if err := write(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// stage writes the rows fill hands it as one staged part of partition p
// of table t, streamed through a temp file (the writer holds a row group
// at a time), with the SHA-256 Publish checks it against.
func stage[T any](ctx context.Context, s Storage, t datasets.Table, p datasets.Partition, part string, cmp func(a, b *T) int, fill func(write func(*T) error) error) (datasets.StagedPart, error) {
	f, err := os.CreateTemp(s.TempDir, "distroscope-trends-*.parquet")
	if err != nil {
		return datasets.StagedPart{}, fmt.Errorf("trends: stage %s: %w", t.Name, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	written := datasets.NewDigest()
	w := datasets.NewWriter(io.MultiWriter(f, written), t, cmp, 0)
	var rows int64
	if err := fill(func(row *T) error { rows++; return w.Write(row) }); err != nil {
		return datasets.StagedPart{}, err
	}
	if err := w.Close(); err != nil {
		return datasets.StagedPart{}, fmt.Errorf("trends: stage %s: %w", t.Name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return datasets.StagedPart{}, fmt.Errorf("trends: stage %s: %w", t.Name, err)
	}
	key := datasets.StagingKey(t, p, part)
	if err := s.Store.Put(ctx, key, f, written.Size()); err != nil {
		return datasets.StagedPart{}, fmt.Errorf("trends: stage %s: %w", key, err)
	}
	return datasets.StagedPart{Key: key, Rows: rows, SHA256: written.SHA256()}, nil
}
