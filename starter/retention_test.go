package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store/localfs"
)

// runRetention runs a command line as runCLI does.
func runRetention(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	root := newRootCommand(c)
	root.SetArgs(args)
	code := 0
	if _, err := root.ExecuteC(); err != nil {
		code = 2
		if ee, ok := err.(exitError); ok {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return result{code, out.String(), errb.String()}
}

func TestRetentionCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	commit := func(release, snapshot string) datasets.Partition {
		p := datasets.Partition{Distro: "debian", Release: release, Snapshot: snapshot}
		datasetstest.CommitPackages(t, st, p, []datasets.PackageRow{{Package: "hello", IndexArchitecture: "amd64", Version: "1"}})
		datasetstest.CommitSnapshot(t, st, p)
		return p
	}
	old := commit("bookworm", "20260101T000000Z-aaaaaaaaaaaa")
	young := commit("bookworm", "20261201T000000Z-bbbbbbbbbbbb")
	stable := commit("trixie", "20260101T000000Z-cccccccccccc")
	rec, _ := json.Marshal(activities.NightlyRecord{Plan: "nightly", Snapshots: []activities.Outcome{
		{Name: "debian/bookworm", Status: activities.StatusDone, Partition: partitionName(young)},
		{Name: "debian/trixie", Status: activities.StatusReused, Partition: partitionName(stable)}}})
	key := activities.NightlyKey("nightly", time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC))
	if err := st.Put(ctx, key, bytes.NewReader(rec), int64(len(rec))); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(t.TempDir(), "nightly.yaml")
	writePlan := func(retention string) {
		yaml := "name: nightly\nschedule: {cron: \"0 3 * * *\"}\n" + retention + "snapshots:\n  - source: debian\n"
		if err := os.WriteFile(planFile, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writePlan("retention: 30d\n")
	env := map[string]string{"DISTROSCOPE_STORE": dir, "DISTROSCOPE_APT_ROOT": dir}
	root := storeRoot(testConfig(t, dir))

	r := runRetention(t, env, "retention", planFile, "--dry-run", "--now", "2026-12-07")
	want := "retention of plan nightly: 30 days as of 2026-12-07T00:00:00Z — snapshots dated before 2026-11-07T00:00:00Z go — for debian/bookworm, debian/trixie\n" +
		"would remove snapshots " + partitionName(old) + " (" + datasets.WhyExpired + ")\n" +
		"would remove packages " + partitionName(old) + " (" + datasets.WhyExpired + ")\n" +
		"kept snapshots " + partitionName(stable) + " (" + datasets.WhyNewest + ")\n" +
		"retention: 2 partitions to remove (dry run: nothing removed), 1 kept past the retention, 1 snapshots within it, in " + root + "\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("dry run: exit %d, stdout\n%s\nstderr %s\nwant\n%s", r.code, r.stdout, r.stderr, want)
	}
	if _, ok, _ := datasets.Committed(ctx, st, datasets.Snapshots, old); !ok {
		t.Fatal("the dry run removed a snapshot")
	}

	r = runRetention(t, env, "retention", planFile, "--now", "2026-12-07")
	want = strings.ReplaceAll(strings.ReplaceAll(want, "would remove", "removed"), "to remove (dry run: nothing removed)", "removed")
	if r.code != 0 || r.stdout != want {
		t.Fatalf("exit %d, stdout\n%s\nstderr %s\nwant\n%s", r.code, r.stdout, r.stderr, want)
	}
	for p, kept := range map[datasets.Partition]bool{old: false, young: true, stable: true} {
		if _, ok, _ := datasets.Committed(ctx, st, datasets.Packages, p); ok != kept {
			t.Errorf("%s: packages committed %t, want %t", partitionName(p), ok, kept)
		}
	}

	if r := runRetention(t, env, "retention", planFile, "--now", "soon"); r.code != 2 || !strings.Contains(r.stderr, `--now "soon"`) {
		t.Errorf("a bad date: exit %d, stderr %s", r.code, r.stderr)
	}
	writePlan("")
	if r := runRetention(t, env, "retention", planFile); r.code != 0 || r.stdout != "retention: plan nightly keeps every snapshot (it sets no retention)\n" {
		t.Errorf("no retention: exit %d, stdout %q", r.code, r.stdout)
	}
}
