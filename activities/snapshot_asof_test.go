package activities_test

import (
	"testing"
	"time"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// TestSnapshotRecordsTheTimeItVerifiedAt snapshots the fixture twice into
// separate stores: as it is now, and as a backfill would, as of a date in
// the past. Each snapshots row says the time its Release was verified at:
// the resolve's clock, or the backfill's date — not the commit's.
func TestSnapshotRecordsTheTimeItVerifiedAt(t *testing.T) {
	resolvedAt := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	backfillDate := time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC) // after the fixture's Date, before its Valid-Until
	for _, tc := range []struct {
		name     string
		verifyAt time.Time
		want     time.Time
	}{
		{"now", time.Time{}, resolvedAt},
		{"backfill", backfillDate, backfillDate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, env, src, _ := setup(t, formatstest.Path(t, "repo"))
			src.VerifyAsOf = tc.verifyAt
			clock := resolvedAt
			a.Now = func() time.Time { return clock }
			v, err := env.ExecuteActivity(a.ResolveRelease, activities.ResolveInput{Source: src})
			if err != nil {
				t.Fatal(err)
			}
			var res activities.ResolveResult
			v.Get(&res)
			if !res.Resolved.VerifiedAsOf.Equal(tc.want) {
				t.Errorf("resolved as of %s, want %s", res.Resolved.VerifiedAsOf, tc.want)
			}
			var parts []activities.IngestResult
			for _, ix := range res.Resolved.Indexes {
				v, err := env.ExecuteActivity(a.IngestIndex, activities.IngestInput{Partition: res.Resolved.Partition, Index: ix})
				if err != nil {
					t.Fatal(err)
				}
				var r activities.IngestResult
				v.Get(&r)
				parts = append(parts, r)
			}
			clock = resolvedAt.Add(time.Hour) // the commit comes later
			if _, err := env.ExecuteActivity(a.CommitSnapshot, activities.CommitInput{Resolved: res.Resolved, Parts: parts}); err != nil {
				t.Fatal(err)
			}
			rows := readCommitted[datasets.SnapshotRow](t, a, datasets.Snapshots, res.Resolved.Partition)
			for _, r := range rows {
				if !r.VerifiedAsOf.Equal(tc.want) || !r.FetchedAt.Equal(clock) {
					t.Errorf("%s/%s: verified as of %s (want %s), fetched at %s", r.Component, r.IndexArchitecture, r.VerifiedAsOf, tc.want, r.FetchedAt)
				}
			}
		})
	}
}
