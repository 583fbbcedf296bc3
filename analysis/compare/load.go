package compare

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/datasets"
)

// ErrNotCommitted is returned (wrapped) by Load when the snapshot has no
// committed packages file: the request names something that is not there,
// and asking again will not change that.
var ErrNotCommitted = errors.New("no committed packages")

// Load reads the committed packages file of snapshot p, only the columns
// a comparison needs, after checking it against its manifest (its size,
// and its SHA-256 unless the manifest predates them: see
// datasets.OpenFile). A snapshot without a packages manifest is an error
// wrapping ErrNotCommitted; a file that fails the check, or that Arrow
// cannot decode, an error wrapping ErrCorrupt; both name the object.
func (s Storage) Load(ctx context.Context, p datasets.Partition) (*Snapshot, error) {
	key := datasets.Packages.DataKey(p)
	m, ok, err := datasets.Committed(ctx, s.Store, datasets.Packages, p)
	if err != nil {
		return nil, loadError(err)
	}
	if !ok {
		return nil, fmt.Errorf("compare: %w for %s/%s/%s (%s)", ErrNotCommitted, p.Distro, p.Release, p.Snapshot, key)
	}
	if len(m.Files) != 1 || m.Files[0].Key != key {
		return nil, fmt.Errorf("compare: %s: %w: its manifest does not list it alone (%d files)", key, ErrCorrupt, len(m.Files))
	}
	f, err := datasets.OpenFile(ctx, s.Store, m.Files[0], s.TempDir)
	if err != nil {
		return nil, loadError(err)
	}
	defer f.Close()
	snap, err := ReadSnapshot(ctx, f, f.Size())
	if err != nil {
		if ctx.Err() != nil {
			// Stopped, not corrupt: the caller may try again.
			return nil, fmt.Errorf("compare: %s: %w", key, context.Cause(ctx))
		}
		if !errors.Is(err, ErrCorrupt) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return nil, fmt.Errorf("compare: %s: %w", key, err)
	}
	return snap, nil
}

// loadError is a failure of the datasets layer to read a committed
// object. One wrapping datasets.ErrCorrupt — a data object or manifest
// that is not what was committed — is ErrCorrupt too, which is what
// callers of Load branch on; its message is the datasets layer's, which
// names the object and says what differs.
func loadError(err error) error {
	if errors.Is(err, datasets.ErrCorrupt) {
		return corruptObject{fmt.Errorf("compare: %w", err)}
	}
	return fmt.Errorf("compare: %w", err)
}

func loadErrorOrNil(err error) error {
	if err == nil {
		return nil
	}
	return loadError(err)
}

// corruptObject is an error of the datasets layer wrapping
// datasets.ErrCorrupt that is also this package's ErrCorrupt.
type corruptObject struct{ err error }

func (e corruptObject) Error() string        { return e.err.Error() }
func (e corruptObject) Unwrap() error        { return e.err }
func (e corruptObject) Is(target error) bool { return target == ErrCorrupt }

// LoadBoth loads both sides at once: reading is decompression and
// decoding, which one snapshot alone does not spread over every core.
func (s Storage) LoadBoth(ctx context.Context, old, new datasets.Partition) (o, n *Snapshot, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { o, err = s.Load(gctx, old); return err })
	g.Go(func() (err error) { n, err = s.Load(gctx, new); return err })
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return o, n, nil
}

// InputBytes is the size of the packages files of the snapshots ps: what
// a comparison's working set is sized from.
func (s Storage) InputBytes(ctx context.Context, ps ...datasets.Partition) (int64, error) {
	var n int64
	for _, p := range ps {
		info, err := s.Store.Stat(ctx, datasets.Packages.DataKey(p))
		if err != nil {
			return 0, fmt.Errorf("compare: %w", err)
		}
		n += info.Size
	}
	return n, nil
}
