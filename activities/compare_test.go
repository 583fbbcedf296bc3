package activities_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
)

var (
	oldPart = datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260101T000000Z-aaaaaaaaaaaa"}
	newPart = datasets.Partition{Distro: "debian", Release: "bookworm-updates", Snapshot: "20260202T000000Z-bbbbbbbbbbbb"}
)

// parsePackages reads a Packages fixture as the apt source does, into
// the given index architecture.
func parsePackages(t *testing.T, path, arch string) []datasets.PackageRow {
	return formatstest.ParsePackages(t, path, "main", arch)
}

func compareSetup(t *testing.T) (*activities.Compare, *testsuite.TestActivityEnvironment, store.Store) {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := &activities.Compare{Store: st, TempDir: t.TempDir(), Producer: "test"}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return a, env, st
}

// compareOK runs CompareSnapshots on oldPart and newPart, which must
// succeed, and returns its result.
func compareOK(t *testing.T, env *testsuite.TestActivityEnvironment, a *activities.Compare) activities.CompareResult {
	t.Helper()
	v, err := env.ExecuteActivity(a.CompareSnapshots, activities.CompareInput{Old: oldPart, New: newPart})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.CompareResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// comparisonObjects lists what a comparison writes: its three datasets
// and its reports.
func comparisonObjects(t *testing.T, st store.Store) []string {
	t.Helper()
	var keys []string
	for _, prefix := range []string{datasets.PackageChanges.Name + "/", datasets.SourceChanges.Name + "/",
		datasets.CompareSummaries.Name + "/", "reports/"} {
		objs, err := st.List(context.Background(), prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			keys = append(keys, o.Key)
		}
	}
	return keys
}

func TestCompareSnapshotsCommitsDatasetsAndReports(t *testing.T) {
	a, env, st := compareSetup(t)
	datasetstest.CommitPackages(t, st, oldPart, parsePackages(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages", "amd64"))
	datasetstest.CommitPackages(t, st, newPart, parsePackages(t, "../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages", "amd64"))
	res := compareOK(t, env, a)
	ctx := context.Background()
	for _, tb := range []datasets.Table{datasets.PackageChanges, datasets.SourceChanges, datasets.CompareSummaries} {
		m, ok, err := datasets.Committed(ctx, st, tb, res.Partition)
		if err != nil || !ok || m.Rows == 0 {
			t.Errorf("%s: committed %v, %+v, %v", tb.Name, ok, m, err)
		}
	}
	if len(res.Manifests) != 3 || len(res.Reports) != 2 {
		t.Errorf("result lists manifests %q and reports %q", res.Manifests, res.Reports)
	}
	// Every CSV table sits beside the reports; nothing stays staged.
	objs := comparisonObjects(t, st)
	csvs := 0
	for _, k := range objs {
		if strings.Contains(k, "/csv/") && strings.HasSuffix(k, ".csv") {
			csvs++
		}
	}
	if csvs < 8 {
		t.Errorf("%d CSV files among %q", csvs, objs)
	}
	if staged, _ := st.List(ctx, "_staging/"); len(staged) != 0 {
		t.Errorf("staging left behind: %+v", staged)
	}
	// The summary counts every package_changes row.
	s := res.Summary
	m, _, _ := datasets.Committed(ctx, st, datasets.PackageChanges, res.Partition)
	if s.Added+s.Removed+s.Upgraded+s.Downgraded+s.Same != m.Rows {
		t.Errorf("summary %+v does not count the %d rows", s, m.Rows)
	}
	// A second call reuses the committed comparison.
	again := compareOK(t, env, a)
	if !again.Reused || again.Summary != s || len(again.Reports) != 2 {
		t.Errorf("second call = %+v, want the first reused", again)
	}
}

// TestCompareSnapshotsBadInput: each bad input fails with a non-retryable
// error naming what was wrong, and commits nothing.
func TestCompareSnapshotsBadInput(t *testing.T) {
	main := parsePackages(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages", "amd64")
	arm := parsePackages(t, "../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages", "arm64")
	for _, tc := range []struct {
		name     string
		prepare  func(t *testing.T, st store.Store)
		wantType string
		wantText []string
	}{
		{
			name:     "missing snapshot",
			prepare:  func(t *testing.T, st store.Store) { datasetstest.CommitPackages(t, st, oldPart, main) },
			wantType: activities.ErrTypeInvalid,
			wantText: []string{"no committed packages", newPart.Release, newPart.Snapshot},
		},
		{
			name: "no architecture in common",
			prepare: func(t *testing.T, st store.Store) {
				datasetstest.CommitPackages(t, st, oldPart, main)
				datasetstest.CommitPackages(t, st, newPart, arm)
			},
			wantType: activities.ErrTypeInvalid,
			wantText: []string{"amd64", "arm64", "no index architecture in common"},
		},
		{
			name: "corrupt Parquet",
			prepare: func(t *testing.T, st store.Store) {
				datasetstest.CommitPackages(t, st, oldPart, main)
				datasetstest.CommitPackages(t, st, newPart, main)
				key := datasets.Packages.DataKey(newPart)
				junk := []byte("PAR1 this is not a Parquet file PAR1")
				if err := st.Put(context.Background(), key, bytes.NewReader(junk), int64(len(junk))); err != nil {
					t.Fatal(err)
				}
			},
			wantType: activities.ErrTypeCorrupt,
			wantText: []string{datasets.Packages.DataKey(newPart)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, env, st := compareSetup(t)
			tc.prepare(t, st)
			_, err := env.ExecuteActivity(a.CompareSnapshots, activities.CompareInput{Old: oldPart, New: newPart})
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != tc.wantType {
				t.Fatalf("err = %v, want a non-retryable %s", err, tc.wantType)
			}
			for _, s := range tc.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if objs := comparisonObjects(t, st); len(objs) != 0 {
				t.Errorf("committed %q after a failure", objs)
			}
		})
	}
}

// TestCompareSnapshotsCorruptCommitted: a comparison committed before
// whose summary no longer matches its manifest is refused as corrupt,
// naming the object, once: reading it again gives the same bytes.
func TestCompareSnapshotsCorruptCommitted(t *testing.T) {
	a, env, st := compareSetup(t)
	main := parsePackages(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages", "amd64")
	datasetstest.CommitPackages(t, st, oldPart, main)
	datasetstest.CommitPackages(t, st, newPart, main)
	res := compareOK(t, env, a)
	ctx := context.Background()
	key := datasets.CompareSummaries.DataKey(res.Partition)
	rc, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	_, err = env.ExecuteActivity(a.CompareSnapshots, activities.CompareInput{Old: oldPart, New: newPart})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != activities.ErrTypeCorrupt || !strings.Contains(err.Error(), key) {
		t.Fatalf("err = %v, want a non-retryable %s naming %s", err, activities.ErrTypeCorrupt, key)
	}
}

// LocateSnapshot takes a name's newest snapshot the trust accepts, through
// the activity's serialised input and result: an unsigned impostor newer
// than the signed snapshot is passed over, and said to be.
func TestLocateSnapshotUnderTrust(t *testing.T) {
	a, env, st := compareSetup(t)
	const key = "4CB50190207B4758A3F73A796ED0E7B82643E131"
	impostor := datasets.Partition{Distro: oldPart.Distro, Release: oldPart.Release, Snapshot: "20270101T000000Z-cccccccccccc"}
	datasetstest.CommitSnapshot(t, st, oldPart, key)
	datasetstest.CommitSnapshot(t, st, impostor)
	locate := func(trust *compare.Trust) activities.LocateResult {
		t.Helper()
		v, err := env.ExecuteActivity(a.LocateSnapshot, activities.LocateInput{Distro: oldPart.Distro, Release: oldPart.Release, Trust: trust})
		if err != nil {
			t.Fatal(err)
		}
		var res activities.LocateResult
		if err := v.Get(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := locate(&compare.Trust{Keys: []string{key}, By: "the keyring of catalogue source debian"})
	l := res.Located
	if !res.Found || res.Partition != oldPart || l.Partition != oldPart || !l.Trusted || len(l.SignedBy) != 1 || l.SignedBy[0] != key ||
		len(l.PassedOver) != 1 || l.PassedOver[0].Partition != impostor || l.Trust == nil || l.Trust.By == "" {
		t.Errorf("under the catalogue's trust: %+v", res)
	}
	if res := locate(nil); !res.Found || res.Partition != impostor || res.Located.Trusted || len(res.Located.SignedBy) != 0 {
		t.Errorf("without trust: %+v, want the newest, unverified", res)
	}
}
