package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// ErrNotCommitted is returned (wrapped) by Load when the snapshot has no
// committed packages file: the request names something that is not there,
// and asking again will not change that.
var ErrNotCommitted = errors.New("no committed packages")

// Load reads the committed packages file of snapshot p, only the columns
// a comparison needs. A missing file is an error wrapping ErrNotCommitted,
// an unreadable one an error wrapping ErrCorrupt; both name the object.
func (s Storage) Load(ctx context.Context, p datasets.Partition) (*Snapshot, error) {
	key := datasets.Packages.DataKey(p)
	rc, err := s.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("compare: %w for %s/%s/%s (%s)", ErrNotCommitted, p.Distro, p.Release, p.Snapshot, key)
	}
	if err != nil {
		return nil, fmt.Errorf("compare: %s: %w", key, err)
	}
	defer rc.Close()
	// Parquet is read at random offsets: a local folder's object is read
	// in place (objects are replaced by rename, never rewritten, so the
	// open file stays what it was); an S3 object is spooled to a file.
	var ra io.ReaderAt
	var n int64
	if f, ok := rc.(localFile); ok {
		fi, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("compare: %s: %w", key, err)
		}
		ra, n = f, fi.Size()
	} else {
		f, err := os.CreateTemp(s.TempDir, "distroscope-compare-*.parquet")
		if err != nil {
			return nil, fmt.Errorf("compare: spool %s: %w", key, err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if n, err = io.Copy(f, rc); err != nil {
			return nil, fmt.Errorf("compare: spool %s: %w", key, err)
		}
		ra = f
	}
	snap, err := ReadSnapshot(ctx, ra, n)
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

// localFile is what a local folder's Get returns.
type localFile interface {
	io.ReaderAt
	Stat() (os.FileInfo, error)
}

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
