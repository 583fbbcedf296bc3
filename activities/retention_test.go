package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store/localfs"
)

// TestApplyRetention: the releases come from the input and from the
// plan's nightly records; each keeps its newest snapshot, and what is
// older than the retention goes.
func TestApplyRetention(t *testing.T) {
	ctx := context.Background()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	commit := func(release, snapshot string) datasets.Partition {
		p := datasets.Partition{Distro: "debian", Release: release, Snapshot: snapshot}
		datasetstest.CommitPackages(t, st, p, []datasets.PackageRow{{Package: "hello", IndexArchitecture: "amd64", Version: "1"}})
		datasetstest.CommitSnapshot(t, st, p)
		return p
	}
	oldBookworm := commit("bookworm", "20260101T000000Z-aaaaaaaaaaaa")
	commit("bookworm", "20261201T000000Z-bbbbbbbbbbbb")
	oldTrixie := commit("trixie", "20260101T000000Z-cccccccccccc")
	newestTrixie := commit("trixie", "20260201T000000Z-dddddddddddd")
	commit("sid", "20250101T000000Z-eeeeeeeeeeee")
	commit("sid", "20250201T000000Z-ffffffffffff") // sid is in neither: both stay

	rec, _ := json.Marshal(activities.NightlyRecord{Plan: "nightly", Snapshots: []activities.Outcome{
		{Name: "debian/trixie", Status: activities.StatusDone, Partition: "debian/trixie/" + newestTrixie.Snapshot},
		{Name: "debian/forky", Status: activities.StatusFailed}}})
	key := activities.NightlyKey("nightly", time.Date(2026, 12, 6, 2, 30, 0, 0, time.UTC))
	if err := st.Put(ctx, key, bytes.NewReader(rec), int64(len(rec))); err != nil {
		t.Fatal(err)
	}

	a := &activities.Retention{Store: st}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.ApplyRetention, activities.RetentionInput{Plan: "nightly",
		Releases: []datasets.ReleaseName{{Distro: "debian", Release: "bookworm"}},
		MaxAge:   30 * 24 * time.Hour, Now: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.RetentionResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range res.Removed {
		got = append(got, it.Table+" "+it.Partition.Release+"/"+it.Partition.Snapshot)
	}
	want := []string{"snapshots bookworm/" + oldBookworm.Snapshot, "packages bookworm/" + oldBookworm.Snapshot,
		"snapshots trixie/" + oldTrixie.Snapshot, "packages trixie/" + oldTrixie.Snapshot}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("removed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Kept) != 1 || res.Kept[0].Partition != newestTrixie || res.Young != 1 || len(res.Releases) != 2 {
		t.Errorf("kept %v, %d young, releases %v; want trixie's newest kept, bookworm's young one counted, two releases", res.Kept, res.Young, res.Releases)
	}
	for _, p := range []datasets.Partition{oldBookworm, oldTrixie} {
		if _, ok, _ := datasets.Committed(ctx, st, datasets.Snapshots, p); ok {
			t.Errorf("%v is still committed", p)
		}
	}
	if ms, _ := datasets.ListManifests(ctx, st, datasets.Snapshots); len(ms) != 4 {
		t.Errorf("%d snapshots committed after retention, want 4", len(ms))
	}
}

// TestApplyRetentionRefuses: a request that cannot be applied, and a store
// whose retention intent does not decode, fail for good with their types.
func TestApplyRetentionRefuses(t *testing.T) {
	ctx := context.Background()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bad := []byte("{not json")
	if err := st.Put(ctx, datasets.RetentionPrefix+"debian/trixie/20260101T000000Z-aaaaaaaaaaaa/snapshots.json", bytes.NewReader(bad), int64(len(bad))); err != nil {
		t.Fatal(err)
	}
	a := &activities.Retention{Store: st}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	trixie := []datasets.ReleaseName{{Distro: "debian", Release: "trixie"}}
	for _, c := range []struct {
		name     string
		in       activities.RetentionInput
		errType  string
		mentions string
	}{
		{"no retention", activities.RetentionInput{Releases: trixie, Now: now}, activities.ErrTypeInvalid, "keeps every snapshot"},
		{"no date", activities.RetentionInput{Releases: trixie, MaxAge: time.Hour}, activities.ErrTypeInvalid, "no date"},
		{"bad release", activities.RetentionInput{Releases: []datasets.ReleaseName{{Distro: "debian", Release: "../x"}}, MaxAge: time.Hour, Now: now},
			activities.ErrTypeInvalid, "../x"},
		{"corrupt intent", activities.RetentionInput{Releases: trixie, MaxAge: time.Hour, Now: now}, activities.ErrTypeCorrupt, "snapshots.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			env.RegisterActivity(a)
			_, err := env.ExecuteActivity(a.ApplyRetention, c.in)
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != c.errType || !strings.Contains(ae.Error(), c.mentions) {
				t.Errorf("got %v, want a final %s failure naming %q", err, c.errType, c.mentions)
			}
		})
	}
}
