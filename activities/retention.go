package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// Retention holds what the retention activity needs: the store it removes
// expired snapshots from.
type Retention struct {
	Store store.Store
}

// RetentionInput says which releases to apply a retention to, and as of
// when: a workflow has no clock, so it passes its own time (the nightly's
// logical date) and a retried attempt removes exactly what the first
// would have.
type RetentionInput struct {
	// Plan, when set, adds every release its nightly records name (see
	// NightlyReleases) to Releases: the releases the plan tracked on
	// earlier nights too, such as the one a suite alias named before it
	// moved on.
	Plan     string                 `json:"plan,omitempty"`
	Releases []datasets.ReleaseName `json:"releases,omitempty"`
	MaxAge   time.Duration          `json:"max_age"`
	Now      time.Time              `json:"now"`
	DryRun   bool                   `json:"dry_run,omitempty"`
}

// RetentionResult is what was removed and what was kept despite its age;
// the partitions, not their data (see datasets.RetentionReport).
type RetentionResult struct {
	Releases []datasets.ReleaseName `json:"releases"`
	datasets.RetentionReport
}

// ApplyRetention removes the snapshots of the releases that are older
// than the retention, as datasets.Retain does: each removal un-commits its
// snapshot before deleting a byte of it, and one that an earlier attempt
// left half-done is finished first, so the activity is safe to retry
// after a failure at any point. It heartbeats from its own goroutine, the
// progress naming the last removal and counting them.
//
// A request that cannot be applied (no retention, no date, a release name
// that is no partition value) fails as ErrTypeInvalid; a store object
// retention reads that does not decode — a manifest or an intent changed
// after it was written — as ErrTypeCorrupt, naming it: neither is retried.
func (r *Retention) ApplyRetention(ctx context.Context, in RetentionInput) (out RetentionResult, err error) {
	hb := startHeartbeat(ctx, "applying a retention of "+in.MaxAge.String())
	defer hb.finish(&err)
	if in.MaxAge <= 0 {
		return out, invalid(fmt.Errorf("retention: a retention of %s removes nothing: 0 keeps every snapshot", in.MaxAge))
	}
	if in.Now.IsZero() {
		return out, invalid(errors.New("retention: no date to count the retention back from"))
	}
	releases := slices.Clone(in.Releases)
	if in.Plan != "" {
		hb.report("reading the nightly records of plan " + in.Plan)
		named, err := NightlyReleases(ctx, r.Store, in.Plan)
		if err != nil {
			return out, err
		}
		releases = append(releases, named...)
	}
	releases = uniqueReleases(releases)
	for _, rel := range releases {
		if err := (datasets.Partition{Distro: rel.Distro, Release: rel.Release, Snapshot: "0"}).Validate(); err != nil {
			return out, invalid(fmt.Errorf("retention of %s: %w", rel, err))
		}
	}
	removed := int64(0)
	rep, err := datasets.Retain(ctx, r.Store, datasets.RetentionPolicy{Releases: releases, MaxAge: in.MaxAge, Now: in.Now, DryRun: in.DryRun},
		func(p datasets.Partition, table string) {
			removed++
			hb.report(fmt.Sprintf("removed %s of %s/%s/%s", table, p.Distro, p.Release, p.Snapshot))
			hb.rows(removed)
		})
	if errors.Is(err, datasets.ErrCorrupt) {
		return out, corrupt(err)
	}
	if err != nil {
		return out, err
	}
	return RetentionResult{Releases: releases, RetentionReport: rep}, nil
}

// uniqueReleases sorts releases and drops repeats.
func uniqueReleases(rs []datasets.ReleaseName) []datasets.ReleaseName {
	slices.SortFunc(rs, func(a, b datasets.ReleaseName) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(rs)
}

// maxRecordBytes bounds one nightly record as FindNightly does.
const maxRecordBytes = 64 << 20

// NightlyReleases is every release that the nightly records of plan name
// a snapshot of, sorted: what the plan has tracked, by the names its
// partitions have (a catalogue's source and suite — debian/testing — say
// which Release to fetch, not what it calls itself).
func NightlyReleases(ctx context.Context, st store.Store, plan string) ([]datasets.ReleaseName, error) {
	prefix := NightlyPrefix + "plan=" + plan + "/"
	objs, err := st.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	var out []datasets.ReleaseName
	for _, o := range objs {
		rc, err := st.Get(ctx, o.Key)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", o.Key, err)
		}
		var rec NightlyRecord
		err = json.NewDecoder(io.LimitReader(rc, maxRecordBytes)).Decode(&rec)
		rc.Close()
		if err != nil {
			return nil, corrupt(fmt.Errorf("nightly record %s: %w", o.Key, err))
		}
		for _, s := range rec.Snapshots {
			parts := strings.Split(s.Partition, "/")
			if len(parts) == 3 {
				out = append(out, datasets.ReleaseName{Distro: parts[0], Release: parts[1]})
			}
		}
	}
	return uniqueReleases(out), nil
}
