package datasets_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store/localfs"
)

// TestJanitorKeepsWhatAManifestLists: an object in a folder without a
// manifest is an orphan by its folder, but when another partition's
// manifest lists it the janitor keeps it and says so; a true orphan beside
// it goes.
func TestJanitorKeepsWhatAManifestLists(t *testing.T) {
	ctx := context.Background()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	owner := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260201T000000Z-aaaaaaaaaaaa"}
	m := datasetstest.CommitPackages(t, st, owner, []datasets.PackageRow{{Package: "hello", IndexArchitecture: "amd64", Version: "1"}})
	datasetstest.CommitSnapshot(t, st, owner)

	listed := datasets.Packages.DataKey(datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260101T000000Z-bbbbbbbbbbbb"})
	orphan := datasets.Packages.DataKey(datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260301T000000Z-cccccccccccc"})
	data := datasetstest.PackagesParquet(t, []datasets.PackageRow{{Package: "other", IndexArchitecture: "amd64", Version: "2"}})
	for _, key := range []string{listed, orphan} {
		if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
	}
	d := datasets.NewDigest()
	d.Write(data)
	m.Files = append(m.Files, datasets.ManifestFile{Key: listed, Rows: 1, Bytes: int64(len(data)), SHA256: d.SHA256()})
	datasetstest.RewriteManifest(t, st, datasets.Packages, m)

	rep, err := datasets.Janitor(ctx, st, 0, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.UncommittedFiles, []string{orphan}) || !slices.Equal(rep.Referenced, []string{listed}) {
		t.Errorf("removed %q and kept %q, want %q removed and %q kept", rep.UncommittedFiles, rep.Referenced, orphan, listed)
	}
	if _, err := st.Stat(ctx, listed); err != nil {
		t.Errorf("the listed object is gone: %v", err)
	}
}
