package imagecmp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
)

// publish commits rows as partition p of table t, as analysis/image's
// commit does.
func publish[T any](t *testing.T, st store.Store, table datasets.Table, p datasets.Partition, rows []T, cmp func(a, b *T) int) {
	t.Helper()
	ctx := context.Background()
	part, err := datasets.StageRows(ctx, st, "", table, p, "test", rows, cmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: table, Partition: p, Parts: []datasets.StagedPart{part}}); err != nil {
		t.Fatal(err)
	}
}

// commitSide commits side as an analysis, the summary last; settings
// false leaves config_settings out, as analyzer version 1 did.
func commitSide(t *testing.T, st store.Store, side *Side, settings bool) {
	t.Helper()
	p := side.Partition
	publish(t, st, datasets.ImagePackages, p, side.Packages, datasets.CompareImagePackageRows)
	publish(t, st, datasets.ImageFiles, p, side.Files, datasets.CompareImageFileRows)
	if settings {
		publish(t, st, datasets.ConfigSettings, p, side.Settings, datasets.CompareConfigSettingRows)
	}
	publish(t, st, datasets.ImageSummaries, p, []datasets.ImageSummaryRow{side.Summary},
		func(a, b *datasets.ImageSummaryRow) int { return strings.Compare(a.Identity, b.Identity) })
}

func sampleSide(release, version, sshd string) *Side {
	p := debian(release)
	return &Side{
		Partition: p,
		Summary: datasets.ImageSummaryRow{Identity: "sha256:" + release, Ref: "dir:/srv/" + release, Scheme: "dir", OSID: "debian",
			Codename: release, Ecosystems: []string{"deb"}, Packages: 2, Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		Packages: []datasets.ImagePackageRow{deb("bash", "amd64", "5.2.15-2"), deb("openssh-server", "amd64", version)},
		Files: []datasets.ImageFileRow{
			{Path: "/etc/ssh/sshd_config", Type: "file", Mode: 0o644, SHA256: "ab" + sshd, Package: "openssh-server", Ecosystem: "deb",
				Owners: []string{"openssh-server"}, Config: true, State: datasets.StateModified, Changes: []string{"digest"}, Expected: "md5:00"},
		},
		Settings: []datasets.ConfigSettingRow{
			{Program: "init", Key: "system", Value: "systemd", Source: datasets.SourcePackage},
			{Program: "sshd", Key: "permitrootlogin", Value: sshd, File: "/etc/ssh/sshd_config", Line: 33, Source: datasets.SourceChanged, Package: "openssh-server"},
		},
	}
}

// TestStorageRoundTrip commits two analyses into a local folder store,
// loads them back as they went in, commits their comparison (image_diffs,
// then the summary) and finds it committed; a second commit writes
// nothing, and analyses that are missing or lack config_settings are
// refused by name.
func TestStorageRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := Storage{Store: st, TempDir: t.TempDir(), Producer: "test"}
	a, b := sampleSide("bookworm", "1:9.2p1-2", "yes"), sampleSide("trixie", "1:10.0p1-7", "no")
	commitSide(t, st, a, true)
	commitSide(t, st, b, true)

	la, err := s.Load(ctx, a.Partition)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(la, a) {
		t.Errorf("loaded\n%+v\nwant\n%+v", la, a)
	}
	lb, err := s.LoadKey(ctx, b.Partition.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lb, b) {
		t.Errorf("loaded by key\n%+v\nwant\n%+v", lb, b)
	}

	res, err := Diff(la, lb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Known(ctx, res.Partition); ok || err != nil {
		t.Fatalf("known before commit: %v, %v", ok, err)
	}
	if err := s.Commit(ctx, &res, Run{WorkflowID: "wf", RunID: "run"}); err != nil {
		t.Fatal(err)
	}
	sum, ok, err := s.Known(ctx, res.Partition)
	if err != nil || !ok || sum != res.Summary {
		t.Fatalf("known after commit: %+v, %v, %v; want %+v", sum, ok, err, res.Summary)
	}
	diffs, err := readTable[datasets.ImageDiffRow](ctx, s, datasets.ImageDiffs, res.Partition)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(diffs, res.Diffs) || len(diffs) != 3 {
		t.Errorf("committed diffs\n%+v\nwant 3 rows\n%+v", diffs, res.Diffs)
	}
	m, err := datasets.ReadManifest(ctx, st, datasets.ImageCompareSummaries.ManifestKey(res.Partition))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs) != 2 || m.Inputs[0].Path != datasets.ImageSummaries.ManifestKey(a.Partition) || m.WorkflowID != "wf" {
		t.Errorf("manifest %+v", m)
	}
	s.Now = func() time.Time { return m.CommittedAt.Add(time.Hour) }
	if err := s.Commit(ctx, &res, Run{}); err != nil {
		t.Fatal(err)
	}
	if again, err := datasets.ReadManifest(ctx, st, datasets.ImageCompareSummaries.ManifestKey(res.Partition)); err != nil || !again.CommittedAt.Equal(m.CommittedAt) {
		t.Errorf("a second commit rewrote the manifest: %+v, %v", again, err)
	}

	old := sampleSide("buster", "1:7.9p1-10", "yes")
	commitSide(t, st, old, false)
	if _, err := s.Load(ctx, old.Partition); !errors.Is(err, ErrNoSettings) || !strings.Contains(err.Error(), old.Partition.Snapshot) {
		t.Errorf("analysis without config_settings: %v, want ErrNoSettings naming it", err)
	}
	if _, err := s.LoadKey(ctx, "sha256-none~a2"); !errors.Is(err, ErrNotAnalysed) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing key: %v, want ErrNotAnalysed", err)
	}
	if _, err := s.Load(ctx, debian("none")); !errors.Is(err, ErrNotAnalysed) {
		t.Errorf("missing partition: %v, want ErrNotAnalysed", err)
	}
}

// TestLoadCorrupt: an analysis whose image_files object lost a byte is
// refused as corrupt, naming the object, and a comparison summary that is
// corrupt reads as not committed (it is compared and committed again).
func TestLoadCorrupt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := Storage{Store: st, TempDir: t.TempDir()}
	a := sampleSide("bookworm", "1:9.2p1-2", "yes")
	commitSide(t, st, a, true)
	flip := func(key string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(key))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key := datasets.ImageFiles.DataKey(a.Partition)
	flip(key)
	if _, err := s.Load(ctx, a.Partition); !errors.Is(err, datasets.ErrCorrupt) || !strings.Contains(err.Error(), key) {
		t.Errorf("load: %v, want ErrCorrupt naming %s", err, key)
	}

	res, err := Diff(sampleSide("a", "1", "yes"), sampleSide("b", "2", "no"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &res, Run{}); err != nil {
		t.Fatal(err)
	}
	flip(datasets.ImageCompareSummaries.DataKey(res.Partition))
	if _, ok, err := s.Known(ctx, res.Partition); ok || err != nil {
		t.Errorf("known after corruption: %v, %v; want not known", ok, err)
	}
}
